#pragma once
// What this build of the library contains. The optional parts are chosen when it is built
// (WP_WITH_AWS, WP_WITH_REDIS, WP_WITH_SQLITE); `watchbot-progress-cpp --version` prints this.
// Not included by watchbot_progress.hpp: include it where you need it.

#include <string>
#include <vector>

#include "watchbot_progress/export.hpp"

namespace watchbot_progress {

// Each list holds the names of the kinds open_backend / open_notifier (open_backend.hpp) accept, in
// this order: backends "dynamodb", "redis", "sqlite", "memory"; notifiers "sns", "local-queue"
// (sqlite://), "memory". `local_queue` says whether the local queue (local_queue.hpp, the CLI's run
// and send) is built in. A kind that is absent gives ConfigError from open_backend / open_notifier.
struct BuiltInSupport {
    std::vector<std::string> backends;
    std::vector<std::string> notifiers;
    bool local_queue = false;
};
WATCHBOT_PROGRESS_EXPORT BuiltInSupport built_in_support();

}  // namespace watchbot_progress
