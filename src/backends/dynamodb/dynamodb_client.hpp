#pragma once
// A small DynamoDB client for one table, on the AWS layer's request facade (AwsClient): JSON 1.0
// protocol, POST / with X-Amz-Target: DynamoDB_20120810.<Operation>, SigV4-signed, retried in the
// AWS "standard" mode by AwsClient.
//
// Items, keys and attribute values are DynamoDB's wire JSON, e.g.
//   {"id": {"S": "job-1"}, "parts": {"NS": ["0", "1"]}, "total": {"N": "2"}}
// (dynamodb_attribute_value.hpp converts between that and plain JSON).
//
// Operations: GetItem, PutItem, UpdateItem, DeleteItem, Scan (one page, or every page following
// LastEvaluatedKey), BatchGetItem and BatchWriteItem (split into requests of 100 keys / 25 writes,
// with UnprocessedKeys / UnprocessedItems resent after a backoff), CreateTable, DescribeTable. All
// of them are supported by dynalite 4.0, the DynamoDB implementation the tests run against.
//
// Errors: a failed condition (ConditionalCheckFailedException) on a write that carried a condition
// expression is not an exception: the write returns applied == false. Every other failure throws
// watchbot_progress::BackendError as AwsClient does: code() is DynamoDB's error code, parsed from
// the JSON body's "__type" ("ValidationException", "ResourceNotFoundException",
// "ProvisionedThroughputExceededException", ...) and classified retryable or not in
// error_classification.hpp, the one place that decides. A ResourceNotFoundException says which
// table is missing and how to create it. An answer that is not what DynamoDB sends (not JSON, cut
// short, an Item or Items of the wrong shape) is BackendError "InvalidResponse", not retryable,
// whatever it holds. Messages never contain credentials or signatures.
//
// Thread safety: every method may be called concurrently from any number of threads.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "aws/aws_client.hpp"
#include "aws/counting_http_client.hpp"
#include "aws/http_client.hpp"

namespace watchbot_progress::detail::dynamodb {

inline constexpr std::string_view kDynamoDbTargetPrefix = "DynamoDB_20120810.";
inline constexpr std::string_view kConditionalCheckFailed = "ConditionalCheckFailedException";

// DynamoDB limits the client enforces by splitting requests.
inline constexpr std::size_t kBatchWriteMaxItems = 25;
inline constexpr std::size_t kBatchGetMaxKeys = 100;

enum class ReturnValues { kNone, kAllOld, kUpdatedOld, kAllNew, kUpdatedNew };
std::string_view to_string(ReturnValues value);

struct GetItemRequest {
    nlohmann::json key;                                // {"id": {"S": "..."}}
    bool consistent_read = true;
    std::string projection;                            // ProjectionExpression; empty: every attribute
    nlohmann::json names = nlohmann::json::object();   // ExpressionAttributeNames for the projection
};

struct PutItemRequest {
    nlohmann::json item;
    std::string condition;                             // ConditionExpression; empty: none
    nlohmann::json names = nlohmann::json::object();
    nlohmann::json values = nlohmann::json::object();
};

struct UpdateItemRequest {
    nlohmann::json key;
    std::string update;                                // UpdateExpression, required
    std::string condition;                             // ConditionExpression; empty: none
    nlohmann::json names = nlohmann::json::object();   // ExpressionAttributeNames
    nlohmann::json values = nlohmann::json::object();  // ExpressionAttributeValues
    ReturnValues return_values = ReturnValues::kNone;
};

struct DeleteItemRequest {
    nlohmann::json key;
    std::string condition;
    nlohmann::json names = nlohmann::json::object();
    nlohmann::json values = nlohmann::json::object();
    ReturnValues return_values = ReturnValues::kNone;  // kNone or kAllOld
};

// The outcome of a write.
struct WriteResult {
    bool applied = true;  // false: the condition expression failed and nothing was written
    nlohmann::json attributes = nlohmann::json::object();  // what ReturnValues asked for ({} if none)
};

struct ScanRequest {
    std::string projection;                            // ProjectionExpression; empty: every attribute
    std::string filter;                                // FilterExpression; empty: none
    nlohmann::json names = nlohmann::json::object();
    nlohmann::json values = nlohmann::json::object();
    int limit = 0;                                     // items evaluated per page; 0: DynamoDB's 1 MB pages
    bool consistent_read = false;
};

struct ScanPage {
    std::vector<nlohmann::json> items;
    nlohmann::json last_evaluated_key;  // null at the end of the table
};

// One write of a BatchWriteItem: a put of `item` or, when item is null, a delete of `key`.
struct BatchWrite {
    nlohmann::json item;
    nlohmann::json key;
    static BatchWrite put(nlohmann::json item) { return {std::move(item), nullptr}; }
    static BatchWrite remove(nlohmann::json key) { return {nullptr, std::move(key)}; }
};

struct CreateTableRequest {
    std::string hash_key = "id";
    std::string hash_key_type = "S";
    bool on_demand = true;              // PAY_PER_REQUEST; false: PROVISIONED with the capacities below
    std::int64_t read_capacity = 5;
    std::int64_t write_capacity = 5;
};

class DynamoDbClient {
public:
    // `config` is an AwsClient configuration for service "dynamodb" (aws::client_config, dynamodb_config.hpp);
    // its HTTP client (a CurlHttpClient when null) is wrapped to count traffic. `table` is the
    // table's name (not its ARN). Throws ConfigError as AwsClient does.
    DynamoDbClient(aws::AwsClientConfig config, std::string table);

    const std::string& table() const noexcept { return table_; }
    const aws::AwsClient& aws() const noexcept { return *aws_; }
    aws::HttpTraffic traffic() const { return counter_->traffic(); }

    // GetItem: the item, or nullopt when there is none with that key.
    std::optional<nlohmann::json> get_item(const GetItemRequest& request) const;
    WriteResult put_item(const PutItemRequest& request) const;
    WriteResult update_item(const UpdateItemRequest& request) const;
    WriteResult delete_item(const DeleteItemRequest& request) const;

    // One Scan page starting after `exclusive_start_key` (null: the start of the table).
    ScanPage scan_page(const ScanRequest& request, const nlohmann::json& exclusive_start_key = nullptr) const;
    // Every page, following LastEvaluatedKey to the end; calls visit for each item in turn.
    void scan(const ScanRequest& request, const std::function<void(const nlohmann::json&)>& visit) const;

    // BatchGetItem of any number of distinct keys: returns the items found (order unspecified;
    // missing keys are simply absent). `projection` must include the key attribute if the caller
    // needs to tell items apart.
    std::vector<nlohmann::json> batch_get(const std::vector<nlohmann::json>& keys, const std::string& projection = "",
                                          const nlohmann::json& names = nlohmann::json::object(),
                                          bool consistent_read = true) const;
    // BatchWriteItem of any number of puts/deletes (no two on one key), `parallelism` requests at
    // once. Unprocessed writes are resent after a backoff; BackendError
    // "ProvisionedThroughputExceededException" (retryable) when some are still refused after
    // max_unprocessed_rounds. batch_get does the same with UnprocessedKeys.
    void batch_write(const std::vector<BatchWrite>& writes, std::size_t parallelism = 1) const;

    // CreateTable. Returns the TableDescription. ResourceInUseException when it exists.
    nlohmann::json create_table(const CreateTableRequest& request) const;
    // DescribeTable: the TableDescription. ResourceNotFoundException when it does not exist.
    nlohmann::json describe_table() const;

    // Any operation on this table: TableName is added to `request`. For what the methods above do
    // not cover. Throws as described at the top.
    nlohmann::json call(std::string_view operation, nlohmann::json request) const;

    // How many rounds of UnprocessedItems / UnprocessedKeys are resent before giving up.
    int max_unprocessed_rounds = 10;

private:
    // Sends `request` as is (no TableName added) and improves the ResourceNotFoundException message.
    nlohmann::json invoke(std::string_view operation, const nlohmann::json& request) const;
    WriteResult conditional_write(std::string_view operation, nlohmann::json request, bool has_condition) const;
    // Throws BackendError "InvalidResponse" (not retryable): the answer's `what` is malformed.
    [[noreturn]] void invalid_response(std::string_view operation, const std::string& what) const;
    void batch_write_chunk(const std::vector<BatchWrite>& writes, std::size_t begin, std::size_t end) const;
    void backoff(int round) const;

    std::shared_ptr<aws::CountingHttpClient> counter_;
    std::unique_ptr<aws::AwsClient> aws_;
    std::string table_;
};

}  // namespace watchbot_progress::detail::dynamodb
