#pragma once
// monitor: one pass over every job that sends the alerts nobody else sends (alerts.hpp), and repairs
// what `sweep` repairs. What the CLI's `watchbot-progress-cpp monitor` runs on an interval (or once,
// from cron or a scheduled ECS task), and `serve` beside its dashboard when given an alert topic.
//
// A pass reads the job list once (Backend::list_jobs) and, against `clock`, sends:
//   failed          a failed job's alert, when nobody sent it (its failing worker had no alert
//                   topic, or died between failing the job and sending the alert);
//   stalled         parts pending, not failed, and no change (JobStatus::updated_at_ms) for
//                   stall_after; jobs that record no change time (the Python and Node tools') never;
//   reduce-overdue  complete, not failed, and its reduce claimed but unconfirmed for reduce_lease
//                   (JobStatus::reduce_claimed_at_ms), or never claimed and unchanged for
//                   reduce_lease (jobs of this library only, as sweep judges them).
// Each at most once per job and state (Backend::claim_alert): any number of monitors, passes and
// workers may run at once, and a new monitor (a restarted process) sends nothing already sent.
// Then, with `repair` set, it runs sweep (sweep.hpp) with those options: lost reduces are sent.
//
// One job's failure (its claim, its reads, its publishing) does not stop the pass: it is reported
// (MonitorEvent kAlertFailed), and the pass goes on; so does a failing repair (kRepairFailed).

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "watchbot_progress/alerts.hpp"
#include "watchbot_progress/backend.hpp"
#include "watchbot_progress/export.hpp"
#include "watchbot_progress/notifier.hpp"
#include "watchbot_progress/sweep.hpp"

namespace watchbot_progress {

struct MonitorEvent {
    enum class Kind {
        kAlertSent,     // `alert` was published by this pass
        kAlertFailed,   // sending the alert of `state` about `jobid` threw `error` (its mark given back
                        // when nothing went out: a later pass sends it)
        kRepair,        // sweep reported `repair` (a reduce sent, a job deleted, ...)
        kRepairFailed,  // sweep itself threw `error` (what its events did not already report)
    };
    Kind kind = Kind::kAlertSent;
    std::string jobid;
    AlertState state = AlertState::kFailed;
    Alert alert;                       // kAlertSent
    std::optional<SweepEvent> repair;  // kRepair
    std::exception_ptr error;          // kAlertFailed, kRepairFailed
};

struct MonitorOptions {
    // Where alerts go. Required (InvalidInput when null).
    std::shared_ptr<Notifier> alerts;
    // Only these jobs (read one by one; an unknown or deleted one is skipped); empty: every job
    // (Backend::list_jobs). The repair's sweep gets the same list when its own is empty.
    std::vector<std::string> jobids;
    // A job with pending parts and no change for this long is stalled.
    std::chrono::milliseconds stall_after = std::chrono::minutes(30);
    // A complete job whose reduce claim stays unconfirmed this long (or that nobody claimed for this
    // long) is reduce-overdue. The Part guard's PartOptions::reduce_lease is 3 minutes.
    std::chrono::milliseconds reduce_lease = std::chrono::minutes(5);
    // Jobs unchanged (JobStatus::updated_at_ms) for longer than this are left alone: the jobs of
    // before the monitor ran (a first pass over an old database alerts no old failure). Zero or
    // negative: no limit. Jobs that record no change time (other tools') have no age: a failed one
    // is alerted whatever its age.
    std::chrono::milliseconds ignore_older_than = std::chrono::hours(24 * 7);
    // After the alerts, run sweep with these options (their clock, when empty, is this one): what
    // `sweep` repairs is repaired. Empty: no repair.
    std::optional<SweepOptions> repair;
    // The time ages are measured against; empty: the system clock.
    WallClock clock;
    // Called for each event as it happens (optional).
    std::function<void(const MonitorEvent&)> on_event;
};

struct MonitorResult {
    std::size_t jobs = 0;           // jobs looked at
    std::size_t alerts_sent = 0;    // alerts this pass published
    std::size_t alerts_failed = 0;  // alerts whose sending threw
    std::optional<SweepResult> repair;  // the sweep's result, when it ran and returned
    bool repair_failed = false;     // the sweep threw (kRepairFailed)
};

// One pass (see above). Throws InvalidInput when options.alerts is null, and what listing the jobs
// (or reading a named one, but JobDoesNotExist) throws; everything else is reported through
// on_event and counted.
WATCHBOT_PROGRESS_EXPORT MonitorResult monitor_pass(Backend& backend, const MonitorOptions& options);

}  // namespace watchbot_progress
