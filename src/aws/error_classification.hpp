#pragma once
// The one place that decides whether an AWS error is worth retrying, as the AWS SDKs' "standard"
// retry mode does. Every error the AWS layer sees — an HTTP status with a service error code from
// DynamoDB (JSON "__type") or SNS (XML <Code>), or a transport failure from the HTTP client — is
// classified here and nowhere else.
//
// Pure functions, thread-safe.

#include <string_view>

#include "watchbot_progress/error_codes.hpp"

namespace watchbot_progress::aws {

// Error codes the HTTP client uses for failures that have no HTTP response (http_status 0).
namespace transport_error {
inline constexpr std::string_view kConnection = error_code::kConnection;  // refused, reset, DNS, broken pipe
inline constexpr std::string_view kTimeout = "TimeoutError";           // connect or total timeout
inline constexpr std::string_view kTls = "TlsError";                   // certificate verification failed
inline constexpr std::string_view kInvalidEndpoint = "InvalidEndpoint";
inline constexpr std::string_view kResponseTooLarge = "ResponseTooLarge";
inline constexpr std::string_view kOther = "HttpClientError";
}  // namespace transport_error

// A DynamoDB response body did not match its X-Amz-Crc32 header (corrupted in transit).
inline constexpr std::string_view kCrc32MismatchCode = "Crc32Mismatch";

enum class ErrorCategory {
    kThrottling,  // the service asks us to slow down: retry with backoff
    kTransient,   // 5xx, timeouts, connection failures: retry with backoff
    kClient,      // the request itself is wrong or not allowed (4xx, validation, conditions): no retry
    kAuth,        // credentials, permissions or signature problems: no retry
};

// Classifies an error. http_status is 0 when no HTTP response arrived. `code` is the service's
// error code without namespace prefix (e.g. "ThrottlingException"), or a transport_error code, or
// empty when the body had none. Codes decide first; then the status: 429 is throttling,
// 500/502/503/504 are transient, everything else is a client error.
ErrorCategory classify_error(int http_status, std::string_view code);

// True when the category is kThrottling or kTransient.
bool is_retryable_error(int http_status, std::string_view code);

bool is_throttling_code(std::string_view code);

// One sentence saying what to do about an error of this category (for exception messages).
std::string_view advice_for(ErrorCategory category, std::string_view code);

}  // namespace watchbot_progress::aws
