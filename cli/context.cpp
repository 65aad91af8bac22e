#include "context.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "core/excerpt.hpp"
#include "exit_codes.hpp"
#include "watchbot_progress/config.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/open_backend.hpp"
#if WP_WITH_SQLITE
#include "watchbot_progress/local_queue.hpp"
#endif

namespace wp = watchbot_progress;

namespace wpcli {

namespace {

const char* env_value(const char* name) {
    const char* value = std::getenv(name);
    return (value != nullptr && *value != '\0') ? value : nullptr;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

constexpr const char* kNoDatabase = "check the path, or create a job there first with `create` or `set-total`";

// What kind of database a URI names, for messages: its scheme when it is a clean one ("redis://"),
// else "that database". Never more of the URI: it may hold a password, however its scheme is spelt.
std::string scheme_of(std::string_view uri) {
    const std::size_t sep = uri.find("://");
    const std::string_view scheme = sep == std::string_view::npos ? std::string_view() : uri.substr(0, sep);
    const bool clean = !scheme.empty() && scheme.size() <= 16 && std::isalpha(static_cast<unsigned char>(scheme[0])) &&
                       std::all_of(scheme.begin(), scheme.end(), [](char c) {
                           return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
                       });
    return clean ? std::string(scheme) + "://" : std::string("that database");
}

// wp::open_backend(uri) with --dynamodb-layout and, with Missing::kRefuse, a sqlite:// file that
// must exist (else ExitError(kExitJobFailed), nothing created).
std::shared_ptr<wp::Backend> open_selected(const std::string& uri, const std::string& layout, Context::Missing missing) {
    if (!layout.empty() && uri.rfind("arn:", 0) != 0) {
        throw wp::InvalidInput("--dynamodb-layout applies to a DynamoDB table (arn:aws:dynamodb:...), not to " +
                               scheme_of(uri) + ": drop it or choose a DynamoDB database");
    }
    wp::OpenBackendOptions options;
    options.dynamodb_layout = layout;
    options.must_exist = missing == Context::Missing::kRefuse;
    try {
        return wp::open_backend(uri, options);
    } catch (const wp::DatabaseDoesNotExist& e) {
        throw missing_database(e, kNoDatabase);
    }
}

}  // namespace

ExitError missing_database(const watchbot_progress::DatabaseDoesNotExist& e, const std::string& what_to_do) {
    return ExitError(kExitJobFailed,
                     "SQLite database '" + e.path() + "' does not exist (nothing was created): " + what_to_do);
}

std::shared_ptr<wp::Backend> Context::open_backend(Missing missing) {
    std::shared_ptr<wp::Backend> backend;
    if (database_given) {
        try {
            backend = open_selected(database, dynamodb_layout, missing);
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
            backend = open_selected(env, dynamodb_layout, missing);
        } catch (const wp::InvalidInput& e) {
            throw wp::ConfigError(std::string("the ProgressTable environment variable: ") + e.what());
        }
    }
    backend_description = backend->describe();
    return backend;
}

std::shared_ptr<wp::Notifier> Context::open_notifier(const std::string& topic) {
    // A memory:// topic beside a database that outlives this command: messages for nobody.
    const char* env_database = env_value("ProgressTable");
    const std::string selected = database_given ? database : (env_database != nullptr ? env_database : "");
    const bool memory_database = starts_with(selected, "memory://");
    const auto memory_topic_refused = [](const std::string& where) {
        return where + " is memory://, an in-process topic that ends with this command: its messages would reach "
                       "no worker while the job stays in the database. Give an SNS topic ARN or a local queue "
                       "(sqlite:///path/queue.db)";
    };
    if (!topic.empty()) {
        if (starts_with(topic, "memory://") && !memory_database) throw wp::InvalidInput(memory_topic_refused("--topic"));
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
    if (starts_with(env, "memory://") && !memory_database) {
        throw wp::ConfigError(memory_topic_refused("the WorkTopic environment variable"));
    }
    try {
        return wp::open_notifier(env);
    } catch (const wp::InvalidInput& e) {
        throw wp::ConfigError(std::string("the WorkTopic environment variable: ") + e.what());
    }
}

std::string local_queue_uri(const std::string& given) {
    if (!given.empty()) return given;
    const char* env = env_value("WorkTopic");
    if (env != nullptr && starts_with(env, "sqlite://")) return env;
    throw wp::ConfigError("no queue given: pass --queue sqlite:///path/queue.db or set WorkTopic to one");
}

#if WP_WITH_SQLITE
std::shared_ptr<wp::LocalQueue> open_existing_local_queue(const std::string& given) {
    const std::string uri = local_queue_uri(given);
    try {
        return wp::open_local_queue(uri, /*must_exist=*/true);
    } catch (const wp::DatabaseDoesNotExist& e) {
        throw missing_database(e, "check --queue (or WorkTopic), or send a message there first with `send`: no queue "
                                  "was ever made there");
    } catch (const wp::InvalidInput& e) {
        throw wp::InvalidInput(std::string("--queue: ") + e.what());
    }
}
#endif

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

void add_parts_input_options(CLI::App& sub, std::string& format, std::size_t& workers) {
    sub.add_option("--format", format, "The input format; auto: '[' first means an array, else JSON Lines")
        ->check(CLI::IsMember({"auto", "array", "lines"}))
        ->capture_default_str();
    sub.add_option("--workers", workers, "Batches published at once")
        ->check(integer_in_range("a number of batches, 1 or more"))
        ->capture_default_str()
        ->type_name("N");
}

CLI::Option* add_jobid_argument(CLI::App& sub, std::string& jobid) {
    return sub.add_option("jobid", jobid, "The job id")->required()->type_name("JOBID");
}

CLI::Validator integer_in_range(const std::string& expected) {
    return CLI::Validator(
        [expected](std::string& text) -> std::string {
            std::string_view digits = text;
            if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
            long long value = 0;
            const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
            const std::string shown = watchbot_progress::detail::excerpt(text, 40);
            if (ec == std::errc::result_out_of_range) {
                return "'" + shown + "' is out of range (-9223372036854775808 to 9223372036854775807): expected " + expected;
            }
            if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) {
                return "'" + shown + "' is not a whole number: expected " + expected;
            }
            return {};
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
