#pragma once
// Inside the SnsNotifier: its implementation object and the factory that builds one on an explicit
// AWS client configuration, so tests can point it at a test server with fixed credentials,
// recording retry hooks and a fake clock.

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "aws/aws_client.hpp"
#include "aws/counting_http_client.hpp"
#include "aws/env.hpp"
#include "aws/http_client.hpp"
#include "aws/retry.hpp"
#include "watchbot_progress/sns_notifier.hpp"

namespace watchbot_progress::aws {

// The topic ARN the options name, else the WorkTopic variable of `env`. Throws ConfigError when
// neither is set, or when the ARN is not an SNS topic ARN.
std::string sns_topic_arn(const SnsOptions& options, const EnvLookup& env);

// The AwsClient configuration `options` and the environment describe for `topic_arn` (see
// sns_notifier.hpp): service "sns", region, endpoint, retries, HTTP timeouts, and credentials: the
// process-wide shared_default_credentials_chain() for the process environment (first overload),
// a new DefaultCredentialsChain over an explicit `env` (second). Throws ConfigError.
AwsClientConfig sns_client_config(const SnsOptions& options, const std::string& topic_arn);
AwsClientConfig sns_client_config(const SnsOptions& options, const std::string& topic_arn, const EnvLookup& env);

}  // namespace watchbot_progress::aws

namespace watchbot_progress {

struct SnsNotifier::Impl {
    // `config.http` (or a CurlHttpClient) is wrapped in a CountingHttpClient (count_traffic).
    Impl(std::string topic_arn, const SnsOptions& options, aws::AwsClientConfig config);

    std::string topic_arn;
    int batch_attempts;
    aws::RetryPolicy batch_retry;  // backoff between PublishBatch rounds
    std::shared_ptr<aws::CountingHttpClient> http;
    aws::AwsClient client;

    std::atomic<std::uint64_t> messages_published{0};
    std::atomic<std::uint64_t> messages_failed{0};
    std::atomic<std::uint64_t> entries_retried{0};
};

namespace detail {

// The library's way to an SnsNotifier on an explicit AWS client configuration (SnsNotifier's
// constructor from an Impl is private: users cannot make one).
struct SnsNotifierAccess {
    static std::shared_ptr<SnsNotifier> make(std::string topic_arn, const SnsOptions& options,
                                             aws::AwsClientConfig config) {
        return std::shared_ptr<SnsNotifier>(
            new SnsNotifier(std::make_unique<SnsNotifier::Impl>(std::move(topic_arn), options, std::move(config))));
    }
};

}  // namespace detail

}  // namespace watchbot_progress

namespace watchbot_progress::aws {

// A notifier resolved from `options` and `env` as SnsNotifier(options) does from the process
// environment (but with its own credentials chain over `env`), with `customize` applied to the
// client configuration before the client is made (tests replace credentials, hooks, clock or http
// there). Throws ConfigError.
std::shared_ptr<SnsNotifier> make_sns_notifier(const SnsOptions& options,
                                               const std::function<void(AwsClientConfig&)>& customize,
                                               const EnvLookup& env);

}  // namespace watchbot_progress::aws
