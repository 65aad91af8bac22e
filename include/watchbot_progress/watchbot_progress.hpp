#pragma once
// Umbrella header: the whole public API of watchbot-progress for C++.

#include "watchbot_progress/config.hpp"
#include "watchbot_progress/alerts.hpp"
#include "watchbot_progress/backend.hpp"
#include "watchbot_progress/command.hpp"
#include "watchbot_progress/command_part.hpp"
#include "watchbot_progress/delivery_metrics.hpp"
#include "watchbot_progress/error_codes.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/forwarding.hpp"
#include "watchbot_progress/job.hpp"
#include "watchbot_progress/job_facts_cache.hpp"
#include "watchbot_progress/memory_backend.hpp"
#include "watchbot_progress/memory_notifier.hpp"
#include "watchbot_progress/messages.hpp"
#include "watchbot_progress/monitor.hpp"
#include "watchbot_progress/notifier.hpp"
#include "watchbot_progress/open_backend.hpp"
#include "watchbot_progress/part.hpp"
#include "watchbot_progress/reduce.hpp"
#include "watchbot_progress/resend.hpp"
#include "watchbot_progress/sweep.hpp"
#include "watchbot_progress/version.hpp"
#if WP_WITH_REDIS
#include "watchbot_progress/redis_backend.hpp"
#endif
#if WP_WITH_SQLITE
#include "watchbot_progress/local_queue.hpp"
#include "watchbot_progress/sqlite_backend.hpp"
#include "watchbot_progress/sqlite_options.hpp"
#endif
#if WP_WITH_AWS
#include "watchbot_progress/dynamodb_backend.hpp"
#include "watchbot_progress/sns_notifier.hpp"
#endif
