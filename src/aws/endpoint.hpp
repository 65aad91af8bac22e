#pragma once
// Where to send a service's requests, and which region to sign them for.
// Pure functions of their arguments and the given environment; thread-safe.

#include <optional>
#include <string>
#include <string_view>

#include "aws/arn.hpp"
#include "aws/env.hpp"

namespace watchbot_progress::aws {

// The endpoint (scheme://host[:port][/path], no trailing '/') for `service` ("dynamodb", "sns", ...):
//   1. AWS_ENDPOINT_URL_<SERVICE> (service upper-cased, '-' and ' ' as '_': AWS_ENDPOINT_URL_DYNAMODB,
//      AWS_ENDPOINT_URL_SNS),
//   2. AWS_ENDPOINT_URL,
//   3. for dynamodb only, DynamoDbEndpoint (what the Node tool reads),
//   4. https://SERVICE.REGION.amazonaws.com (".amazonaws.com.cn" for cn-* regions; the SSO portal,
//      service "sso", is https://portal.sso.REGION.amazonaws.com).
// Steps 1-3 are skipped when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true. Empty variables are unset.
// Throws ConfigError naming the variable when a configured endpoint is not an http(s) URL, or when
// the default is needed and `region` is empty.
std::string resolve_endpoint(std::string_view service, std::string_view region, const EnvLookup& env = process_env());

// The signing region: the ARN's region when the ARN has one, else AWS_REGION, else
// AWS_DEFAULT_REGION, else `region` in the profile in use (AWS_PROFILE, else "default") of the
// shared config (load_shared_config: the config file, with the credentials file's keys over it).
// Throws ConfigError saying to set AWS_REGION when none is available or the value is malformed, or
// when a shared file exists but cannot be read.
std::string resolve_region(const std::optional<Arn>& arn, const EnvLookup& env = process_env());

// The region without an ARN: AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`; nullopt when
// none is set. Throws ConfigError as resolve_region does for a malformed one.
std::optional<std::string> configured_region(const EnvLookup& env = process_env());

// The AWS_ENDPOINT_URL_<SERVICE> variable name for a service.
std::string service_endpoint_variable(std::string_view service);

}  // namespace watchbot_progress::aws
