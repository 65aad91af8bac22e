// One monitor pass (monitor.hpp): the alerts nobody else sends, then sweep's repairs.
#include "watchbot_progress/monitor.hpp"

#include <utility>
#include <vector>

#include "job/alert_sender.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress {

namespace {

// "42m", "1h5m", "30s", "250ms": a duration in the largest units that say it.
std::string human_duration(std::int64_t ms) {
    if (ms < 1000) return std::to_string(ms) + "ms";
    std::int64_t s = ms / 1000;
    const std::int64_t h = s / 3600;
    const std::int64_t m = (s % 3600) / 60;
    s %= 60;
    std::string out;
    if (h > 0) out += std::to_string(h) + "h";
    if (m > 0) out += std::to_string(m) + "m";
    if (s > 0 || out.empty()) out += std::to_string(s) + "s";
    return out;
}

struct Finding {
    std::string jobid;
    AlertState state;
    std::string reason;
};

// The alert the job's status calls for at `now`, if any (one per job: the states exclude each other).
std::optional<Finding> finding_of(const JobStatus& s, std::int64_t now, const MonitorOptions& options) {
    const std::int64_t max_age = options.ignore_older_than.count();
    if (max_age > 0 && s.updated_at_ms && now - *s.updated_at_ms > max_age) return std::nullopt;  // before our time
    if (s.failed) {
        return Finding{s.jobid, AlertState::kFailed, s.reason && !s.reason->empty() ? *s.reason : "no reason recorded"};
    }
    const std::int64_t stall_after = options.stall_after.count();
    const std::int64_t lease = options.reduce_lease.count();
    if (!s.complete()) {
        if (!s.updated_at_ms) return std::nullopt;  // another tool's job: no change time
        const std::int64_t idle = now - *s.updated_at_ms;
        if (idle < stall_after) return std::nullopt;
        return Finding{s.jobid, AlertState::kStalled,
                       std::to_string(s.remaining) + " of " + std::to_string(s.total) +
                           " parts pending and no part completed for " + human_duration(idle) + " (stall after " +
                           human_duration(stall_after) +
                           "): are its workers running, or its messages in the dead-letter queue?"};
    }
    if (s.reduce_sent) {
        if (s.reduce_confirmed || !s.reduce_claimed_at_ms) return std::nullopt;  // sent, or another tool's mark
        const std::int64_t age = now - *s.reduce_claimed_at_ms;
        if (age < lease) return std::nullopt;
        return Finding{s.jobid, AlertState::kReduceOverdue,
                       "complete; its reduce was claimed " + human_duration(age) +
                           " ago and never confirmed sent (lease " + human_duration(lease) +
                           "): the worker that claimed it died or is stuck; a later delivery or `sweep` sends it"};
    }
    if (!s.updated_at_ms) return std::nullopt;  // another tool's job: its users may send the reduce themselves
    const std::int64_t age = now - *s.updated_at_ms;
    if (age < lease) return std::nullopt;
    return Finding{s.jobid, AlertState::kReduceOverdue,
                   "complete for " + human_duration(age) + " and its reduce never claimed (lease " +
                       human_duration(lease) + "): sending it failed and was never retried; `sweep` sends it"};
}

}  // namespace

MonitorResult monitor_pass(Backend& backend, const MonitorOptions& options) {
    if (!options.alerts) throw InvalidInput("monitor: no alert notifier given (MonitorOptions::alerts): say where alerts go");
    const auto emit = [&](const MonitorEvent& e) {
        if (options.on_event) options.on_event(e);
    };
    MonitorResult result;
    const std::int64_t now = read_clock(options.clock);
    std::vector<Finding> findings;
    const auto look_at = [&](const JobStatus& s) {
        ++result.jobs;
        if (auto f = finding_of(s, now, options)) findings.push_back(std::move(*f));
    };
    if (options.jobids.empty()) {
        backend.list_jobs(look_at);
    } else {
        for (const std::string& jobid : options.jobids) {
            try {
                look_at(backend.status(jobid));
            } catch (const JobDoesNotExist&) {
            }
        }
    }

    for (const Finding& f : findings) {
        MonitorEvent event;
        event.jobid = f.jobid;
        event.state = f.state;
        try {
            std::optional<Alert> sent = detail::send_alert_once(backend, options.alerts.get(), f.jobid, f.state, f.reason, now);
            if (!sent) continue;  // sent already, or by another caller now
            ++result.alerts_sent;
            event.kind = MonitorEvent::Kind::kAlertSent;
            event.alert = std::move(*sent);
        } catch (const JobDoesNotExist&) {
            continue;  // deleted since the listing
        } catch (...) {
            ++result.alerts_failed;
            event.kind = MonitorEvent::Kind::kAlertFailed;
            event.error = std::current_exception();
        }
        emit(event);
    }

    if (options.repair) {
        SweepOptions sweep_options = *options.repair;
        if (!sweep_options.clock) sweep_options.clock = options.clock;
        if (sweep_options.jobids.empty()) {
            // sweep refuses an unknown named job: only those that still exist.
            for (const std::string& jobid : options.jobids) {
                try {
                    backend.status(jobid);
                    sweep_options.jobids.push_back(jobid);
                } catch (const JobDoesNotExist&) {
                }
            }
            if (!options.jobids.empty() && sweep_options.jobids.empty()) return result;
        }
        const auto on_sweep_event = sweep_options.on_event;
        sweep_options.on_event = [&](const SweepEvent& e) {
            if (on_sweep_event) on_sweep_event(e);
            MonitorEvent event;
            event.kind = MonitorEvent::Kind::kRepair;
            event.jobid = e.jobid;
            event.repair = e;
            emit(event);
        };
        try {
            result.repair = sweep(backend, sweep_options);
        } catch (...) {
            result.repair_failed = true;
            MonitorEvent event;
            event.kind = MonitorEvent::Kind::kRepairFailed;
            event.error = std::current_exception();
            emit(event);
        }
    }
    return result;
}

}  // namespace watchbot_progress
