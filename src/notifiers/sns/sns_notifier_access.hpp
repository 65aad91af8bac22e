#pragma once
// The way to an SnsNotifier on an explicit AWS client configuration, for the library's tests and
// fuzzers (users cannot make one: SnsNotifier's constructor from its Impl is private). Not for the
// library's own code paths, which resolve everything from SnsOptions and the environment.

#include <functional>
#include <memory>
#include <string>

#include "aws/aws_client.hpp"
#include "aws/env.hpp"
#include "notifiers/sns/sns_notifier_config.hpp"
#include "watchbot_progress/sns_notifier.hpp"

namespace watchbot_progress::detail {

struct SnsNotifierAccess {
    // A notifier publishing to `topic_arn` through a client made from `config` as it is.
    static std::shared_ptr<SnsNotifier> make(std::string topic_arn, const SnsOptions& options,
                                             aws::AwsClientConfig config);
};

}  // namespace watchbot_progress::detail

namespace watchbot_progress::detail::sns {

// A notifier resolved from `options` and `env` as SnsNotifier(options) does from the process
// environment (but with its own credentials chain over `env`), with `customize` applied to the
// client configuration before the client is made (tests replace credentials, hooks, clock or http
// there). Throws ConfigError.
std::shared_ptr<SnsNotifier> make_sns_notifier(const SnsOptions& options,
                                               const std::function<void(aws::AwsClientConfig&)>& customize,
                                               const aws::EnvLookup& env);

}  // namespace watchbot_progress::detail::sns
