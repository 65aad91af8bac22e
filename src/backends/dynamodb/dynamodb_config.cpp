#include "backends/dynamodb/dynamodb_config.hpp"

#include "aws/credentials.hpp"
#include "core/excerpt.hpp"
#include "aws/client_config.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress::detail::dynamodb {

namespace {

constexpr const char* kTableForms =
    "give the table's ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME) or its name";

// For messages: at most 300 bytes, on one line.
std::string shown(std::string_view text) { return detail::excerpt(text, 300); }

void validate_table_name(const std::string& name, const std::string& given) {
    bool ok = name.size() >= 3 && name.size() <= 255;
    for (char c : name) {
        const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                             c == '.' || c == '-';
        ok = ok && allowed;
    }
    if (!ok) {
        throw InvalidInput("'" + shown(given) +
                           "' does not name a DynamoDB table: a table name is 3 to 255 characters of a-z, A-Z, 0-9, "
                           "'_', '.' and '-'; " + kTableForms);
    }
}

}  // namespace

}  // namespace watchbot_progress::detail::dynamodb

namespace watchbot_progress {

DynamoDbLayout parse_dynamodb_layout(std::string_view name) {
    if (name == "sharded") return DynamoDbLayout::kSharded;
    if (name == "compatible") return DynamoDbLayout::kCompatible;
    if (name == "auto") return DynamoDbLayout::kAuto;
    throw InvalidInput("'" + detail::dynamodb::shown(std::string(name.substr(0, 300))) +
                       "' is not a DynamoDB layout: use sharded (the default: flat cost at every job size), "
                       "compatible (jobs the Python and Node tools must read) or auto (compatible up to the "
                       "sharded threshold, sharded above)");
}

std::string_view to_string(DynamoDbLayout layout) {
    switch (layout) {
        case DynamoDbLayout::kDefault: return "default";
        case DynamoDbLayout::kSharded: return "sharded";
        case DynamoDbLayout::kCompatible: return "compatible";
        case DynamoDbLayout::kAuto: return "auto";
    }
    return "default";
}

}  // namespace watchbot_progress

namespace watchbot_progress::detail::dynamodb {

ResolvedTable parse_table(const std::string& text, std::string_view what) {
    ResolvedTable out;
    out.display = text;
    if (aws::looks_like_arn(text)) {
        out.arn = aws::parse_arn(text, what);
        const std::string& resource = out.arn->resource;
        if (out.arn->service != "dynamodb" || resource.rfind("table/", 0) != 0 ||
            resource.find('/', 6) != std::string::npos) {
            throw InvalidInput("'" + shown(text) + "' is not a DynamoDB table ARN: " + kTableForms);
        }
        out.name = resource.substr(6);
    } else {
        out.name = text;
    }
    validate_table_name(out.name, text);
    return out;
}

ResolvedTable resolve_table(const std::string& table, const aws::EnvLookup& env) {
    ResolvedTable out;
    out.display = table;
    if (out.display.empty()) {
        if (auto value = aws::env_non_empty(env, "ProgressTable")) out.display = *value;
    }
    if (out.display.empty()) {
        throw ConfigError(
            "no DynamoDB table given and the ProgressTable environment variable is not set: set ProgressTable to the "
            "table's ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME) or pass DynamoDbOptions::table");
    }
    try {
        return parse_table(out.display, table.empty() ? "ProgressTable" : "DynamoDB table");
    } catch (const InvalidInput& e) {
        throw ConfigError(e.what());
    }
}

aws::AwsClientConfig make_client_config(const ResolvedTable& table, const AwsOptions& options, std::string_view what,
                                        const aws::EnvLookup& env) {
    // Explicit settings take the place of the variables they override.
    aws::EnvLookup overlay = [env, options](const std::string& name) -> std::optional<std::string> {
        if (name == "AWS_REGION" && !options.region.empty()) return options.region;
        if (name == "AWS_ENDPOINT_URL_DYNAMODB" && !options.endpoint.empty()) return options.endpoint;
        if (name == "AWS_MAX_ATTEMPTS" && options.max_attempts > 0) return std::to_string(options.max_attempts);
        return env(name);
    };
    return aws::client_config("dynamodb", options, table.arn, overlay, aws::default_credentials_for(overlay), what);
}

DynamoDbLayout resolve_layout(DynamoDbLayout given, const aws::EnvLookup& env) {
    if (given != DynamoDbLayout::kDefault) return given;
    const auto value = aws::env_non_empty(env, kDynamoDbLayoutVariable);
    if (!value) return DynamoDbLayout::kSharded;
    try {
        return parse_dynamodb_layout(*value);
    } catch (const InvalidInput& e) {
        throw ConfigError(std::string("the ") + kDynamoDbLayoutVariable + " environment variable: " + e.what());
    }
}

}  // namespace watchbot_progress::detail::dynamodb
