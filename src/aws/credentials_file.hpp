#pragma once
// Static keys in the shared files: the shared credentials file (~/.aws/credentials; botocore's
// SharedCredentialProvider) and the config file (~/.aws/config; botocore's ConfigProvider).

#include <optional>
#include <string>

#include "aws/credentials.hpp"
#include "aws/env.hpp"
#include "aws/shared_config.hpp"

namespace watchbot_progress::aws {

// Reads the shared credentials file (credentials_file_path()) on every call; profile `profile`
// when given, else AWS_PROFILE, else "default". Keys: aws_access_key_id, aws_secret_access_key,
// aws_session_token (or the older aws_security_token).
//
// Throws CredentialsNotConfigured when the profile has no keys in the credentials file (no file,
// no such section, a section without keys, or a profile that only the config file has);
// ConfigError when a profile named by AWS_PROFILE is in neither file, the profile has only one of
// the two keys, or a file cannot be read. Messages name the file and profile, never values.
class ProfileCredentialsProvider : public CredentialsProvider {
public:
    explicit ProfileCredentialsProvider(EnvLookup env = process_env(), std::optional<std::string> profile = std::nullopt)
        : env_(std::move(env)), profile_(std::move(profile)) {}
    Credentials get_credentials() override;
    std::string name() const override { return "shared credentials file"; }

    // The file and profile this provider would read now.
    std::string file_path() const;
    std::string profile() const;

private:
    EnvLookup env_;
    std::optional<std::string> profile_;
};

// aws_access_key_id / aws_secret_access_key / aws_security_token or aws_session_token written in
// the profile's section of the config file (config_file_path()). Profile as above.
//
// Throws CredentialsNotConfigured when that section has no aws_access_key_id (or there is no such
// file or section); ConfigError when it has the key id without the secret, or the file cannot be read.
class ConfigFileCredentialsProvider : public CredentialsProvider {
public:
    explicit ConfigFileCredentialsProvider(EnvLookup env = process_env(), std::optional<std::string> profile = std::nullopt)
        : env_(std::move(env)), profile_(std::move(profile)) {}
    Credentials get_credentials() override;
    std::string name() const override { return "config file keys"; }

private:
    EnvLookup env_;
    std::optional<std::string> profile_;
};

}  // namespace watchbot_progress::aws
