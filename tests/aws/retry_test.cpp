// Error classification (the one place that decides retryability), the error parsers for the JSON
// and query protocols, and the retry policy's pieces (backoff, AWS_MAX_ATTEMPTS, retry quota).

#include <gtest/gtest.h>

#include "aws/error_classification.hpp"
#include "aws/error_parsing.hpp"
#include "aws/retry.hpp"
#include "watchbot_progress/errors.hpp"

namespace aws = watchbot_progress::aws;
using std::chrono::milliseconds;

TEST(AwsErrorClassificationTest, ThrottlingCodesAreRetryable) {
    for (const char* code :
         {"ThrottlingException", "Throttling", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
          "TooManyRequestsException", "RequestThrottled", "RequestThrottledException", "SlowDown",
          "TransactionInProgressException", "PriorRequestNotComplete", "EC2ThrottledException",
          "BandwidthLimitExceeded", "LimitExceededException", "ThrottledException"}) {
        SCOPED_TRACE(code);
        EXPECT_EQ(aws::classify_error(400, code), aws::ErrorCategory::kThrottling);
        EXPECT_TRUE(aws::is_retryable_error(400, code));
        EXPECT_TRUE(aws::is_throttling_code(code));
    }
}

TEST(AwsErrorClassificationTest, TransientCodesAndStatusesAreRetryable) {
    for (const char* code : {"InternalError", "InternalFailure", "ServiceUnavailable", "RequestTimeout",
                             "RequestTimeoutException", "InternalServerError"}) {
        SCOPED_TRACE(code);
        EXPECT_TRUE(aws::is_retryable_error(400, code));
        EXPECT_TRUE(aws::is_retryable_error(500, code));
    }
    for (int status : {500, 502, 503, 504}) {
        SCOPED_TRACE(status);
        EXPECT_EQ(aws::classify_error(status, ""), aws::ErrorCategory::kTransient);
        EXPECT_TRUE(aws::is_retryable_error(status, "SomethingUnknown"));
    }
    EXPECT_EQ(aws::classify_error(429, ""), aws::ErrorCategory::kThrottling);
    EXPECT_TRUE(aws::is_retryable_error(0, aws::transport_error::kConnection));
    EXPECT_TRUE(aws::is_retryable_error(0, aws::transport_error::kTimeout));
    EXPECT_TRUE(aws::is_retryable_error(200, aws::kCrc32MismatchCode));
}

TEST(AwsErrorClassificationTest, ClientAndAuthErrorsAreNeverRetried) {
    for (const char* code :
         {"ConditionalCheckFailedException", "ValidationException", "ResourceNotFoundException",
          "SerializationException", "InvalidParameter", "InvalidParameterValue", "NotFound",
          "TransactionCanceledException", "ItemCollectionSizeLimitExceededException", "UnknownOperationException"}) {
        SCOPED_TRACE(code);
        EXPECT_EQ(aws::classify_error(400, code), aws::ErrorCategory::kClient);
        EXPECT_FALSE(aws::is_retryable_error(400, code));
    }
    for (const char* code : {"AccessDenied", "AccessDeniedException", "AccessDeniedForDependencyException",
                             "InvalidSignatureException", "SignatureDoesNotMatch", "IncompleteSignature",
                             "UnrecognizedClientException", "InvalidClientTokenId", "ExpiredTokenException",
                             "MissingAuthenticationToken", "AuthorizationError"}) {
        SCOPED_TRACE(code);
        EXPECT_EQ(aws::classify_error(403, code), aws::ErrorCategory::kAuth);
        EXPECT_FALSE(aws::is_retryable_error(400, code));
    }
    EXPECT_FALSE(aws::is_retryable_error(400, ""));
    EXPECT_FALSE(aws::is_retryable_error(404, ""));
    EXPECT_FALSE(aws::is_retryable_error(501, ""));
    EXPECT_EQ(aws::classify_error(403, ""), aws::ErrorCategory::kAuth);
    EXPECT_FALSE(aws::is_retryable_error(0, aws::transport_error::kTls));
    EXPECT_FALSE(aws::is_retryable_error(0, aws::transport_error::kInvalidEndpoint));
    EXPECT_FALSE(aws::is_retryable_error(0, aws::transport_error::kResponseTooLarge));
}

TEST(AwsErrorClassificationTest, AdviceSaysWhatToDo) {
    EXPECT_NE(aws::advice_for(aws::ErrorCategory::kThrottling, "ThrottlingException").find("AWS_MAX_ATTEMPTS"),
              std::string_view::npos);
    EXPECT_NE(aws::advice_for(aws::ErrorCategory::kAuth, "AccessDeniedException").find("credentials"),
              std::string_view::npos);
    EXPECT_NE(aws::advice_for(aws::ErrorCategory::kTransient, "ConnectionError").find("endpoint"),
              std::string_view::npos);
}

TEST(AwsErrorParsingTest, NormalizesCodes) {
    EXPECT_EQ(aws::normalize_error_code("com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"),
              "ConditionalCheckFailedException");
    EXPECT_EQ(aws::normalize_error_code("ValidationException:http://internal.amazon.com/coral/com.amazon.coral.validate/"),
              "ValidationException");
    EXPECT_EQ(aws::normalize_error_code("aws.protocoltests#FooError:http://x"), "FooError");
    EXPECT_EQ(aws::normalize_error_code("Throttling"), "Throttling");
    EXPECT_EQ(aws::normalize_error_code(""), "");
}

TEST(AwsErrorParsingTest, JsonErrors) {
    auto e = aws::parse_json_error(
        R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"})",
        {{"x-amzn-requestid", "REQ123"}});
    EXPECT_EQ(e.code, "ConditionalCheckFailedException");
    EXPECT_EQ(e.message, "The conditional request failed");
    EXPECT_EQ(e.request_id, "REQ123");

    e = aws::parse_json_error(R"({"__type":"com.amazon.coral.validate#ValidationException","Message":"bad key"})");
    EXPECT_EQ(e.code, "ValidationException");
    EXPECT_EQ(e.message, "bad key");

    e = aws::parse_json_error(R"({"code":"ThrottlingException"})");
    EXPECT_EQ(e.code, "ThrottlingException");

    e = aws::parse_json_error("<html>gateway</html>", {{"x-amzn-ErrorType", "ServiceUnavailableException:http://x"}});
    EXPECT_EQ(e.code, "ServiceUnavailableException");
    EXPECT_EQ(e.message, "");

    e = aws::parse_json_error("");
    EXPECT_EQ(e.code, "");
    e = aws::parse_json_error("[1,2]");
    EXPECT_EQ(e.code, "");
    e = aws::parse_json_error(R"({"__type": 5, "message": ["x"]})");
    EXPECT_EQ(e.code, "");
}

TEST(AwsErrorParsingTest, XmlErrors) {
    auto e = aws::parse_xml_error(
        R"(<?xml version="1.0"?>
<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <Error>
    <Type>Sender</Type>
    <Code>InvalidParameter</Code>
    <Message>Invalid parameter: TopicArn</Message>
  </Error>
  <RequestId>9f2b-1234</RequestId>
</ErrorResponse>)");
    EXPECT_EQ(e.code, "InvalidParameter");
    EXPECT_EQ(e.message, "Invalid parameter: TopicArn");
    EXPECT_EQ(e.request_id, "9f2b-1234");

    e = aws::parse_xml_error(
        "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>slow down</Message></Error></Errors>"
        "<RequestID>ec2-req</RequestID></Response>");
    EXPECT_EQ(e.code, "RequestLimitExceeded");
    EXPECT_EQ(e.request_id, "ec2-req");

    e = aws::parse_xml_error("not xml at all", {{"x-amzn-requestid", "hdr-id"}});
    EXPECT_EQ(e.code, "");
    EXPECT_EQ(e.request_id, "hdr-id");
    e = aws::parse_xml_error("");
    EXPECT_EQ(e.code, "");
}

TEST(RetryPolicyTest, FullJitterExponentialBackoffCapped) {
    aws::RetryPolicy policy;  // base 100 ms, cap 20 s
    EXPECT_EQ(aws::backoff_delay(policy, 1, 1.0), milliseconds(100));
    EXPECT_EQ(aws::backoff_delay(policy, 2, 1.0), milliseconds(200));
    EXPECT_EQ(aws::backoff_delay(policy, 3, 1.0), milliseconds(400));
    EXPECT_EQ(aws::backoff_delay(policy, 3, 0.5), milliseconds(200));
    EXPECT_EQ(aws::backoff_delay(policy, 3, 0.0), milliseconds(0));
    EXPECT_EQ(aws::backoff_delay(policy, 9, 1.0), milliseconds(20'000));
    EXPECT_EQ(aws::backoff_delay(policy, 1000, 1.0), milliseconds(20'000));
    EXPECT_EQ(aws::backoff_delay(policy, 1000, 0.25), milliseconds(5'000));
    policy.base_delay = milliseconds(50);
    EXPECT_EQ(aws::backoff_delay(policy, 2, 1.0), milliseconds(100));
}

TEST(RetryPolicyTest, MaxAttemptsFromEnvironment) {
    EXPECT_EQ(aws::RetryPolicy::from_env(aws::map_env({})).max_attempts, 3);
    EXPECT_EQ(aws::RetryPolicy::from_env(aws::map_env({{"AWS_MAX_ATTEMPTS", ""}})).max_attempts, 3);
    EXPECT_EQ(aws::RetryPolicy::from_env(aws::map_env({{"AWS_MAX_ATTEMPTS", "7"}})).max_attempts, 7);
    EXPECT_EQ(aws::RetryPolicy::from_env(aws::map_env({{"AWS_MAX_ATTEMPTS", "1"}})).max_attempts, 1);
    for (const char* bad : {"0", "-1", "abc", "3.5", "1000", "101"}) {
        SCOPED_TRACE(bad);
        EXPECT_THROW(aws::RetryPolicy::from_env(aws::map_env({{"AWS_MAX_ATTEMPTS", bad}})),
                     watchbot_progress::ConfigError);
    }
}

TEST(RetryPolicyTest, DefaultHooksAreUsable) {
    auto hooks = aws::default_retry_hooks();
    for (int i = 0; i < 100; ++i) {
        double r = hooks.random();
        EXPECT_GE(r, 0.0);
        EXPECT_LT(r, 1.0);
    }
    hooks.sleep(milliseconds(0));
}

TEST(RetryPolicyTest, RetryQuotaDrainsAndRefills) {
    aws::RetryQuota quota;
    int cost = 0;
    int retries = 0;
    while (quota.acquire(false, cost)) ++retries;
    EXPECT_EQ(retries, aws::RetryQuota::kInitial / aws::RetryQuota::kRetryCost);
    EXPECT_EQ(quota.available(), 0);
    quota.release(0);  // a success without retries gives one token back
    EXPECT_EQ(quota.available(), 1);
    quota.release(10);
    EXPECT_EQ(quota.available(), 11);
    EXPECT_TRUE(quota.acquire(true, cost));
    EXPECT_EQ(cost, aws::RetryQuota::kTimeoutCost);
    for (int i = 0; i < 1000; ++i) quota.release(5);
    EXPECT_EQ(quota.available(), aws::RetryQuota::kInitial);
}
