#include "context.hpp"

#include <charconv>
#include <cstdlib>
#include <string_view>

#include "watchbot_progress/config.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/open_backend.hpp"
#if WP_WITH_AWS
#include "watchbot_progress/dynamodb_backend.hpp"
#endif

namespace wp = watchbot_progress;

namespace wpcli {

namespace {

const char* env_value(const char* name) {
    const char* value = std::getenv(name);
    return (value != nullptr && *value != '\0') ? value : nullptr;
}

// open_backend(uri), or with --dynamodb-layout a DynamoDB backend writing new jobs in that layout.
std::shared_ptr<wp::Backend> open_with_layout(const std::string& uri, const std::string& layout) {
    if (layout.empty()) return wp::open_backend(uri);
    if (uri.rfind("arn:", 0) != 0) {
        throw wp::InvalidInput("--dynamodb-layout applies to a DynamoDB table (arn:aws:dynamodb:...), not to " +
                               uri.substr(0, uri.find(':')) + ": drop it or choose a DynamoDB database");
    }
#if WP_WITH_AWS
    wp::open_backend(uri);  // the same checks of the ARN (InvalidInput) as without the option; sends nothing
    wp::DynamoDbOptions options;
    options.table = uri;
    options.layout = wp::parse_dynamodb_layout(layout);
    return std::make_shared<wp::DynamoDbBackend>(options);
#else
    return wp::open_backend(uri);  // says DynamoDB is not built in
#endif
}

}  // namespace

std::shared_ptr<wp::Backend> Context::open_backend() {
    std::shared_ptr<wp::Backend> backend;
    if (database_given) {
        try {
            backend = open_with_layout(database, dynamodb_layout);
        } catch (const wp::InvalidInput& e) {
            throw wp::InvalidInput(std::string("--database: ") + e.what());
        }
    } else {
        const char* env = env_value("ProgressTable");
        if (env == nullptr) {
            throw wp::ConfigError(
                "no database given: pass -d/--database (a DynamoDB table ARN, redis://host:port/db or "
                "sqlite:///path/file.db) or set the ProgressTable environment variable");
        }
        if (!dynamodb_layout.empty() && std::string_view(env).rfind("arn:", 0) != 0) {
            throw wp::InvalidInput(
                "--dynamodb-layout applies to a DynamoDB table, and ProgressTable names another database: drop the "
                "option or pass -d arn:aws:dynamodb:...");
        }
        try {
            backend = open_with_layout(env, dynamodb_layout);
        } catch (const wp::InvalidInput& e) {
            throw wp::ConfigError(std::string("the ProgressTable environment variable: ") + e.what());
        }
    }
    backend_description = backend->describe();
    return backend;
}

std::shared_ptr<wp::Notifier> Context::open_notifier(const std::string& topic) {
    if (!topic.empty()) {
        try {
            return wp::open_notifier(topic);
        } catch (const wp::InvalidInput& e) {
            throw wp::InvalidInput(std::string("--topic: ") + e.what());
        }
    }
    const char* env = env_value("WorkTopic");
    if (env == nullptr) {
        throw wp::ConfigError(
            "no topic given: pass --topic (an SNS topic ARN or sqlite:///path/queue.db) or set the WorkTopic "
            "environment variable");
    }
    try {
        return wp::open_notifier(env);
    } catch (const wp::InvalidInput& e) {
        throw wp::ConfigError(std::string("the WorkTopic environment variable: ") + e.what());
    }
}

CLI::Option* add_database_option(CLI::App& sub, Context& ctx) {
    return sub
        .add_option("-d,--database", ctx.database,
                    "Where jobs are stored: a DynamoDB table ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME), "
                    "redis://[:password@]host[:port][/db] or sqlite:///path/to/file.db. "
                    "Default: the ProgressTable environment variable")
        ->type_name("URI")
        ->each([&ctx](const std::string&) { ctx.database_given = true; });
}

CLI::Option* add_dynamodb_layout_option(CLI::App& sub, Context& ctx) {
    return sub
        .add_option("--dynamodb-layout", ctx.dynamodb_layout,
                    "DynamoDB only: the layout of the new job. sharded (the default): flat cost per completion at "
                    "every job size, read by this library only; compatible: the Python and Node tools' layout, for "
                    "jobs they must read or work (cost per completion grows with the job; at most ~80,000 parts); "
                    "auto: compatible up to 10,000 parts, sharded above. Default: the "
                    "WATCHBOT_PROGRESS_DYNAMODB_LAYOUT environment variable, else sharded")
        ->check(CLI::IsMember({"sharded", "compatible", "auto"}))
        ->type_name("LAYOUT");
}

CLI::Option* add_jobid_argument(CLI::App& sub, std::string& jobid) {
    return sub.add_option("jobid", jobid, "The job id")->required()->type_name("JOBID");
}

CLI::Validator integer_in_range() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            std::string_view digits = text;
            if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
            long long value = 0;
            const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
            if (ec == std::errc::result_out_of_range) {
                return "'" + text.substr(0, 40) + "' is out of range (-9223372036854775808 to 9223372036854775807)";
            }
            return {};  // anything else is converted (and refused when malformed) by CLI11
        },
        "");
}

void check_part_id(long long partid, const char* option) {
    if (partid < 0) {
        throw wp::InvalidInput(std::string(option) + " " + std::to_string(partid) +
                               " is negative: part ids are numbered from 0");
    }
}

}  // namespace wpcli
