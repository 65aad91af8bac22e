#pragma once
// The shared credentials file (~/.aws/credentials), as the AWS CLI and SDKs read it.

#include <map>
#include <string>
#include <string_view>

#include "aws/credentials.hpp"
#include "aws/env.hpp"

namespace watchbot_progress::aws {

// An INI file: "[section]" headers, "key = value" lines, '#' and ';' comment lines. Section and key
// names are trimmed; keys are lowercased. A later duplicate key wins. Lines outside any section
// and malformed lines are ignored. Pure, never throws.
using IniSections = std::map<std::string, std::map<std::string, std::string>>;
IniSections parse_ini(std::string_view text);

// Reads the file named by AWS_SHARED_CREDENTIALS_FILE, else $HOME/.aws/credentials, on every call;
// profile AWS_PROFILE, else "default". Keys: aws_access_key_id, aws_secret_access_key,
// aws_session_token (or the older aws_security_token).
//
// Throws CredentialsNotConfigured when the file does not exist, the "default" profile is absent,
// or the profile has neither key; ConfigError when a profile named by AWS_PROFILE (or its file) is
// absent, the profile has only one of the two keys, or the file cannot be read. Messages name the file and profile, never values.
class ProfileCredentialsProvider : public CredentialsProvider {
public:
    explicit ProfileCredentialsProvider(EnvLookup env = process_env()) : env_(std::move(env)) {}
    Credentials get_credentials() override;
    std::string name() const override { return "shared credentials file"; }

    // The file and profile this provider would read now.
    std::string file_path() const;
    std::string profile() const;

private:
    EnvLookup env_;
};

}  // namespace watchbot_progress::aws
