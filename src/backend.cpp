#include "watchbot_progress/backend.hpp"

#include "watchbot_progress/errors.hpp"

namespace watchbot_progress {

nlohmann::json JobStatus::to_json() const {
    nlohmann::json out = {
        {"jobid", jobid},       {"total", total},   {"remaining", remaining},
        {"progress", progress}, {"failed", failed}, {"metadata", metadata},
        {"reduceSent", reduce_sent},
    };
    if (reason) out["error"] = *reason;
    return out;
}

CompletionResult Backend::complete_part_and_claim_reduce(const std::string& jobid, PartId partid) {
    CompletionResult result;
    result.job_complete = complete_part(jobid, partid);
    if (result.job_complete) result.reduce_claimed = claim_reduce(jobid);
    return result;
}

void Backend::confirm_reduce(const std::string&) {}

bool Backend::reclaim_reduce(const std::string&, std::chrono::milliseconds) { return false; }

std::int64_t Backend::record_failed_part(const std::string& jobid, PartId) {
    throw ConfigError("the backend " + describe() + " cannot record failed parts (job '" + jobid +
                      "'): use a backend that implements Backend::record_failed_part, or no failure tolerance");
}

std::vector<PartId> Backend::list_failed_parts(const std::string& jobid) {
    status(jobid);  // JobDoesNotExist
    return {};
}

namespace {

// Length of the UTF-8 sequence starting at s[i], or 0 when it is not valid UTF-8.
std::size_t utf8_sequence_length(const std::string& s, std::size_t i) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    if (c < 0x80) return 1;
    if ((c & 0xE0) == 0xC0 && c >= 0xC2) n = 2;
    else if ((c & 0xF0) == 0xE0) n = 3;
    else if ((c & 0xF8) == 0xF0 && c <= 0xF4) n = 4;
    else return 0;
    if (i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k) {
        if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
    }
    return n;
}

}  // namespace

void validate_jobid(const std::string& jobid) {
    constexpr std::size_t kMaxJobidBytes = 1024;
    if (jobid.empty()) throw InvalidInput("job id is empty: give a non-empty job id, or none to get a new UUID");
    if (jobid.size() > kMaxJobidBytes) {
        throw InvalidInput("job id is " + std::to_string(jobid.size()) + " bytes long; the limit is " +
                           std::to_string(kMaxJobidBytes) + " bytes");
    }
    for (std::size_t i = 0; i < jobid.size();) {
        const auto c = static_cast<unsigned char>(jobid[i]);
        if (c < 0x20 || c == 0x7F) {
            throw InvalidInput("job id contains a control character at byte " + std::to_string(i) +
                               ": use printable characters only");
        }
        const std::size_t n = utf8_sequence_length(jobid, i);
        if (n == 0) throw InvalidInput("job id is not valid UTF-8 (byte " + std::to_string(i) + ")");
        i += n;
    }
}

void validate_partid(const std::string& jobid, PartId partid, std::int64_t total) {
    if (partid < 0 || partid >= total) {
        throw InvalidInput("part id " + std::to_string(partid) + " is out of range for job '" + jobid + "': it has " +
                           std::to_string(total) + " parts, numbered 0 to " + std::to_string(total - 1));
    }
}

}  // namespace watchbot_progress
