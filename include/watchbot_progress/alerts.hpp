#pragma once
// Alerts: a job that goes wrong tells someone, without anyone polling. An alert is one message
// (subject kAlertSubject, body alert_message_body) published to an alert notifier (an SNS topic
// subscribed by e-mail, chat or a pager; the local queue in local runs), never to the work topic:
// watchbot must not run it.
//
// States:
//   failed          the job is failed: a part's exception matched fail_job_on, a `worker` command's
//                   exit code matched --fail-job-on-exit, or more parts failed for good than
//                   failure tolerance allows. Sent by the process that failed the job (the Part
//                   guard); by the monitor for a job whose failing worker died before sending it.
//   part-dead       a part failed on its last delivery (its message goes to the dead-letter queue)
//                   under failure tolerance, and the job goes on. Sent by the Part guard.
//   stalled         parts pending and no change for the monitor's stall_after (monitor.hpp).
//   reduce-overdue  complete, and its reduce claimed but unconfirmed past the lease, or not claimed
//                   at all (monitor.hpp).
//
// At most once per job and state, however many processes see the state at once: the sender first
// takes the state's mark in the backend (Backend::claim_alert: atomic, exactly one caller wins) and
// only the winner publishes. set_total with overwrite (a new job) forgets the marks.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "watchbot_progress/export.hpp"

namespace watchbot_progress {

class Backend;
class Notifier;

enum class AlertState {
    kFailed,
    kStalled,
    kReduceOverdue,
    kPartDead,
};

// Every state, in declaration order.
inline constexpr AlertState kAlertStates[] = {AlertState::kFailed, AlertState::kStalled, AlertState::kReduceOverdue,
                                              AlertState::kPartDead};

// "failed", "stalled", "reduce-overdue", "part-dead": the `state` of the message.
WATCHBOT_PROGRESS_EXPORT std::string to_string(AlertState state);
// The state a to_string name names; InvalidInput listing the names for anything else.
WATCHBOT_PROGRESS_EXPORT AlertState parse_alert_state(std::string_view name);

// The subject of every alert message: not "map" nor "reduce", so that a watchbot worker that got it
// by mistake would not take it for work.
inline constexpr const char* kAlertSubject = "watchbot-progress-alert";

// The most part ids an alert lists (Alert::first_failed_parts).
inline constexpr std::size_t kAlertMaxListedParts = 10;

// One alert, as its message carries it (docs/wire-formats.md):
//   {"jobid", "state", "total", "remaining", "failedParts", "reason", "firstFailedParts", "time"}
struct WATCHBOT_PROGRESS_EXPORT Alert {
    std::string jobid;
    AlertState state = AlertState::kFailed;
    std::int64_t total = 0;
    std::int64_t remaining = 0;
    // Parts recorded failed for good (failure tolerance; Backend::list_failed_parts), and the first
    // kAlertMaxListedParts of them, ascending.
    std::int64_t failed_parts = 0;
    std::vector<std::int64_t> first_failed_parts;
    // What happened, for a person: the job's failure reason, how long it has been stalled, ...
    std::string reason;
    // When the alert was made, in milliseconds since the Unix epoch ("time" is its ISO 8601 UTC text).
    std::int64_t time_ms = 0;

    nlohmann::json to_json() const;
    // The message's body read back (what a subscriber's program does); InvalidInput when it is not
    // an alert message.
    static Alert from_json(const nlohmann::json& body);
};

// The JSON text of the alert's message.
WATCHBOT_PROGRESS_EXPORT std::string alert_message_body(const Alert& alert);

// An alert of `state` about `jobid` with the job's numbers as the backend has them now (status and
// list_failed_parts: two reads), `reason` and the time `now_ms`. Throws what the reads throw
// (JobDoesNotExist, BackendError).
WATCHBOT_PROGRESS_EXPORT Alert make_alert(Backend& backend, const std::string& jobid, AlertState state,
                                          std::string reason, std::int64_t now_ms);

// Sends `alert` at most once per job and state: takes the state's mark (Backend::claim_alert) and,
// when this call won it, publishes the message to `notifier`. Returns whether this call published
// it (false: another caller, now or before, took the mark). When publishing fails the error is
// thrown; the mark is given back first (Backend::release_alert, so that a later detection sends it)
// when nothing can have gone out (publish_outcome_unknown is false, reduce.hpp), and kept when the
// outcome is unknown (the alert may be out: at most once wins over at least once). Throws what
// claim_alert throws (JobDoesNotExist; ConfigError from a backend that cannot claim alerts).
WATCHBOT_PROGRESS_EXPORT bool send_alert(Backend& backend, Notifier& notifier, const Alert& alert);

// The step of send_alert after the mark is taken, for a caller that took it (claim_alert returned
// true): publishes the message; when that throws, gives the mark back if nothing can have gone out
// (as send_alert) and throws the publishing error. When giving it back fails too, says so on stderr
// and still throws the publishing error.
WATCHBOT_PROGRESS_EXPORT void publish_claimed_alert(Backend& backend, Notifier& notifier, const Alert& alert);

}  // namespace watchbot_progress
