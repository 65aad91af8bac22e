// The AwsClient facade and its retry loop, against the local test server. No test sleeps for
// real: retry hooks record the backoff delays instead.

#include <gtest/gtest.h>

#include <atomic>
#include <set>

#include "aws/aws_client.hpp"
#include "aws/client_config.hpp"
#include "aws/aws_test_util.hpp"
#include "aws/credentials_chain.hpp"
#include "aws/crypto.hpp"
#include "aws/sigv4.hpp"
#include "aws/test_http_server.hpp"
#include "watchbot_progress/errors.hpp"

namespace aws = watchbot_progress::aws;
using std::chrono::milliseconds;
using watchbot_progress::BackendError;
using wp_test::ScriptedResponse;
using wp_test::TestHttpServer;

namespace {

constexpr const char* kAccessKey = "AKIDCLIENTTEST000001";
constexpr const char* kSecret = "clientTestSecretKey/abcdefghijklmnopqrstuv";
constexpr const char* kToken = "clientTestSessionToken+with/slashes==";

class CountingCredentials : public aws::CredentialsProvider {
public:
    std::atomic<int> calls{0};
    std::atomic<int> invalidations{0};
    aws::Credentials get_credentials() override {
        ++calls;
        return {kAccessKey, kSecret, std::string(kToken), std::nullopt};
    }
    std::string name() const override { return "test"; }
    void invalidate() override { ++invalidations; }
};

struct Fixture {
    TestHttpServer server;
    wp_test::FakeClock clock;
    wp_test::RecordingHooks hooks;
    std::shared_ptr<CountingCredentials> credentials = std::make_shared<CountingCredentials>();

    aws::AwsClientConfig config(const std::string& service = "dynamodb", int max_attempts = 3) {
        aws::AwsClientConfig c;
        c.service = service;
        c.region = "us-east-1";
        c.endpoint = server.base_url();
        c.credentials = credentials;
        c.retry.max_attempts = max_attempts;
        c.hooks = hooks.hooks();
        c.clock = clock.as_clock();
        return c;
    }
};

BackendError call_expecting_error(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const BackendError& e) {
        return e;
    }
    ADD_FAILURE() << "expected a BackendError";
    return BackendError("none", "none", false);
}

std::string throttling_json() {
    return R"({"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"Rate exceeded"})";
}

}  // namespace

TEST(AwsClientTest, JsonCallSendsSignedJsonRequest) {
    Fixture f;
    f.server.enqueue(ScriptedResponse::json(200, R"({"Item":{"id":{"S":"job-1"}}})"));
    aws::AwsClient client(f.config());
    nlohmann::json answer =
        client.json_call("DynamoDB_20120810.GetItem", {{"TableName", "progress"}, {"Key", {{"id", {{"S", "jöb-1"}}}}}});
    EXPECT_EQ(answer["Item"]["id"]["S"], "job-1");

    auto requests = f.server.requests();
    ASSERT_EQ(requests.size(), 1U);
    const auto& r = requests[0];
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/");
    EXPECT_EQ(r.header("Content-Type"), std::optional<std::string>("application/x-amz-json-1.0"));
    EXPECT_EQ(r.header("X-Amz-Target"), std::optional<std::string>("DynamoDB_20120810.GetItem"));
    EXPECT_EQ(r.body, "{\"Key\":{\"id\":{\"S\":\"j\xC3\xB6" "b-1\"}},\"TableName\":\"progress\"}");
    EXPECT_EQ(r.header("X-Amz-Date"), std::optional<std::string>("20260101T120000Z"));
    EXPECT_EQ(r.header("X-Amz-Security-Token"), std::optional<std::string>(kToken));
    ASSERT_TRUE(r.header("Authorization"));
    EXPECT_TRUE(r.header("Authorization")->starts_with(std::string("AWS4-HMAC-SHA256 Credential=") + kAccessKey +
                                                       "/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders="));
}

TEST(AwsClientTest, SignatureVerifiesAgainstWhatWasSent) {
    // Recompute the signature server-side from the request as received, like AWS does.
    Fixture f;
    f.server.enqueue(ScriptedResponse::json(200, "{}"));
    aws::AwsClient client(f.config());
    client.json_call("DynamoDB_20120810.DescribeTable", {{"TableName", "t"}});
    auto r = f.server.requests().at(0);
    std::string authorization = *r.header("Authorization");
    auto signed_pos = authorization.find("SignedHeaders=") + 14;
    std::string signed_list = authorization.substr(signed_pos, authorization.find(',', signed_pos) - signed_pos);
    std::set<std::string> names;
    for (std::size_t start = 0; start <= signed_list.size();) {
        auto end = std::min(signed_list.find(';', start), signed_list.size());
        names.insert(signed_list.substr(start, end - start));
        start = end + 1;
    }
    aws::SigningRequest request{"POST", f.server.base_url() + r.target, {}, r.body};
    for (const auto& [name, value] : r.headers) {
        std::string lower = name;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        if (names.count(lower) != 0 && lower != "x-amz-date" && lower != "x-amz-security-token") {
            request.headers.emplace_back(name, value);
        }
    }
    auto expected = aws::sign_request(
        request, {"dynamodb", "us-east-1", {kAccessKey, kSecret, std::string(kToken), std::nullopt},
                  aws::parse_amz_date(*r.header("X-Amz-Date"))});
    EXPECT_EQ(expected.authorization, authorization);
    EXPECT_EQ(names.count("host"), 1U);
    EXPECT_EQ(names.count("user-agent"), 0U);
}

TEST(AwsClientTest, RetriesServerErrorThenSucceeds) {
    Fixture f;
    f.server.enqueue(ScriptedResponse::json(500, R"({"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError"})"));
    f.server.enqueue(ScriptedResponse::json(200, R"({"ok":true})"));
    f.hooks.random_value = 0.5;
    aws::AwsClient client(f.config());
    EXPECT_EQ(client.json_call("DynamoDB_20120810.UpdateItem", {{"TableName", "t"}})["ok"], true);
    EXPECT_EQ(f.server.request_count(), 2U);
    EXPECT_EQ(f.hooks.recorded(), std::vector<milliseconds>{milliseconds(50)}) << "0.5 * 100 ms, and no real sleep";
    EXPECT_EQ(f.credentials->calls, 2) << "credentials are fetched for every attempt";
}

TEST(AwsClientTest, RetriesBareHttp503) {
    Fixture f;
    f.server.enqueue(ScriptedResponse::text(503, "<html>unavailable</html>"));
    f.server.enqueue(ScriptedResponse::json(200, "{}"));
    aws::AwsClient client(f.config());
    EXPECT_NO_THROW(client.json_call("DynamoDB_20120810.GetItem", {}));
    EXPECT_EQ(f.server.request_count(), 2U);
}

TEST(AwsClientTest, RetriesThrottlingThenSucceeds) {
    Fixture f;
    f.server.enqueue(ScriptedResponse::json(400, throttling_json()));
    f.server.enqueue(ScriptedResponse::json(400, R"({"__type":"com.amazon.coral.availability#ThrottlingException"})"));
    f.server.enqueue(ScriptedResponse::json(200, R"({"Attributes":{}})"));
    f.hooks.random_value = 1.0;
    aws::AwsClient client(f.config());
    EXPECT_TRUE(client.json_call("DynamoDB_20120810.UpdateItem", {}).contains("Attributes"));
    EXPECT_EQ(f.server.request_count(), 3U);
    EXPECT_EQ(f.hooks.recorded(), (std::vector<milliseconds>{milliseconds(100), milliseconds(200)}));
}

TEST(AwsClientTest, ConditionalCheckFailedIsNotRetried) {
    Fixture f;
    f.server.enqueue(ScriptedResponse::text(
        400,
        R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"})",
        {{"Content-Type", "application/x-amz-json-1.0"}, {"x-amzn-RequestId", "REQ-42"}}));
    aws::AwsClient client(f.config());
    BackendError e = call_expecting_error([&] { client.json_call("DynamoDB_20120810.UpdateItem", {}); });
    EXPECT_EQ(e.code(), "ConditionalCheckFailedException");
    EXPECT_FALSE(e.retryable());
    EXPECT_EQ(f.server.request_count(), 1U);
    EXPECT_TRUE(f.hooks.recorded().empty());
    std::string message = e.what();
    EXPECT_NE(message.find("dynamodb UpdateItem"), std::string::npos) << message;
    EXPECT_NE(message.find("The conditional request failed"), std::string::npos) << message;
    EXPECT_NE(message.find("HTTP 400"), std::string::npos) << message;
    EXPECT_NE(message.find("REQ-42"), std::string::npos) << message;
    EXPECT_NE(message.find("1 attempt"), std::string::npos) << message;
}

TEST(AwsClientTest, ValidationAndAccessErrorsAreNotRetried) {
    Fixture f;
    f.server.enqueue(ScriptedResponse::json(400, R"({"__type":"com.amazon.coral.validate#ValidationException","message":"bad"})"));
    f.server.enqueue(ScriptedResponse::json(400, R"({"__type":"com.amazon.coral.service#AccessDeniedException","Message":"no"})"));
    aws::AwsClient client(f.config());
    BackendError e = call_expecting_error([&] { client.json_call("DynamoDB_20120810.Scan", {}); });
    EXPECT_EQ(e.code(), "ValidationException");
    EXPECT_FALSE(e.retryable());
    e = call_expecting_error([&] { client.json_call("DynamoDB_20120810.Scan", {}); });
    EXPECT_EQ(e.code(), "AccessDeniedException");
    EXPECT_NE(std::string(e.what()).find("credentials"), std::string::npos);
    EXPECT_EQ(f.server.request_count(), 2U);
}

TEST(AwsClientTest, AttemptsCappedByAwsMaxAttempts) {
    Fixture f;
    f.server.set_handler([](const wp_test::RecordedRequest&) { return ScriptedResponse::json(503, "{}"); });
    auto env = aws::map_env({{"AWS_MAX_ATTEMPTS", "5"},
                             {"AWS_ENDPOINT_URL_DYNAMODB", f.server.base_url()},
                             {"AWS_ACCESS_KEY_ID", kAccessKey},
                             {"AWS_SECRET_ACCESS_KEY", kSecret}});
    aws::AwsClientConfig config =
        aws::client_config_from_env("dynamodb", aws::parse_arn("arn:aws:dynamodb:eu-west-1:123456789012:table/t"), env);
    EXPECT_EQ(config.retry.max_attempts, 5);
    EXPECT_EQ(config.region, "eu-west-1");
    EXPECT_EQ(config.endpoint, f.server.base_url());
    config.hooks = f.hooks.hooks();
    aws::AwsClient client(config);
    BackendError e = call_expecting_error([&] { client.json_call("DynamoDB_20120810.GetItem", {}); });
    EXPECT_EQ(f.server.request_count(), 5U);
    EXPECT_EQ(f.hooks.recorded().size(), 4U);
    EXPECT_EQ(e.code(), "Http503");
    EXPECT_TRUE(e.retryable());
    EXPECT_NE(std::string(e.what()).find("after 5 attempts"), std::string::npos) << e.what();
    // The environment's credentials were used for signing.
    EXPECT_NE(f.server.requests().at(0).header("Authorization")->find(kAccessKey), std::string::npos);
    EXPECT_NE(f.server.requests().at(0).header("Authorization")->find("/eu-west-1/dynamodb/"), std::string::npos);

    // AWS_MAX_ATTEMPTS=1 disables retries.
    Fixture g;
    g.server.set_handler([](const wp_test::RecordedRequest&) { return ScriptedResponse::json(500, "{}"); });
    aws::AwsClientConfig single = g.config("dynamodb");
    single.retry = aws::RetryPolicy::from_env(aws::map_env({{"AWS_MAX_ATTEMPTS", "1"}}));
    aws::AwsClient one(single);
    EXPECT_THROW(one.json_call("DynamoDB_20120810.GetItem", {}), BackendError);
    EXPECT_EQ(g.server.request_count(), 1U);
}

TEST(AwsClientTest, EveryAttemptIsReSignedWithTheCurrentClock) {
    Fixture f;
    f.server.enqueue(ScriptedResponse::json(500, "{}"));
    f.server.enqueue(ScriptedResponse::json(500, "{}"));
    f.server.enqueue(ScriptedResponse::json(200, "{}"));
    aws::AwsClientConfig config = f.config();
    config.hooks.sleep = [&](milliseconds) { f.clock.advance(std::chrono::seconds(61)); };  // time passes while "sleeping"
    aws::AwsClient client(config);
    client.json_call("DynamoDB_20120810.GetItem", {});
    auto requests = f.server.requests();
    ASSERT_EQ(requests.size(), 3U);
    EXPECT_EQ(requests[0].header("X-Amz-Date"), std::optional<std::string>("20260101T120000Z"));
    EXPECT_EQ(requests[1].header("X-Amz-Date"), std::optional<std::string>("20260101T120101Z"));
    EXPECT_EQ(requests[2].header("X-Amz-Date"), std::optional<std::string>("20260101T120202Z"));
    EXPECT_NE(requests[0].header("Authorization"), requests[1].header("Authorization"));
    EXPECT_NE(requests[1].header("Authorization"), requests[2].header("Authorization"));
    EXPECT_EQ(requests[0].body, requests[2].body);
}

TEST(AwsClientTest, ConnectionRefusedIsRetried) {
    Fixture f;
    aws::AwsClientConfig config = f.config();
    config.endpoint = "http://127.0.0.1:" + std::to_string(wp_test::unused_local_port());
    aws::AwsClient client(config);
    BackendError e = call_expecting_error([&] { client.json_call("DynamoDB_20120810.GetItem", {}); });
    EXPECT_EQ(e.code(), "ConnectionError");
    EXPECT_TRUE(e.retryable());
    EXPECT_EQ(f.hooks.recorded().size(), 2U);
    EXPECT_EQ(f.credentials->calls, 3);
    EXPECT_NE(std::string(e.what()).find("after 3 attempts"), std::string::npos) << e.what();
}

TEST(AwsClientTest, DroppedConnectionAndTimeoutAreRetried) {
    Fixture f;
    f.server.enqueue(ScriptedResponse::close_without_response());
    ScriptedResponse slow = ScriptedResponse::json(200, "{}");
    slow.delay = milliseconds(300);
    f.server.enqueue(slow);
    f.server.enqueue(ScriptedResponse::json(200, R"({"third":1})"));
    aws::AwsClientConfig config = f.config("dynamodb", 3);
    config.http_options.request_timeout = milliseconds(100);
    aws::AwsClient client(config);
    EXPECT_EQ(client.json_call("DynamoDB_20120810.GetItem", {})["third"], 1);
    EXPECT_EQ(f.server.request_count(), 3U);
}

TEST(AwsClientTest, Crc32MismatchIsRetried) {
    Fixture f;
    const std::string body = R"({"Count":1})";
    f.server.enqueue(ScriptedResponse::text(200, body, {{"x-amz-crc32", "12345"}}));
    f.server.enqueue(ScriptedResponse::text(200, body, {{"x-amz-crc32", std::to_string(aws::crc32(body))}}));
    aws::AwsClient client(f.config());
    EXPECT_EQ(client.json_call("DynamoDB_20120810.Scan", {})["Count"], 1);
    EXPECT_EQ(f.server.request_count(), 2U);
}

TEST(AwsClientTest, QueryCallSendsFormAndParsesXml) {
    Fixture f;
    f.server.enqueue(ScriptedResponse::xml(200, R"(<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <PublishResult><MessageId>msg-123</MessageId></PublishResult>
  <ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>
</PublishResponse>)"));
    aws::AwsClient client(f.config("sns"));
    pugi::xml_document doc = client.query_call(
        "Publish",
        {{"TopicArn", "arn:aws:sns:us-east-1:123456789012:work"}, {"Message", R"({"a":"b c"})"}, {"Subject", "map"}},
        "2010-03-31");
    EXPECT_STREQ(doc.child("PublishResponse").child("PublishResult").child_value("MessageId"), "msg-123");

    auto r = f.server.requests().at(0);
    EXPECT_EQ(r.header("Content-Type"), std::optional<std::string>("application/x-www-form-urlencoded; charset=utf-8"));
    EXPECT_EQ(r.body,
              "Action=Publish&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3Awork&Message=%7B%22a%22%3A%22b%20c%22%7D"
              "&Subject=map&Version=2010-03-31");
    EXPECT_NE(r.header("Authorization")->find("/us-east-1/sns/aws4_request"), std::string::npos);
    EXPECT_FALSE(r.header("X-Amz-Target"));

    f.server.enqueue(ScriptedResponse::xml(200, "<raw/>"));
    EXPECT_EQ(client.query_call_raw("ListTopics", {}, "2010-03-31"), "<raw/>");
}

TEST(AwsClientTest, QueryErrorsAreClassifiedFromXml) {
    Fixture f;
    f.server.enqueue(ScriptedResponse::xml(400, R"(<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r1</RequestId></ErrorResponse>)"));
    f.server.enqueue(ScriptedResponse::xml(400, R"(<ErrorResponse><Error><Type>Sender</Type><Code>InvalidParameter</Code><Message>Invalid parameter: Message too long</Message></Error><RequestId>r2</RequestId></ErrorResponse>)"));
    aws::AwsClient client(f.config("sns"));
    BackendError e = call_expecting_error([&] { client.query_call("Publish", {{"Message", "x"}}, "2010-03-31"); });
    EXPECT_EQ(f.server.request_count(), 2U) << "Throttling retried, InvalidParameter not";
    EXPECT_EQ(e.code(), "InvalidParameter");
    EXPECT_FALSE(e.retryable());
    EXPECT_NE(std::string(e.what()).find("sns Publish"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("Message too long"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("r2"), std::string::npos);
}

TEST(AwsClientTest, ErrorMessagesNeverContainSecretsOrSignatures) {
    Fixture f;
    // AWS echoes the canonical request (with the session token) in signature errors.
    f.server.set_handler([](const wp_test::RecordedRequest& r) {
        std::string message = "The request signature we calculated does not match the signature you provided. "
                              "The Canonical String for this request should have been\n'POST\n/\n\nx-amz-security-token:" +
                              std::string(kToken) + "\n' The String-to-Sign should have been ... secret " + kSecret +
                              " auth " + r.header("Authorization").value_or("");
        return ScriptedResponse::xml(
            403, "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code><Message>" + message + "</Message></Error></ErrorResponse>");
    });
    aws::AwsClient client(f.config("sns"));
    BackendError e = call_expecting_error([&] { client.query_call("Publish", {}, "2010-03-31"); });
    std::string message = e.what();
    EXPECT_EQ(e.code(), "SignatureDoesNotMatch");
    EXPECT_FALSE(e.retryable());
    EXPECT_EQ(message.find(kToken), std::string::npos) << message;
    EXPECT_EQ(message.find(kSecret), std::string::npos) << message;
    std::string authorization = *f.server.requests().at(0).header("Authorization");
    std::string signature = authorization.substr(authorization.find("Signature=") + 10);
    EXPECT_EQ(message.find(signature), std::string::npos) << message;
    EXPECT_NE(message.find("does not match"), std::string::npos) << message;

    // A service message that names them elsewhere is redacted too.
    f.server.set_handler([](const wp_test::RecordedRequest&) {
        return ScriptedResponse::json(400, std::string(R"({"__type":"X#ValidationException","message":"token )") + kToken +
                                               " secret " + kSecret + "\"}");
    });
    aws::AwsClient json_client(f.config("dynamodb"));
    e = call_expecting_error([&] { json_client.json_call("DynamoDB_20120810.GetItem", {}); });
    message = e.what();
    EXPECT_EQ(message.find(kToken), std::string::npos) << message;
    EXPECT_EQ(message.find(kSecret), std::string::npos) << message;
    EXPECT_NE(message.find("[redacted]"), std::string::npos) << message;
}

TEST(AwsClientTest, ExpiredTokenInvalidatesCachedCredentials) {
    Fixture f;
    f.server.enqueue(ScriptedResponse::json(400, R"({"__type":"com.amazon.coral.service#ExpiredTokenException","message":"expired"})"));
    aws::AwsClient client(f.config());
    BackendError e = call_expecting_error([&] { client.json_call("DynamoDB_20120810.GetItem", {}); });
    EXPECT_EQ(e.code(), "ExpiredTokenException");
    EXPECT_FALSE(e.retryable());
    EXPECT_EQ(f.credentials->invalidations, 1);
    EXPECT_NE(std::string(e.what()).find("expired"), std::string::npos);
}

TEST(AwsClientTest, RetryQuotaStopsRetriesWhenExhausted) {
    Fixture f;
    f.server.set_handler([](const wp_test::RecordedRequest&) { return ScriptedResponse::json(500, "{}"); });
    aws::AwsClient client(f.config());
    const int affordable_retries = aws::RetryQuota::kInitial / aws::RetryQuota::kRetryCost;  // 100
    for (int i = 0; i < affordable_retries / 2; ++i) {
        EXPECT_THROW(client.json_call("DynamoDB_20120810.GetItem", {}), BackendError);
    }
    EXPECT_EQ(f.server.request_count(), static_cast<std::size_t>(affordable_retries / 2 * 3));
    EXPECT_EQ(client.retry_quota_available(), 0);
    BackendError e = call_expecting_error([&] { client.json_call("DynamoDB_20120810.GetItem", {}); });
    EXPECT_EQ(f.server.request_count(), static_cast<std::size_t>(affordable_retries / 2 * 3 + 1));
    EXPECT_NE(std::string(e.what()).find("retry quota"), std::string::npos);

    // Successes refill it.
    f.server.set_handler([](const wp_test::RecordedRequest&) { return ScriptedResponse::json(200, "{}"); });
    for (int i = 0; i < 5; ++i) client.json_call("DynamoDB_20120810.GetItem", {});
    EXPECT_EQ(client.retry_quota_available(), 5);
}

TEST(AwsClientTest, RejectsBadInputAndBadAnswers) {
    Fixture f;
    aws::AwsClient client(f.config());
    EXPECT_THROW(client.json_call("DynamoDB_20120810.PutItem", {{"bad", std::string("\xff\xfe")}}),
                 watchbot_progress::InvalidInput);
    EXPECT_EQ(f.server.request_count(), 0U);

    f.server.enqueue(ScriptedResponse::text(200, "<html>not json</html>"));
    BackendError e = call_expecting_error([&] { client.json_call("DynamoDB_20120810.GetItem", {}); });
    EXPECT_EQ(e.code(), "InvalidResponse");
    EXPECT_FALSE(e.retryable());

    f.server.enqueue(ScriptedResponse::text(200, ""));
    EXPECT_EQ(client.json_call("DynamoDB_20120810.GetItem", nlohmann::json()), nlohmann::json::object());
    EXPECT_EQ(f.server.requests().back().body, "{}") << "a null request is sent as an empty object";

    aws::AwsClient sns(f.config("sns"));
    f.server.enqueue(ScriptedResponse::text(200, "{not xml"));
    EXPECT_EQ(call_expecting_error([&] { sns.query_call("Publish", {}, "2010-03-31"); }).code(), "InvalidResponse");
}

TEST(AwsClientTest, ConfigValidation) {
    Fixture f;
    auto config = f.config();
    config.endpoint = "localhost:8000";
    EXPECT_THROW(aws::AwsClient{config}, watchbot_progress::ConfigError);
    config = f.config();
    config.region = "";
    EXPECT_THROW(aws::AwsClient{config}, watchbot_progress::ConfigError);
    EXPECT_THROW(aws::client_config_from_env("sns", std::nullopt, aws::map_env({})), watchbot_progress::ConfigError);
    config = f.config();
    config.endpoint = f.server.base_url() + "/";
    EXPECT_EQ(aws::AwsClient(config).config().endpoint, f.server.base_url());
}

TEST(AwsClientTest, ConcurrentCallsShareConnections) {
    Fixture f;
    f.server.set_handler([](const wp_test::RecordedRequest& r) { return ScriptedResponse::json(200, r.body); });
    aws::AwsClient client(f.config());
    std::vector<std::thread> pool;
    std::atomic<int> ok{0};
    for (int t = 0; t < 6; ++t) {
        pool.emplace_back([&, t] {
            for (int i = 0; i < 20; ++i) {
                nlohmann::json request = {{"t", t}, {"i", i}};
                if (client.json_call("DynamoDB_20120810.GetItem", request) == request) ++ok;
            }
        });
    }
    for (auto& thread : pool) thread.join();
    EXPECT_EQ(ok, 120);
    EXPECT_LE(f.server.connection_count(), 6);
}

TEST(AwsClientTest, ProcessEnvironmentConfigSharesOneCredentialsChain) {
    auto arn = aws::parse_arn("arn:aws:dynamodb:eu-north-1:123456789012:table/t");
    aws::AwsClientConfig a = aws::client_config_from_env("dynamodb", arn);
    aws::AwsClientConfig b = aws::client_config_from_env("sns", aws::parse_arn("arn:aws:sns:eu-north-1:1:topic"));
    EXPECT_EQ(a.region, "eu-north-1");
    EXPECT_EQ(a.credentials, b.credentials);
    EXPECT_EQ(a.credentials, aws::shared_default_credentials_chain());
    // An explicit environment gets its own chain.
    auto env = aws::map_env({{"AWS_REGION", "us-east-1"}});
    EXPECT_NE(aws::client_config_from_env("sns", std::nullopt, env).credentials, a.credentials);
}
