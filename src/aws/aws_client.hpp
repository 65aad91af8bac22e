#pragma once
// The request facade the DynamoDB client, the SNS notifier and the STS and SSO calls build on:
// signs with SigV4, sends over the HttpClient, retries in the AWS "standard" mode (re-signing every
// attempt) and turns errors into classified watchbot_progress::BackendError. The transport layer:
// it signs with the CredentialsProvider its caller hands it and knows no provider itself, so the
// credentials providers (which call STS and SSO through it) sit above it, never below
// (docs/architecture.md, "The AWS layers"). client_config.hpp builds configurations with the
// default chain.
//
//   auto client = AwsClient(client_config_from_env("dynamodb", parse_arn(table_arn, "ProgressTable")));
//   nlohmann::json item = client.json_call("DynamoDB_20120810.GetItem", {{"TableName", "t"}, ...});
//
//   auto sns = AwsClient(client_config_from_env("sns", parse_arn(topic_arn, "WorkTopic")));
//   pugi::xml_document doc = sns.query_call("Publish", {{"TopicArn", arn}, {"Subject", "map"},
//                                                       {"Message", body}}, "2010-03-31");
//
// Errors: every failed call throws BackendError whose code() is the service's error code
// ("ConditionalCheckFailedException", "ThrottlingException", "InvalidParameter", ...), a transport
// code ("ConnectionError", "TimeoutError", ... see error_classification.hpp), "Crc32Mismatch",
// "InvalidResponse" (a 2xx answer that does not parse) or "Http<status>" when an error answer had
// no code; retryable() says whether trying again later may help (retries were already made).
// Credentials problems surface as the provider throws them (ConfigError, CredentialsNotConfigured,
// BackendError). Messages name the service, operation, code, HTTP status, request id and attempts,
// and say what to do; they never contain credentials, tokens or signatures: whatever the server
// says (code, message, request id, and a successful answer's body) has the secret key, session
// token and the request's signature replaced with "[redacted]", should it echo them.
//
// Thread safety: all methods may be called concurrently; the HTTP client pools connections and
// the retry quota is shared by all calls of one client.

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "aws/arn.hpp"
#include "aws/clock.hpp"
#include "aws/credentials.hpp"
#include "aws/env.hpp"
#include "aws/http_client.hpp"
#include "aws/retry.hpp"
#include "aws/url.hpp"

namespace watchbot_progress::aws {

struct AwsClientConfig {
    std::string service;   // signing name and endpoint prefix: "dynamodb", "sns"
    std::string region;    // signing region
    std::string endpoint;  // scheme://host[:port][/path], e.g. from resolve_endpoint()
    std::shared_ptr<CredentialsProvider> credentials;  // who signs; required when sign_requests
    // false: requests go out unsigned and `credentials` is never asked (STS
    // AssumeRoleWithWebIdentity and the SSO portal, which authenticate by a token in the request).
    bool sign_requests = true;
    std::shared_ptr<HttpClient> http;                  // null: a CurlHttpClient with http_options
    HttpOptions http_options;
    RetryPolicy retry;  // see RetryPolicy::from_env() for AWS_MAX_ATTEMPTS
    RetryHooks hooks;   // unset members: real sleep, real randomness
    Clock clock;        // unset: the system clock; signs every attempt with clock()
};

enum class AwsProtocol {
    kJson,   // JSON 1.0 (DynamoDB): errors in a JSON body's "__type"/"message"
    kQuery,  // query protocol (SNS): errors in XML <Error><Code>/<Message>
};

// One request before signing. The URL is config.endpoint + path (+ "?" + query).
struct AwsRequest {
    std::string operation;  // for messages: "GetItem", "Publish"
    AwsProtocol protocol = AwsProtocol::kJson;
    std::string method = "POST";
    std::string path = "/";
    std::string query;    // canonically percent-encoded, without '?'
    HeaderList headers;   // e.g. Content-Type, X-Amz-Target; signed
    std::string body;
    // Secrets the request carries besides the credentials (a web identity token, an SSO bearer
    // token): replaced with "[redacted]" in whatever the server says, as the credentials are.
    std::vector<std::string> secrets;
};

class AwsClient {
public:
    // Throws ConfigError when service, region or endpoint is empty, the endpoint is malformed, or
    // requests are to be signed and no credentials provider is given.
    explicit AwsClient(AwsClientConfig config);

    // JSON 1.0 protocol: POST / with Content-Type application/x-amz-json-1.0 and X-Amz-Target:
    // `target` ("DynamoDB_20120810.UpdateItem"), the compact JSON of `request` (raw UTF-8; null
    // is sent as {}) as body.
    // Returns the parsed response, always a JSON object ({} for an empty body). Checks DynamoDB's
    // X-Amz-Crc32 when sent. Throws InvalidInput when `request` holds invalid UTF-8; BackendError as
    // described above, and BackendError "InvalidResponse" (not retryable) for a 2xx body that is not
    // a JSON object (truncated, not JSON, an array...).
    nlohmann::json json_call(std::string_view target, const nlohmann::json& request) const;

    // Query protocol: POST / with a form-urlencoded body Action=action&<params in order>&Version=version.
    // Returns the parsed XML answer (query_call) or its text (query_call_raw). query_call throws
    // BackendError "InvalidResponse" (not retryable) for a 2xx body that is not well-formed XML
    // (truncated, empty, not XML).
    pugi::xml_document query_call(std::string_view action, const QueryParams& params, std::string_view version) const;
    std::string query_call_raw(std::string_view action, const QueryParams& params, std::string_view version) const;

    // The retry loop itself, for requests the helpers above do not cover. Returns the 2xx response.
    HttpResponse send(const AwsRequest& request) const;

    const AwsClientConfig& config() const { return config_; }
    int retry_quota_available() const { return quota_->available(); }

private:
    AwsClientConfig config_;
    std::shared_ptr<RetryQuota> quota_;
};

}  // namespace watchbot_progress::aws
