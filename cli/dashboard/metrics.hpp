#pragma once
// The Prometheus metrics of `serve` and `monitor --metrics-listen` (GET /metrics), read from the
// store at every scrape: nothing is counted in the process, so a restarted serve or monitor reports
// the same values. docs/operations.md ("Metrics") lists every metric.
//
// One scrape costs one walk of the job list (Backend::list_jobs, what `ls` and the dashboard read:
// each job's status, never its part ids) plus one read per job listed with per-job series
// (Backend::list_failed_parts), at most MetricsOptions::max_jobs of them: the per-job series are
// bounded, whatever the number of jobs.

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>

#include "watchbot_progress/backend.hpp"

namespace wpcli::dashboard {

struct MetricsOptions {
    // Per-job series (parts by state, oldest pending part's age) for at most this many running jobs,
    // the most recently created first. 0: none.
    std::size_t max_jobs = 20;
    // Running jobs unchanged this long count as `stale` (the dashboard's --stale; monitor's --stall-after).
    std::chrono::milliseconds stale_after{3600'000};
    // The time ages are measured against; empty: the system clock.
    watchbot_progress::WallClock clock;
};

// The exposition text (prometheus_text.hpp) of the store's metrics now. Throws what reading the
// store throws (BackendError, ...).
std::string metrics_text(watchbot_progress::Backend& backend, const MetricsOptions& options);

// An HTTP answer to GET /metrics.
struct MetricsReply {
    int status = 200;           // 200, or 503 when the store could not be read
    std::string content_type;   // the exposition format's, or text/plain for an error
    std::string body;
};

// What both servers answer: one scrape at a time (a second waits for the first), so that any number
// of scrapers never read the store more than one walk at a time.
class MetricsEndpoint {
public:
    MetricsEndpoint(std::shared_ptr<watchbot_progress::Backend> backend, MetricsOptions options);

    // The metrics now; a store error becomes a 503 saying what failed (never thrown).
    MetricsReply scrape();

private:
    std::shared_ptr<watchbot_progress::Backend> backend_;
    MetricsOptions options_;
    std::mutex mutex_;
};

}  // namespace wpcli::dashboard
