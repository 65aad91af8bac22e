// Logged errors and exceptions of the DynamoDB backend never contain the secret key, the session
// token or the request signature, even when the service echoes them back.

#include "watchbot_progress/config.hpp"
#if WP_WITH_AWS  // the DynamoDB backend is part of the AWS layer

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aws/test_http_server.hpp"
#include "dynamodb_test_util.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace wp = watchbot_progress;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY99";
constexpr const char* kToken = "FwoGZXIvYXdzEBYaDSESSIONTOKENxyz0123456789+/=abc";

struct FatalInput : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A server that answers every request with `status` and a service message quoting the request's
// Authorization and X-Amz-Security-Token headers (as AWS does in signature errors).
class EchoingServer {
public:
    // answer_reads: GetItem gets a valid, unfailed job item; only writes fail.
    EchoingServer(int status, std::string code, bool answer_reads = false) {
        server.set_handler([status, code, answer_reads](const wp_test::RecordedRequest& request) {
            if (answer_reads && request.header("X-Amz-Target").value_or("").ends_with("GetItem")) {
                return wp_test::ScriptedResponse::json(
                    200, R"({"Item":{"id":{"S":"job"},"total":{"N":"3"},"parts":{"NS":["0","1","2"]}}})");
            }
            const std::string auth = request.header("Authorization").value_or("");
            const std::string token = request.header("X-Amz-Security-Token").value_or("");
            const std::string message = "The request signature we calculated does not match. Authorization: " + auth +
                                        " token " + token + " secret " + kSecret +
                                        "\n\nThe Canonical String for this request should have been\nPOST\n/\n\n"
                                        "x-amz-security-token:" + token;
            return wp_test::ScriptedResponse::json(
                status, json{{"__type", "com.amazon.coral.service#" + code}, {"message", message}}.dump());
        });
    }
    // Every signature the server saw.
    std::vector<std::string> signatures() const {
        std::vector<std::string> out;
        for (const auto& r : server.requests()) {
            const std::string auth = r.header("Authorization").value_or("");
            const auto pos = auth.find("Signature=");
            if (pos != std::string::npos) out.push_back(auth.substr(pos + 10));
        }
        return out;
    }
    wp_test::TestHttpServer server;
};

std::shared_ptr<wp::DynamoDbBackend> backend_for(const EchoingServer& echo) {
    wp::DynamoDbOptions options;
    options.layout = wp::DynamoDbLayout::kAuto;  // small jobs compatible, large ones sharded: both paths
    options.table = wp_test::dynamodb_test_arn("wp-secret-table");
    options.aws.endpoint = echo.server.base_url();
    options.aws.access_key_id = "AKIDSECRETTEST000001";
    options.aws.secret_access_key = kSecret;
    options.aws.session_token = kToken;
    options.aws.max_attempts = 2;
    return std::make_shared<wp::DynamoDbBackend>(options);
}

void expect_clean(const std::string& text, const EchoingServer& echo) {
    EXPECT_THAT(text, Not(HasSubstr(kSecret)));
    EXPECT_THAT(text, Not(HasSubstr(kToken)));
    EXPECT_THAT(text, Not(HasSubstr("SESSIONTOKEN")));
    const auto signatures = echo.signatures();
    ASSERT_FALSE(signatures.empty());
    for (const auto& signature : signatures) {
        ASSERT_EQ(signature.size(), 64u);
        EXPECT_THAT(text, Not(HasSubstr(signature)));
    }
}

TEST(DynamoDbSecrets, ExceptionsNeverContainCredentialsOrSignatures) {
    for (const auto& [status, code] : std::vector<std::pair<int, std::string>>{
             {403, "InvalidSignatureException"}, {400, "UnrecognizedClientException"},
             {400, "ValidationException"}, {500, "InternalServerError"}}) {
        EchoingServer echo(status, code);
        auto backend = backend_for(echo);
        std::vector<std::function<void()>> calls = {
            [&] { backend->status("job"); },
            [&] { backend->complete_part_and_claim_reduce("job", 1); },
            [&] { backend->set_total("job", 3); },
            [&] { backend->set_total("job", 30'000); },  // sharded: batch writes
            [&] { backend->set_metadata("job", {{"k", "v"}}); },
            [&] { backend->list_jobs([](const wp::JobStatus&) {}); },
            [&] { backend->delete_job("job"); },
        };
        for (const auto& call : calls) {
            try {
                call();
                ADD_FAILURE() << "expected an error from " << code;
            } catch (const wp::BackendError& e) {
                EXPECT_EQ(e.code(), code);
                EXPECT_THAT(e.what(), HasSubstr(code));
                expect_clean(e.what(), echo);
            }
        }
        expect_clean(backend->describe(), echo);
    }
}

TEST(DynamoDbSecrets, LoggedErrorsNeverContainCredentialsOrSignatures) {
    EchoingServer echo(403, "InvalidSignatureException", /*answer_reads=*/true);
    auto backend = backend_for(echo);
    auto notifier = std::make_shared<wp::MemoryNotifier>();
    // The guard logs (stderr) that it could not mark the job failed, then re-throws the user's error.
    ::testing::internal::CaptureStderr();
    EXPECT_THROW(wp::Part("job", 0, {.backend = backend, .notifier = notifier, .fail_job_on = wp::fail_on<FatalInput>()})
                     .run([] { throw FatalInput("bad input"); }),
                 FatalInput);
    const std::string logged = ::testing::internal::GetCapturedStderr();
    EXPECT_THAT(logged, HasSubstr("InvalidSignatureException"));
    expect_clean(logged, echo);
}

TEST(DynamoDbSecrets, ShardCleanupWarningsNeverContainCredentials) {
    // A sharded creation that loses the race for its job id logs (instead of failing) when its own
    // shard items cannot be removed; a deletion whose shard items cannot be removed fails.
    wp_test::TestHttpServer server;
    std::atomic<int> batch_writes{0};
    std::atomic<int> reads{0};
    server.set_handler([&](const wp_test::RecordedRequest& request) {
        const std::string target = request.header("X-Amz-Target").value_or("");
        const std::string auth = request.header("Authorization").value_or("");
        const auto denied = [&] {
            return wp_test::ScriptedResponse::json(
                400, json{{"__type", "com.amazon.coral.service#AccessDeniedException"},
                          {"message", std::string("denied for ") + auth + " " + kSecret}}
                         .dump());
        };
        if (target.ends_with("GetItem")) {
            // The existence check of set_total, then its read of createToken (another caller's),
            // then delete_job's read of the job item.
            const int n = reads++;
            if (n == 0) return wp_test::ScriptedResponse::json(200, "{}");
            if (n == 1) return wp_test::ScriptedResponse::json(200, R"({"Item":{"id":{"S":"job"},"createToken":{"S":"x"}}})");
            return wp_test::ScriptedResponse::json(
                200, R"({"Item":{"id":{"S":"job"},"total":{"N":"10"},"layout":{"S":"sharded"},"shardSize":{"N":"4"},)"
                     R"("shardLevels":{"N":"1"},"shardGen":{"S":"0123456789abcdef"}}})");
        }
        if (target.ends_with("PutItem")) {
            return wp_test::ScriptedResponse::json(
                400, R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"no"})");
        }
        if (target.ends_with("BatchWriteItem") && batch_writes++ == 0) {
            return wp_test::ScriptedResponse::json(200, R"({"UnprocessedItems":{}})");
        }
        return denied();
    });
    wp::DynamoDbOptions options;
    options.table = "wp-secret-table";
    options.aws.region = "us-east-1";
    options.aws.endpoint = server.base_url();
    options.aws.access_key_id = "AKIDSECRETTEST000001";
    options.aws.secret_access_key = kSecret;
    options.aws.session_token = kToken;
    options.layout = wp::DynamoDbLayout::kSharded;
    options.aws.max_attempts = 1;
    wp::DynamoDbBackend backend(options);
    ::testing::internal::CaptureStderr();
    EXPECT_THROW(backend.set_total("job", 10), wp::InvalidInput);  // the id is taken
    const std::string logged = ::testing::internal::GetCapturedStderr();
    EXPECT_THAT(logged, HasSubstr("AccessDeniedException"));
    std::string thrown;
    try {
        backend.delete_job("job");
        ADD_FAILURE() << "the shard items could not be deleted, yet delete_job succeeded";
    } catch (const wp::BackendError& e) {
        thrown = e.what();
        EXPECT_EQ(e.code(), "AccessDeniedException");
    }
    for (const std::string& text : {logged, thrown}) {
        EXPECT_THAT(text, Not(HasSubstr(kSecret)));
        EXPECT_THAT(text, Not(HasSubstr(kToken)));
        for (const auto& r : server.requests()) {
            const std::string auth = r.header("Authorization").value_or("");
            EXPECT_THAT(text, Not(HasSubstr(auth.substr(auth.find("Signature=") + 10))));
        }
    }
}

}  // namespace

#endif  // WP_WITH_AWS
