#include "aws/endpoint.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

#include "core/ascii.hpp"
#include "aws/shared_config.hpp"
#include "aws/url.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress::aws {
namespace {

bool valid_region(std::string_view region) {
    return !region.empty() && std::all_of(region.begin(), region.end(), [](unsigned char c) {
        return std::islower(c) != 0 || std::isdigit(c) != 0 || c == '-';
    });
}

std::string checked_endpoint(const std::string& value, const std::string& variable) {
    try {
        ParsedUrl url = parse_url(value);
        if (url.scheme != "http" && url.scheme != "https") throw InvalidInput("not http(s)");
        if (!url.query.empty()) throw InvalidInput("has a query");
    } catch (const InvalidInput&) {
        throw ConfigError(variable + " is '" + redact_url(value) +
                          "', which is not an endpoint URL: set it to http(s)://host[:port], e.g. "
                          "http://127.0.0.1:8000");
    }
    std::string out = value;
    while (!out.empty() && out.back() == '/') out.pop_back();
    return out;
}

}  // namespace

std::string service_endpoint_variable(std::string_view service) {
    std::string name = "AWS_ENDPOINT_URL_";
    for (unsigned char c : service) {
        name.push_back(c == '-' || c == ' ' ? '_' : static_cast<char>(std::toupper(c)));
    }
    return name;
}

std::string resolve_endpoint(std::string_view service, std::string_view region, const EnvLookup& env) {
    const std::string service_name = watchbot_progress::detail::ascii_lower(service);
    if (!env_true(env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) {
        std::vector<std::string> variables{service_endpoint_variable(service_name), "AWS_ENDPOINT_URL"};
        if (service_name == "dynamodb") variables.emplace_back("DynamoDbEndpoint");
        for (const auto& variable : variables) {
            if (auto value = env_non_empty(env, variable)) return checked_endpoint(*value, variable);
        }
    }
    if (!valid_region(region)) {
        throw ConfigError("no region to build the " + service_name +
                          " endpoint from: set AWS_REGION (e.g. us-east-1), or an endpoint with " +
                          service_endpoint_variable(service_name));
    }
    const std::string suffix = region.starts_with("cn-") ? ".amazonaws.com.cn" : ".amazonaws.com";
    // The SSO portal's host is not its service name (botocore's endpoint rules for "sso").
    const std::string host_prefix = service_name == "sso" ? "portal.sso" : service_name;
    return "https://" + host_prefix + "." + std::string(region) + suffix;
}

std::optional<std::string> configured_region(const EnvLookup& env) {
    for (const char* variable : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
        if (auto value = env_non_empty(env, variable)) {
            if (!valid_region(*value)) {
                throw ConfigError(std::string(variable) + " is '" + *value +
                                  "', which is not a region name: set AWS_REGION to e.g. us-east-1");
            }
            return *value;
        }
    }
    // The profile's `region` (botocore's config_file method of the "region" setting).
    const SharedConfig config = load_shared_config(env);
    const std::string profile_name = selected_profile(env);
    if (auto profile = config.profile(profile_name)) {
        if (auto value = ini_value(*profile, "region")) {
            if (!valid_region(*value)) {
                throw ConfigError("the region '" + *value + "' of profile '" + profile_name + "' in " +
                                  config.describe_files() + " is not a region name: set it to e.g. us-east-1");
            }
            return *value;
        }
    }
    return std::nullopt;
}

std::string resolve_region(const std::optional<Arn>& arn, const EnvLookup& env) {
    if (arn && !arn->region.empty()) {
        if (!valid_region(arn->region)) {
            throw ConfigError("the ARN's region '" + arn->region + "' is malformed: fix the ARN");
        }
        return arn->region;
    }
    if (auto region = configured_region(env)) return *region;
    throw ConfigError("no AWS region configured: set AWS_REGION (e.g. us-east-1) or `region` in the profile '" +
                      selected_profile(env) + "' of " + config_file_path(env) +
                      ", or use a full ARN that names the region");
}

}  // namespace watchbot_progress::aws
