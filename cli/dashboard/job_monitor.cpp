#include "job_monitor.hpp"

#include <algorithm>
#include <exception>
#include <set>

namespace wpcli::dashboard {

namespace wp = watchbot_progress;

namespace {

// Whether a page would show something different: the job set or any job's fields.
bool same_jobs(const std::vector<JobSummary>& a, const std::vector<JobSummary>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto& x = a[i].status;
        const auto& y = b[i].status;
        if (x.jobid != y.jobid || x.total != y.total || x.remaining != y.remaining || x.failed != y.failed ||
            x.reason != y.reason || x.metadata != y.metadata || x.reduce_sent != y.reduce_sent ||
            x.updated_at_ms != y.updated_at_ms || a[i].state != b[i].state || a[i].rate != b[i].rate) {
            return false;
        }
    }
    return true;
}

}  // namespace

JobMonitor::JobMonitor(std::shared_ptr<wp::Backend> backend, MonitorOptions options)
    : backend_(std::move(backend)),
      options_(std::move(options)),
      history_(options_.rate_window),
      snapshot_(std::make_shared<Snapshot>()) {}

JobMonitor::~JobMonitor() { stop(); }

void JobMonitor::poll_once() {
    std::lock_guard poll_lock(poll_mutex_);
    std::vector<wp::JobStatus> statuses;
    std::string error;
    try {
        backend_->list_jobs([&](const wp::JobStatus& s) { statuses.push_back(s); });
    } catch (const std::exception& e) {
        error = e.what();
    }
    const std::int64_t now = wp::read_clock(options_.clock);
    std::lock_guard lock(mutex_);
    auto next = std::make_shared<Snapshot>();
    next->time_ms = now;
    if (!error.empty()) {
        next->jobs = snapshot_->jobs;
        next->error = error;
    } else {
        std::sort(statuses.begin(), statuses.end(),
                  [](const wp::JobStatus& a, const wp::JobStatus& b) { return a.jobid < b.jobid; });
        std::set<std::string> present;
        for (auto& s : statuses) {
            history_.record(s.jobid, now, s.total - s.remaining);
            present.insert(s.jobid);
        }
        history_.keep_only(present);
        next->jobs.reserve(statuses.size());
        for (auto& s : statuses) {
            JobSummary summary;
            summary.state = classify(s, now, options_.stale_after.count());
            summary.rate = history_.rate(s.jobid);
            summary.status = std::move(s);
            next->jobs.push_back(std::move(summary));
        }
    }
    const bool changed = snapshot_->version == 0 || next->error != snapshot_->error || !same_jobs(next->jobs, snapshot_->jobs);
    next->version = snapshot_->version + (changed ? 1 : 0);
    snapshot_ = std::move(next);
    if (changed) changed_.notify_all();
}

void JobMonitor::start() {
    poll_once();
    thread_ = std::thread([this] { run(); });
}

void JobMonitor::run() {
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            wake_.wait_for(lock, options_.interval, [&] { return stopping_ || poll_requested_; });
            if (stopping_) return;
            poll_requested_ = false;
        }
        poll_once();
    }
}

void JobMonitor::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    changed_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void JobMonitor::poll_now() {
    {
        std::lock_guard lock(mutex_);
        poll_requested_ = true;
    }
    wake_.notify_all();
}

std::shared_ptr<const Snapshot> JobMonitor::snapshot() const {
    std::lock_guard lock(mutex_);
    return snapshot_;
}

std::shared_ptr<const Snapshot> JobMonitor::wait_for_change(std::uint64_t seen, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return stopping_ || snapshot_->version > seen; });
    return snapshot_;
}

bool JobMonitor::stopped() const {
    std::lock_guard lock(mutex_);
    return stopping_;
}

}  // namespace wpcli::dashboard
