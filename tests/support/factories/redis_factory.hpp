#pragma once
// The Redis backend for the conformance suite: the server in WP_TEST_REDIS_URL (started by
// tools/services.sh). Tests fail, never skip, when the variable is missing.
#include <memory>

#include "test_env.hpp"
#include "watchbot_progress/redis_backend.hpp"

namespace wp_test {
struct RedisFactory {
    static constexpr const char* name = "Redis";
    static constexpr int kStressParts = 2000;
    static std::shared_ptr<watchbot_progress::Backend> make(watchbot_progress::WallClock clock = {}) {
        watchbot_progress::RedisOptions options = watchbot_progress::RedisBackend::parse_uri(require_env("WP_TEST_REDIS_URL"));
        options.pool_size = 8;
        options.clock = std::move(clock);
        return std::make_shared<watchbot_progress::RedisBackend>(options);
    }
};
}  // namespace wp_test
