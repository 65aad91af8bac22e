#pragma once
// The AWS settings every AWS-backed option set embeds (DynamoDbOptions::aws, ProgressTableOptions::aws,
// SnsOptions::aws): where requests go, who signs them, how often they are tried and how long each
// may take. Every field left empty (or 0) is resolved from the environment as the AWS SDKs do;
// the service's header says which variables it reads.

#include <chrono>
#include <string>

namespace watchbot_progress {

struct AwsOptions {
    // Signing region. Empty: the ARN's region (table or topic), else AWS_REGION, else
    // AWS_DEFAULT_REGION (then the profile's `region`).
    std::string region;
    // Endpoint URL, scheme://host[:port], e.g. http://127.0.0.1:8000. Empty:
    // AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL, else the service's default
    // (DynamoDB also reads DynamoDbEndpoint).
    std::string endpoint;
    // Static credentials. Empty access_key_id and secret_access_key: the default chain
    // (environment, assume role, web identity, SSO, shared credentials and config files,
    // credential_process, ECS container credentials, EC2 instance metadata). Giving only one of
    // the two keys is a ConfigError. session_token is for temporary keys (ASIA...).
    std::string access_key_id;
    std::string secret_access_key;
    std::string session_token;
    // Attempts per HTTP request, first included (1 disables retries). 0: AWS_MAX_ATTEMPTS, else 3.
    int max_attempts = 0;
    // Per attempt: TCP + TLS connect, and the whole request.
    std::chrono::milliseconds connect_timeout{3'000};
    std::chrono::milliseconds request_timeout{30'000};
};

}  // namespace watchbot_progress
