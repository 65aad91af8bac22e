#pragma once
// One job as the dashboard shows it: its status, its state, and its rate and time to finish from
// recent progress.

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "watchbot_progress/backend.hpp"

namespace wpcli::dashboard {

enum class JobState { kRunning, kComplete, kFailed, kStale };

// "running", "complete", "failed", "stale".
const char* state_name(JobState state);

// Parses a state name; nullopt for anything else.
std::optional<JobState> parse_state(const std::string& name);

// failed when the job failed; complete when no part is pending; stale when running and its last
// change (updated_at_ms) is at least `stale_after_ms` before `now_ms`; running otherwise (also when
// the backend or the tool that wrote the job records no change time).
JobState classify(const watchbot_progress::JobStatus& status, std::int64_t now_ms, std::int64_t stale_after_ms);

struct JobSummary {
    watchbot_progress::JobStatus status;
    JobState state = JobState::kRunning;
    std::optional<double> rate;  // parts per second over the recent window; nullopt: not measured yet
};

// The summary as the JSON API sends it:
//   {"jobid", "state", "total", "done", "remaining", "progress", "reduceSent", "reason" (failed only),
//    "rate" (parts/s or null), "etaSeconds" (null unless running with a positive rate),
//    "lastChangeMs" (or null), "lastChangeAgoSeconds" (or null)}
// plus "metadata" when `with_metadata`. Strings are JSON-escaped by nlohmann::json.
nlohmann::json summary_json(const JobSummary& summary, std::int64_t now_ms, bool with_metadata);

}  // namespace wpcli::dashboard
