#pragma once
// The backends every conformance test runs on. Each factory has a static `name`, a static
// `make(clock = {})` returning a fresh std::shared_ptr<Backend> that reads the time from `clock`
// (empty: the system clock), so tests can move time without sleeping (tests use unique job ids,
// so a factory may return backends that share one server), and `kStressParts`, the size of the
// job the stress tests (every part delivered three times from 25 threads) run: as large as the
// backend's test server completes in a few seconds.

#include <gtest/gtest.h>

#include "test_env.hpp"
#include "watchbot_progress/config.hpp"
#include "factories/memory_factory.hpp"
#if WP_WITH_REDIS
#include "factories/redis_factory.hpp"
#include "factories/redis_tls_factory.hpp"
#define WP_TEST_REDIS_FACTORY , wp_test::RedisFactory, wp_test::RedisTlsFactory
#else
#define WP_TEST_REDIS_FACTORY
#endif
#if WP_WITH_SQLITE
#include "factories/sqlite_factory.hpp"
#define WP_TEST_SQLITE_FACTORY , wp_test::SqliteFactory
#else
#define WP_TEST_SQLITE_FACTORY
#endif
#if WP_WITH_AWS
#include "factories/dynamodb_factory.hpp"
#define WP_TEST_DYNAMODB_FACTORY , wp_test::DynamoDbFactory, wp_test::DynamoDbShardedFactory
#else
#define WP_TEST_DYNAMODB_FACTORY
#endif

namespace wp_test {

using AllBackends = ::testing::Types<MemoryFactory WP_TEST_REDIS_FACTORY WP_TEST_SQLITE_FACTORY WP_TEST_DYNAMODB_FACTORY>;

struct BackendNames {
    template <class T>
    static std::string GetName(int) {
        return T::name;
    }
};

}  // namespace wp_test
