#pragma once
// AWS credentials and the provider interface, plus the two simplest providers.
//
// Credentials are secrets: nothing in the AWS layer puts the secret key, session token or a
// signature into an exception message or a log line. Credentials has no operator<< on purpose.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "aws/clock.hpp"
#include "aws/env.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress::aws {

struct Credentials {
    std::string access_key_id;
    std::string secret_access_key;
    std::optional<std::string> session_token;  // set for temporary credentials
    std::optional<TimePoint> expiration;       // unset: never expires
};

// Where credentials come from. get_credentials() returns credentials that are valid now.
//
// Throws CredentialsNotConfigured when this provider has nothing to offer (its environment
// variables are unset, its file or profile does not exist, there is no instance role) so a chain
// can try the next one; ConfigError when it is configured but the configuration is broken;
// BackendError when a credentials service answered badly or could not be reached.
//
// Thread safety: every provider in this layer may be called concurrently from any threads.
class CredentialsProvider {
public:
    virtual ~CredentialsProvider() = default;
    virtual Credentials get_credentials() = 0;
    // A short name for messages, e.g. "environment", "shared credentials file".
    virtual std::string name() const = 0;
    // Drops cached credentials, if the provider caches any, so the next call fetches anew.
    // AwsClient calls it when a service says the credentials expired. Default: nothing to drop.
    virtual void invalidate() {}
};

class CredentialsNotConfigured : public ConfigError {
public:
    using ConfigError::ConfigError;
};

// Always returns the credentials it was given.
class StaticCredentialsProvider : public CredentialsProvider {
public:
    explicit StaticCredentialsProvider(Credentials credentials) : credentials_(std::move(credentials)) {}
    Credentials get_credentials() override { return credentials_; }
    std::string name() const override { return "static"; }

private:
    const Credentials credentials_;
};

// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and optional AWS_SESSION_TOKEN, read on every call.
// Not configured when AWS_ACCESS_KEY_ID is unset or empty; ConfigError when only one of the two
// keys is set.
class EnvironmentCredentialsProvider : public CredentialsProvider {
public:
    explicit EnvironmentCredentialsProvider(EnvLookup env = process_env()) : env_(std::move(env)) {}
    Credentials get_credentials() override;
    std::string name() const override { return "environment"; }

private:
    EnvLookup env_;
};

// Parses the JSON document that the ECS container endpoint and EC2 instance metadata return:
// {"AccessKeyId", "SecretAccessKey", "Token", "Expiration" (ISO 8601)}; IMDS also sends
// "Code": "Success". `source` names the service in error messages. Throws BackendError (code
// "InvalidCredentialsResponse", not retryable) when fields are missing or malformed; the message
// never contains the document.
Credentials credentials_from_json(std::string_view body, std::string_view source);

}  // namespace watchbot_progress::aws
