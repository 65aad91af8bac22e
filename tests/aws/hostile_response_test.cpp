// Broken answers from the server (issue 8, item 5): the real DynamoDB backend and SNS notifier
// against the scriptable test HTTP server answering with bodies that are cut short, not JSON/XML, of
// the wrong shape, or nested deep enough to exhaust a recursive parser. Every case must end in a
// BackendError (PublishError for batches) with a message that says what happened and never holds
// the secret key or a signature; never a crash, a JSON library exception or a wrong answer (such
// as "the job does not exist" or a silent success). And metadata DynamoDB would refuse is refused
// before any request is sent.

#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aws/aws_test_util.hpp"
#include "aws/credentials.hpp"
#include "backends/dynamodb/dynamodb_backend_access.hpp"
#include "backends/dynamodb/dynamodb_client.hpp"
#include "aws/env.hpp"
#include "watchbot_progress/memory_notifier.hpp"
#include "notifiers/sns/sns_notifier_access.hpp"
#include "aws/test_http_server.hpp"
#include "dynamodb_test_util.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/job.hpp"
#include "watchbot_progress/memory_backend.hpp"
#include "watchbot_progress/sns_notifier.hpp"

namespace wp = watchbot_progress;
namespace aws = watchbot_progress::aws;
namespace dynamodb = watchbot_progress::detail::dynamodb;
namespace sns = watchbot_progress::detail::sns;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using wp_test::ScriptedResponse;

namespace {

constexpr const char* kTopic = "arn:aws:sns:us-east-1:123456789012:hostile";
constexpr const char* kSnsSecret = "snsHostileSecret/abcdefghijklmnopqrstuvwxyz";

// The message says nothing secret.
void expect_no_secret(const std::string& what, const std::string& context) {
    EXPECT_THAT(what, Not(HasSubstr(wp_test::kDynamoDbTestSecretKey))) << context;
    EXPECT_THAT(what, Not(HasSubstr(kSnsSecret))) << context;
    EXPECT_THAT(what, Not(HasSubstr("Signature="))) << context;
    EXPECT_THAT(what, Not(HasSubstr("Credential="))) << context;
}

// Runs fn, which must throw a BackendError; returns it. Anything else fails the test.
template <class Fn>
wp::BackendError backend_error_of(Fn&& fn, const std::string& context) {
    try {
        fn();
    } catch (const wp::BackendError& e) {
        expect_no_secret(e.what(), context);
        return e;
    } catch (const std::exception& e) {
        ADD_FAILURE() << context << ": expected BackendError, got " << typeid(e).name() << ": " << e.what();
        return wp::BackendError("", "", false);
    }
    ADD_FAILURE() << context << ": no error";
    return wp::BackendError("", "", false);
}

// Bodies no DynamoDB operation can take for an answer.
const std::vector<std::string> kNotJsonObjects = {
    R"({"Item":{"id":{"S":"j"},"total":{"N":"3"})",  // cut short
    R"({"Items":[{"id":{"S":"j"}},)",                 // cut short
    "not json",
    "<html><body>502 Bad Gateway</body></html>",
    "[]",
    R"("a string")",
    "null",
    "42",
    "\xff\xfe{}",
};

// ---- DynamoDB ------------------------------------------------------------------------------------

struct ScriptedDynamoBackend {
    wp_test::TestHttpServer server;
    wp_test::RecordingHooks hooks;
    std::shared_ptr<wp::DynamoDbBackend> backend;

    explicit ScriptedDynamoBackend(int max_attempts = 1) {
        aws::AwsClientConfig config = wp_test::dynamodb_test_config(server.base_url());
        config.retry.max_attempts = max_attempts;
        config.hooks = hooks.hooks();
        auto client = std::make_shared<dynamodb::DynamoDbClient>(std::move(config), "tbl");
        wp::DynamoDbOptions options;
        options.table = "tbl";
        options.layout = wp::DynamoDbLayout::kCompatible;  // completions try the compatible write first
        backend = wp::detail::DynamoDbBackendAccess::over_client(options, client);
    }
    void answer_always(ScriptedResponse response) {
        server.set_handler([response](const wp_test::RecordedRequest&) { return response; });
    }
};

// Every backend method, so that every answer-reading path is exercised.
const std::vector<std::pair<std::string, std::function<void(wp::Backend&)>>> kBackendCalls = {
    {"status", [](wp::Backend& b) { b.status("j"); }},
    {"set_total", [](wp::Backend& b) { b.set_total("j", 3); }},
    {"set_total overwrite", [](wp::Backend& b) { b.set_total("j", 3, true); }},
    {"set_metadata", [](wp::Backend& b) { b.set_metadata("j", {{"k", 1}}); }},
    {"complete_part", [](wp::Backend& b) { b.complete_part("j", 0); }},
    {"complete_part_and_claim_reduce", [](wp::Backend& b) { b.complete_part_and_claim_reduce("j", 0); }},
    {"claim_reduce", [](wp::Backend& b) { b.claim_reduce("j"); }},
    {"release_reduce", [](wp::Backend& b) { b.release_reduce("j", "token"); }},
    {"fail_job", [](wp::Backend& b) { b.fail_job("j", "why"); }},
    {"part_complete", [](wp::Backend& b) { b.part_complete("j", 0); }},
    {"list_pending_parts", [](wp::Backend& b) { b.list_pending_parts("j"); }},
    {"list_jobs", [](wp::Backend& b) { b.list_jobs([](const wp::JobStatus&) {}); }},
    {"delete_job", [](wp::Backend& b) { b.delete_job("j"); }},
};

TEST(HostileDynamoDbAnswers, BodiesThatAreNotJsonObjectsAreInvalidResponsesForEveryMethod) {
    for (const std::string& body : kNotJsonObjects) {
        ScriptedDynamoBackend d;
        d.answer_always(ScriptedResponse::json(200, body));
        for (const auto& [name, call] : kBackendCalls) {
            const std::string context = name + " <- " + body;
            const wp::BackendError e = backend_error_of([&] { call(*d.backend); }, context);
            EXPECT_EQ(e.code(), "InvalidResponse") << context << ": " << e.what();
            EXPECT_FALSE(e.retryable()) << context;
            EXPECT_THAT(e.what(), HasSubstr("check that the endpoint")) << context;
        }
    }
}

TEST(HostileDynamoDbAnswers, AnswersOfTheWrongShapeAreInvalidResponsesNotMissingJobs) {
    struct Case {
        std::string name;
        std::string body;
        std::function<void(wp::Backend&)> call;
        std::string fragment;
    };
    const std::vector<Case> cases = {
        {"Item a string", R"({"Item":"j"})", [](wp::Backend& b) { b.status("j"); }, "Item is not an object"},
        {"Item an array", R"({"Item":[]})", [](wp::Backend& b) { b.status("j"); }, "Item is not an object"},
        {"Items an object", R"({"Items":{}})", [](wp::Backend& b) { b.list_jobs([](const wp::JobStatus&) {}); },
         "Items is not an array of items"},
        {"Items of numbers", R"({"Items":[1,2]})", [](wp::Backend& b) { b.list_jobs([](const wp::JobStatus&) {}); },
         "Items is not an array of items"},
        {"LastEvaluatedKey a string", R"({"Items":[],"LastEvaluatedKey":"k"})",
         [](wp::Backend& b) { b.list_jobs([](const wp::JobStatus&) {}); }, "LastEvaluatedKey is not a key"},
        {"Attributes a number", R"({"Attributes":5})", [](wp::Backend& b) { b.complete_part("j", 0); },
         "Attributes is not an object"},
    };
    for (const auto& c : cases) {
        ScriptedDynamoBackend d;
        d.answer_always(ScriptedResponse::json(200, c.body));
        const wp::BackendError e = backend_error_of([&] { c.call(*d.backend); }, c.name);
        EXPECT_EQ(e.code(), "InvalidResponse") << c.name << ": " << e.what();
        EXPECT_THAT(e.what(), HasSubstr(c.fragment)) << c.name;
    }
}

// Found by fuzz/fuzz_dynamodb_backend.cpp: a scanned item without an id was read with the const
// operator[] of nlohmann::json (an assertion, undefined behaviour without it), a shardGen that is
// not a string threw the JSON library's type_error.
TEST(HostileDynamoDbAnswers, ScannedItemsWithoutAStringIdAreSkippedAndBadShardGensAreInvalidJobItems) {
    for (const std::string items : {R"([{"i/":{"S":"j"},"total":{"N":"3"}}])", R"([{"id":"j","total":{"N":"3"}}])",
                                    R"([{"id":{"S":7},"total":{"N":"3"}}])", R"([{"id":{"N":"7"},"total":{"N":"3"}}])"}) {
        ScriptedDynamoBackend d;
        d.answer_always(ScriptedResponse::json(200, R"({"Items":)" + items + "}"));
        int visited = 0;
        EXPECT_NO_THROW(d.backend->list_jobs([&](const wp::JobStatus&) { ++visited; })) << items;
        EXPECT_EQ(visited, 0) << items;
    }
    ScriptedDynamoBackend d;
    d.answer_always(ScriptedResponse::json(
        200, R"({"Item":{"id":{"S":"j"},"total":{"N":"6"},"layout":{"S":"sharded"},"shardSize":{"N":"2"},)"
             R"("shardLevels":{"N":"2"},"shardGen":{"S":5},"pendingShards":{"NS":["0"]},"parts":{"NS":["-1"]}}})"));
    const wp::BackendError e = backend_error_of([&] { d.backend->status("j"); }, "shardGen");
    EXPECT_EQ(e.code(), "InvalidJobItem") << e.what();
}

TEST(HostileDynamoDbAnswers, ItemsWithUnreadableValuesAreBackendErrors) {
    const std::string job = R"("id":{"S":"j"},"total":{"N":"3"},"parts":{"NS":["0","1","2"]})";
    // Deep enough to overflow the stack of a recursive reader.
    std::string deep;
    for (int i = 0; i < 100'000; ++i) deep += R"({"L":[)";
    deep += R"({"N":"1"})";
    for (int i = 0; i < 100'000; ++i) deep += "]}";
    const std::vector<std::pair<std::string, std::string>> items = {
        {"NaN", R"({"Item":{)" + job + R"(,"metadata":{"M":{"x":{"N":"NaN"}}}}})"},
        {"Infinity", R"({"Item":{)" + job + R"(,"metadata":{"M":{"x":{"N":"Infinity"}}}}})"},
        {"1e999", R"({"Item":{)" + job + R"(,"metadata":{"M":{"x":{"N":"1e999"}}}}})"},
        {"hex", R"({"Item":{)" + job + R"(,"metadata":{"M":{"x":{"N":"0x10"}}}}})"},
        {"unknown type", R"({"Item":{)" + job + R"(,"metadata":{"M":{"x":{"Q":"1"}}}}})"},
        {"set of numbers", R"({"Item":{)" + job + R"(,"metadata":{"M":{"x":{"SS":[1]}}}}})"},
        {"100000 levels", R"({"Item":{)" + job + R"(,"metadata":{"M":{"x":)" + deep + "}}}}"},
    };
    for (const auto& [name, body] : items) {
        ScriptedDynamoBackend d;
        d.answer_always(ScriptedResponse::json(200, body));
        const wp::BackendError e = backend_error_of([&] { d.backend->status("j"); }, name);
        EXPECT_EQ(e.code(), "InvalidJobItem") << name << ": " << e.what();
        EXPECT_THAT(e.what(), HasSubstr("job 'j' has metadata this library cannot read")) << name;
        EXPECT_LT(std::string(e.what()).size(), 1000u) << name;
    }
}

TEST(HostileDynamoDbAnswers, AConnectionDroppedInTheMiddleOfTheBodyIsARetryableError) {
    ScriptedDynamoBackend d(2);
    d.answer_always(ScriptedResponse::cut_short(200, R"({"Item":{"id":{"S":"j"},)", 400));
    const wp::BackendError e = backend_error_of([&] { d.backend->status("j"); }, "cut short");
    EXPECT_TRUE(e.retryable()) << e.what();
    EXPECT_EQ(d.server.request_count(), 2u) << "retried, as a dropped connection is";
}

TEST(HostileDynamoDbAnswers, ErrorStatusesWithBodiesThatAreNotJsonKeepTheStatus) {
    ScriptedDynamoBackend d(2);
    d.answer_always(ScriptedResponse::json(400, R"({"__type":"com.amazonaws.dynamodb.v20120810#Validat)"));
    wp::BackendError e = backend_error_of([&] { d.backend->status("j"); }, "400 cut short");
    EXPECT_EQ(e.code(), "Http400") << e.what();
    EXPECT_FALSE(e.retryable());

    d.answer_always(ScriptedResponse::text(503, "<html>Service Unavailable</html>"));
    e = backend_error_of([&] { d.backend->status("j"); }, "503 html");
    EXPECT_EQ(e.code(), "Http503") << e.what();
    EXPECT_TRUE(e.retryable());
}

TEST(HostileDynamoDbInput, MetadataDynamoDbWouldRefuseIsRefusedBeforeAnyRequest) {
    json deep = 1;
    for (int i = 0; i < 32; ++i) deep = json::array({deep});  // the value at metadata.k is at level 33
    const std::vector<std::pair<json, std::string>> cases = {
        {{{"", 1}}, "metadata has an empty key"},
        {{{"k", deep}}, "nested more than 32 levels deep"},
        {{{"k", 1e300}}, "outside DynamoDB's range"},
        {{{"k", {{"inner", -1e-200}}}}, "outside DynamoDB's range"},
        {{{"k", std::numeric_limits<double>::quiet_NaN()}}, "not finite"},
    };
    for (const auto& [metadata, fragment] : cases) {
        ScriptedDynamoBackend d;
        d.answer_always(ScriptedResponse::json(200, "{}"));
        auto notifier = std::make_shared<wp::MemoryNotifier>();
        try {
            wp::create_job(json::array({json::object()}), {.backend = d.backend, .notifier = notifier, .metadata = metadata});
            ADD_FAILURE() << fragment << ": accepted";
        } catch (const wp::InvalidInput& e) {
            EXPECT_THAT(e.what(), HasSubstr(fragment));
        }
        EXPECT_EQ(d.server.request_count(), 0u) << fragment << ": nothing may be sent";
        EXPECT_TRUE(notifier->messages().empty()) << fragment;
        EXPECT_THROW(d.backend->set_metadata("j", metadata), wp::InvalidInput) << fragment;
        EXPECT_EQ(d.server.request_count(), 0u) << fragment;
    }
    // Values 31 levels deep (32 with the metadata map) are fine.
    json ok = 1;
    for (int i = 0; i < 31; ++i) ok = json::array({ok});
    ScriptedDynamoBackend d;
    EXPECT_NO_THROW(d.backend->check_metadata({{"k", ok}}));
    EXPECT_EQ(d.server.request_count(), 0u);
}

// ---- SNS -----------------------------------------------------------------------------------------

struct ScriptedSns {
    wp_test::TestHttpServer server;
    wp_test::RecordingHooks hooks;
    std::shared_ptr<wp::SnsNotifier> notifier;

    explicit ScriptedSns(int max_attempts = 1) {
        wp::SnsOptions options;
        options.topic_arn = kTopic;
        options.aws.endpoint = server.base_url();
        options.aws.max_attempts = max_attempts;
        options.batch_attempts = 1;
        notifier = sns::make_sns_notifier(
            options,
            [this](aws::AwsClientConfig& c) {
                c.credentials = std::make_shared<aws::StaticCredentialsProvider>(
                    aws::Credentials{"AKIDSNSHOSTILE000001", kSnsSecret, std::nullopt, std::nullopt});
                c.hooks = hooks.hooks();
            },
            aws::map_env({}));
    }
    void answer_always(ScriptedResponse response) {
        server.set_handler([response](const wp_test::RecordedRequest&) { return response; });
    }
};

TEST(HostileSnsAnswers, SuccessStatusesWithoutAPublishResultAreInvalidResponses) {
    std::string deep;
    for (int i = 0; i < 200'000; ++i) deep += "<a>";
    deep += "x";
    for (int i = 0; i < 200'000; ++i) deep += "</a>";
    const std::vector<std::string> bodies = {
        "",
        "not xml",
        "<PublishResponse><PublishResult><MessageId>m",  // cut short
        "<PublishBatchResponse><PublishBatchResult><Successful><member><Id>0</Id>",
        "<html><body>OK</body></html>",                  // XML, but not SNS's answer
        "<PublishResponse/>",
        "<PublishResponse><PublishResult><MessageId> </MessageId></PublishResult></PublishResponse>",
        "{\"MessageId\": \"m\"}",
        deep,
    };
    for (const std::string& body : bodies) {
        const std::string context = body.substr(0, 80);
        ScriptedSns s;
        s.answer_always(ScriptedResponse::xml(200, body));
        const wp::BackendError e = backend_error_of([&] { s.notifier->publish("map", R"({"a":1})"); }, context);
        EXPECT_EQ(e.code(), "InvalidResponse") << context << ": " << e.what();
        EXPECT_FALSE(e.retryable()) << context;

        const std::vector<wp::OutgoingMessage> batch(3, wp::OutgoingMessage{"map", R"({"a":1})"});
        try {
            s.notifier->publish_batch(batch);
            ADD_FAILURE() << context << ": batch accepted";
        } catch (const wp::PublishError& pe) {
            EXPECT_EQ(pe.code(), "InvalidResponse") << context << ": " << pe.what();
            EXPECT_EQ(pe.failed_indexes(), (std::vector<std::size_t>{0, 1, 2})) << context;
            expect_no_secret(pe.what(), context);
        } catch (const std::exception& other) {
            ADD_FAILURE() << context << ": expected PublishError, got " << other.what();
        }
    }
}

TEST(HostileSnsAnswers, ErrorStatusesWithBodiesThatAreNotXmlKeepTheStatus) {
    ScriptedSns s(2);
    s.answer_always(ScriptedResponse::xml(400, "<ErrorResponse><Error><Code>InvalidParam"));
    wp::BackendError e = backend_error_of([&] { s.notifier->publish("map", "{}"); }, "400 cut short");
    EXPECT_EQ(e.code(), "Http400") << e.what();
    EXPECT_FALSE(e.retryable());
    EXPECT_EQ(s.server.request_count(), 1u);

    s.answer_always(ScriptedResponse::text(502, "<html>Bad Gateway"));
    e = backend_error_of([&] { s.notifier->publish("map", "{}"); }, "502 html");
    EXPECT_EQ(e.code(), "Http502") << e.what();
    EXPECT_TRUE(e.retryable());

    s.answer_always(ScriptedResponse::cut_short(200, "<PublishResponse><PublishResult>", 300));
    e = backend_error_of([&] { s.notifier->publish("map", "{}"); }, "dropped");
    EXPECT_TRUE(e.retryable()) << e.what();
}

// An answer that echoes the request's signature (or the secret key) in its error code, message or
// per-entry failures: neither reaches an exception message (found by fuzz/fuzz_sns_xml.cpp).
TEST(HostileSnsAnswers, AnswersEchoingTheSignatureOrSecretDoNotLeakThem) {
    const auto signature_of = [](const wp_test::RecordedRequest& request) {
        const std::string authorization = request.header("Authorization").value_or("");
        const auto at = authorization.find("Signature=");
        return at == std::string::npos ? std::string("none") : authorization.substr(at + 10);
    };
    ScriptedSns s;
    s.server.set_handler([&](const wp_test::RecordedRequest& request) {
        const std::string sig = signature_of(request);
        return ScriptedResponse::xml(400, "<ErrorResponse><Error><Code>Bad" + sig + "</Code><Message>" + sig + " " + kSnsSecret +
                                              "</Message></Error><RequestId>" + sig + "</RequestId></ErrorResponse>");
    });
    const wp::BackendError e = backend_error_of([&] { s.notifier->publish("map", "{}"); }, "echoing error");
    EXPECT_THAT(e.what(), HasSubstr("[redacted]"));
    EXPECT_THAT(e.code(), Not(HasSubstr(signature_of(s.server.requests().back()))));

    s.server.set_handler([&](const wp_test::RecordedRequest& request) {
        const std::string sig = signature_of(request);
        return ScriptedResponse::xml(200, "<PublishBatchResponse><PublishBatchResult><Failed><member><Id>0</Id><Code>" + sig +
                                              "</Code><Message>" + std::string(kSnsSecret) + " " + sig +
                                              "</Message><SenderFault>true</SenderFault></member></Failed>"
                                              "</PublishBatchResult></PublishBatchResponse>");
    });
    const std::vector<wp::OutgoingMessage> batch(1, wp::OutgoingMessage{"map", "{}"});
    try {
        s.notifier->publish_batch(batch);
        ADD_FAILURE() << "accepted";
    } catch (const wp::PublishError& pe) {
        expect_no_secret(pe.what(), "echoing batch");
        EXPECT_THAT(pe.what(), Not(HasSubstr(signature_of(s.server.requests().back()))));
        EXPECT_THAT(pe.code(), Not(HasSubstr(signature_of(s.server.requests().back()))));
    }
}

TEST(HostileDynamoDbAnswers, AnswersEchoingTheSignatureDoNotLeakIt) {
    const auto signature_of = [](const wp_test::RecordedRequest& request) {
        const std::string authorization = request.header("Authorization").value_or("");
        const auto at = authorization.find("Signature=");
        return at == std::string::npos ? std::string("none") : authorization.substr(at + 10);
    };
    ScriptedDynamoBackend d;
    d.server.set_handler([&](const wp_test::RecordedRequest& request) {
        const std::string sig = signature_of(request);
        return ScriptedResponse::json(400, R"({"__type":"com.amazonaws#)" + sig + R"(","message":")" + sig + R"("})");
    });
    const wp::BackendError e = backend_error_of([&] { d.backend->status("j"); }, "echoing DynamoDB");
    const std::string sig = signature_of(d.server.requests().back());
    ASSERT_NE(sig, "none");
    EXPECT_THAT(e.what(), Not(HasSubstr(sig)));
    EXPECT_THAT(e.code(), Not(HasSubstr(sig)));
}

}  // namespace
