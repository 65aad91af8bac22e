#pragma once
// The dashboard's view of the backend: every job's summary, re-read every `interval` on a thread of
// its own, with a version that goes up whenever something a page shows changed. Pages are told of
// a new version by server-sent events (wait_for_change) and then read the snapshot.
//
// Thread-safe: snapshot(), wait_for_change(), poll_now() and stop() may be called from any thread.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "job_summary.hpp"
#include "progress_history.hpp"
#include "watchbot_progress/backend.hpp"

namespace wpcli::dashboard {

struct MonitorOptions {
    std::chrono::milliseconds interval{2000};        // between two reads of the job list
    std::chrono::milliseconds stale_after{3600'000};  // running jobs unchanged this long are stale
    std::chrono::milliseconds rate_window{300'000};   // the rate is measured over this much recent time
    watchbot_progress::WallClock clock;               // empty: the system clock
};

struct Snapshot {
    std::uint64_t version = 0;  // 0: not read yet
    std::int64_t time_ms = 0;   // when the list was read
    std::vector<JobSummary> jobs;  // ordered by job id
    std::string error;             // the last read failed: why (the jobs are those of the read before)
};

class JobMonitor {
public:
    JobMonitor(std::shared_ptr<watchbot_progress::Backend> backend, MonitorOptions options);
    ~JobMonitor();  // stops the thread

    // Reads the job list once, now, on the calling thread (start() does it every interval). A
    // backend error is kept in the snapshot's `error`, not thrown.
    void poll_once();

    // Starts the polling thread (a first read is made before it returns).
    void start();
    // Stops the thread and wakes every wait_for_change. Idempotent.
    void stop();
    // Asks the thread to read again without waiting for the interval (after an action).
    void poll_now();

    std::shared_ptr<const Snapshot> snapshot() const;

    // Waits until the version is greater than `seen`, `timeout` passed or stop() was called.
    // Returns the current snapshot.
    std::shared_ptr<const Snapshot> wait_for_change(std::uint64_t seen, std::chrono::milliseconds timeout);

    bool stopped() const;

private:
    void run();

    std::shared_ptr<watchbot_progress::Backend> backend_;
    MonitorOptions options_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;  // a new version, or stopping
    std::condition_variable wake_;     // poll_now or stopping
    std::mutex poll_mutex_;            // one read of the list at a time
    ProgressHistory history_;
    std::shared_ptr<const Snapshot> snapshot_;
    bool stopping_ = false;
    bool poll_requested_ = false;
    std::thread thread_;
};

}  // namespace wpcli::dashboard
