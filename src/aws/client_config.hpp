#pragma once
// From AwsOptions and the environment to an AwsClient configuration: the layer above the
// credentials providers, where a service client (DynamoDB, SNS) gets its region, endpoint,
// retries, timeouts and the credentials provider it hands to AwsClient (docs/architecture.md,
// "The AWS layers").
//
//   aws::AwsClientConfig config = aws::client_config_from_env("dynamodb", parse_arn(table_arn, "ProgressTable"));

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "aws/arn.hpp"
#include "aws/aws_client.hpp"
#include "aws/credentials.hpp"
#include "aws/env.hpp"
#include "watchbot_progress/aws_options.hpp"

namespace watchbot_progress::aws {

// The configuration for `service` ("dynamodb", "sns") that `options` and `env` describe:
//   region       options.region, else the ARN's region, else AWS_REGION, AWS_DEFAULT_REGION, the
//                profile's (resolve_region)
//   endpoint     options.endpoint, else AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the default
//                (resolve_endpoint)
//   retries      options.max_attempts when > 0, else AWS_MAX_ATTEMPTS, else 3
//   timeouts     options.connect_timeout and request_timeout
//   credentials  a StaticCredentialsProvider of options' keys when given, else `default_credentials`
// `what` names the options in messages ("SnsOptions::aws"). Throws ConfigError when
// options.max_attempts is outside 0..100, when only one of the two keys is given, and as
// resolve_region, resolve_endpoint and RetryPolicy::from_env do.
AwsClientConfig client_config(std::string service, const AwsOptions& options, const std::optional<Arn>& arn,
                              const EnvLookup& env, std::shared_ptr<CredentialsProvider> default_credentials,
                              std::string_view what);

// client_config with no options set: everything from the environment. Credentials: with the
// process environment, the process-wide shared_default_credentials_chain(); with an explicit
// `env`, a new DefaultCredentialsChain over it. Throws ConfigError as client_config does.
AwsClientConfig client_config_from_env(std::string service, const std::optional<Arn>& arn = std::nullopt);
AwsClientConfig client_config_from_env(std::string service, const std::optional<Arn>& arn, const EnvLookup& env);

// The default credentials chain over `env` (a new DefaultCredentialsChain).
std::shared_ptr<CredentialsProvider> default_credentials_for(const EnvLookup& env);

}  // namespace watchbot_progress::aws
