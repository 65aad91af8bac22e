#include "aws/retry.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <random>
#include <thread>

#include "watchbot_progress/errors.hpp"

namespace watchbot_progress::aws {

RetryPolicy RetryPolicy::from_env(const EnvLookup& env) {
    RetryPolicy policy;
    if (auto text = env_non_empty(env, "AWS_MAX_ATTEMPTS")) {
        bool digits = text->size() <= 3 && std::all_of(text->begin(), text->end(),
                                                       [](unsigned char c) { return std::isdigit(c) != 0; });
        int value = digits ? std::stoi(*text) : 0;
        if (value < 1 || value > 100) {
            throw ConfigError("AWS_MAX_ATTEMPTS is '" + *text +
                              "': set it to a whole number of attempts between 1 and 100 (default 3)");
        }
        policy.max_attempts = value;
    }
    return policy;
}

RetryHooks default_retry_hooks() {
    RetryHooks hooks;
    hooks.sleep = [](std::chrono::milliseconds delay) { std::this_thread::sleep_for(delay); };
    hooks.random = [] {
        thread_local std::mt19937_64 engine{std::random_device{}()};
        return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
    };
    return hooks;
}

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry, double random01) {
    using std::chrono::milliseconds;
    const double base = static_cast<double>(policy.base_delay.count());
    const double cap = static_cast<double>(policy.max_backoff.count());
    const int exponent = std::clamp(retry - 1, 0, 62);
    const double ceiling = std::min(cap, base * std::ldexp(1.0, exponent));
    const double jitter = std::clamp(random01, 0.0, 1.0);
    return milliseconds(static_cast<long long>(jitter * ceiling));
}

bool RetryQuota::acquire(bool timeout, int& cost) {
    std::lock_guard lock(mutex_);
    const int needed = timeout ? kTimeoutCost : kRetryCost;
    if (tokens_ < needed) return false;
    tokens_ -= needed;
    cost = needed;
    return true;
}

void RetryQuota::release(int retry_cost) {
    std::lock_guard lock(mutex_);
    tokens_ = std::min(kInitial, tokens_ + (retry_cost > 0 ? retry_cost : 1));
}

int RetryQuota::available() const {
    std::lock_guard lock(mutex_);
    return tokens_;
}

}  // namespace watchbot_progress::aws
