#include "job_summary.hpp"

#include <cmath>

namespace wpcli::dashboard {

const char* state_name(JobState state) {
    switch (state) {
        case JobState::kRunning: return "running";
        case JobState::kComplete: return "complete";
        case JobState::kFailed: return "failed";
        case JobState::kStale: return "stale";
    }
    return "running";
}

std::optional<JobState> parse_state(const std::string& name) {
    for (const JobState s : {JobState::kRunning, JobState::kComplete, JobState::kFailed, JobState::kStale}) {
        if (name == state_name(s)) return s;
    }
    return std::nullopt;
}

JobState classify(const watchbot_progress::JobStatus& status, std::int64_t now_ms, std::int64_t stale_after_ms) {
    if (status.failed) return JobState::kFailed;
    if (status.complete()) return JobState::kComplete;
    if (status.updated_at_ms && now_ms - *status.updated_at_ms >= stale_after_ms) return JobState::kStale;
    return JobState::kRunning;
}

nlohmann::json summary_json(const JobSummary& summary, std::int64_t now_ms, bool with_metadata) {
    const auto& s = summary.status;
    nlohmann::json j = {
        {"jobid", s.jobid},
        {"state", state_name(summary.state)},
        {"total", s.total},
        {"done", s.total - s.remaining},
        {"remaining", s.remaining},
        {"progress", s.progress},
        {"reduceSent", s.reduce_sent},
        {"rate", nullptr},
        {"etaSeconds", nullptr},
        {"lastChangeMs", nullptr},
        {"lastChangeAgoSeconds", nullptr},
    };
    if (s.failed) j["reason"] = s.reason.value_or("");
    if (summary.rate && std::isfinite(*summary.rate)) {
        j["rate"] = *summary.rate;
        const bool moving = summary.state == JobState::kRunning || summary.state == JobState::kStale;
        if (moving && *summary.rate > 0.0) j["etaSeconds"] = static_cast<double>(s.remaining) / *summary.rate;
    }
    if (s.updated_at_ms) {
        j["lastChangeMs"] = *s.updated_at_ms;
        j["lastChangeAgoSeconds"] = static_cast<double>(now_ms - *s.updated_at_ms) / 1000.0;
    }
    if (with_metadata) j["metadata"] = s.metadata;
    return j;
}

}  // namespace wpcli::dashboard
