#include "metrics.hpp"

#include <algorithm>
#include <exception>
#include <iterator>
#include <optional>
#include <tuple>
#include <vector>

#include "job_summary.hpp"
#include "prometheus_text.hpp"

namespace wp = watchbot_progress;

namespace wpcli::dashboard {

namespace {

// A running job kept for the per-job series.
struct RecentJob {
    std::string jobid;
    std::int64_t total = 0;
    std::int64_t remaining = 0;
    std::optional<std::int64_t> created_at_ms;
};

// Most recent first: a later creation time, then (no time recorded: the other tools' jobs, last) the
// job id, so that the choice is the same at every scrape.
bool more_recent(const RecentJob& a, const RecentJob& b) {
    const std::int64_t ta = a.created_at_ms.value_or(-1);
    const std::int64_t tb = b.created_at_ms.value_or(-1);
    return std::tie(tb, a.jobid) < std::tie(ta, b.jobid);
}

double age_seconds(std::int64_t now_ms, std::int64_t since_ms) {
    return static_cast<double>(std::max<std::int64_t>(0, now_ms - since_ms)) / 1000.0;
}

}  // namespace

std::string metrics_text(wp::Backend& backend, const MetricsOptions& options) {
    const std::int64_t now_ms = wp::read_clock(options.clock);
    std::size_t by_state[4] = {0, 0, 0, 0};  // JobState's order
    std::size_t reduces_sent = 0, reduces_confirmed = 0, reduces_unsent = 0;
    std::int64_t reduce_repairs = 0;
    std::size_t alerts_sent[std::size(wp::kAlertStates)] = {};  // kAlertStates' order
    std::optional<std::int64_t> oldest_created_ms;  // of the running jobs that record it
    std::vector<RecentJob> recent;  // a heap of at most max_jobs, its top the least recent
    backend.list_jobs([&](const wp::JobStatus& s) {
        const JobState state = classify(s, now_ms, options.stale_after.count());
        ++by_state[static_cast<int>(state)];
        if (s.reduce_sent) ++reduces_sent;
        if (s.reduce_sent && s.reduce_confirmed) ++reduces_confirmed;
        if (state == JobState::kComplete && !s.reduce_sent) ++reduces_unsent;
        reduce_repairs += s.reduce_repairs;
        for (const wp::AlertState sent : s.alerts_sent) {
            const auto index = static_cast<std::size_t>(sent);  // the enum's values are kAlertStates' indexes
            if (index < std::size(alerts_sent)) ++alerts_sent[index];
        }
        if (state != JobState::kRunning && state != JobState::kStale) return;
        if (s.created_at_ms) oldest_created_ms = std::min(oldest_created_ms.value_or(*s.created_at_ms), *s.created_at_ms);
        if (options.max_jobs == 0) return;
        RecentJob job{s.jobid, s.total, s.remaining, s.created_at_ms};
        if (recent.size() < options.max_jobs) {
            recent.push_back(std::move(job));
            std::push_heap(recent.begin(), recent.end(), more_recent);
        } else if (more_recent(job, recent.front())) {
            std::pop_heap(recent.begin(), recent.end(), more_recent);
            recent.back() = std::move(job);
            std::push_heap(recent.begin(), recent.end(), more_recent);
        }
    });
    std::sort(recent.begin(), recent.end(), more_recent);

    PrometheusText out;
    out.family("watchbot_progress_jobs", "gauge",
               "Jobs in the store by state: running (parts pending), stale (running, unchanged for the stale "
               "time), complete (no part pending), failed");
    for (const JobState state : {JobState::kRunning, JobState::kStale, JobState::kComplete, JobState::kFailed}) {
        out.sample("watchbot_progress_jobs", {{"state", state_name(state)}},
                   static_cast<double>(by_state[static_cast<int>(state)]));
    }
    out.family("watchbot_progress_reduces_sent", "gauge",
               "Jobs whose reduce is claimed: sent, or being sent (reduceSent)");
    out.sample("watchbot_progress_reduces_sent", static_cast<double>(reduces_sent));
    out.family("watchbot_progress_reduces_confirmed", "gauge",
               "Jobs whose reduce was sent and confirmed by its sender (jobs of the Python and Node tools never are)");
    out.sample("watchbot_progress_reduces_confirmed", static_cast<double>(reduces_confirmed));
    out.family("watchbot_progress_reduces_unsent", "gauge",
               "Complete jobs, not failed, whose reduce nobody claimed (what sweep and monitor repair)");
    out.sample("watchbot_progress_reduces_unsent", static_cast<double>(reduces_unsent));
    out.family("watchbot_progress_reduce_repairs", "gauge",
               "Lost reduces that sweep or monitor's repair sent, summed over the jobs in the store");
    out.sample("watchbot_progress_reduce_repairs", static_cast<double>(reduce_repairs));
    out.family("watchbot_progress_alerts_sent", "gauge",
               "Alerts sent (their once-per-job marks taken) about the jobs in the store, by state");
    for (const wp::AlertState state : wp::kAlertStates) {
        out.sample("watchbot_progress_alerts_sent", {{"state", wp::to_string(state)}},
                   static_cast<double>(alerts_sent[static_cast<std::size_t>(state)]));
    }
    out.family("watchbot_progress_oldest_pending_part_age_seconds", "gauge",
               "Seconds since the oldest pending part of any running job was created (parts are pending from "
               "their job's creation); 0 when no running job records its creation time");
    out.sample("watchbot_progress_oldest_pending_part_age_seconds",
               oldest_created_ms ? age_seconds(now_ms, *oldest_created_ms) : 0.0);

    out.family("watchbot_progress_job_parts", "gauge",
               "Parts of the most recently created running jobs (at most --metrics-jobs) by state: pending, "
               "complete, failed (failed for good under failure tolerance)");
    std::vector<std::size_t> failed_counts;
    for (const RecentJob& job : recent) failed_counts.push_back(backend.list_failed_parts(job.jobid).size());
    for (std::size_t i = 0; i < recent.size(); ++i) {
        const RecentJob& job = recent[i];
        out.sample("watchbot_progress_job_parts", {{"jobid", job.jobid}, {"state", "pending"}},
                   static_cast<double>(job.remaining));
        out.sample("watchbot_progress_job_parts", {{"jobid", job.jobid}, {"state", "complete"}},
                   static_cast<double>(job.total - job.remaining));
        out.sample("watchbot_progress_job_parts", {{"jobid", job.jobid}, {"state", "failed"}},
                   static_cast<double>(failed_counts[i]));
    }
    out.family("watchbot_progress_job_oldest_pending_part_age_seconds", "gauge",
               "Seconds since the job's oldest pending part was created (its job's creation), for the jobs of "
               "watchbot_progress_job_parts that record their creation time");
    for (const RecentJob& job : recent) {
        if (!job.created_at_ms) continue;
        out.sample("watchbot_progress_job_oldest_pending_part_age_seconds", {{"jobid", job.jobid}},
                   age_seconds(now_ms, *job.created_at_ms));
    }
    return out.text();
}

MetricsEndpoint::MetricsEndpoint(std::shared_ptr<wp::Backend> backend, MetricsOptions options)
    : backend_(std::move(backend)), options_(std::move(options)) {}

MetricsReply MetricsEndpoint::scrape() {
    std::lock_guard lock(mutex_);
    try {
        return {200, kPrometheusContentType, metrics_text(*backend_, options_)};
    } catch (const std::exception& e) {
        return {503, "text/plain; charset=utf-8",
                std::string("cannot read the jobs from the store (the next scrape tries again): ") + e.what() + "\n"};
    }
}

}  // namespace wpcli::dashboard
