#include "aws/credentials_assume_role.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "aws/credentials_chain.hpp"
#include "aws/sts_client.hpp"

namespace watchbot_progress::aws {
namespace {

bool has_static_credentials(const IniSection& profile) {
    return profile.count("aws_access_key_id") != 0 || profile.count("aws_secret_access_key") != 0;
}

// botocore's _has_assume_role_config_vars: role_arn, and not a web identity profile.
bool has_assume_role_settings(const IniSection& profile) {
    return ini_value(profile, "role_arn").has_value() && profile.count("web_identity_token_file") == 0;
}

std::string trim(std::string text) {
    auto begin = text.find_first_not_of(" \t\r\n");
    if (begin == std::string::npos) return "";
    auto end = text.find_last_not_of(" \t\r\n");
    return text.substr(begin, end - begin + 1);
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : " -> ") + name;
    return out;
}

}  // namespace

AssumeRoleCredentialsProvider::AssumeRoleCredentialsProvider(ProfileCredentialsOptions options,
                                                             std::optional<std::string> profile)
    : options_(std::move(options)), profile_(std::move(profile)) {
    options_.http = http_for_profiles(options_);
}

Credentials AssumeRoleCredentialsProvider::get_credentials() {
    const SharedConfig config = load_shared_config(options_.env);
    const std::string name = profile_.value_or(selected_profile(options_.env));
    const auto profile = config.profile(name);
    if (!profile) throw CredentialsNotConfigured("no profile '" + name + "'");
    if (!has_assume_role_settings(*profile)) {
        throw CredentialsNotConfigured("profile '" + name + "' has no role_arn (without web_identity_token_file)");
    }
    std::vector<std::string> visited{name};
    return assume(config, name, visited);
}

Credentials AssumeRoleCredentialsProvider::assume(const SharedConfig& config, const std::string& name,
                                                  std::vector<std::string>& visited) {
    const IniSection profile = *config.profile(name);
    const std::string role_arn = *ini_value(profile, "role_arn");
    const std::string where = "profile '" + name + "' (role_arn " + role_arn + ", in " + config.describe_files() + ")";
    const auto source_profile = ini_value(profile, "source_profile");
    const auto credential_source = ini_value(profile, "credential_source");
    if (source_profile && credential_source) {
        throw ConfigError(where + " has both source_profile and credential_source: keep one");
    }
    if (!source_profile && !credential_source) {
        throw ConfigError(where + " needs source_profile or credential_source to say whose credentials assume the role");
    }
    if (ini_value(profile, "mfa_serial")) {
        throw ConfigError(where + " has mfa_serial: this tool cannot ask for an MFA code; use a credential_process "
                                  "that returns the role's credentials, or a profile without MFA");
    }
    AssumeRoleParams params;
    params.role_arn = role_arn;
    params.role_session_name =
        ini_value(profile, "role_session_name").value_or(default_role_session_name(options_.clock()));
    params.external_id = ini_value(profile, "external_id");
    if (auto duration = ini_value(profile, "duration_seconds")) {
        try {
            std::size_t used = 0;
            const int seconds = std::stoi(*duration, &used);
            if (used != duration->size() || seconds < 1) throw std::invalid_argument("range");
            params.duration_seconds = seconds;
        } catch (const std::exception&) {
            throw ConfigError(where + " has duration_seconds = '" + *duration +
                              "': give a whole number of seconds (900 to 43200)");
        }
    }

    const Credentials source = credential_source ? from_credential_source(name, *credential_source)
                                                 : from_source_profile(config, name, *source_profile, visited);
    return sts_assume_role(options_, params, source, "profile '" + name + "'");
}

Credentials AssumeRoleCredentialsProvider::from_source_profile(const SharedConfig& config, const std::string& parent,
                                                               const std::string& source,
                                                               std::vector<std::string>& visited) {
    const auto profile = config.profile(source);
    if (!profile) {
        throw ConfigError("the source_profile '" + source + "' of profile '" + parent + "' does not exist in " +
                          config.describe_files() + ": add it or fix source_profile");
    }
    // botocore's _validate_source_profile: a profile seen before is a loop, unless a profile names
    // itself and has keys of its own.
    if (std::find(visited.begin(), visited.end(), source) != visited.end() &&
        (source != parent || !has_static_credentials(*profile))) {
        visited.push_back(source);
        throw ConfigError("profile '" + visited.front() + "' has a source_profile loop: " + joined(visited) + " (in " +
                          config.describe_files() +
                          "); end the chain at a profile with keys or a credential_source");
    }
    visited.push_back(source);

    if (has_static_credentials(*profile) || !has_assume_role_settings(*profile)) {
        CredentialsChain chain(profile_providers(source, /*use_environment=*/false, options_));
        try {
            return chain.get_credentials();
        } catch (const CredentialsNotConfigured&) {
            throw ConfigError("the source_profile '" + source + "' of profile '" + parent +
                              "' has no credentials (keys, credential_process, sso_* or web_identity_token_file) in " +
                              config.describe_files());
        } catch (const BackendError& e) {
            throw BackendError("the source_profile '" + source + "' of profile '" + parent + "': " + e.what(), e.code(),
                               e.retryable());
        } catch (const ConfigError& e) {
            throw ConfigError("the source_profile '" + source + "' of profile '" + parent + "': " + e.what());
        }
    }
    return assume(config, source, visited);
}

Credentials AssumeRoleCredentialsProvider::from_credential_source(const std::string& parent, const std::string& source) {
    std::shared_ptr<CredentialsProvider> provider;
    if (source == "Environment") {
        provider = std::make_shared<EnvironmentCredentialsProvider>(options_.env);
    } else if (source == "EcsContainer") {
        provider = std::make_shared<ContainerCredentialsProvider>(options_.env, options_.metadata_http, options_.container);
    } else if (source == "Ec2InstanceMetadata") {
        provider = std::make_shared<InstanceMetadataCredentialsProvider>(options_.env, options_.metadata_http,
                                                                         options_.instance_metadata);
    } else {
        throw ConfigError("the credential_source '" + source + "' of profile '" + parent +
                          "' is not one of Environment, EcsContainer, Ec2InstanceMetadata");
    }
    try {
        return provider->get_credentials();
    } catch (const CredentialsNotConfigured& e) {
        throw ConfigError("the credential_source " + source + " of profile '" + parent + "' has no credentials: " +
                          e.what());
    } catch (const BackendError& e) {
        throw BackendError("the credential_source " + source + " of profile '" + parent + "': " + e.what(), e.code(),
                           e.retryable());
    }
}

WebIdentityCredentialsProvider::WebIdentityCredentialsProvider(ProfileCredentialsOptions options,
                                                               std::optional<std::string> profile, bool use_environment)
    : options_(std::move(options)), profile_(std::move(profile)), use_environment_(use_environment) {
    options_.http = http_for_profiles(options_);
}

Credentials WebIdentityCredentialsProvider::get_credentials() {
    std::optional<IniSection> profile;
    bool loaded = false;
    std::string files;
    const std::string name = profile_.value_or(selected_profile(options_.env));
    // botocore's _get_config: each setting from its variable, else from the profile.
    auto setting = [&](const char* variable, const char* key) -> std::optional<std::pair<std::string, std::string>> {
        if (use_environment_) {
            if (auto value = env_non_empty(options_.env, variable)) return std::make_pair(*value, std::string(variable));
        }
        if (!loaded) {
            SharedConfig config = load_shared_config(options_.env);
            profile = config.profile(name);
            files = config.describe_files();
            loaded = true;
        }
        if (profile) {
            if (auto value = ini_value(*profile, key)) {
                return std::make_pair(*value, key + std::string(" of profile '") + name + "'");
            }
        }
        return std::nullopt;
    };

    const auto token_file = setting("AWS_WEB_IDENTITY_TOKEN_FILE", "web_identity_token_file");
    if (!token_file) {
        throw CredentialsNotConfigured(std::string(use_environment_ ? "AWS_WEB_IDENTITY_TOKEN_FILE is not set and " : "") +
                                       "profile '" + name + "' has no web_identity_token_file");
    }
    const auto role_arn = setting("AWS_ROLE_ARN", "role_arn");
    if (!role_arn) {
        throw ConfigError("a web identity token file is set (" + token_file->second + ") but no role ARN: set " +
                          (use_environment_ ? "AWS_ROLE_ARN or " : "") + "role_arn in profile '" + name + "'");
    }
    std::ifstream in(token_file->first, std::ios::binary);
    if (!in) {
        throw ConfigError("cannot read the web identity token file " + token_file->first + " (from " +
                          token_file->second + "): check that it exists and is readable");
    }
    std::stringstream text;
    text << in.rdbuf();
    const std::string token = trim(text.str());
    if (token.empty()) {
        throw ConfigError("the web identity token file " + token_file->first + " (from " + token_file->second +
                          ") is empty");
    }
    AssumeRoleParams params;
    params.role_arn = role_arn->first;
    const auto session_name = setting("AWS_ROLE_SESSION_NAME", "role_session_name");
    params.role_session_name = session_name ? session_name->first : default_role_session_name(options_.clock());
    return sts_assume_role_with_web_identity(options_, params, token,
                                             "web identity (token file from " + token_file->second + ")");
}

}  // namespace watchbot_progress::aws
