#include "backends/dynamodb/dynamodb_client.hpp"

#include <algorithm>
#include <exception>
#include <mutex>
#include <thread>

#include "aws/error_classification.hpp"
#include "aws/url.hpp"
#include "watchbot_progress/error_codes.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress::detail::dynamodb {

std::string_view to_string(ReturnValues value) {
    switch (value) {
        case ReturnValues::kNone: return "NONE";
        case ReturnValues::kAllOld: return "ALL_OLD";
        case ReturnValues::kUpdatedOld: return "UPDATED_OLD";
        case ReturnValues::kAllNew: return "ALL_NEW";
        case ReturnValues::kUpdatedNew: return "UPDATED_NEW";
    }
    return "NONE";
}

namespace {

// DynamoDB leaves writes/keys of a batch unprocessed when they exceed the table's throughput: when
// they stay so, the error is the throttling error DynamoDB would have given for a single request
// (and error_classification.hpp decides its retryability like any other).
constexpr std::string_view kUnprocessedCode = "ProvisionedThroughputExceededException";

bool is_array_of_objects(const nlohmann::json& value) {
    return value.is_array() && std::all_of(value.begin(), value.end(), [](const nlohmann::json& v) { return v.is_object(); });
}

void add_expression_attributes(nlohmann::json& request, const nlohmann::json& names, const nlohmann::json& values) {
    if (names.is_object() && !names.empty()) request["ExpressionAttributeNames"] = names;
    if (values.is_object() && !values.empty()) request["ExpressionAttributeValues"] = values;
}

}  // namespace

DynamoDbClient::DynamoDbClient(aws::AwsClientConfig config, std::string table) : table_(std::move(table)) {
    if (table_.empty()) throw ConfigError("DynamoDbClient needs a table name");
    counter_ = aws::count_traffic(config);
    aws_ = std::make_unique<aws::AwsClient>(std::move(config));
}

nlohmann::json DynamoDbClient::call(std::string_view operation, nlohmann::json request) const {
    request["TableName"] = table_;
    return invoke(operation, request);
}

nlohmann::json DynamoDbClient::invoke(std::string_view operation, const nlohmann::json& request) const {
    try {
        return aws_->json_call(std::string(kDynamoDbTargetPrefix) + std::string(operation), request);
    } catch (const BackendError& e) {
        if (e.code() == "ResourceNotFoundException") {
            throw BackendError("DynamoDB table '" + table_ + "' was not found at " + aws::redact_url(aws_->config().endpoint) +
                                   " (region " + aws_->config().region +
                                   "): create it (watchbot-progress-cpp create-table " + table_ +
                                   ") or fix the table ARN in ProgressTable and the region. Service said: " + e.what(),
                               e.code(), false);
        }
        throw;
    }
}

void DynamoDbClient::invalid_response(std::string_view operation, const std::string& what) const {
    throw BackendError("DynamoDB " + std::string(operation) + " on table '" + table_ + "' returned an answer whose " + what +
                           "; check that the endpoint " + aws::redact_url(aws_->config().endpoint) + " is a DynamoDB service",
                       std::string(error_code::kInvalidResponse), false);
}

WriteResult DynamoDbClient::conditional_write(std::string_view operation, nlohmann::json request,
                                              bool has_condition) const {
    WriteResult result;
    try {
        nlohmann::json response = call(operation, std::move(request));
        auto it = response.find("Attributes");
        if (it != response.end() && !it->is_object()) invalid_response(operation, "Attributes is not an object");
        if (it != response.end()) result.attributes = std::move(*it);
    } catch (const BackendError& e) {
        if (!has_condition || e.code() != kConditionalCheckFailed) throw;
        result.applied = false;
    }
    return result;
}

std::optional<nlohmann::json> DynamoDbClient::get_item(const GetItemRequest& request) const {
    nlohmann::json body = {{"Key", request.key}, {"ConsistentRead", request.consistent_read}};
    if (!request.projection.empty()) body["ProjectionExpression"] = request.projection;
    add_expression_attributes(body, request.names, nullptr);
    nlohmann::json response = call("GetItem", std::move(body));
    auto it = response.find("Item");
    if (it == response.end()) return std::nullopt;
    if (!it->is_object()) invalid_response("GetItem", "Item is not an object");
    return std::move(*it);
}

WriteResult DynamoDbClient::put_item(const PutItemRequest& request) const {
    nlohmann::json body = {{"Item", request.item}};
    if (!request.condition.empty()) body["ConditionExpression"] = request.condition;
    add_expression_attributes(body, request.names, request.values);
    return conditional_write("PutItem", std::move(body), !request.condition.empty());
}

WriteResult DynamoDbClient::update_item(const UpdateItemRequest& request) const {
    nlohmann::json body = {{"Key", request.key}, {"UpdateExpression", request.update}};
    if (!request.condition.empty()) body["ConditionExpression"] = request.condition;
    if (request.return_values != ReturnValues::kNone) body["ReturnValues"] = to_string(request.return_values);
    add_expression_attributes(body, request.names, request.values);
    return conditional_write("UpdateItem", std::move(body), !request.condition.empty());
}

WriteResult DynamoDbClient::delete_item(const DeleteItemRequest& request) const {
    nlohmann::json body = {{"Key", request.key}};
    if (!request.condition.empty()) body["ConditionExpression"] = request.condition;
    if (request.return_values != ReturnValues::kNone) body["ReturnValues"] = to_string(request.return_values);
    add_expression_attributes(body, request.names, request.values);
    return conditional_write("DeleteItem", std::move(body), !request.condition.empty());
}

ScanPage DynamoDbClient::scan_page(const ScanRequest& request, const nlohmann::json& exclusive_start_key) const {
    nlohmann::json body = nlohmann::json::object();
    if (!request.projection.empty()) body["ProjectionExpression"] = request.projection;
    if (!request.filter.empty()) body["FilterExpression"] = request.filter;
    if (request.limit > 0) body["Limit"] = request.limit;
    if (request.consistent_read) body["ConsistentRead"] = true;
    if (exclusive_start_key.is_object() && !exclusive_start_key.empty()) body["ExclusiveStartKey"] = exclusive_start_key;
    add_expression_attributes(body, request.names, request.values);
    nlohmann::json response = call("Scan", std::move(body));
    ScanPage page;
    if (auto it = response.find("Items"); it != response.end()) {
        if (!is_array_of_objects(*it)) invalid_response("Scan", "Items is not an array of items");
        page.items.reserve(it->size());
        for (auto& item : *it) page.items.push_back(std::move(item));
    }
    if (auto it = response.find("LastEvaluatedKey"); it != response.end() && !it->is_null()) {
        if (!it->is_object()) invalid_response("Scan", "LastEvaluatedKey is not a key");
        if (!it->empty()) page.last_evaluated_key = std::move(*it);
    }
    return page;
}

void DynamoDbClient::scan(const ScanRequest& request, const std::function<void(const nlohmann::json&)>& visit) const {
    nlohmann::json start = nullptr;
    do {
        ScanPage page = scan_page(request, start);
        for (const auto& item : page.items) visit(item);
        start = std::move(page.last_evaluated_key);
    } while (!start.is_null());
}

void DynamoDbClient::backoff(int round) const {
    const aws::AwsClientConfig& config = aws_->config();
    config.hooks.sleep(aws::backoff_delay(config.retry, round, config.hooks.random()));
}

std::vector<nlohmann::json> DynamoDbClient::batch_get(const std::vector<nlohmann::json>& keys,
                                                      const std::string& projection, const nlohmann::json& names,
                                                      bool consistent_read) const {
    std::vector<nlohmann::json> items;
    for (std::size_t begin = 0; begin < keys.size(); begin += kBatchGetMaxKeys) {
        const std::size_t end = std::min(keys.size(), begin + kBatchGetMaxKeys);
        nlohmann::json request_keys = nlohmann::json::array();
        for (std::size_t i = begin; i < end; ++i) request_keys.push_back(keys[i]);
        for (int round = 0;; ++round) {
            nlohmann::json table_request = {{"Keys", std::move(request_keys)}, {"ConsistentRead", consistent_read}};
            if (!projection.empty()) table_request["ProjectionExpression"] = projection;
            if (names.is_object() && !names.empty()) table_request["ExpressionAttributeNames"] = names;
            nlohmann::json body = {{"RequestItems", {{table_, std::move(table_request)}}}};
            // BatchGetItem names its table inside RequestItems, not in TableName.
            nlohmann::json response = invoke("BatchGetItem", body);
            if (auto r = response.find("Responses"); r != response.end()) {
                if (!r->is_object()) invalid_response("BatchGetItem", "Responses is not an object");
                if (auto t = r->find(table_); t != r->end()) {
                    if (!is_array_of_objects(*t)) invalid_response("BatchGetItem", "Responses for the table is not an array of items");
                    for (auto& item : *t) items.push_back(std::move(item));
                }
            }
            request_keys = nlohmann::json::array();
            if (auto u = response.find("UnprocessedKeys"); u != response.end()) {
                if (!u->is_object()) invalid_response("BatchGetItem", "UnprocessedKeys is not an object");
                if (auto t = u->find(table_); t != u->end()) {
                    auto keys = t->is_object() ? t->find("Keys") : t->end();
                    if (!t->is_object() || keys == t->end() || !is_array_of_objects(*keys)) {
                        invalid_response("BatchGetItem", "UnprocessedKeys for the table holds no array of keys");
                    }
                    request_keys = std::move(*keys);
                }
            }
            if (request_keys.empty()) break;
            if (round + 1 >= max_unprocessed_rounds) {
                throw BackendError("DynamoDB BatchGetItem on table '" + table_ + "' left " +
                                       std::to_string(request_keys.size()) + " keys unprocessed after " +
                                       std::to_string(max_unprocessed_rounds) +
                                       " rounds: the table is throttled; try again later or raise its read capacity",
                                   std::string(kUnprocessedCode), aws::is_retryable_error(400, kUnprocessedCode));
            }
            backoff(round + 1);
        }
    }
    return items;
}

void DynamoDbClient::batch_write_chunk(const std::vector<BatchWrite>& writes, std::size_t begin,
                                       std::size_t end) const {
    nlohmann::json requests = nlohmann::json::array();
    for (std::size_t i = begin; i < end; ++i) {
        if (!writes[i].item.is_null()) {
            requests.push_back({{"PutRequest", {{"Item", writes[i].item}}}});
        } else {
            requests.push_back({{"DeleteRequest", {{"Key", writes[i].key}}}});
        }
    }
    for (int round = 0;; ++round) {
        nlohmann::json body = {{"RequestItems", {{table_, std::move(requests)}}}};
        nlohmann::json response = invoke("BatchWriteItem", body);
        requests = nlohmann::json::array();
        if (auto u = response.find("UnprocessedItems"); u != response.end()) {
            if (!u->is_object()) invalid_response("BatchWriteItem", "UnprocessedItems is not an object");
            if (auto t = u->find(table_); t != u->end()) {
                if (!is_array_of_objects(*t)) invalid_response("BatchWriteItem", "UnprocessedItems for the table is not an array");
                requests = std::move(*t);
            }
        }
        if (requests.empty()) return;
        if (round + 1 >= max_unprocessed_rounds) {
            throw BackendError("DynamoDB BatchWriteItem on table '" + table_ + "' left " +
                                   std::to_string(requests.size()) + " writes unprocessed after " +
                                   std::to_string(max_unprocessed_rounds) +
                                   " rounds: the table is throttled; try again later or raise its write capacity",
                               std::string(kUnprocessedCode), aws::is_retryable_error(400, kUnprocessedCode));
        }
        backoff(round + 1);
    }
}

void DynamoDbClient::batch_write(const std::vector<BatchWrite>& writes, std::size_t parallelism) const {
    const std::size_t chunks = (writes.size() + kBatchWriteMaxItems - 1) / kBatchWriteMaxItems;
    if (chunks == 0) return;
    parallelism = std::clamp<std::size_t>(parallelism, 1, chunks);
    if (parallelism == 1) {
        for (std::size_t c = 0; c < chunks; ++c) {
            batch_write_chunk(writes, c * kBatchWriteMaxItems, std::min(writes.size(), (c + 1) * kBatchWriteMaxItems));
        }
        return;
    }
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex error_mutex;
    std::exception_ptr error;
    auto worker = [&] {
        for (std::size_t c = next++; c < chunks && !failed.load(); c = next++) {
            try {
                batch_write_chunk(writes, c * kBatchWriteMaxItems,
                                  std::min(writes.size(), (c + 1) * kBatchWriteMaxItems));
            } catch (...) {
                std::lock_guard lock(error_mutex);
                if (!error) error = std::current_exception();
                failed = true;
            }
        }
    };
    std::vector<std::thread> threads;
    threads.reserve(parallelism - 1);
    for (std::size_t t = 1; t < parallelism; ++t) threads.emplace_back(worker);
    worker();
    for (auto& t : threads) t.join();
    if (error) std::rethrow_exception(error);
}

nlohmann::json DynamoDbClient::create_table(const CreateTableRequest& request) const {
    nlohmann::json body = {
        {"AttributeDefinitions", {{{"AttributeName", request.hash_key}, {"AttributeType", request.hash_key_type}}}},
        {"KeySchema", {{{"AttributeName", request.hash_key}, {"KeyType", "HASH"}}}},
    };
    if (request.on_demand) {
        body["BillingMode"] = "PAY_PER_REQUEST";
    } else {
        body["BillingMode"] = "PROVISIONED";
        body["ProvisionedThroughput"] = {{"ReadCapacityUnits", request.read_capacity},
                                         {"WriteCapacityUnits", request.write_capacity}};
    }
    nlohmann::json response = call("CreateTable", std::move(body));
    auto it = response.find("TableDescription");
    if (it == response.end()) return nlohmann::json::object();
    if (!it->is_object()) invalid_response("CreateTable", "TableDescription is not an object");
    return std::move(*it);
}

nlohmann::json DynamoDbClient::describe_table() const {
    nlohmann::json response = call("DescribeTable", nlohmann::json::object());
    auto it = response.find("Table");
    if (it == response.end()) return nlohmann::json::object();
    if (!it->is_object()) invalid_response("DescribeTable", "Table is not an object");
    return std::move(*it);
}

}  // namespace watchbot_progress::detail::dynamodb
