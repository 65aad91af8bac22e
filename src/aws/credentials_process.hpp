#pragma once
// credential_process: a profile's command that prints credentials as JSON on its stdout
// (botocore/credentials.py ProcessProvider; the format is the AWS CLI's "Sourcing credentials with
// an external process"):
//
//   {"Version": 1, "AccessKeyId": "...", "SecretAccessKey": "...", "SessionToken": "...",
//    "Expiration": "2026-11-27T21:15:01Z"}
//
// SessionToken and Expiration are optional; credentials with an Expiration are refreshed before it
// by running the command again (the default chain's cache does that).

#include <optional>
#include <string>
#include <string_view>

#include "aws/credentials.hpp"
#include "aws/env.hpp"

namespace watchbot_progress::aws {

// BackendError::code() of a credential_process that exited with an error or was killed.
inline constexpr std::string_view kCredentialProcessFailed = "CredentialProcessFailed";

// Reads `credential_process` from the profile (`profile`, else AWS_PROFILE, else "default"; the
// config file's section with the credentials file's keys over it) on every call, splits it into
// words as a POSIX shell quotes (shell_split; no shell runs, nothing is expanded) and runs it with
// stdin from /dev/null.
//
// Throws CredentialsNotConfigured when the profile has no credential_process; ConfigError when the
// command line cannot be split or the program cannot be started; BackendError code
// "CredentialProcessFailed" (not retryable) when it exits with a non-zero status or a signal (the
// message quotes the start of its stderr), "InvalidCredentialsResponse" when its stdout is not the
// JSON above (Version must be 1). Messages name the profile, the file and the program (argv[0]),
// never the rest of the command line (it may hold a password) or anything from stdout.
class ProcessCredentialsProvider : public CredentialsProvider {
public:
    explicit ProcessCredentialsProvider(EnvLookup env = process_env(), std::optional<std::string> profile = std::nullopt)
        : env_(std::move(env)), profile_(std::move(profile)) {}
    Credentials get_credentials() override;
    std::string name() const override { return "credential_process"; }

private:
    EnvLookup env_;
    std::optional<std::string> profile_;
};

// Parses credential_process output. `source` names the process in messages. Throws BackendError
// "InvalidCredentialsResponse" (not retryable); the message never holds the output.
Credentials credentials_from_process_output(std::string_view out, const std::string& source);

}  // namespace watchbot_progress::aws
