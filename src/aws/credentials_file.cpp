#include "aws/credentials_file.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <system_error>
#include <filesystem>

namespace watchbot_progress::aws {
namespace {

std::string_view trim(std::string_view text) {
    auto begin = text.find_first_not_of(" \t\r\n");
    if (begin == std::string_view::npos) return {};
    auto end = text.find_last_not_of(" \t\r\n");
    return text.substr(begin, end - begin + 1);
}

std::string home_directory(const EnvLookup& env) {
    if (auto home = env_non_empty(env, "HOME")) return *home;
    if (const passwd* entry = ::getpwuid(::getuid()); entry != nullptr && entry->pw_dir != nullptr) {
        return entry->pw_dir;
    }
    return "";
}

}  // namespace

IniSections parse_ini(std::string_view text) {
    IniSections sections;
    std::map<std::string, std::string>* current = nullptr;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        auto end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = trim(text.substr(pos, end - pos));
        pos = end + 1;
        if (line.empty() || line.front() == '#' || line.front() == ';') continue;
        if (line.front() == '[') {
            auto close = line.find(']');
            if (close == std::string_view::npos) {
                current = nullptr;
                continue;
            }
            current = &sections[std::string(trim(line.substr(1, close - 1)))];
            continue;
        }
        auto eq = line.find('=');
        if (current == nullptr || eq == std::string_view::npos) continue;
        std::string key(trim(line.substr(0, eq)));
        std::transform(key.begin(), key.end(), key.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (key.empty()) continue;
        (*current)[key] = std::string(trim(line.substr(eq + 1)));
    }
    return sections;
}

std::string ProfileCredentialsProvider::file_path() const {
    if (auto path = env_non_empty(env_, "AWS_SHARED_CREDENTIALS_FILE")) {
        if (path->starts_with("~/")) return home_directory(env_) + path->substr(1);
        return *path;
    }
    std::string home = home_directory(env_);
    return home.empty() ? std::string() : home + "/.aws/credentials";
}

std::string ProfileCredentialsProvider::profile() const {
    return env_non_empty(env_, "AWS_PROFILE").value_or("default");
}

Credentials ProfileCredentialsProvider::get_credentials() {
    const std::string path = file_path();
    const std::string profile_name = profile();
    const bool explicit_profile = env_non_empty(env_, "AWS_PROFILE").has_value();
    if (path.empty()) throw CredentialsNotConfigured("no home directory, so no shared credentials file");

    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        if (explicit_profile) {
            throw ConfigError("AWS_PROFILE is '" + profile_name + "' but the shared credentials file " + path +
                              " does not exist: create it, set AWS_SHARED_CREDENTIALS_FILE, or unset AWS_PROFILE");
        }
        throw CredentialsNotConfigured("no shared credentials file at " + path);
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError("cannot read the shared credentials file " + path + ": check its permissions");
    std::stringstream text;
    text << in.rdbuf();
    IniSections sections = parse_ini(text.str());

    auto section = sections.find(profile_name);
    if (section == sections.end()) {
        if (explicit_profile) {
            throw ConfigError("profile '" + profile_name + "' (from AWS_PROFILE) is not in " + path +
                              ": add a [" + profile_name + "] section or fix AWS_PROFILE");
        }
        throw CredentialsNotConfigured("no [default] profile in " + path);
    }
    const auto& keys = section->second;
    auto value = [&](const char* key) -> std::string {
        auto it = keys.find(key);
        return it == keys.end() ? std::string() : it->second;
    };
    Credentials out;
    out.access_key_id = value("aws_access_key_id");
    out.secret_access_key = value("aws_secret_access_key");
    if (out.access_key_id.empty() && out.secret_access_key.empty()) {
        throw CredentialsNotConfigured("profile '" + profile_name + "' in " + path + " has no access keys");
    }
    if (out.access_key_id.empty() || out.secret_access_key.empty()) {
        throw ConfigError("profile '" + profile_name + "' in " + path +
                          " needs both aws_access_key_id and aws_secret_access_key");
    }
    std::string token = value("aws_session_token");
    if (token.empty()) token = value("aws_security_token");
    if (!token.empty()) out.session_token = std::move(token);
    return out;
}

}  // namespace watchbot_progress::aws
