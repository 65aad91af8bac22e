#pragma once
// A job's failed parts with what their failures said: the parts failed for good
// (Backend::list_failed_parts) and the parts whose failed deliveries were recorded
// (Backend::list_part_failures), merged by part id. What `info --parts failed` and the dashboard's
// job page show. Header-only: the CLI and the dashboard's library share it.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "watchbot_progress/backend.hpp"

namespace watchbot_progress::detail {

struct FailedPart {
    watchbot_progress::PartId partid = 0;
    bool failed_for_good = false;                          // listed by list_failed_parts
    std::optional<watchbot_progress::PartFailure> record;  // its newest recorded failure, when kept
};

// The job's failed parts, ascending: two reads (JobDoesNotExist for an unknown job).
inline std::vector<FailedPart> failed_parts_of(watchbot_progress::Backend& backend, const std::string& jobid) {
    std::map<watchbot_progress::PartId, FailedPart> parts;
    for (const auto partid : backend.list_failed_parts(jobid)) parts[partid] = {partid, true, std::nullopt};
    for (auto& record : backend.list_part_failures(jobid)) {
        FailedPart& part = parts[record.partid];
        part.partid = record.partid;
        part.record = std::move(record);
    }
    std::vector<FailedPart> out;
    out.reserve(parts.size());
    for (auto& [partid, part] : parts) out.push_back(std::move(part));
    return out;
}

// One failed part as JSON: {"partid", "failedForGood"} plus, when a failure was recorded,
// "attempts", "failedAt" (ms since the Unix epoch), "text" and "exitCode" (when the worker was a command).
inline nlohmann::json failed_part_json(const FailedPart& part) {
    nlohmann::json out = part.record ? part.record->to_json() : nlohmann::json::object();
    out["partid"] = part.partid;
    out["failedForGood"] = part.failed_for_good;
    return out;
}

inline nlohmann::json failed_parts_json(const std::vector<FailedPart>& parts) {
    nlohmann::json out = nlohmann::json::array();
    for (const FailedPart& part : parts) out.push_back(failed_part_json(part));
    return out;
}

}  // namespace watchbot_progress::detail
