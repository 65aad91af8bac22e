#pragma once
// Backends and notifiers chosen by a string, as the CLI's --database and --topic options and the
// `ProgressTable` / `WorkTopic` environment variables give them.
//
//   backends:  arn:aws:dynamodb:REGION:ACCOUNT:table/NAME    DynamoDB
//              redis://[[user]:password@]host[:port][/db][?db=N]   Redis
//              rediss://...[?cacert=PATH&cert=PATH&key=PATH]       Redis over TLS (RedisBackend::parse_uri)
//              sqlite:///path/to/file.db                     SQLite
//              memory://[name]                                an in-process memory backend (one per name)
//   notifiers: arn:aws:sns:REGION:ACCOUNT:TOPIC               SNS
//              sqlite:///path/to/queue.db                    the local SQLite queue
//              memory://[name]                                an in-process memory notifier (one per name)
//
// This is the library's one composition root: the only place that knows every concrete backend
// and notifier. Programs (the CLI among them) open what a URI names here, with OpenBackendOptions
// for what a URI cannot say.

#include <memory>
#include <string>
#include <string_view>

#include "watchbot_progress/backend.hpp"
#include "watchbot_progress/export.hpp"
#include "watchbot_progress/notifier.hpp"

namespace watchbot_progress {

class LocalQueue;

// What open_backend takes besides the URI.
struct OpenBackendOptions {
    // DynamoDB only: the layout new jobs get, by name ("sharded", "compatible" or "auto", as
    // parse_dynamodb_layout takes them); empty: DynamoDbLayout::kDefault (the
    // WATCHBOT_PROGRESS_DYNAMODB_LAYOUT variable, else sharded). Given with a URI that is not a
    // DynamoDB table ARN, or not a layout's name: InvalidInput.
    std::string dynamodb_layout;
    // SQLite only: the file must exist already. Opening a SQLite file creates it when missing; with
    // must_exist, a sqlite:// URI naming a file that does not exist throws DatabaseDoesNotExist
    // (nothing is created), for callers that only read or change existing jobs. A malformed URI
    // is refused as without it (InvalidInput).
    bool must_exist = false;
};

// Throws InvalidInput saying what is wrong when `uri` is malformed (an unknown scheme, a bad Redis
// or SQLite URI, an ARN that is not a DynamoDB table / SNS topic ARN); ConfigError when the backend
// it names was not built into this library, or when the environment it needs is missing or bad
// (e.g. no AWS region for an ARN without one). Opening sends no request.
WATCHBOT_PROGRESS_EXPORT std::shared_ptr<Backend> open_backend(std::string_view uri);
WATCHBOT_PROGRESS_EXPORT std::shared_ptr<Backend> open_backend(std::string_view uri, const OpenBackendOptions& options);
WATCHBOT_PROGRESS_EXPORT std::shared_ptr<Notifier> open_notifier(std::string_view uri);

// The local queue a sqlite:// URI names (LocalQueue::from_uri: InvalidInput for a malformed URI).
// With must_exist, a file that does not exist: DatabaseDoesNotExist, nothing created. ConfigError
// when SQLite support was not built into this library.
WATCHBOT_PROGRESS_EXPORT std::shared_ptr<LocalQueue> open_local_queue(std::string_view uri, bool must_exist = false);

// From the `ProgressTable` / `WorkTopic` environment variables; ConfigError naming the variable when
// it is unset, empty or malformed.
WATCHBOT_PROGRESS_EXPORT std::shared_ptr<Backend> default_backend();
WATCHBOT_PROGRESS_EXPORT std::shared_ptr<Notifier> default_notifier();

// Where alerts go (alerts.hpp) by default: the notifier the `AlertTopic` environment variable names
// (an SNS topic ARN, or sqlite:///path/queue.db for a local queue), or null when it is unset or empty
// (no alerts). ConfigError naming the variable when it is malformed.
WATCHBOT_PROGRESS_EXPORT std::shared_ptr<Notifier> default_alert_notifier();

}  // namespace watchbot_progress
