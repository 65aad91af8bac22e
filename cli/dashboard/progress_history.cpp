#include "progress_history.hpp"

namespace wpcli::dashboard {

void ProgressHistory::record(const std::string& jobid, std::int64_t time_ms, std::int64_t done) {
    auto& samples = samples_[jobid];
    if (!samples.empty() && done < samples.back().done) samples.clear();  // recreated: start again
    if (!samples.empty() && samples.back().time_ms == time_ms) {
        samples.back().done = done;
    } else {
        samples.push_back({time_ms, done});
    }
    // Keep one sample at or before the window's start, so the rate covers the whole window.
    const std::int64_t start = time_ms - window_.count();
    while (samples.size() > 2 && samples[1].time_ms <= start) samples.pop_front();
}

std::optional<double> ProgressHistory::rate(const std::string& jobid) const {
    const auto it = samples_.find(jobid);
    if (it == samples_.end() || it->second.size() < 2) return std::nullopt;
    const Sample& first = it->second.front();
    const Sample& last = it->second.back();
    if (last.time_ms <= first.time_ms) return std::nullopt;
    return static_cast<double>(last.done - first.done) * 1000.0 / static_cast<double>(last.time_ms - first.time_ms);
}

void ProgressHistory::keep_only(const std::set<std::string>& present) {
    for (auto it = samples_.begin(); it != samples_.end();) {
        it = present.count(it->first) ? std::next(it) : samples_.erase(it);
    }
}

}  // namespace wpcli::dashboard
