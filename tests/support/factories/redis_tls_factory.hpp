#pragma once
// The Redis backend over TLS for the conformance suite: the same redis-server's TLS port, in
// WP_TEST_REDIS_TLS_URL (rediss://localhost:PORT/0 with the test CA and a client certificate, made
// by tools/services.sh). Tests fail, never skip, when the variable is missing. The stress tests run
// the same 2,000-part job with every part delivered three times as on the plain port.
#include <memory>

#include "test_env.hpp"
#include "watchbot_progress/redis_backend.hpp"

namespace wp_test {
struct RedisTlsFactory {
    static constexpr const char* name = "RedisTls";
    static constexpr int kStressParts = 2000;
    static std::shared_ptr<watchbot_progress::Backend> make(watchbot_progress::WallClock clock = {}) {
        watchbot_progress::RedisOptions options =
            watchbot_progress::RedisBackend::parse_uri(require_env("WP_TEST_REDIS_TLS_URL"));
        options.pool_size = 8;
        options.clock = std::move(clock);
        return std::make_shared<watchbot_progress::RedisBackend>(options);
    }
};
}  // namespace wp_test
