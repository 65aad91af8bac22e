#pragma once
// How an SnsNotifier resolves its topic and its AWS client configuration from SnsOptions and the
// environment (sns_notifier.hpp says which settings win).

#include <string>

#include "aws/aws_client.hpp"
#include "aws/env.hpp"
#include "watchbot_progress/sns_options.hpp"

namespace watchbot_progress::detail::sns {

// The topic ARN the options name, else the WorkTopic variable of `env`. Throws ConfigError when
// neither is set, or when the ARN is not an SNS topic ARN.
std::string sns_topic_arn(const SnsOptions& options, const aws::EnvLookup& env);

// The AwsClient configuration `options` and the environment describe for `topic_arn` (see
// sns_notifier.hpp): service "sns", region, endpoint, retries, HTTP timeouts (aws::client_config),
// and credentials: options.aws's static keys when given, else the process-wide
// shared_default_credentials_chain() for the process environment (first overload), a new
// DefaultCredentialsChain over an explicit `env` (second). Throws ConfigError.
aws::AwsClientConfig sns_client_config(const SnsOptions& options, const std::string& topic_arn);
aws::AwsClientConfig sns_client_config(const SnsOptions& options, const std::string& topic_arn, const aws::EnvLookup& env);

}  // namespace watchbot_progress::detail::sns
