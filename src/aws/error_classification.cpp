#include "aws/error_classification.hpp"

#include <algorithm>
#include <array>

namespace watchbot_progress::aws {
namespace {

constexpr std::array<std::string_view, 19> kThrottlingCodes = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
    "ThrottlingError",
    "TooManyRequests",
    "Throttled",
    "KMSThrottlingException",  // SNS with KMS-encrypted topics
    "RequestLimitExceededException",
};

constexpr std::array<std::string_view, 13> kTransientCodes = {
    "RequestTimeout",
    "RequestTimeoutException",
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "InternalServerException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "IDPCommunicationError",
    transport_error::kConnection,
    transport_error::kTimeout,
    kCrc32MismatchCode,
    "KMSInternalException",
};

constexpr std::array<std::string_view, 22> kAuthCodes = {
    "AccessDenied",
    "AccessDeniedException",
    "AuthorizationError",
    "AuthFailure",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidAccessKeyId",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "IncompleteSignatureException",
    "MissingAuthenticationToken",
    "MissingAuthenticationTokenException",
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "InvalidToken",
    "MissingSecurityHeader",
    "NotAuthorized",
    "OptInRequired",
    "RequestTimeTooSkewed",
    "KMSAccessDeniedException",
};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& list, std::string_view code) {
    return std::find(list.begin(), list.end(), code) != list.end();
}

}  // namespace

bool is_throttling_code(std::string_view code) { return contains(kThrottlingCodes, code); }

ErrorCategory classify_error(int http_status, std::string_view code) {
    if (!code.empty()) {
        if (is_throttling_code(code)) return ErrorCategory::kThrottling;
        if (contains(kTransientCodes, code)) return ErrorCategory::kTransient;
        if (contains(kAuthCodes, code) || code.starts_with("AccessDenied")) return ErrorCategory::kAuth;
        // Any other named code with a 4xx status (ConditionalCheckFailedException,
        // ValidationException, ResourceNotFoundException, InvalidParameter, NotFound, ...) is the
        // caller's problem; a transport code we do not list (TlsError, InvalidEndpoint, ...) too.
        if (http_status == 0 || (http_status >= 400 && http_status < 500 && http_status != 429)) {
            return ErrorCategory::kClient;
        }
    }
    if (http_status == 429) return ErrorCategory::kThrottling;
    if (http_status == 500 || http_status == 502 || http_status == 503 || http_status == 504) {
        return ErrorCategory::kTransient;
    }
    if (http_status == 401 || http_status == 403) return ErrorCategory::kAuth;
    return ErrorCategory::kClient;
}

bool is_retryable_error(int http_status, std::string_view code) {
    auto category = classify_error(http_status, code);
    return category == ErrorCategory::kThrottling || category == ErrorCategory::kTransient;
}

std::string_view advice_for(ErrorCategory category, std::string_view code) {
    switch (category) {
        case ErrorCategory::kThrottling:
            return "the service is throttling requests: lower the request rate, raise the table's or account's "
                   "capacity, or allow more attempts with AWS_MAX_ATTEMPTS";
        case ErrorCategory::kTransient:
            if (code == transport_error::kConnection || code == transport_error::kTimeout) {
                return "the endpoint could not be reached: check the endpoint URL (AWS_ENDPOINT_URL_*), the region "
                       "and the network, then try again";
            }
            return "the service failed temporarily: try again later";
        case ErrorCategory::kAuth:
            if (code == "RequestTimeTooSkewed" || code == "RequestExpired") {
                return "the request time is too far from the service's clock: fix this machine's clock";
            }
            if (code.starts_with("Expired")) return "the credentials have expired: refresh or replace them";
            return "check the AWS credentials (AWS_ACCESS_KEY_ID/AWS_PROFILE/role) and that they allow this action";
        case ErrorCategory::kClient:
            if (code == transport_error::kTls) {
                return "the endpoint's TLS certificate could not be verified: check the endpoint URL and the "
                       "system CA certificates";
            }
            if (code == transport_error::kInvalidEndpoint) return "check the endpoint URL";
            return "the service rejected the request: check its parameters";
    }
    return "";
}

}  // namespace watchbot_progress::aws
