#pragma once
// Credentials served over HTTP: the ECS container endpoint (what watchbot workers run with) and
// EC2 instance metadata (IMDSv2). Both return temporary credentials with an expiration; wrap them
// in a CachingCredentialsProvider (DefaultCredentialsChain does) so they are fetched once and
// refreshed before they expire.
//
// Thread safety: get_credentials() may be called concurrently; each call fetches anew.
// Messages never contain credentials, the authorization token or the credentials path.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "aws/credentials.hpp"
#include "aws/env.hpp"
#include "aws/http_client.hpp"

namespace watchbot_progress::aws {

struct ContainerCredentialsOptions {
    // Where AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is resolved; tests point it at 127.0.0.1.
    std::string relative_uri_base = "http://169.254.170.2";
    int max_attempts = 3;  // on connection errors, timeouts and 5xx answers
    HttpOptions http{.connect_timeout = std::chrono::milliseconds(2'000),
                     .request_timeout = std::chrono::milliseconds(5'000),
                     .max_idle_handles = 2,
                     .bypass_proxy = true};
};

// GET $relative_uri_base$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, or GET
// AWS_CONTAINER_CREDENTIALS_FULL_URI with the Authorization header from
// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE's content or AWS_CONTAINER_AUTHORIZATION_TOKEN.
// FULL_URI is https, or http to a host whose every address (a numeric host, or what the name
// resolves to now) is loopback (127.0.0.0/8, ::1) or an ECS/EKS credentials agent (169.254.170.2,
// 169.254.170.23, fd00:ec2::23); the request then connects to those checked addresses only, so
// a name cannot resolve elsewhere between the check and the connection.
//
// Throws CredentialsNotConfigured when neither URI variable is set; ConfigError for a disallowed
// FULL_URI or a malformed token; BackendError (code "CredentialsServiceError", retryable for
// connection errors and 5xx) when the endpoint fails after max_attempts, or
// "InvalidCredentialsResponse" for an unusable answer.
class ContainerCredentialsProvider : public CredentialsProvider {
public:
    explicit ContainerCredentialsProvider(EnvLookup env = process_env(), std::shared_ptr<HttpClient> http = nullptr,
                                          ContainerCredentialsOptions options = {});
    Credentials get_credentials() override;
    std::string name() const override { return "container credentials endpoint"; }

private:
    HttpResponse send_to_checked(HttpRequest request, const std::vector<std::string>& addresses, int port);

    EnvLookup env_;
    ContainerCredentialsOptions options_;
    std::shared_ptr<HttpClient> http_;
};

struct InstanceMetadataOptions {
    int token_ttl_seconds = 21'600;
    HttpOptions http{.connect_timeout = std::chrono::milliseconds(1'000),
                     .request_timeout = std::chrono::milliseconds(2'000),
                     .max_idle_handles = 2,
                     .bypass_proxy = true};
};

// IMDSv2: PUT /latest/api/token (X-aws-ec2-metadata-token-ttl-seconds), then with
// X-aws-ec2-metadata-token: GET /latest/meta-data/iam/security-credentials/ (the role name) and
// GET /latest/meta-data/iam/security-credentials/ROLE. The service is at
// AWS_EC2_METADATA_SERVICE_ENDPOINT, else http://[fd00:ec2::254] when
// AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6, else http://169.254.169.254.
//
// Throws CredentialsNotConfigured when AWS_EC2_METADATA_DISABLED=true, when the service cannot be
// reached or refuses tokens (not on EC2), or when no role is attached; BackendError (code
// "CredentialsServiceError") when it answers with an error later on, or
// "InvalidCredentialsResponse" for an unusable answer.
class InstanceMetadataCredentialsProvider : public CredentialsProvider {
public:
    explicit InstanceMetadataCredentialsProvider(EnvLookup env = process_env(),
                                                 std::shared_ptr<HttpClient> http = nullptr,
                                                 InstanceMetadataOptions options = {});
    Credentials get_credentials() override;
    std::string name() const override { return "EC2 instance metadata"; }

    // The base URL this provider would use now (no trailing slash).
    std::string endpoint() const;

private:
    EnvLookup env_;
    InstanceMetadataOptions options_;
    std::shared_ptr<HttpClient> http_;
};

}  // namespace watchbot_progress::aws
