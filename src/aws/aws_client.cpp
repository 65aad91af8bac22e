#include "aws/aws_client.hpp"

#include <algorithm>

#include "aws/crypto.hpp"
#include "aws/error_classification.hpp"
#include "aws/error_parsing.hpp"
#include "aws/sigv4.hpp"
#include "watchbot_progress/error_codes.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress::aws {
namespace {

constexpr std::size_t kMaxServiceMessage = 512;

void replace_all(std::string& text, const std::string& secret) {
    if (secret.size() < 4) return;  // too short to be a credential; avoid mangling the text
    for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos)) {
        text.replace(pos, secret.size(), "[redacted]");
        pos += 10;
    }
}

// What a service said, made safe for an exception message: AWS echoes the canonical request and
// string to sign (which hold the session token) in signature errors, so that part is cut, and any
// credential or signature that still appears is replaced.
std::string sanitize(std::string text, const Credentials& credentials, const std::string& signature,
                     const std::vector<std::string>& secrets) {
    for (const char* marker : {"The Canonical String for this request", "The String-to-Sign should have been",
                               "\n\nThe canonical string"}) {
        if (auto pos = text.find(marker); pos != std::string::npos) text.erase(pos);
    }
    replace_all(text, credentials.secret_access_key);
    if (credentials.session_token) replace_all(text, *credentials.session_token);
    replace_all(text, signature);
    for (const auto& secret : secrets) replace_all(text, secret);
    // One line: a service message may hold line breaks or other control characters.
    for (char& c : text) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '.')) text.pop_back();
    if (text.size() > kMaxServiceMessage) text = text.substr(0, kMaxServiceMessage) + "...";
    return text;
}

struct Failure {
    int status = 0;  // 0: no HTTP response
    std::string code;
    std::string detail;  // service message or transport message (already sanitized)
    std::string request_id;
};

BackendError to_exception(const AwsClientConfig& config, const AwsRequest& request, const Failure& failure,
                          int attempts, bool quota_exhausted) {
    const ErrorCategory category = classify_error(failure.status, failure.code);
    std::string message = config.service + " " + request.operation + " failed with " + failure.code;
    if (failure.status != 0) message += " (HTTP " + std::to_string(failure.status) + ")";
    if (!failure.request_id.empty()) message += " [request id " + failure.request_id + "]";
    message += " after " + std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts");
    if (quota_exhausted) message += " (retry quota exhausted: too many recent failures)";
    if (!failure.detail.empty()) message += ": " + failure.detail;
    if (failure.status != 0) message += "; " + std::string(advice_for(category, failure.code));
    return BackendError(message, failure.code, is_retryable_error(failure.status, failure.code));
}

}  // namespace

AwsClient::AwsClient(AwsClientConfig config) : config_(std::move(config)), quota_(std::make_shared<RetryQuota>()) {
    if (config_.service.empty()) throw ConfigError("AwsClient needs a service name (e.g. \"dynamodb\")");
    if (config_.region.empty()) throw ConfigError("AwsClient needs a region: set AWS_REGION (e.g. us-east-1)");
    if (config_.endpoint.empty()) throw ConfigError("AwsClient needs an endpoint URL");
    try {
        ParsedUrl url = parse_url(config_.endpoint);
        if (url.scheme != "http" && url.scheme != "https") throw InvalidInput("scheme");
    } catch (const InvalidInput&) {
        throw ConfigError("the " + config_.service + " endpoint '" + redact_url(config_.endpoint) +
                          "' is not an http(s) URL: fix AWS_ENDPOINT_URL_* or the endpoint option");
    }
    while (!config_.endpoint.empty() && config_.endpoint.back() == '/') config_.endpoint.pop_back();
    if (config_.retry.max_attempts < 1) config_.retry.max_attempts = 1;
    if (!config_.credentials && config_.sign_requests) {
        throw ConfigError("AwsClient for " + config_.service +
                          " needs a credentials provider to sign its requests (aws::client_config gives the default chain)");
    }
    if (!config_.http) config_.http = std::make_shared<CurlHttpClient>(config_.http_options);
    RetryHooks defaults = default_retry_hooks();
    if (!config_.hooks.sleep) config_.hooks.sleep = defaults.sleep;
    if (!config_.hooks.random) config_.hooks.random = defaults.random;
    if (!config_.clock) config_.clock = system_clock_now;
}

HttpResponse AwsClient::send(const AwsRequest& request) const {
    const int max_attempts = config_.retry.max_attempts;
    int retry_cost = 0;
    for (int attempt = 1;; ++attempt) {
        // Rebuilt and re-signed on every attempt: fresh credentials, fresh X-Amz-Date.
        const Credentials credentials = config_.sign_requests ? config_.credentials->get_credentials() : Credentials{};
        HttpRequest http;
        http.method = request.method;
        http.url = config_.endpoint + request.path + (request.query.empty() ? "" : "?" + request.query);
        http.headers = request.headers;
        http.body = request.body;
        SigningResult signature;
        if (config_.sign_requests) {
            signature = sign_request(SigningRequest{http.method, http.url, http.headers, http.body},
                                     SigningParams{config_.service, config_.region, credentials, config_.clock()});
            for (const auto& header : signature.headers_to_add) http.headers.push_back(header);
        }

        Failure failure;
        try {
            HttpResponse response = config_.http->send(http);
            failure.status = response.status;
            if (response.status >= 200 && response.status < 300) {
                auto crc = find_header(response.headers, "x-amz-crc32");
                if (request.protocol == AwsProtocol::kJson && crc && !crc->empty() &&
                    crc->size() <= 10 && crc->find_first_not_of("0123456789") == std::string::npos &&
                    std::stoull(*crc) != crc32(response.body)) {
                    failure.code = kCrc32MismatchCode;
                    failure.detail = "the response body does not match its X-Amz-Crc32 checksum";
                } else {
                    if (config_.retry.retry_quota) quota_->release(retry_cost);
                    // A successful answer never legitimately holds the secret key, the session token
                    // or the request's signature; one that echoes them must not carry them on into
                    // messages (e.g. SNS's per-entry failure messages).
                    replace_all(response.body, credentials.secret_access_key);
                    if (credentials.session_token) replace_all(response.body, *credentials.session_token);
                    replace_all(response.body, signature.signature);
                    for (const auto& secret : request.secrets) replace_all(response.body, secret);
                    return response;
                }
            } else {
                ServiceError error = request.protocol == AwsProtocol::kJson
                                         ? parse_json_error(response.body, response.headers)
                                         : parse_xml_error(response.body, response.headers);
                // Everything the server says is sanitized: an answer may echo what the request carried.
                failure.code = error.code.empty() ? "Http" + std::to_string(response.status)
                                                  : sanitize(error.code, credentials, signature.signature, request.secrets);
                failure.detail = sanitize(error.message, credentials, signature.signature, request.secrets);
                failure.request_id = sanitize(error.request_id, credentials, signature.signature, request.secrets);
            }
        } catch (const BackendError& e) {  // no HTTP response
            failure.status = 0;
            failure.code = e.code();
            failure.detail = sanitize(e.what(), credentials, signature.signature, request.secrets);
        }

        if (config_.sign_requests && (failure.code == "ExpiredToken" || failure.code == "ExpiredTokenException")) {
            config_.credentials->invalidate();
        }
        if (!is_retryable_error(failure.status, failure.code) || attempt >= max_attempts) {
            throw to_exception(config_, request, failure, attempt, false);
        }
        if (config_.retry.retry_quota) {
            int cost = 0;
            if (!quota_->acquire(failure.code == transport_error::kTimeout, cost)) {
                throw to_exception(config_, request, failure, attempt, true);
            }
            retry_cost += cost;
        }
        config_.hooks.sleep(backoff_delay(config_.retry, attempt, config_.hooks.random()));
    }
}

nlohmann::json AwsClient::json_call(std::string_view target, const nlohmann::json& request) const {
    AwsRequest call;
    call.operation = std::string(target.substr(target.rfind('.') == std::string_view::npos ? 0 : target.rfind('.') + 1));
    call.protocol = AwsProtocol::kJson;
    call.headers = {{"Content-Type", "application/x-amz-json-1.0"}, {"X-Amz-Target", std::string(target)}};
    try {
        call.body = request.is_null() ? std::string("{}") : request.dump();
    } catch (const nlohmann::json::type_error&) {
        throw InvalidInput(config_.service + " " + call.operation +
                           ": the request contains a string that is not valid UTF-8; fix the input");
    }
    HttpResponse response = send(call);
    if (response.body.empty()) return nlohmann::json::object();
    nlohmann::json doc = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) {
        throw BackendError(config_.service + " " + call.operation + " returned HTTP " +
                               std::to_string(response.status) + " with a body that is " +
                               (doc.is_discarded() ? "not JSON (or cut short)" : "not a JSON object") +
                               "; check that the endpoint " + redact_url(config_.endpoint) + " is a " +
                               config_.service + " service",
                           std::string(error_code::kInvalidResponse), false);
    }
    return doc;
}

std::string AwsClient::query_call_raw(std::string_view action, const QueryParams& params,
                                      std::string_view version) const {
    QueryParams all;
    all.reserve(params.size() + 2);
    all.emplace_back("Action", std::string(action));
    all.insert(all.end(), params.begin(), params.end());
    all.emplace_back("Version", std::string(version));
    AwsRequest call;
    call.operation = std::string(action);
    call.protocol = AwsProtocol::kQuery;
    call.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    call.body = form_encode(all);
    return send(call).body;
}

pugi::xml_document AwsClient::query_call(std::string_view action, const QueryParams& params,
                                         std::string_view version) const {
    std::string body = query_call_raw(action, params, version);
    pugi::xml_document doc;
    if (!doc.load_buffer(body.data(), body.size())) {
        throw BackendError(config_.service + " " + std::string(action) +
                               " returned a body that is not XML; check that the endpoint " +
                               redact_url(config_.endpoint) + " is a " + config_.service + " service",
                           std::string(error_code::kInvalidResponse), false);
    }
    return doc;
}

}  // namespace watchbot_progress::aws
