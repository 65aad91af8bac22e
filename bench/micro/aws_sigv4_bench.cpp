// Micro-benchmarks of AWS Signature Version 4 (src/aws/sigv4.hpp): the CPU every DynamoDB and SNS
// request pays before it is sent (AwsClient::send signs again on every attempt). No network.
// Built only with WP_WITH_AWS (bench/CMakeLists.txt).
//
// The requests have the shape the library sends: a DynamoDB UpdateItem completing a part (JSON
// protocol, ~300 bytes of body) and an SNS Publish of a ~1 KB map message (query protocol,
// form-encoded). Credentials carry a session token, as a watchbot worker's ECS task role does.
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "aws/sigv4.hpp"
#include "aws/url.hpp"

namespace aws = watchbot_progress::aws;

namespace {

aws::SigningParams params_for(const std::string& service) {
    aws::Credentials credentials;
    credentials.access_key_id = "ASIAIOSFODNN7EXAMPLE";
    credentials.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    credentials.session_token = std::string(700, 'T');  // ECS task-role tokens are ~600-1,000 characters
    return aws::SigningParams{service, "us-east-1", credentials,
                              aws::TimePoint(std::chrono::seconds(1'767'225'600))};  // 2026-01-01T00:00:00Z
}

// The body of a compatible-layout completion of part 4711 (see docs/dynamodb-layouts.md).
std::string update_item_body() {
    const nlohmann::json body = {
        {"TableName", "progress"},
        {"Key", {{"id", {{"S", "6f1c3f9e-8a2b-4c1d-9e3f-2a7b5c8d9e0f"}}}}},
        {"UpdateExpression", "DELETE #parts :p"},
        {"ConditionExpression", "attribute_exists(#total) AND attribute_not_exists(#layout) AND (#total > :pn OR contains(#parts, :pn))"},
        {"ExpressionAttributeNames", {{"#parts", "parts"}, {"#total", "total"}, {"#layout", "layout"}}},
        {"ExpressionAttributeValues", {{":p", {{"NS", {"4711"}}}}, {":pn", {{"N", "4711"}}}}},
        {"ReturnValues", "ALL_NEW"},
    };
    return body.dump();
}

// Publish of one map message whose JSON text is about 1 KB.
std::string publish_body() {
    nlohmann::json message = {{"url", "s3://bucket/tiles/12/2048/1365.tif"}, {"jobid", "6f1c3f9e-8a2b-4c1d-9e3f-2a7b5c8d9e0f"},
                              {"partid", 4711}, {"metadata", {{"owner", "team"}, {"run", 42}}}};
    message["padding"] = std::string(1024 - message.dump().size() - 14, 'x');  // total ≈ 1,024 bytes
    return aws::form_encode({{"Action", "Publish"},
                             {"TopicArn", "arn:aws:sns:us-east-1:123456789012:my-work-topic"},
                             {"Subject", "map"},
                             {"Message", message.dump()},
                             {"Version", "2010-03-31"}});
}

void sign_loop(benchmark::State& state, const aws::SigningRequest& request, const aws::SigningParams& params) {
    for (auto _ : state) benchmark::DoNotOptimize(aws::sign_request(request, params));
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(request.body.size()));
    state.counters["body_bytes"] = static_cast<double>(request.body.size());
}

}  // namespace

// One DynamoDB UpdateItem (the hot path of a map worker on DynamoDB).
static void BM_SignDynamoDbUpdateItem(benchmark::State& state) {
    const std::string body = update_item_body();
    const aws::SigningRequest request{
        "POST", "https://dynamodb.us-east-1.amazonaws.com/",
        {{"Content-Type", "application/x-amz-json-1.0"}, {"X-Amz-Target", "DynamoDB_20120810.UpdateItem"}}, body};
    sign_loop(state, request, params_for("dynamodb"));
}
BENCHMARK(BM_SignDynamoDbUpdateItem);

// One SNS Publish with a ~1 KB message (a map or reduce message sent alone).
static void BM_SignSnsPublish1KB(benchmark::State& state) {
    const std::string body = publish_body();
    const aws::SigningRequest request{
        "POST", "https://sns.us-east-1.amazonaws.com/", {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}}, body};
    sign_loop(state, request, params_for("sns"));
}
BENCHMARK(BM_SignSnsPublish1KB);
