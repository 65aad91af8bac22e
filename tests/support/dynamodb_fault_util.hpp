#pragma once
// Helpers of the DynamoDB fault-injection tests: a FaultProxy (tests/support/aws/fault_proxy.hpp) in front
// of dynalite, and a backend whose every request goes through it.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "backends/dynamodb/dynamodb_backend_access.hpp"
#include "backends/dynamodb/dynamodb_client.hpp"
#include "aws/fault_proxy.hpp"
#include "dynamodb_test_util.hpp"
#include "watchbot_progress/dynamodb_backend.hpp"

namespace wp_test {

namespace dynamodb = watchbot_progress::detail::dynamodb;

// A backend on `proxy` and `table`: 1 s timeouts (the delay faults hold answers for 1.5 s), 3
// attempts per request, and a sleep hook that counts the AWS layer's retries in `retries`.
inline std::shared_ptr<watchbot_progress::DynamoDbBackend> proxied_backend(const FaultProxy& proxy, const std::string& table,
                                                                           const watchbot_progress::DynamoDbOptions& options,
                                                                           std::atomic<std::uint64_t>& retries) {
    namespace aws = watchbot_progress::aws;
    using std::chrono::milliseconds;
    aws::AwsClientConfig config = dynamodb_test_config(proxy.base_url());
    config.http_options.connect_timeout = milliseconds(1000);
    config.http_options.request_timeout = milliseconds(1000);
    config.retry.max_attempts = 3;
    config.hooks.sleep = [&retries](milliseconds delay) {
        ++retries;
        std::this_thread::sleep_for(delay);
    };
    return watchbot_progress::detail::DynamoDbBackendAccess::over_client(options, std::make_shared<dynamodb::DynamoDbClient>(config, table));
}

// Proxy options towards the test's dynalite: `kinds` at `rate`, optionally aimed (`match`: only
// requests containing it; at most `max_faults` faults), with a fixed seed.
inline FaultProxyOptions proxy_to_dynalite(std::vector<FaultKind> kinds, double rate, std::string match = "",
                                           std::uint64_t max_faults = 0) {
    return {.upstream_port = loopback_endpoint_port(require_env("WP_TEST_DYNAMODB_ENDPOINT")),
            .dialect = FaultDialect::kDynamoDbJson,
            .kinds = std::move(kinds),
            .rate = rate,
            .seed = 8,
            .delay = std::chrono::milliseconds(1500),
            .match = std::move(match),
            .max_faults = max_faults};
}

}  // namespace wp_test
