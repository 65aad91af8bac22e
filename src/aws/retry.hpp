#pragma once
// The retry policy of the AWS "standard" retry mode: attempt limits, full-jitter exponential
// backoff and the client-side retry quota. Whether an error is retryable is decided in
// error_classification.hpp; the loop itself lives in AwsClient (aws_client.cpp).

#include <chrono>
#include <functional>
#include <mutex>

#include "aws/env.hpp"

namespace watchbot_progress::aws {

struct RetryPolicy {
    int max_attempts = 3;                                 // first try included; 1 disables retries
    std::chrono::milliseconds base_delay{100};      // backoff base
    std::chrono::milliseconds max_backoff{20'000};  // cap of any single delay
    bool retry_quota = true;                         // use a RetryQuota (standard mode does)

    // The default policy with max_attempts from AWS_MAX_ATTEMPTS when set. Throws ConfigError when
    // AWS_MAX_ATTEMPTS is not an integer between 1 and 100.
    static RetryPolicy from_env(const EnvLookup& env = process_env());
};

// Injectable effects of the retry loop, so tests take no real time and are deterministic.
struct RetryHooks {
    std::function<void(std::chrono::milliseconds)> sleep;  // default: std::this_thread::sleep_for
    std::function<double()> random;                        // uniform in [0, 1); default: per-thread PRNG
};
RetryHooks default_retry_hooks();

// The delay before retry number `retry` (1 for the first retry): full jitter,
// random01 * min(max_backoff, base_delay * 2^(retry-1)). Pure.
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry, double random01);

// The standard mode's client-side retry quota ("token bucket"): a retry costs 5 tokens (10 after
// a timeout), a successful request gives back what its retries cost (or 1 token when it needed
// none), capped at the initial 500. When the bucket is empty, errors are no longer retried, so a
// failing service is not hammered by every caller. Thread-safe.
class RetryQuota {
public:
    static constexpr int kInitial = 500;
    static constexpr int kRetryCost = 5;
    static constexpr int kTimeoutCost = 10;

    // Takes the cost of one retry; false (and nothing taken) when the quota cannot afford it.
    // Returns the cost taken through `cost`.
    bool acquire(bool timeout, int& cost);
    // A request succeeded; `retry_cost` is what its retries took (0 when none).
    void release(int retry_cost);
    int available() const;

private:
    mutable std::mutex mutex_;
    int tokens_ = kInitial;
};

}  // namespace watchbot_progress::aws
