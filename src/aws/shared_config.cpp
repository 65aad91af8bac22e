#include "aws/shared_config.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

#include "core/ascii.hpp"
#include "aws/shell_split.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress::aws {
namespace {

std::string_view trim(std::string_view text) {
    auto begin = text.find_first_not_of(" \t\r\n");
    if (begin == std::string_view::npos) return {};
    auto end = text.find_last_not_of(" \t\r\n");
    return text.substr(begin, end - begin + 1);
}

std::size_t indent_of(std::string_view line) {
    std::size_t n = 0;
    while (n < line.size() && (line[n] == ' ' || line[n] == '\t')) ++n;
    return n;
}

std::string expand_home(const std::string& path, const EnvLookup& env) {
    if (path == "~" || path.starts_with("~/")) return home_directory(env) + path.substr(1);
    return path;
}

// Reads a whole file; nullopt when it does not exist. Throws ConfigError when it exists but
// cannot be read.
std::optional<std::string> read_if_exists(const std::string& path, const char* what) {
    if (path.empty()) return std::nullopt;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return std::nullopt;
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError(std::string("cannot read the ") + what + " " + path + ": check its permissions");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// "profile NAME" -> NAME, "sso-session NAME" -> NAME (with `kind` the first word), else nullopt.
std::optional<std::string> named_section(const std::string& header, std::string_view kind) {
    if (!header.starts_with(kind)) return std::nullopt;
    try {
        std::vector<std::string> words = shell_split(header);
        if (words.size() == 2 && words[0] == kind && !words[1].empty()) return words[1];
    } catch (const InvalidInput&) {
    }
    return std::nullopt;
}

void merge_into(IniSections& into, const std::string& name, const IniSection& keys) {
    IniSection& target = into[name];
    for (const auto& [key, value] : keys) target[key] = value;
}

}  // namespace

IniSections parse_ini(std::string_view text) {
    IniSections sections;
    IniSection* current = nullptr;
    std::optional<std::size_t> key_indent;  // indentation of the section's last key line
    std::size_t pos = 0;
    while (pos <= text.size()) {
        auto end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view raw = text.substr(pos, end - pos);
        pos = end + 1;
        std::string_view line = trim(raw);
        if (line.empty() || line.front() == '#' || line.front() == ';') continue;
        const std::size_t indent = indent_of(raw);
        if (current != nullptr && key_indent && indent > *key_indent) continue;  // continuation line
        if (line.front() == '[') {
            auto close = line.find(']');
            key_indent.reset();
            current = close == std::string_view::npos ? nullptr : &sections[std::string(trim(line.substr(1, close - 1)))];
            continue;
        }
        auto split = line.find_first_of("=:");
        if (current == nullptr || split == std::string_view::npos) continue;
        std::string key = watchbot_progress::detail::ascii_lower(trim(line.substr(0, split)));
        if (key.empty()) continue;
        (*current)[key] = std::string(trim(line.substr(split + 1)));
        key_indent = indent;
    }
    return sections;
}

std::string home_directory(const EnvLookup& env) {
    if (auto home = env_non_empty(env, "HOME")) return *home;
    if (const passwd* entry = ::getpwuid(::getuid()); entry != nullptr && entry->pw_dir != nullptr) {
        return entry->pw_dir;
    }
    return "";
}

std::string config_file_path(const EnvLookup& env) {
    if (auto path = env_non_empty(env, "AWS_CONFIG_FILE")) return expand_home(*path, env);
    std::string home = home_directory(env);
    return home.empty() ? std::string() : home + "/.aws/config";
}

std::string credentials_file_path(const EnvLookup& env) {
    if (auto path = env_non_empty(env, "AWS_SHARED_CREDENTIALS_FILE")) return expand_home(*path, env);
    std::string home = home_directory(env);
    return home.empty() ? std::string() : home + "/.aws/credentials";
}

std::string selected_profile(const EnvLookup& env) { return env_non_empty(env, "AWS_PROFILE").value_or("default"); }

bool profile_is_explicit(const EnvLookup& env) { return env_non_empty(env, "AWS_PROFILE").has_value(); }

std::optional<IniSection> SharedConfig::profile(const std::string& name) const {
    auto from_config = config_profiles.find(name);
    auto from_credentials = credentials_profiles.find(name);
    if (from_config == config_profiles.end() && from_credentials == credentials_profiles.end()) return std::nullopt;
    IniSection merged;
    if (from_config != config_profiles.end()) merged = from_config->second;
    if (from_credentials != credentials_profiles.end()) {
        for (const auto& [key, value] : from_credentials->second) merged[key] = value;
    }
    return merged;
}

bool SharedConfig::has_profile(const std::string& name) const {
    return config_profiles.count(name) != 0 || credentials_profiles.count(name) != 0;
}

std::string SharedConfig::describe_files() const {
    std::string config = config_path.empty() ? "(no config file: no home directory)" : config_path;
    std::string credentials = credentials_path.empty() ? "(no credentials file: no home directory)" : credentials_path;
    return "the config file " + config + " or the credentials file " + credentials;
}

SharedConfig load_shared_config(const EnvLookup& env) {
    SharedConfig out;
    out.config_path = config_file_path(env);
    out.credentials_path = credentials_file_path(env);
    if (auto text = read_if_exists(out.config_path, "AWS config file")) {
        out.config_found = true;
        for (const auto& [header, keys] : parse_ini(*text)) {
            if (header == "default") {
                merge_into(out.config_profiles, header, keys);
            } else if (auto name = named_section(header, "profile")) {
                merge_into(out.config_profiles, *name, keys);
            } else if (auto session = named_section(header, "sso-session")) {
                merge_into(out.sso_sessions, *session, keys);
            }
        }
    }
    if (auto text = read_if_exists(out.credentials_path, "shared credentials file")) {
        out.credentials_found = true;
        out.credentials_profiles = parse_ini(*text);
    }
    return out;
}

std::optional<std::string> ini_value(const IniSection& section, const std::string& key) {
    auto it = section.find(key);
    if (it == section.end() || it->second.empty()) return std::nullopt;
    return it->second;
}

}  // namespace watchbot_progress::aws
