#pragma once
// From DynamoDbOptions / ProgressTableOptions and the environment to a table name and an AWS
// client configuration. Shared by DynamoDbBackend and create_progress_table.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "aws/arn.hpp"
#include "aws/aws_client.hpp"
#include "aws/env.hpp"
#include "watchbot_progress/aws_options.hpp"
#include "watchbot_progress/dynamodb_options.hpp"

namespace watchbot_progress::detail::dynamodb {

struct ResolvedTable {
    std::string name;              // the table name
    std::optional<aws::Arn> arn;   // when given as an ARN
    std::string display;          // the ARN or the name, as given
};

// A table ARN or name given as input (open_backend's URI). `what` names it in messages. Throws
// InvalidInput when it is not a DynamoDB table ARN (arn:PARTITION:dynamodb:REGION:ACCOUNT:table/NAME)
// or a valid table name (3-255 characters of a-z A-Z 0-9 _ . -). Pure, thread-safe.
ResolvedTable parse_table(const std::string& text, std::string_view what);

// `table` (a table ARN or name), else the ProgressTable variable. Throws ConfigError naming
// ProgressTable when neither is set, and for an ARN that is not a DynamoDB table ARN or a name that
// DynamoDB would refuse (3-255 characters of a-z A-Z 0-9 _ . -).
ResolvedTable resolve_table(const std::string& table, const aws::EnvLookup& env = aws::process_env());

// An AwsClient configuration for DynamoDB: `options` first (region, endpoint, retries, timeouts,
// static credentials), then the environment (aws::client_config). Without static keys, a
// DynamoDbBackend gets a default credentials chain of its own, over the environment with
// options.region and options.max_attempts standing in for AWS_REGION and AWS_MAX_ATTEMPTS (so
// that STS calls of assume role follow them too). `what` names the options in messages. Throws
// ConfigError as aws::client_config does.
aws::AwsClientConfig make_client_config(const ResolvedTable& table, const AwsOptions& options, std::string_view what,
                                        const aws::EnvLookup& env = aws::process_env());

// The layout new jobs get: `given`, or for kDefault the WATCHBOT_PROGRESS_DYNAMODB_LAYOUT variable
// (sharded, compatible or auto; unset or empty: sharded). Never returns kDefault. Throws ConfigError
// naming the variable and the accepted values when it holds anything else.
DynamoDbLayout resolve_layout(DynamoDbLayout given, const aws::EnvLookup& env = aws::process_env());

}  // namespace watchbot_progress::detail::dynamodb
