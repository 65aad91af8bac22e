#include "context.hpp"

#include <charconv>
#include <cstdlib>
#include <string_view>

#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/open_backend.hpp"

namespace wp = watchbot_progress;

namespace wpcli {

namespace {

const char* env_value(const char* name) {
    const char* value = std::getenv(name);
    return (value != nullptr && *value != '\0') ? value : nullptr;
}

}  // namespace

std::shared_ptr<wp::Backend> Context::open_backend() {
    std::shared_ptr<wp::Backend> backend;
    if (database_given) {
        try {
            backend = wp::open_backend(database);
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
        try {
            backend = wp::open_backend(env);
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
