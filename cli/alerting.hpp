#pragma once
// What `monitor` and `serve` share for alerts: the alert topic's default and the printing of a
// monitor pass's events (the library's monitor_pass, watchbot_progress/monitor.hpp).

#include <functional>
#include <string>

#include "watchbot_progress/monitor.hpp"

namespace wpcli {

// The alert topic: `given` (--alert-topic) when non-empty, else the AlertTopic environment variable;
// empty when neither is set.
std::string alert_topic_or_env(const std::string& given);

// Prints a monitor pass's events: one JSON line on stdout per alert sent ({"event": "alert"} plus
// the alert message's fields) and per reduce repaired ({"event": "repair", "jobid", "action":
// "reduce-sent"}); failures on stderr, each setting `*failed` (which must outlive the function).
std::function<void(const watchbot_progress::MonitorEvent&)> print_monitor_events(bool* failed);

}  // namespace wpcli
