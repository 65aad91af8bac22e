#pragma once
// The backends of the crash matrix, by name, opened the same way by the test (tests/crash) and by
// its worker processes (tests/crash/worker): the same file, server and table, with a clock given.
//
//   sqlite:PATH        a SQLite file
//   redis              the server in WP_TEST_REDIS_URL
//   dynamodb           dynalite (WP_TEST_DYNAMODB_ENDPOINT), the compatible layout, table wp-crash
//   dynamodb-sharded   the same, the sharded layout (the default) with 3 parts a shard, table wp-crash-sharded

#include <memory>
#include <string>

#include "factories/dynamodb_factory.hpp"
#include "test_env.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace wp_test {

inline std::shared_ptr<watchbot_progress::Backend> open_crash_backend(const std::string& spec,
                                                                      watchbot_progress::WallClock clock) {
    namespace wp = watchbot_progress;
    if (spec.starts_with("sqlite:")) {
        wp::SqliteOptions options;
        options.path = spec.substr(7);
        return std::make_shared<wp::SqliteBackend>(options, std::move(clock));
    }
    if (spec == "redis") {
        wp::RedisOptions options = wp::RedisBackend::parse_uri(require_env("WP_TEST_REDIS_URL"));
        options.clock = std::move(clock);
        return std::make_shared<wp::RedisBackend>(options);
    }
    if (spec == "dynamodb" || spec == "dynamodb-sharded") {
        const bool sharded = spec == "dynamodb-sharded";
        wp::DynamoDbOptions options = dynamodb_test_options(sharded ? "wp-crash-sharded" : "wp-crash");
        options.layout = sharded ? wp::DynamoDbLayout::kSharded : wp::DynamoDbLayout::kCompatible;
        if (sharded) options.shard_size = 3;
        options.clock = std::move(clock);
        return std::make_shared<wp::DynamoDbBackend>(options);
    }
    throw wp::InvalidInput("unknown crash-matrix backend '" + spec + "'");
}

}  // namespace wp_test
