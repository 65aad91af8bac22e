// The DynamoDB backend reading whatever the server answers: a fake HTTP client serves the fuzz
// input as the body of every answer, through the real AwsClient, DynamoDbClient and backend.
// Input: byte 0 picks the backend method, byte 1 the HTTP status, the rest is the body.
// Invariants: only watchbot_progress::Error escapes (JobDoesNotExist, BackendError, InvalidInput
// for a part id out of the range the answer claims); messages are one line and never hold the
// secret key or the signature of the last request (requests are signed at a fixed time, so the
// fuzzer can learn a signature and echo it).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "aws/aws_client.hpp"
#include "aws/clock.hpp"
#include "aws/credentials.hpp"
#include "backends/dynamodb/dynamodb_backend_access.hpp"
#include "backends/dynamodb/dynamodb_client.hpp"
#include "aws/http_client.hpp"
#include "fuzz_check.hpp"
#include "watchbot_progress/dynamodb_backend.hpp"
#include "watchbot_progress/errors.hpp"

namespace wp = watchbot_progress;
namespace aws = watchbot_progress::aws;
namespace dynamodb = watchbot_progress::detail::dynamodb;

namespace {

constexpr const char* kSecret = "fuzzSecretKeyNeverShown/0123456789";

// Serves one answer to every request (at most 64 requests: an answer that always says "there is
// more" must not keep a run going), and remembers the requests' signatures.
class FixedAnswer final : public aws::HttpClient {
public:
    FixedAnswer(int status, std::string body) : status_(status), body_(std::move(body)) {}
    aws::HttpResponse send(const aws::HttpRequest& request) override {
        if (++calls_ > 64) throw wp::BackendError("too many requests in one fuzz run", "FuzzLimit", false);
        for (const auto& [name, value] : request.headers) {
            if (name == "Authorization" && value.find("Signature=") != std::string::npos) {
                signatures.push_back(value.substr(value.find("Signature=") + 10));
            }
        }
        return {status_, {{"content-type", "application/x-amz-json-1.0"}}, body_};
    }
    std::vector<std::string> signatures;

private:
    int status_;
    std::string body_;
    int calls_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const int method = data[0] % 14;
    constexpr int kStatuses[] = {200, 200, 200, 200, 400, 500, 503, 404};
    const int status = kStatuses[data[1] % 8];
    std::string body(reinterpret_cast<const char*>(data + 2), size - 2);

    aws::AwsClientConfig config;
    config.service = "dynamodb";
    config.region = "us-east-1";
    config.endpoint = "http://127.0.0.1:1";
    config.credentials = std::make_shared<aws::StaticCredentialsProvider>(
        aws::Credentials{"AKIDFUZZ000000000001", kSecret, std::nullopt, std::nullopt});
    auto http = std::make_shared<FixedAnswer>(status, std::move(body));
    config.http = http;
    config.retry.max_attempts = 2;
    config.hooks.sleep = [](std::chrono::milliseconds) {};
    config.clock = [] { return aws::parse_amz_date("20260101T000000Z"); };
    auto client = std::make_shared<dynamodb::DynamoDbClient>(std::move(config), "tbl");
    client->max_unprocessed_rounds = 2;
    wp::DynamoDbOptions options;
    options.table = "tbl";
    options.scan_page_limit = 10;
    options.layout = wp::DynamoDbLayout::kAuto;  // both layouts' paths: small jobs compatible (the sharded case below)
    const auto owned = wp::detail::DynamoDbBackendAccess::over_client(options, client);
    wp::DynamoDbBackend& backend = *owned;

    try {
        switch (method) {
            case 0: (void)backend.status("j"); break;
            case 1: backend.set_total("j", 3); break;
            case 2: backend.set_total("j", 20, true); break;
            case 3: backend.set_metadata("j", {{"k", 1}}); break;
            case 4: (void)backend.complete_part("j", 1); break;
            case 5: (void)backend.complete_part_and_claim_reduce("j", 0); break;
            case 6: (void)backend.claim_reduce("j"); break;
            case 7: backend.release_reduce("j", "token"); break;
            case 8: backend.fail_job("j", "why"); break;
            case 9: (void)backend.part_complete("j", 2); break;
            case 10: (void)backend.list_pending_parts("j"); break;
            case 11: backend.list_jobs([](const wp::JobStatus& s) { (void)s.to_json().dump(); }); break;
            case 12: (void)backend.delete_job("j"); break;
            default: {
                // A sharded job's completion walks index items: force that layout.
                options.layout = wp::DynamoDbLayout::kSharded;
                options.shard_size = 2;
                const auto sharded = wp::detail::DynamoDbBackendAccess::over_client(options, client);
                (void)sharded->complete_part_and_claim_reduce("j", 5);
            }
        }
    } catch (const wp::Error& e) {
        const std::string what = e.what();
        FUZZ_CHECK(what.find(kSecret) == std::string::npos);
        if (!http->signatures.empty()) FUZZ_CHECK(what.find(http->signatures.back()) == std::string::npos);
        FUZZ_CHECK(what.find('\n') == std::string::npos);
    } catch (const std::exception& e) {
        wp_fuzz::unexpected("DynamoDbBackend", e);
    }
    return 0;
}
