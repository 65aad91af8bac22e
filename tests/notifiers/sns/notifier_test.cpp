// The SNS notifier without fauxqs: topic and message checks, the PublishBatch request and response,
// partial batch failures and their retries, and create_job's use of it, against the scriptable
// test HTTP server. No test sleeps for real: retry hooks record the backoff delays instead.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "aws/aws_test_util.hpp"
#include "aws/fauxqs_test_util.hpp"
#include "core/sns_message_rules.hpp"
#include "notifiers/sns/sns_batch.hpp"
#include "notifiers/sns/sns_notifier_access.hpp"
#include "aws/test_http_server.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/job.hpp"
#include "watchbot_progress/memory_backend.hpp"
#include "watchbot_progress/open_backend.hpp"
#include "watchbot_progress/sns_notifier.hpp"

namespace aws = watchbot_progress::aws;
namespace wp = watchbot_progress;
namespace sns = watchbot_progress::detail::sns;
using wp_test::RecordedRequest;
using wp_test::ScriptedResponse;
using wp_test::TestHttpServer;

namespace {

constexpr const char* kTopic = "arn:aws:sns:us-east-1:123456789012:work-topic";
constexpr const char* kAccessKey = "AKIDSNSTEST000000001";
constexpr const char* kSecret = "snsTestSecretKey/abcdefghijklmnopqrstuvwxyz01";

// ---- decoding what the notifier sent -----------------------------------------------------------
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

std::string url_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
            i += 2;
        } else if (s[i] == '+') {
            out.push_back(' ');
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

std::map<std::string, std::string> form_decode(const std::string& body) {
    std::map<std::string, std::string> out;
    std::size_t start = 0;
    while (start <= body.size()) {
        std::size_t end = body.find('&', start);
        if (end == std::string::npos) end = body.size();
        std::string_view pair(body.data() + start, end - start);
        if (!pair.empty()) {
            auto eq = pair.find('=');
            out[url_decode(pair.substr(0, eq))] = eq == std::string_view::npos ? "" : url_decode(pair.substr(eq + 1));
        }
        start = end + 1;
    }
    return out;
}

struct Entry {
    std::string id, message, subject;
};

std::vector<Entry> batch_entries(const std::map<std::string, std::string>& form) {
    std::vector<Entry> out;
    for (int k = 1;; ++k) {
        const std::string prefix = "PublishBatchRequestEntries.member." + std::to_string(k) + ".";
        auto id = form.find(prefix + "Id");
        if (id == form.end()) break;
        Entry e{id->second, form.at(prefix + "Message"), ""};
        if (auto s = form.find(prefix + "Subject"); s != form.end()) e.subject = s->second;
        out.push_back(std::move(e));
    }
    return out;
}

std::vector<std::string> ids_of(const RecordedRequest& request) {
    std::vector<std::string> ids;
    for (const Entry& e : batch_entries(form_decode(request.body))) ids.push_back(e.id);
    return ids;
}

// ---- scripted SNS answers ------------------------------------------------------------------------
struct Refusal {
    std::string id, code;
    bool sender_fault = false;
};

std::string batch_answer(const std::vector<std::string>& ok, const std::vector<Refusal>& refused) {
    std::string xml = R"(<PublishBatchResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishBatchResult><Successful>)";
    for (const auto& id : ok) xml += "<member><Id>" + id + "</Id><MessageId>mid-" + id + "</MessageId></member>";
    xml += "</Successful><Failed>";
    for (const auto& r : refused) {
        xml += "<member><Id>" + r.id + "</Id><Code>" + r.code + "</Code><Message>refused " + r.id + "</Message><SenderFault>" +
               (r.sender_fault ? "true" : "false") + "</SenderFault></member>";
    }
    xml += "</Failed></PublishBatchResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></PublishBatchResponse>";
    return xml;
}

// Accepts every entry except those refused by `refuse(entry)` (which returns a code, or "" to accept).
TestHttpServer::Handler batch_handler(std::function<std::optional<Refusal>(const Entry&)> refuse = {}) {
    return [refuse](const RecordedRequest& request) {
        auto form = form_decode(request.body);
        if (form["Action"] == "Publish") {
            return ScriptedResponse::xml(200, R"(<PublishResponse><PublishResult><MessageId>m</MessageId></PublishResult></PublishResponse>)");
        }
        std::vector<std::string> ok;
        std::vector<Refusal> refused;
        for (const Entry& e : batch_entries(form)) {
            std::optional<Refusal> r = refuse ? refuse(e) : std::nullopt;
            if (r) {
                r->id = e.id;
                refused.push_back(*r);
            } else {
                ok.push_back(e.id);
            }
        }
        return ScriptedResponse::xml(200, batch_answer(ok, refused));
    };
}

struct Fixture {
    TestHttpServer server;
    wp_test::RecordingHooks hooks;

    std::shared_ptr<wp::SnsNotifier> notifier(wp::SnsOptions options = {}) {
        if (options.topic_arn.empty()) options.topic_arn = kTopic;
        if (options.aws.endpoint.empty()) options.aws.endpoint = server.base_url();
        if (options.aws.max_attempts == 0) options.aws.max_attempts = 3;
        return sns::make_sns_notifier(
            options,
            [this](aws::AwsClientConfig& c) {
                c.credentials = std::make_shared<aws::StaticCredentialsProvider>(
                    aws::Credentials{kAccessKey, kSecret, std::nullopt, std::nullopt});
                c.hooks = hooks.hooks();
            },
            aws::map_env({}));
    }
};

std::vector<wp::OutgoingMessage> messages(std::size_t n, const std::string& subject = "map") {
    std::vector<wp::OutgoingMessage> out;
    for (std::size_t i = 0; i < n; ++i) out.push_back({subject, R"({"partid":)" + std::to_string(i) + "}"});
    return out;
}

wp::PublishError publish_expecting_error(wp::Notifier& notifier, std::span<const wp::OutgoingMessage> batch) {
    try {
        notifier.publish_batch(batch);
    } catch (const wp::PublishError& e) {
        return e;
    }
    ADD_FAILURE() << "expected a PublishError";
    return wp::PublishError("none", "none", false, {});
}

template <class E, class Fn>
std::string error_of(Fn&& fn) {
    try {
        fn();
    } catch (const E& e) {
        return e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "expected another exception type, got: " << e.what();
        return {};
    }
    ADD_FAILURE() << "expected an exception";
    return {};
}

}  // namespace

// ================================================================================================
// Pure pieces

TEST(SnsBatchTest, AcceptsTopicArns) {
    auto arn = sns::parse_sns_topic_arn(kTopic, "WorkTopic");
    EXPECT_EQ(arn.region, "us-east-1");
    EXPECT_EQ(arn.resource, "work-topic");
    EXPECT_NO_THROW(sns::parse_sns_topic_arn("arn:aws-cn:sns:cn-north-1:123456789012:A_b-9", "x"));
    EXPECT_NO_THROW(sns::parse_sns_topic_arn("arn:aws:sns:us-east-1:000000000000:" + std::string(256, 'a'), "x"));
}

TEST(SnsBatchTest, RefusesMalformedTopicArnsWithConfigError) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"", "empty"},
        {"work-topic", "does not start with 'arn:'"},
        {"arn:aws:sns:us-east-1:123", "six"},
        {"arn:aws:dynamodb:us-east-1:123456789012:table/progress", "not 'sns'"},
        {"arn:aws:sns::123456789012:work", "region is empty"},
        {"arn:aws:sns:us-east-1::work", "account is empty"},
        {"arn:aws:sns:us-east-1:123456789012:work:0f0e-11aa", "subscription"},
        {"arn:aws:sns:us-east-1:123456789012:work.fifo", "FIFO"},
        {"arn:aws:sns:us-east-1:123456789012:work/topic", "only letters"},
        {"arn:aws:sns:us-east-1:123456789012:" + std::string(257, 'a'), "256"},
    };
    for (const auto& [arn, why] : cases) {
        std::string what = error_of<wp::ConfigError>([&] { sns::parse_sns_topic_arn(arn, "WorkTopic"); });
        EXPECT_NE(what.find("WorkTopic"), std::string::npos) << what;
        EXPECT_NE(what.find("is not an SNS topic ARN"), std::string::npos) << what;
        EXPECT_NE(what.find(why), std::string::npos) << arn << " -> " << what;
        EXPECT_NE(what.find("arn:aws:sns:REGION:ACCOUNT:TOPIC_NAME"), std::string::npos) << what;
    }
}

TEST(SnsBatchTest, ChecksMessagesAgainstSnsRules) {
    const std::size_t max = wp::SnsNotifier::kMaxMessageBytes;
    EXPECT_NO_THROW(wp::detail::check_sns_message("map", std::string(max, 'x'), max, "m"));
    EXPECT_NO_THROW(wp::detail::check_sns_message("map", "{\"a\":\"h\xC3\xA9\\u0001\xF0\x9F\x98\x80\"}\t\r\n", max, "m"));
    EXPECT_NE(error_of<wp::InvalidInput>([&] { wp::detail::check_sns_message("map", std::string(max + 1, 'x'), max, "m"); })
                  .find("262145 bytes, over SNS's limit of 262144"),
              std::string::npos);
    EXPECT_NE(error_of<wp::InvalidInput>([&] { wp::detail::check_sns_message("map", "", max, "m"); }).find("empty"), std::string::npos);
    EXPECT_NE(error_of<wp::InvalidInput>([&] { wp::detail::check_sns_message("map", "ab\xC3", max, "m"); }).find("UTF-8"),
              std::string::npos);
    EXPECT_NE(error_of<wp::InvalidInput>([&] { wp::detail::check_sns_message("map", "a\xED\xA0\x80", max, "m"); }).find("UTF-8"),
              std::string::npos);  // a surrogate
    EXPECT_NE(error_of<wp::InvalidInput>([&] { wp::detail::check_sns_message("map", "a\xC0\xAF", max, "m"); }).find("UTF-8"),
              std::string::npos);  // overlong
    EXPECT_NE(error_of<wp::InvalidInput>([&] { wp::detail::check_sns_message("map", std::string("a\x01", 2), max, "m"); }).find("U+0001"),
              std::string::npos);
    EXPECT_NE(error_of<wp::InvalidInput>([&] { wp::detail::check_sns_message(std::string(101, 's'), "x", max, "m"); }).find("100"),
              std::string::npos);
    EXPECT_NO_THROW(wp::detail::check_sns_message(std::string(100, 's'), "x", max, "m"));
    EXPECT_NE(error_of<wp::InvalidInput>([&] { wp::detail::check_sns_message("ma\np", "x", max, "m"); }).find("printable ASCII"),
              std::string::npos);
    EXPECT_NE(error_of<wp::InvalidInput>([&] { wp::detail::check_sns_message(" map", "x", max, "m"); }).find("space"), std::string::npos);
    EXPECT_NE(error_of<wp::InvalidInput>([&] { wp::detail::check_sns_message("", "x", max, "m"); }).find("the subject of m is empty"),
              std::string::npos);
}

TEST(SnsBatchTest, BuildsPublishBatchParameters) {
    std::vector<wp::OutgoingMessage> batch{{"map", "zero"}, {"", "one"}, {"reduce", "two & = %"}};
    const std::vector<std::size_t> indexes{2, 1};
    aws::QueryParams params = sns::publish_batch_params(kTopic, batch, indexes);
    const aws::QueryParams expected{{"TopicArn", kTopic},
                                    {"PublishBatchRequestEntries.member.1.Id", "2"},
                                    {"PublishBatchRequestEntries.member.1.Message", "two & = %"},
                                    {"PublishBatchRequestEntries.member.1.Subject", "reduce"},
                                    {"PublishBatchRequestEntries.member.2.Id", "1"},
                                    {"PublishBatchRequestEntries.member.2.Message", "one"}};
    EXPECT_EQ(params, expected);
}

TEST(SnsBatchTest, ParsesPublishBatchResponses) {
    pugi::xml_document doc;
    const std::string xml = batch_answer({"0", "3"}, {{"1", "InternalError", false}, {"2", "InvalidParameter", true}});
    ASSERT_TRUE(doc.load_string(xml.c_str()));
    sns::SnsBatchResult r = sns::parse_publish_batch_response(doc);
    EXPECT_EQ(r.successful, (std::vector<std::string>{"0", "3"}));
    ASSERT_EQ(r.failed.size(), 2U);
    EXPECT_EQ(r.failed[0].id, "1");
    EXPECT_EQ(r.failed[0].code, "InternalError");
    EXPECT_EQ(r.failed[0].message, "refused 1");
    EXPECT_FALSE(r.failed[0].sender_fault);
    EXPECT_TRUE(sns::sns_entry_retryable(r.failed[0]));
    EXPECT_TRUE(r.failed[1].sender_fault);
    EXPECT_FALSE(sns::sns_entry_retryable(r.failed[1]));
    EXPECT_TRUE(sns::sns_entry_retryable({"9", "Throttling", "slow down", true}));

    // Prefixed names, whitespace, no Failed list.
    ASSERT_TRUE(doc.load_string(R"(<sns:PublishBatchResponse xmlns:sns="x"><sns:PublishBatchResult><sns:Successful>
        <sns:member><sns:Id> 7 </sns:Id></sns:member></sns:Successful></sns:PublishBatchResult></sns:PublishBatchResponse>)"));
    r = sns::parse_publish_batch_response(doc);
    EXPECT_EQ(r.successful, (std::vector<std::string>{"7"}));
    EXPECT_TRUE(r.failed.empty());

    ASSERT_TRUE(doc.load_string("<PublishResponse/>"));
    try {
        sns::parse_publish_batch_response(doc);
        ADD_FAILURE() << "expected InvalidResponse";
    } catch (const wp::BackendError& e) {
        EXPECT_EQ(e.code(), "InvalidResponse");
        EXPECT_FALSE(e.retryable());
    }
}

// ================================================================================================
// Configuration

TEST(SnsConfigTest, NoTopicIsConfigError) {
    std::string what = error_of<wp::ConfigError>([] { sns::make_sns_notifier({}, {}, aws::map_env({{"AWS_REGION", "us-east-1"}})); });
    EXPECT_NE(what.find("WorkTopic environment variable is not set"), std::string::npos) << what;
    EXPECT_NE(what.find("SnsOptions::topic_arn"), std::string::npos) << what;

    // The public constructors read the process environment.
    wp_test::ScopedEnv env({{"WorkTopic", std::nullopt}});
    EXPECT_THROW(wp::SnsNotifier::from_env(), wp::ConfigError);
    EXPECT_THROW(wp::SnsNotifier(wp::SnsOptions{}), wp::ConfigError);
    // create_job without a notifier: default_notifier(), same error kind, nothing written.
    auto backend = std::make_shared<wp::MemoryBackend>();
    EXPECT_THROW(wp::create_job({nlohmann::json::object()}, {.backend = backend, .jobid = "no-topic"}), wp::ConfigError);
    EXPECT_THROW(backend->status("no-topic"), wp::JobDoesNotExist);
}

TEST(SnsConfigTest, MalformedTopicIsConfigError) {
    std::string what = error_of<wp::ConfigError>([] { wp::SnsNotifier(wp::SnsOptions{.topic_arn = "arn:aws:sns:us-east-1:123"}); });
    EXPECT_NE(what.find("not an SNS topic ARN"), std::string::npos) << what;
    what = error_of<wp::ConfigError>(
        [] { sns::make_sns_notifier({}, {}, aws::map_env({{"WorkTopic", "https://sns.example/topic"}})); });
    EXPECT_NE(what.find("WorkTopic 'https://sns.example/topic' is not an SNS topic ARN"), std::string::npos) << what;
    // Given as an argument, a malformed topic ARN is bad input, like any other bad URI.
    EXPECT_THROW(wp::open_notifier("arn:aws:dynamodb:us-east-1:123456789012:table/t"), wp::InvalidInput);
    EXPECT_THROW(wp::SnsNotifier(wp::SnsOptions{.topic_arn = kTopic, .aws = {.max_attempts = -1}}), wp::ConfigError);
    EXPECT_THROW(wp::SnsNotifier(wp::SnsOptions{.topic_arn = kTopic, .batch_attempts = 0}), wp::ConfigError);
    EXPECT_THROW(wp::SnsNotifier(wp::SnsOptions{.topic_arn = kTopic, .aws = {.endpoint = "ftp://x"}}), wp::ConfigError);
}

TEST(SnsConfigTest, ResolvesRegionEndpointAndRetriesLikeTheSdks) {
    auto env = aws::map_env({{"AWS_REGION", "eu-west-1"}, {"AWS_MAX_ATTEMPTS", "5"}});
    aws::AwsClientConfig c = sns::sns_client_config({}, kTopic, env);
    EXPECT_EQ(c.service, "sns");
    EXPECT_EQ(c.region, "us-east-1") << "the ARN's region wins over AWS_REGION";
    EXPECT_EQ(c.endpoint, "https://sns.us-east-1.amazonaws.com");
    EXPECT_EQ(c.retry.max_attempts, 5);

    c = sns::sns_client_config({.aws = {.region = "us-west-2", .max_attempts = 2}}, kTopic,
                               aws::map_env({{"AWS_ENDPOINT_URL_SNS", "http://127.0.0.1:9"}, {"AWS_MAX_ATTEMPTS", "bad"}}));
    EXPECT_EQ(c.region, "us-west-2");
    EXPECT_EQ(c.endpoint, "http://127.0.0.1:9");
    EXPECT_EQ(c.retry.max_attempts, 2) << "an explicit max_attempts does not read AWS_MAX_ATTEMPTS";

    c = sns::sns_client_config({.aws = {.endpoint = "http://localhost:4566"}}, kTopic, aws::map_env({{"AWS_ENDPOINT_URL", "http://x:1"}}));
    EXPECT_EQ(c.endpoint, "http://localhost:4566");
}

TEST(SnsConfigTest, OpenNotifierAndTopicFromEnv) {
    std::shared_ptr<wp::Notifier> n = wp::open_notifier(kTopic);
    auto sns = std::dynamic_pointer_cast<wp::SnsNotifier>(n);
    ASSERT_TRUE(sns);
    EXPECT_EQ(sns->describe(), kTopic);
    EXPECT_EQ(sns->limits().max_message_bytes, 262144U);
    EXPECT_EQ(sns->limits().max_batch_entries, 10U);
    EXPECT_EQ(sns->limits().max_batch_bytes, 262144U);

    wp_test::ScopedEnv env({{"WorkTopic", std::string(kTopic)}});
    EXPECT_EQ(wp::SnsNotifier::from_env()->topic_arn(), kTopic);
    EXPECT_EQ(wp::default_notifier()->describe(), kTopic);
}

// ================================================================================================
// Requests

TEST(SnsNotifierTest, SignsWithTheCredentialsOfItsOptions) {
    // Static keys in SnsOptions::aws take the place of the default chain: the request is signed
    // with that access key id and carries that session token.
    TestHttpServer server;
    server.set_handler(batch_handler());
    wp::SnsNotifier notifier(wp::SnsOptions{.topic_arn = kTopic,
                                            .aws = {.endpoint = server.base_url(),
                                                    .access_key_id = "AKIDFROMSNSOPTIONS01",
                                                    .secret_access_key = kSecret,
                                                    .session_token = "session-token-from-sns-options",
                                                    .max_attempts = 1}});
    notifier.check_ready();
    notifier.publish("map", R"({"jobid":"j","partid":0})");
    auto requests = server.requests();
    ASSERT_EQ(requests.size(), 1U);
    ASSERT_TRUE(requests[0].header("Authorization"));
    EXPECT_NE(requests[0].header("Authorization")->find("Credential=AKIDFROMSNSOPTIONS01/"), std::string::npos)
        << *requests[0].header("Authorization");
    EXPECT_EQ(requests[0].header("X-Amz-Security-Token"), std::optional<std::string>("session-token-from-sns-options"));

    aws::AwsClientConfig c = sns::sns_client_config(
        {.aws = {.access_key_id = "AKIDFROMSNSOPTIONS01", .secret_access_key = kSecret}}, kTopic, aws::map_env({}));
    EXPECT_EQ(c.credentials->get_credentials().access_key_id, "AKIDFROMSNSOPTIONS01");
    EXPECT_FALSE(c.credentials->get_credentials().session_token);
    EXPECT_THROW(sns::sns_client_config({.aws = {.access_key_id = "AKIDFROMSNSOPTIONS01"}}, kTopic, aws::map_env({})),
                 wp::ConfigError)
        << "a key id without its secret";
}

TEST(SnsNotifierTest, PublishSendsASignedQueryRequest) {
    Fixture f;
    f.server.set_handler(batch_handler());
    auto n = f.notifier();
    n->publish("reduce", R"({"jobid":"j é","metadata":{}})");
    auto requests = f.server.requests();
    ASSERT_EQ(requests.size(), 1U);
    EXPECT_EQ(requests[0].method, "POST");
    EXPECT_EQ(requests[0].target, "/");
    EXPECT_EQ(requests[0].header("Content-Type"), std::optional<std::string>("application/x-www-form-urlencoded; charset=utf-8"));
    ASSERT_TRUE(requests[0].header("Authorization"));
    EXPECT_NE(requests[0].header("Authorization")->find("/us-east-1/sns/aws4_request"), std::string::npos);
    auto form = form_decode(requests[0].body);
    EXPECT_EQ(form["Action"], "Publish");
    EXPECT_EQ(form["Version"], "2010-03-31");
    EXPECT_EQ(form["TopicArn"], kTopic);
    EXPECT_EQ(form["Subject"], "reduce");
    EXPECT_EQ(form["Message"], R"({"jobid":"j é","metadata":{}})");

    wp::SnsStats s = n->stats();
    EXPECT_EQ(s.requests, 1U);
    EXPECT_EQ(s.bytes_sent, requests[0].body.size());
    EXPECT_GT(s.bytes_received, 0U);
    EXPECT_EQ(s.messages_published, 1U);
}

TEST(SnsNotifierTest, PublishBatchSendsOneRequestForTheBatch) {
    Fixture f;
    f.server.set_handler(batch_handler());
    auto n = f.notifier();
    auto batch = messages(10);
    batch[4].subject = "reduce";
    n->publish_batch(batch);
    auto requests = f.server.requests();
    ASSERT_EQ(requests.size(), 1U);
    auto form = form_decode(requests[0].body);
    EXPECT_EQ(form["Action"], "PublishBatch");
    EXPECT_EQ(form["TopicArn"], kTopic);
    auto entries = batch_entries(form);
    ASSERT_EQ(entries.size(), 10U);
    for (std::size_t i = 0; i < 10; ++i) {
        EXPECT_EQ(entries[i].id, std::to_string(i));
        EXPECT_EQ(entries[i].message, batch[i].body);
        EXPECT_EQ(entries[i].subject, i == 4 ? "reduce" : "map");
    }
    EXPECT_EQ(n->stats().messages_published, 10U);
    n->publish_batch({});
    EXPECT_EQ(f.server.request_count(), 1U) << "an empty batch sends nothing";
}

TEST(SnsNotifierTest, RefusesMessagesOverTheLimitsBeforeSendingAnything) {
    Fixture f;
    f.server.set_handler(batch_handler());
    auto n = f.notifier();
    const std::string big(wp::SnsNotifier::kMaxMessageBytes + 1, 'x');
    EXPECT_THROW(n->publish("map", big), wp::InvalidInput);
    std::vector<wp::OutgoingMessage> batch = messages(3);
    batch[1].body = big;
    std::string what = error_of<wp::InvalidInput>([&] { n->publish_batch(batch); });
    EXPECT_NE(what.find("message 1 of the batch of 3"), std::string::npos) << what;
    what = error_of<wp::InvalidInput>([&] { n->publish_batch(messages(11)); });
    EXPECT_NE(what.find("11 messages is over SNS's limit of 10"), std::string::npos) << what;
    std::vector<wp::OutgoingMessage> heavy(2, wp::OutgoingMessage{"map", std::string(140'000, 'y')});
    what = error_of<wp::InvalidInput>([&] { n->publish_batch(heavy); });
    EXPECT_NE(what.find("280000 bytes, over SNS's limit of 262144"), std::string::npos) << what;
    EXPECT_EQ(f.server.request_count(), 0U);
    EXPECT_EQ(n->stats().requests, 0U);
}

TEST(SnsNotifierTest, PartialBatchFailureResendsOnlyTheFailedEntries) {
    Fixture f;
    f.server.enqueue(ScriptedResponse::xml(
        200, batch_answer({"0", "1", "3", "4", "6", "7", "9"}, {{"2", "InternalError"}, {"5", "InternalError"}, {"8", "Throttling", true}})));
    f.server.enqueue(ScriptedResponse::xml(200, batch_answer({"2", "5", "8"}, {})));
    auto n = f.notifier();
    auto batch = messages(10);
    EXPECT_NO_THROW(n->publish_batch(batch));

    auto requests = f.server.requests();
    ASSERT_EQ(requests.size(), 2U);
    EXPECT_EQ(ids_of(requests[0]).size(), 10U);
    EXPECT_EQ(ids_of(requests[1]), (std::vector<std::string>{"2", "5", "8"}));
    auto entries = batch_entries(form_decode(requests[1].body));
    EXPECT_EQ(entries[0].message, batch[2].body);
    EXPECT_EQ(entries[1].message, batch[5].body);
    EXPECT_EQ(entries[2].subject, "map");
    ASSERT_EQ(f.hooks.recorded().size(), 1U) << "one backoff between the two rounds";
    EXPECT_EQ(f.hooks.recorded()[0], std::chrono::milliseconds(50)) << "random 0.5 * base 100 ms";

    wp::SnsStats s = n->stats();
    EXPECT_EQ(s.requests, 2U);
    EXPECT_EQ(s.messages_published, 10U);
    EXPECT_EQ(s.entries_retried, 3U);
    EXPECT_EQ(s.messages_failed, 0U);
}

TEST(SnsNotifierTest, SenderFaultsAreNotRetriedAndAreReported) {
    Fixture f;
    f.server.enqueue(ScriptedResponse::xml(
        200, batch_answer({"0", "2"}, {{"1", "InvalidParameter", true}, {"3", "InternalError", false}})));
    f.server.enqueue(ScriptedResponse::xml(200, batch_answer({"3"}, {})));
    auto n = f.notifier();
    wp::PublishError e = publish_expecting_error(*n, messages(4));
    EXPECT_EQ(e.failed_indexes(), (std::vector<std::size_t>{1}));
    EXPECT_EQ(e.code(), "InvalidParameter");
    EXPECT_FALSE(e.retryable());
    const std::string what = e.what();
    EXPECT_NE(what.find("1 of 4 messages could not be published to " + std::string(kTopic)), std::string::npos) << what;
    EXPECT_NE(what.find("message 1: InvalidParameter (refused 1), a sender fault, not retried"), std::string::npos) << what;
    auto requests = f.server.requests();
    ASSERT_EQ(requests.size(), 2U);
    EXPECT_EQ(ids_of(requests[1]), (std::vector<std::string>{"3"}));
    EXPECT_EQ(n->stats().messages_published, 3U);
    EXPECT_EQ(n->stats().messages_failed, 1U);
}

TEST(SnsNotifierTest, EntriesThatKeepFailingGivePublishErrorWithTheirIndexes) {
    Fixture f;
    f.server.set_handler(batch_handler([](const Entry& e) -> std::optional<Refusal> {
        if (e.id == "1" || e.id == "4") return Refusal{"", "InternalError", false};
        return std::nullopt;
    }));
    auto n = f.notifier({.batch_attempts = 4});
    wp::PublishError e = publish_expecting_error(*n, messages(6));
    EXPECT_EQ(e.failed_indexes(), (std::vector<std::size_t>{1, 4}));
    EXPECT_EQ(e.code(), "InternalError");
    EXPECT_TRUE(e.retryable());
    EXPECT_NE(std::string(e.what()).find("after 4 rounds"), std::string::npos) << e.what();
    auto requests = f.server.requests();
    ASSERT_EQ(requests.size(), 4U);
    for (std::size_t r = 1; r < 4; ++r) EXPECT_EQ(ids_of(requests[r]), (std::vector<std::string>{"1", "4"}));
    const auto sleeps = f.hooks.recorded();
    EXPECT_EQ(sleeps, (std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(50), std::chrono::milliseconds(100),
                                                               std::chrono::milliseconds(200)}))
        << "full-jitter exponential backoff between rounds";
}

TEST(SnsNotifierTest, AWholeRequestFailureReportsEveryPendingEntry) {
    Fixture f;
    const std::string error = R"(<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code><Message>boom</Message></Error></ErrorResponse>)";
    // Round 1: entry 2 refused (retryable); round 2: the request fails three times (AWS layer retries).
    f.server.enqueue(ScriptedResponse::xml(200, batch_answer({"0", "1"}, {{"2", "InternalError"}})));
    for (int i = 0; i < 3; ++i) f.server.enqueue(ScriptedResponse::xml(500, error));
    auto n = f.notifier();
    wp::PublishError e = publish_expecting_error(*n, messages(3));
    EXPECT_EQ(e.failed_indexes(), (std::vector<std::size_t>{2}));
    EXPECT_EQ(e.code(), "InternalError");
    EXPECT_TRUE(e.retryable());
    EXPECT_EQ(f.server.request_count(), 4U);
    EXPECT_EQ(n->stats().requests, 4U) << "every HTTP attempt is counted";

    // A first request that fails outright: every message is reported.
    Fixture g;
    g.server.set_handler([](const RecordedRequest&) {
        return ScriptedResponse::xml(404, R"(<ErrorResponse><Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message></Error></ErrorResponse>)");
    });
    auto m = g.notifier();
    wp::PublishError e2 = publish_expecting_error(*m, messages(5));
    EXPECT_EQ(e2.failed_indexes(), (std::vector<std::size_t>{0, 1, 2, 3, 4}));
    EXPECT_EQ(e2.code(), "NotFound");
    EXPECT_FALSE(e2.retryable());
    EXPECT_EQ(g.server.request_count(), 1U) << "NotFound is not retried";
    try {
        m->publish("map", "x");
        ADD_FAILURE() << "expected BackendError";
    } catch (const wp::BackendError& be) {
        EXPECT_EQ(be.code(), "NotFound");
        EXPECT_NE(std::string(be.what()).find("Topic does not exist"), std::string::npos);
    }
}

TEST(SnsNotifierTest, EntriesMissingFromTheAnswerAreSentAgain) {
    Fixture f;
    f.server.enqueue(ScriptedResponse::xml(200, batch_answer({"0"}, {})));  // 1 and 2 not mentioned
    f.server.enqueue(ScriptedResponse::xml(200, batch_answer({"1", "2"}, {})));
    auto n = f.notifier();
    EXPECT_NO_THROW(n->publish_batch(messages(3)));
    auto requests = f.server.requests();
    ASSERT_EQ(requests.size(), 2U);
    EXPECT_EQ(ids_of(requests[1]), (std::vector<std::string>{"1", "2"}));
}

TEST(SnsNotifierTest, CreateJobReportsPartIdsOfFailedEntries) {
    Fixture f;
    f.server.set_handler(batch_handler([](const Entry& e) -> std::optional<Refusal> {
        const auto partid = nlohmann::json::parse(e.message)["partid"].get<int>();
        if (partid == 13) return Refusal{"", "InternalError", false};
        if (partid == 21) return Refusal{"", "InvalidParameter", true};
        return std::nullopt;
    }));
    auto n = f.notifier({.batch_attempts = 2});
    auto backend = std::make_shared<wp::MemoryBackend>();
    std::vector<nlohmann::json> parts(25, nlohmann::json::object());
    try {
        wp::create_job(parts, {.backend = backend, .notifier = n, .jobid = "partial", .workers = 3});
        ADD_FAILURE() << "expected PublishError";
    } catch (const wp::PublishError& e) {
        EXPECT_EQ(e.failed_indexes(), (std::vector<std::size_t>{13, 21}));
        const std::string what = e.what();
        EXPECT_NE(what.find("parts 13, 21"), std::string::npos) << what;
    }
    EXPECT_EQ(backend->status("partial").total, 25) << "the job exists; the failed parts can be re-sent";
    EXPECT_EQ(n->stats().messages_published, 23U);
    EXPECT_EQ(n->stats().messages_failed, 2U);
    // 3 batches (10, 10, 5) and one retry round for part 13's batch.
    EXPECT_EQ(f.server.request_count(), 4U);
}

TEST(SnsNotifierTest, CreateJobPublishesInFullBatchesOverSeveralConnections) {
    Fixture f;
    std::atomic<int> in_flight{0}, max_in_flight{0};
    auto inner = batch_handler();
    f.server.set_handler([&](const RecordedRequest& r) {
        const int now = ++in_flight;
        int seen = max_in_flight.load();
        while (now > seen && !max_in_flight.compare_exchange_weak(seen, now)) {
        }
        // The first requests wait (at most 30 s) until two are in flight at once: publishing in
        // parallel shows whatever the scheduler does, and serial publishing fails the checks below.
        for (int i = 0; i < 3000 && max_in_flight.load() < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        ScriptedResponse response = inner(r);
        --in_flight;
        return response;
    });
    auto n = f.notifier();
    auto backend = std::make_shared<wp::MemoryBackend>();
    std::vector<nlohmann::json> parts;
    for (int i = 0; i < 400; ++i) parts.push_back({{"i", i}});
    wp::create_job(parts, {.backend = backend, .notifier = n, .workers = 8});

    auto requests = f.server.requests();
    EXPECT_EQ(requests.size(), 40U) << "400 parts in PublishBatch requests of 10";
    std::set<int> partids;
    for (const auto& r : requests) {
        auto form = form_decode(r.body);
        EXPECT_EQ(form["Action"], "PublishBatch");
        auto entries = batch_entries(form);
        EXPECT_EQ(entries.size(), 10U);
        for (const auto& e : entries) {
            EXPECT_EQ(e.subject, "map");
            EXPECT_TRUE(partids.insert(nlohmann::json::parse(e.message)["partid"].get<int>()).second);
        }
    }
    EXPECT_EQ(partids.size(), 400U);
    EXPECT_GT(f.server.connection_count(), 1) << "the workers publish over several connections";
    EXPECT_LE(f.server.connection_count(), 8);
    EXPECT_GT(max_in_flight.load(), 1);
    EXPECT_EQ(n->stats().requests, 40U);
}

TEST(SnsNotifierTest, CreateJobKeepsBatchesUnder256KB) {
    Fixture f;
    f.server.set_handler(batch_handler());
    auto n = f.notifier();
    auto backend = std::make_shared<wp::MemoryBackend>();
    // ~60 KB per message: at most 4 fit in a 256 KB batch.
    std::vector<nlohmann::json> parts(10, {{"blob", std::string(60'000, 'b')}});
    wp::create_job(parts, {.backend = backend, .notifier = n, .workers = 2});
    std::size_t entries_total = 0;
    for (const auto& r : f.server.requests()) {
        auto entries = batch_entries(form_decode(r.body));
        std::size_t bytes = 0;
        for (const auto& e : entries) bytes += e.message.size();
        EXPECT_LE(bytes, wp::SnsNotifier::kMaxBatchBytes);
        EXPECT_LE(entries.size(), 4U);
        entries_total += entries.size();
    }
    EXPECT_EQ(entries_total, 10U);
    EXPECT_EQ(f.server.request_count(), 3U);
}

TEST(SnsNotifierTest, RequestBodiesAndErrorsNeverContainTheSecretOrSignature) {
    Fixture f;
    std::mutex mutex;
    std::vector<std::string> signatures;
    // A service that echoes what it was sent, secrets included, in its error message.
    f.server.set_handler([&](const RecordedRequest& r) {
        const std::string auth = r.header("Authorization").value_or("");
        const auto pos = auth.find("Signature=");
        const std::string signature = pos == std::string::npos ? "" : auth.substr(pos + 10);
        {
            std::lock_guard lock(mutex);
            signatures.push_back(signature);
        }
        return ScriptedResponse::xml(
            403, "<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>bad signature " + signature +
                     " for secret " + kSecret + " and header " + auth +
                     "</Message></Error><RequestId>r-1</RequestId></ErrorResponse>");
    });
    auto n = f.notifier();
    std::vector<std::string> whats;
    try {
        n->publish("map", R"({"a":1})");
    } catch (const wp::BackendError& e) {
        EXPECT_EQ(e.code(), "SignatureDoesNotMatch");
        whats.push_back(e.what());
    }
    try {
        n->publish_batch(messages(3));
    } catch (const wp::PublishError& e) {
        EXPECT_EQ(e.failed_indexes().size(), 3U);
        whats.push_back(e.what());
    }
    ASSERT_EQ(whats.size(), 2U);
    ASSERT_EQ(signatures.size(), 2U);
    for (const auto& what : whats) {
        EXPECT_EQ(what.find(kSecret), std::string::npos) << what;
        for (const auto& sig : signatures) {
            ASSERT_GE(sig.size(), 64U);
            EXPECT_EQ(what.find(sig), std::string::npos) << what;
        }
    }
    for (const auto& r : f.server.requests()) {
        EXPECT_EQ(r.body.find(kSecret), std::string::npos);
        for (const auto& sig : signatures) EXPECT_EQ(r.body.find(sig), std::string::npos);
        EXPECT_EQ(r.target.find(kSecret), std::string::npos);
    }
    EXPECT_EQ(n->describe().find(kSecret), std::string::npos);
}
