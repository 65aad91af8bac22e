// The DynamoDB client (src/backends/dynamodb/dynamodb_client.hpp): against dynalite for behaviour, and against a
// scripted HTTP server for the wire format, error parsing/classification and resends.

#include "watchbot_progress/config.hpp"
#if WP_WITH_AWS  // the DynamoDB backend is part of the AWS layer

#include <chrono>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aws/aws_test_util.hpp"
#include "backends/dynamodb/dynamodb_attribute_value.hpp"
#include "aws/test_http_server.hpp"
#include "dynamodb_test_util.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/job.hpp"

namespace wp = watchbot_progress;
namespace aws = watchbot_progress::aws;
namespace dynamodb = watchbot_progress::detail::dynamodb;
using nlohmann::json;
using ::testing::HasSubstr;

namespace {

constexpr const char* kTable = "wp-test-client";

std::string fresh_id(const std::string& prefix) { return prefix + "-" + wp::new_jobid(); }

// ---- against dynalite ---------------------------------------------------------------------------

TEST(DynamoDbClient, GetItemOfAMissingKeyIsNullopt) {
    auto client = wp_test::dynamodb_test_client(kTable);
    EXPECT_FALSE(client->get_item({wp_test::dynamodb_key(fresh_id("missing"))}).has_value());
}

TEST(DynamoDbClient, PutThenConsistentGetReturnsTheItem) {
    auto client = wp_test::dynamodb_test_client(kTable);
    const std::string id = fresh_id("put");
    const json item = {{"id", {{"S", id}}}, {"n", {{"N", "5"}}}, {"ns", {{"NS", {"1", "2"}}}}};
    EXPECT_TRUE(client->put_item({item}).applied);
    auto back = client->get_item({wp_test::dynamodb_key(id), true});
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ((*back)["n"], item["n"]);
    EXPECT_EQ(dynamodb::get_number_set(*back, "ns"), (std::vector<std::int64_t>{1, 2}));
    auto projected = client->get_item({wp_test::dynamodb_key(id), true, "#n", {{"#n", "n"}}});
    ASSERT_TRUE(projected.has_value());
    EXPECT_EQ(projected->size(), 1u);
    EXPECT_TRUE(projected->contains("n"));
}

TEST(DynamoDbClient, FailedConditionIsAResultNotAnException) {
    auto client = wp_test::dynamodb_test_client(kTable);
    const std::string id = fresh_id("cond");
    dynamodb::UpdateItemRequest update;
    update.key = wp_test::dynamodb_key(id);
    update.update = "SET #v = :v";
    update.condition = "attribute_exists(id)";
    update.names = {{"#v", "v"}};
    update.values = {{":v", {{"N", "1"}}}};
    EXPECT_FALSE(client->update_item(update).applied);
    EXPECT_FALSE(client->get_item({wp_test::dynamodb_key(id)}).has_value()) << "a failed update must not create the item";
    dynamodb::PutItemRequest put{{{"id", {{"S", id}}}}, "attribute_not_exists(id)"};
    EXPECT_TRUE(client->put_item(put).applied);
    EXPECT_FALSE(client->put_item(put).applied);
    EXPECT_TRUE(client->update_item(update).applied);
}

TEST(DynamoDbClient, UpdateReturnValuesAndSetDeletion) {
    auto client = wp_test::dynamodb_test_client(kTable);
    const std::string id = fresh_id("rv");
    client->put_item({{{"id", {{"S", id}}}, {"parts", dynamodb::number_set({0, 1})}, {"other", {{"S", "x"}}}}});
    dynamodb::UpdateItemRequest del;
    del.key = wp_test::dynamodb_key(id);
    del.update = "DELETE #p :p";
    del.names = {{"#p", "parts"}};
    del.values = {{":p", dynamodb::number_set({0})}};
    del.return_values = dynamodb::ReturnValues::kAllNew;
    auto r = client->update_item(del);
    EXPECT_EQ(dynamodb::get_number_set(r.attributes, "parts"), (std::vector<std::int64_t>{1}));
    EXPECT_EQ(r.attributes["other"], (json{{"S", "x"}}));
    // Deleting an absent member changes nothing and says so.
    r = client->update_item(del);
    EXPECT_EQ(dynamodb::get_number_set(r.attributes, "parts"), (std::vector<std::int64_t>{1}));
    // Deleting the last member removes the attribute.
    del.values = {{":p", dynamodb::number_set({1})}};
    del.return_values = dynamodb::ReturnValues::kUpdatedOld;
    r = client->update_item(del);
    EXPECT_EQ(dynamodb::get_number_set(r.attributes, "parts"), (std::vector<std::int64_t>{1}));
    del.return_values = dynamodb::ReturnValues::kAllNew;
    r = client->update_item(del);
    EXPECT_FALSE(r.attributes.contains("parts"));
    EXPECT_TRUE(r.attributes.contains("other"));
}

TEST(DynamoDbClient, ServiceErrorsAreClassifiedBackendErrors) {
    auto client = wp_test::dynamodb_test_client(kTable);
    const std::string id = fresh_id("err");
    client->put_item({{{"id", {{"S", id}}}}});
    dynamodb::UpdateItemRequest bad;
    bad.key = wp_test::dynamodb_key(id);
    bad.update = "SET #m.#k = :v";  // no map to set a key in
    bad.names = {{"#m", "metadata"}, {"#k", "k"}};
    bad.values = {{":v", {{"S", "v"}}}};
    try {
        client->update_item(bad);
        FAIL() << "expected a ValidationException";
    } catch (const wp::BackendError& e) {
        EXPECT_EQ(e.code(), "ValidationException");
        EXPECT_FALSE(e.retryable());
        EXPECT_THAT(e.what(), HasSubstr("UpdateItem"));
    }
}

TEST(DynamoDbClient, MissingTableErrorNamesTheTableAndTheFix) {
    auto client = std::make_shared<dynamodb::DynamoDbClient>(wp_test::dynamodb_test_config(), "wp-no-such-table");
    try {
        client->get_item({wp_test::dynamodb_key("x")});
        FAIL() << "expected ResourceNotFoundException";
    } catch (const wp::BackendError& e) {
        EXPECT_EQ(e.code(), "ResourceNotFoundException");
        EXPECT_FALSE(e.retryable());
        EXPECT_THAT(e.what(), HasSubstr("wp-no-such-table"));
        EXPECT_THAT(e.what(), HasSubstr("create-table"));
    }
    EXPECT_THROW(client->batch_get({wp_test::dynamodb_key("x")}), wp::BackendError);
}

TEST(DynamoDbClient, ScanFollowsLastEvaluatedKeyToTheEnd) {
    // A table of its own, so the count is exact.
    const std::string table = "wp-test-scan-" + wp::new_jobid().substr(0, 8);
    auto client = wp_test::dynamodb_test_client(table);
    std::vector<dynamodb::BatchWrite> writes;
    for (int i = 0; i < 57; ++i) {
        writes.push_back(dynamodb::BatchWrite::put({{"id", {{"S", "item-" + std::to_string(i)}}}, {"odd", {{"BOOL", i % 2 == 1}}}}));
    }
    client->batch_write(writes);
    dynamodb::ScanRequest request;
    request.limit = 5;
    std::set<std::string> seen;
    client->scan(request, [&](const json& item) { seen.insert(item["id"]["S"].get<std::string>()); });
    EXPECT_EQ(seen.size(), 57u);

    int pages = 0;
    json start = nullptr;
    do {
        auto page = client->scan_page(request, start);
        EXPECT_LE(page.items.size(), 5u);
        start = page.last_evaluated_key;
        ++pages;
    } while (!start.is_null());
    EXPECT_GE(pages, 12);

    request.filter = "#o = :t";
    request.names = {{"#o", "odd"}};
    request.values = {{":t", {{"BOOL", true}}}};
    int odd = 0;
    client->scan(request, [&](const json&) { ++odd; });
    EXPECT_EQ(odd, 28);
    client->call("DeleteTable", json::object());
}

TEST(DynamoDbClient, DeleteItemReturnsTheOldItemAndHonoursConditions) {
    auto client = wp_test::dynamodb_test_client(kTable);
    const std::string id = fresh_id("del");
    client->put_item({{{"id", {{"S", id}}}, {"v", {{"N", "1"}}}}});
    dynamodb::DeleteItemRequest request{wp_test::dynamodb_key(id), "#v = :two", {{"#v", "v"}}, {{":two", {{"N", "2"}}}},
                                   dynamodb::ReturnValues::kAllOld};
    EXPECT_FALSE(client->delete_item(request).applied);
    request.values = {{":two", {{"N", "1"}}}};
    auto r = client->delete_item(request);
    EXPECT_TRUE(r.applied);
    EXPECT_EQ(r.attributes["v"], (json{{"N", "1"}}));
    EXPECT_FALSE(client->get_item({wp_test::dynamodb_key(id)}).has_value());
}

TEST(DynamoDbClient, BatchWriteAndBatchGetHandleAnyNumberOfItems) {
    auto client = wp_test::dynamodb_test_client(kTable);
    const std::string prefix = fresh_id("batch");
    std::vector<dynamodb::BatchWrite> writes;
    std::vector<json> keys;
    for (int i = 0; i < 260; ++i) {
        const std::string id = prefix + "-" + std::to_string(i);
        writes.push_back(dynamodb::BatchWrite::put({{"id", {{"S", id}}}, {"i", {{"N", std::to_string(i)}}}}));
        keys.push_back(wp_test::dynamodb_key(id));
    }
    client->batch_write(writes, 4);
    auto with_missing = keys;
    for (int i = 0; i < 10; ++i) with_missing.push_back(wp_test::dynamodb_key(prefix + "-missing-" + std::to_string(i)));
    auto items = client->batch_get(with_missing, "#id, #i", {{"#id", "id"}, {"#i", "i"}});
    EXPECT_EQ(items.size(), 260u);
    std::set<std::int64_t> numbers;
    for (const auto& item : items) numbers.insert(*dynamodb::get_int(item, "i"));
    EXPECT_EQ(numbers.size(), 260u);

    std::vector<dynamodb::BatchWrite> deletes;
    for (const auto& key : keys) deletes.push_back(dynamodb::BatchWrite::remove(key));
    client->batch_write(deletes, 3);
    EXPECT_TRUE(client->batch_get(keys).empty());
}

TEST(DynamoDbClient, CreateAndDescribeTable) {
    const std::string table = "wp-test-create-" + wp::new_jobid().substr(0, 8);
    dynamodb::DynamoDbClient client(wp_test::dynamodb_test_config(), table);
    json created = client.create_table({});
    EXPECT_EQ(created.value("TableName", ""), table);
    try {
        client.create_table({});
        FAIL() << "expected ResourceInUseException";
    } catch (const wp::BackendError& e) {
        EXPECT_EQ(e.code(), "ResourceInUseException");
    }
    json description = client.describe_table();
    for (int i = 0; i < 200 && description.value("TableStatus", "") != "ACTIVE"; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        description = client.describe_table();
    }
    EXPECT_EQ(description.value("TableStatus", ""), "ACTIVE");
    EXPECT_EQ(description.value("TableName", ""), table);
    EXPECT_EQ(description["KeySchema"], (json::array({{{"AttributeName", "id"}, {"KeyType", "HASH"}}})));
    client.call("DeleteTable", json::object());
}

TEST(DynamoDbClient, CountsRequestsAndBytes) {
    auto client = wp_test::dynamodb_test_client(kTable);
    const auto before = client->traffic();
    client->get_item({wp_test::dynamodb_key(fresh_id("count"))});
    const auto after = client->traffic();
    EXPECT_EQ(after.requests - before.requests, 1u);
    EXPECT_GT(after.bytes_sent - before.bytes_sent, 20u);
    EXPECT_GT(after.bytes_received - before.bytes_received, 1u);
}

// ---- against a scripted server ------------------------------------------------------------------

struct ScriptedDynamo {
    wp_test::TestHttpServer server;
    wp_test::RecordingHooks hooks;
    std::unique_ptr<dynamodb::DynamoDbClient> client;
    explicit ScriptedDynamo(int max_attempts = 3) {
        aws::AwsClientConfig config = wp_test::dynamodb_test_config(server.base_url());
        config.retry.max_attempts = max_attempts;
        config.hooks = hooks.hooks();
        client = std::make_unique<dynamodb::DynamoDbClient>(std::move(config), "tbl");
    }
};

TEST(DynamoDbClientWire, RequestsUseJson10AndTheTargetHeader) {
    ScriptedDynamo d;
    d.server.enqueue(wp_test::ScriptedResponse::json(200, R"({"Item":{"id":{"S":"a"}}})"));
    auto item = d.client->get_item({wp_test::dynamodb_key("a")});
    ASSERT_TRUE(item.has_value());
    const auto requests = d.server.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].method, "POST");
    EXPECT_EQ(requests[0].target, "/");
    EXPECT_EQ(requests[0].header("X-Amz-Target").value_or(""), "DynamoDB_20120810.GetItem");
    EXPECT_EQ(requests[0].header("Content-Type").value_or(""), "application/x-amz-json-1.0");
    EXPECT_THAT(requests[0].header("Authorization").value_or(""), HasSubstr("/us-east-1/dynamodb/aws4_request"));
    const json body = json::parse(requests[0].body);
    EXPECT_EQ(body["TableName"], "tbl");
    EXPECT_EQ(body["ConsistentRead"], true);
    EXPECT_EQ(body["Key"], wp_test::dynamodb_key("a"));
}

TEST(DynamoDbClientWire, ErrorCodeComesFromTypeAndThrottlingIsRetried) {
    ScriptedDynamo d(2);
    for (int i = 0; i < 2; ++i) {
        d.server.enqueue(wp_test::ScriptedResponse::json(
            400, R"({"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"slow down"})"));
    }
    try {
        d.client->get_item({wp_test::dynamodb_key("a")});
        FAIL() << "expected an error";
    } catch (const wp::BackendError& e) {
        EXPECT_EQ(e.code(), "ProvisionedThroughputExceededException");
        EXPECT_TRUE(e.retryable());
        EXPECT_THAT(e.what(), HasSubstr("slow down"));
    }
    EXPECT_EQ(d.server.request_count(), 2u);
}

TEST(DynamoDbClientWire, ConditionFailuresAndValidationErrorsAreNotRetried) {
    ScriptedDynamo d;
    d.server.enqueue(wp_test::ScriptedResponse::json(
        400, R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"})"));
    dynamodb::UpdateItemRequest update{wp_test::dynamodb_key("a"), "SET #v = :v", "attribute_exists(id)", {{"#v", "v"}},
                                  {{":v", {{"N", "1"}}}}};
    EXPECT_FALSE(d.client->update_item(update).applied);
    EXPECT_EQ(d.server.request_count(), 1u);

    d.server.enqueue(wp_test::ScriptedResponse::json(
        400, R"({"__type":"com.amazon.coral.validate#ValidationException","message":"bad expression"})"));
    try {
        d.client->update_item(update);
        FAIL();
    } catch (const wp::BackendError& e) {
        EXPECT_EQ(e.code(), "ValidationException");
        EXPECT_FALSE(e.retryable());
    }
    EXPECT_EQ(d.server.request_count(), 2u);

    // Without a condition, a ConditionalCheckFailedException is an error like any other.
    d.server.enqueue(wp_test::ScriptedResponse::json(
        400, R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"})"));
    update.condition.clear();
    EXPECT_THROW(d.client->update_item(update), wp::BackendError);
}

TEST(DynamoDbClientWire, UnprocessedItemsAreResentAfterABackoff) {
    ScriptedDynamo d;
    const json leftover = {{"PutRequest", {{"Item", {{"id", {{"S", "b"}}}}}}}};
    d.server.enqueue(wp_test::ScriptedResponse::json(200, json{{"UnprocessedItems", {{"tbl", {leftover}}}}}.dump()));
    d.server.enqueue(wp_test::ScriptedResponse::json(200, R"({"UnprocessedItems":{}})"));
    d.client->batch_write({dynamodb::BatchWrite::put({{"id", {{"S", "a"}}}}), dynamodb::BatchWrite::put({{"id", {{"S", "b"}}}})});
    const auto requests = d.server.requests();
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(json::parse(requests[0].body)["RequestItems"]["tbl"].size(), 2u);
    EXPECT_EQ(json::parse(requests[1].body)["RequestItems"]["tbl"], json::array({leftover}));
    EXPECT_EQ(d.hooks.recorded().size(), 1u) << "one backoff before the resend";
}

TEST(DynamoDbClientWire, UnprocessedKeysAreResentAndGiveUpEventually) {
    ScriptedDynamo d;
    d.client->max_unprocessed_rounds = 3;
    const json key = wp_test::dynamodb_key("k");
    d.server.set_handler([&](const wp_test::RecordedRequest&) {
        return wp_test::ScriptedResponse::json(
            200, json{{"Responses", {{"tbl", json::array()}}}, {"UnprocessedKeys", {{"tbl", {{"Keys", {key}}}}}}}.dump());
    });
    try {
        d.client->batch_get({key});
        FAIL();
    } catch (const wp::BackendError& e) {
        EXPECT_EQ(e.code(), "ProvisionedThroughputExceededException");
        EXPECT_THAT(e.what(), HasSubstr("unprocessed"));
        EXPECT_TRUE(e.retryable());
    }
    EXPECT_EQ(d.server.request_count(), 3u);
}

}  // namespace

#endif  // WP_WITH_AWS
