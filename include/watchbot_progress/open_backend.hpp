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

#include <memory>
#include <string>
#include <string_view>

#include "watchbot_progress/backend.hpp"
#include "watchbot_progress/export.hpp"
#include "watchbot_progress/notifier.hpp"

namespace watchbot_progress {

// Throws InvalidInput saying what is wrong when `uri` is malformed (an unknown scheme, a bad Redis
// or SQLite URI, an ARN that is not a DynamoDB table / SNS topic ARN); ConfigError when the backend
// it names was not built into this library, or when the environment it needs is missing or bad
// (e.g. no AWS region for an ARN without one). Opening sends no request.
WATCHBOT_PROGRESS_EXPORT std::shared_ptr<Backend> open_backend(std::string_view uri);
WATCHBOT_PROGRESS_EXPORT std::shared_ptr<Notifier> open_notifier(std::string_view uri);

// From the `ProgressTable` / `WorkTopic` environment variables; ConfigError naming the variable when
// it is unset, empty or malformed.
WATCHBOT_PROGRESS_EXPORT std::shared_ptr<Backend> default_backend();
WATCHBOT_PROGRESS_EXPORT std::shared_ptr<Notifier> default_notifier();

}  // namespace watchbot_progress
