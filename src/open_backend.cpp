#include "watchbot_progress/open_backend.hpp"
#include "watchbot_progress/built_in_support.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <mutex>

#include "core/excerpt.hpp"
#include "watchbot_progress/config.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/memory_backend.hpp"
#include "watchbot_progress/memory_notifier.hpp"
#if WP_WITH_REDIS
#include "watchbot_progress/redis_backend.hpp"
#endif
#if WP_WITH_AWS
#include "notifiers/sns/sns_batch.hpp"
#include "backends/dynamodb/dynamodb_config.hpp"
#include "watchbot_progress/dynamodb_backend.hpp"
#include "watchbot_progress/sns_notifier.hpp"
#endif
#if WP_WITH_SQLITE
#include "watchbot_progress/local_queue.hpp"
#include "watchbot_progress/sqlite_backend.hpp"
#include "watchbot_progress/sqlite_options.hpp"
#endif

namespace watchbot_progress {

namespace {

constexpr const char* kBackendForms =
    "expected a DynamoDB table ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME), "
    "redis[s]://[[user]:password@]host[:port][/db], sqlite:///path/to/file.db or memory://[name]";
constexpr const char* kNotifierForms =
    "expected an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:TOPIC), sqlite:///path/to/queue.db or memory://[name]";

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

[[noreturn, maybe_unused]] void not_built(std::string_view what, std::string_view option) {
    throw ConfigError(std::string(what) + " support is not built into this library: rebuild with -D" + std::string(option) + "=ON");
}

// Named in-process instances, so that memory://NAME means the same store within one process.
template <class T>
std::shared_ptr<T> named_instance(std::string_view name) {
    static std::mutex mutex;
    static std::map<std::string, std::shared_ptr<T>, std::less<>> instances;
    std::lock_guard lock(mutex);
    auto it = instances.find(name);
    if (it == instances.end()) it = instances.emplace(std::string(name), std::make_shared<T>()).first;
    return it->second;
}

// A URI for messages, quoted, on one line, at most 200 characters, and never with its user info
// (a password): everything before the last '@' is hidden, whatever the scheme and however it is
// spelt (REDIS://, " redis://", rediss://, a mistyped scheme). A clean scheme stays, to say what was given.
std::string quoted(std::string_view uri) {
    std::string shown;
    if (const std::size_t at = uri.rfind('@'); at != std::string_view::npos) {
        const std::size_t sep = uri.substr(0, at).find("://");
        const std::string_view scheme = sep == std::string_view::npos ? std::string_view() : uri.substr(0, sep);
        const bool clean = !scheme.empty() && scheme.size() <= 16 && std::isalpha(static_cast<unsigned char>(scheme[0])) &&
                           std::all_of(scheme.begin(), scheme.end(), [](char c) {
                               return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
                           });
        shown = (clean ? std::string(scheme) + "://" : std::string()) + "[redacted]@";
        uri = uri.substr(at + 1);
    }
    return "'" + shown + detail::excerpt(uri, 200) + "'";
}

}  // namespace

namespace {

// must_exist: a sqlite:// URI naming a file that does not exist throws DatabaseDoesNotExist. A
// malformed URI returns: the opener then says what is wrong with it.
void refuse_missing_sqlite([[maybe_unused]] std::string_view uri) {
#if WP_WITH_SQLITE
    if (!starts_with(uri, "sqlite://")) return;
    SqliteOptions options;
    try {
        options = parse_sqlite_uri(uri);
    } catch (const InvalidInput&) {
        return;
    }
    struct stat st {};
    if (::stat(options.path.c_str(), &st) == 0) return;
    if (errno != ENOENT) return;  // e.g. no permission: SQLite's own error says more
    throw DatabaseDoesNotExist(options.path, "SQLite database '" + options.path +
                                                 "' does not exist (nothing was created): check the path, or open "
                                                 "it without must_exist to create it");
#endif
}

}  // namespace

std::shared_ptr<Backend> open_backend(std::string_view uri) { return open_backend(uri, OpenBackendOptions{}); }

std::shared_ptr<Backend> open_backend(std::string_view uri, const OpenBackendOptions& options) {
    if (options.must_exist) refuse_missing_sqlite(uri);
    if (!options.dynamodb_layout.empty() && !starts_with(uri, "arn:")) {
        throw InvalidInput("a DynamoDB layout applies to a DynamoDB table (arn:aws:dynamodb:...), not to " +
                           quoted(uri) + ": drop the layout or choose a DynamoDB database");
    }
    if (starts_with(uri, "arn:")) {
#if WP_WITH_AWS
        // A malformed ARN is bad input (InvalidInput) like any other bad URI; what the backend's
        // constructor still refuses after this check (no region, a bad endpoint variable) is
        // configuration (ConfigError).
        detail::dynamodb::parse_table(std::string(uri), "DynamoDB table ARN");
        DynamoDbOptions backend_options;
        backend_options.table = std::string(uri);
        if (!options.dynamodb_layout.empty()) backend_options.layout = parse_dynamodb_layout(options.dynamodb_layout);
        return std::make_shared<DynamoDbBackend>(backend_options);
#else
        not_built("DynamoDB", "WP_WITH_AWS");
#endif
    }
    if (starts_with(uri, "redis://") || starts_with(uri, "rediss://")) {
#if WP_WITH_REDIS
        return RedisBackend::from_uri(uri);
#else
        not_built("Redis", "WP_WITH_REDIS");
#endif
    }
    if (starts_with(uri, "sqlite://")) {
#if WP_WITH_SQLITE
        return SqliteBackend::from_uri(uri);
#else
        not_built("SQLite", "WP_WITH_SQLITE");
#endif
    }
    if (starts_with(uri, "memory://")) return named_instance<MemoryBackend>(uri.substr(9));
    throw InvalidInput("unsupported database " + quoted(uri) + ": " + kBackendForms);
}

std::shared_ptr<Notifier> open_notifier(std::string_view uri) {
    if (starts_with(uri, "arn:")) {
#if WP_WITH_AWS
        try {
            detail::sns::parse_sns_topic_arn(uri, "topic");
        } catch (const ConfigError& e) {
            throw InvalidInput(e.what());  // bad input, like any other bad URI (see open_backend)
        }
        SnsOptions options;
        options.topic_arn = std::string(uri);
        return std::make_shared<SnsNotifier>(options);
#else
        not_built("SNS", "WP_WITH_AWS");
#endif
    }
    if (starts_with(uri, "sqlite://")) {
#if WP_WITH_SQLITE
        return LocalQueueNotifier::from_uri(uri);
#else
        not_built("SQLite", "WP_WITH_SQLITE");
#endif
    }
    if (starts_with(uri, "memory://")) return named_instance<MemoryNotifier>(uri.substr(9));
    throw InvalidInput("unsupported topic " + quoted(uri) + ": " + kNotifierForms);
}

std::shared_ptr<LocalQueue> open_local_queue(std::string_view uri, bool must_exist) {
#if WP_WITH_SQLITE
    if (must_exist) refuse_missing_sqlite(uri);
    return LocalQueue::from_uri(uri);
#else
    (void)uri;
    (void)must_exist;
    not_built("SQLite", "WP_WITH_SQLITE");
#endif
}

namespace {
std::string require_env(const char* name, const char* what) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
        throw ConfigError(std::string("no ") + what + " given and the " + name + " environment variable is not set: set " +
                          name + " or pass one in the options");
    }
    return value;
}
}  // namespace

std::shared_ptr<Backend> default_backend() {
    try {
        return open_backend(require_env("ProgressTable", "backend"));
    } catch (const InvalidInput& e) {
        throw ConfigError(std::string("the ProgressTable environment variable: ") + e.what());
    }
}

std::shared_ptr<Notifier> default_notifier() {
    try {
        return open_notifier(require_env("WorkTopic", "topic"));
    } catch (const InvalidInput& e) {
        throw ConfigError(std::string("the WorkTopic environment variable: ") + e.what());
    }
}

std::shared_ptr<Notifier> default_alert_notifier() {
    const char* value = std::getenv("AlertTopic");
    if (value == nullptr || *value == '\0') return nullptr;
    try {
        return open_notifier(value);
    } catch (const InvalidInput& e) {
        throw ConfigError(std::string("the AlertTopic environment variable: ") + e.what());
    }
}

BuiltInSupport built_in_support() {
    BuiltInSupport support;
#if WP_WITH_AWS
    support.backends.emplace_back("dynamodb");
    support.notifiers.emplace_back("sns");
#endif
#if WP_WITH_REDIS
    support.backends.emplace_back("redis");
#endif
#if WP_WITH_SQLITE
    support.backends.emplace_back("sqlite");
    support.notifiers.emplace_back("local-queue");
    support.local_queue = true;
#endif
    support.backends.emplace_back("memory");
    support.notifiers.emplace_back("memory");
    return support;
}

}  // namespace watchbot_progress
