#pragma once
// Private to src/job: the one way the Part guard and the monitor send an alert they detected.

#include <functional>
#include <optional>
#include <string>

#include "watchbot_progress/alerts.hpp"
#include "watchbot_progress/backend.hpp"
#include "watchbot_progress/notifier.hpp"

namespace watchbot_progress::detail {

// Takes the mark of (jobid, state); when this call wins it, builds the alert (make_alert: the job's
// numbers now, `reason`, `now_ms`), calls `hook` with it (when set; what it throws is reported on
// stderr and changes nothing) and publishes it to `notifier` (when not null: publish_claimed_alert).
// Returns the alert when this call won the mark, nullopt when another caller had it. Throws what
// claiming, reading or publishing throws; the mark is given back when building the alert fails, and
// as publish_claimed_alert says when publishing does.
std::optional<Alert> send_alert_once(Backend& backend, Notifier* notifier, const std::string& jobid, AlertState state,
                                     const std::string& reason, std::int64_t now_ms,
                                     const std::function<void(const Alert&)>& hook = {});

}  // namespace watchbot_progress::detail
