#pragma once
// DynamoDB backends for the conformance suite, on the dynalite server in WP_TEST_DYNAMODB_ENDPOINT
// (started by tools/services.sh). Tests fail, never skip, when the variable is missing.
//
//   DynamoDbFactory         the compatible layout (the Python and Node tools'), with a small Scan
//                           page so that list_jobs has to follow LastEvaluatedKey;
//   DynamoDbShardedFactory  every job in the sharded layout, with 3 parts per shard so that even
//                           small jobs get several levels of index items.
//
// Each uses its own table, created once per process when missing. Explicit options (fake static
// credentials, region, endpoint): the tests never depend on the machine's AWS settings.

#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "test_env.hpp"
#include "watchbot_progress/dynamodb_backend.hpp"

namespace wp_test {

inline constexpr const char* kDynamoDbTestAccessKey = "AKIDWPTESTDYNAMO0001";
inline constexpr const char* kDynamoDbTestSecretKey = "wpTestSecretKeyDoNotLog/0123456789abcdefXYZ";
inline constexpr const char* kDynamoDbTestRegion = "us-east-1";

inline std::string dynamodb_test_arn(const std::string& table) {
    return std::string("arn:aws:dynamodb:") + kDynamoDbTestRegion + ":000000000000:table/" + table;
}

// Creates `table` on the test server once per process (when missing) and waits until it is ACTIVE.
inline void ensure_dynamodb_test_table(const std::string& table) {
    static std::mutex mutex;
    static std::set<std::string> ready;
    std::lock_guard lock(mutex);
    if (ready.count(table)) return;
    watchbot_progress::ProgressTableOptions options;
    options.aws.endpoint = require_env("WP_TEST_DYNAMODB_ENDPOINT");
    options.aws.region = kDynamoDbTestRegion;
    options.aws.access_key_id = kDynamoDbTestAccessKey;
    options.aws.secret_access_key = kDynamoDbTestSecretKey;
    options.poll_interval = std::chrono::milliseconds(50);
    options.timeout = std::chrono::seconds(30);
    watchbot_progress::create_progress_table(table, options);
    ready.insert(table);
}

// Options for a backend on the test server and table `table` (created when missing).
inline watchbot_progress::DynamoDbOptions dynamodb_test_options(const std::string& table = "wp-test-progress") {
    ensure_dynamodb_test_table(table);
    watchbot_progress::DynamoDbOptions options;
    options.table = dynamodb_test_arn(table);
    options.aws.endpoint = require_env("WP_TEST_DYNAMODB_ENDPOINT");
    options.aws.region = kDynamoDbTestRegion;
    options.aws.access_key_id = kDynamoDbTestAccessKey;
    options.aws.secret_access_key = kDynamoDbTestSecretKey;
    return options;
}

struct DynamoDbFactory {
    static constexpr const char* name = "DynamoDb";
    // dynalite completes ~150 parts/s of a 2,000-part job (each completion rewrites a 7 KB item), so
    // the stress job is smaller here; the race it exists for, 25 threads completing the last parts
    // and claiming the reduce, is the same at any size.
    static constexpr int kStressParts = 400;
    static std::shared_ptr<watchbot_progress::Backend> make(watchbot_progress::WallClock clock = {}) {
        watchbot_progress::DynamoDbOptions options = dynamodb_test_options("wp-conformance");
        options.layout = watchbot_progress::DynamoDbLayout::kCompatible;
        options.scan_page_limit = 25;
        options.clock = std::move(clock);
        return std::make_shared<watchbot_progress::DynamoDbBackend>(options);
    }
};

struct DynamoDbShardedFactory {
    static constexpr const char* name = "DynamoDbSharded";
    static constexpr int kStressParts = 400;  // 134 leaf shards of 3 parts, six levels of index items
    static std::shared_ptr<watchbot_progress::Backend> make(watchbot_progress::WallClock clock = {}) {
        watchbot_progress::DynamoDbOptions options = dynamodb_test_options("wp-conformance-sharded");
        options.scan_page_limit = 25;
        options.clock = std::move(clock);
        options.layout = watchbot_progress::DynamoDbLayout::kSharded;
        options.shard_size = 3;
        return std::make_shared<watchbot_progress::DynamoDbBackend>(options);
    }
};

}  // namespace wp_test
