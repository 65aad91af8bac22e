#pragma once
// Recent progress of each job, for the dashboard's rate and time to finish: the (time, parts done)
// samples of the last `window`, per job. Not thread-safe: its owner (JobMonitor) locks.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace wpcli::dashboard {

class ProgressHistory {
public:
    explicit ProgressHistory(std::chrono::milliseconds window) : window_(window) {}

    // Records that `jobid` had `done` parts done at `time_ms` (a clock that never goes back).
    // Samples older than the window before `time_ms` are dropped, except the newest of them, so a
    // job that stopped moving keeps a rate of 0 rather than none.
    void record(const std::string& jobid, std::int64_t time_ms, std::int64_t done);

    // Parts per second over the recorded samples: (newest done - oldest done) / elapsed time.
    // nullopt when fewer than two samples span some time (nothing to measure yet). A job whose done
    // count went down (recreated with overwrite) is measured from that point.
    std::optional<double> rate(const std::string& jobid) const;

    // Forgets every job not in `present` (deleted jobs).
    void keep_only(const std::set<std::string>& present);

private:
    struct Sample {
        std::int64_t time_ms;
        std::int64_t done;
    };
    std::chrono::milliseconds window_;
    std::map<std::string, std::deque<Sample>> samples_;
};

}  // namespace wpcli::dashboard
