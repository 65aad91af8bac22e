#include "aws/credentials_file.hpp"

namespace watchbot_progress::aws {
namespace {

std::string value_of(const IniSection& keys, const char* key) { return ini_value(keys, key).value_or(""); }

}  // namespace

std::string ProfileCredentialsProvider::file_path() const { return credentials_file_path(env_); }

std::string ProfileCredentialsProvider::profile() const { return profile_.value_or(selected_profile(env_)); }

Credentials ProfileCredentialsProvider::get_credentials() {
    const SharedConfig config = load_shared_config(env_);
    const std::string& path = config.credentials_path;
    const std::string profile_name = profile();
    const bool explicit_profile = !profile_ && profile_is_explicit(env_);
    if (path.empty()) throw CredentialsNotConfigured("no home directory, so no shared credentials file");

    auto section = config.credentials_profiles.find(profile_name);
    if (section == config.credentials_profiles.end()) {
        if (explicit_profile && !config.has_profile(profile_name)) {
            if (!config.credentials_found && !config.config_found) {
                throw ConfigError("AWS_PROFILE is '" + profile_name + "' but neither the shared credentials file " +
                                  path + " nor the config file " + config.config_path +
                                  " exists: create one, set AWS_SHARED_CREDENTIALS_FILE or AWS_CONFIG_FILE, or "
                                  "unset AWS_PROFILE");
            }
            throw ConfigError("profile '" + profile_name + "' (from AWS_PROFILE) is not in " + config.describe_files() +
                              ": add a [" + profile_name + "] section to " + path + " or a [profile " + profile_name +
                              "] section to " + config.config_path + ", or fix AWS_PROFILE");
        }
        if (!config.credentials_found) throw CredentialsNotConfigured("no shared credentials file at " + path);
        throw CredentialsNotConfigured("no [" + profile_name + "] profile in " + path);
    }
    const IniSection& keys = section->second;
    Credentials out;
    out.access_key_id = value_of(keys, "aws_access_key_id");
    out.secret_access_key = value_of(keys, "aws_secret_access_key");
    if (out.access_key_id.empty() && out.secret_access_key.empty()) {
        throw CredentialsNotConfigured("profile '" + profile_name + "' in " + path + " has no access keys");
    }
    if (out.access_key_id.empty() || out.secret_access_key.empty()) {
        throw ConfigError("profile '" + profile_name + "' in " + path +
                          " needs both aws_access_key_id and aws_secret_access_key");
    }
    std::string token = value_of(keys, "aws_session_token");
    if (token.empty()) token = value_of(keys, "aws_security_token");
    if (!token.empty()) out.session_token = std::move(token);
    return out;
}

Credentials ConfigFileCredentialsProvider::get_credentials() {
    const SharedConfig config = load_shared_config(env_);
    const std::string profile_name = profile_.value_or(selected_profile(env_));
    auto section = config.config_profiles.find(profile_name);
    if (section == config.config_profiles.end()) {
        throw CredentialsNotConfigured(config.config_found
                                           ? "no profile '" + profile_name + "' in " + config.config_path
                                           : "no config file at " + config.config_path);
    }
    const IniSection& keys = section->second;
    Credentials out;
    out.access_key_id = value_of(keys, "aws_access_key_id");
    if (out.access_key_id.empty()) {
        throw CredentialsNotConfigured("profile '" + profile_name + "' in " + config.config_path +
                                       " has no aws_access_key_id");
    }
    out.secret_access_key = value_of(keys, "aws_secret_access_key");
    if (out.secret_access_key.empty()) {
        throw ConfigError("profile '" + profile_name + "' in " + config.config_path +
                          " has aws_access_key_id but no aws_secret_access_key: set both");
    }
    // botocore's ConfigProvider.TOKENS order: aws_security_token, then aws_session_token.
    std::string token = value_of(keys, "aws_security_token");
    if (token.empty()) token = value_of(keys, "aws_session_token");
    if (!token.empty()) out.session_token = std::move(token);
    return out;
}

}  // namespace watchbot_progress::aws
