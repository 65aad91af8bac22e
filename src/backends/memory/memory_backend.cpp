#include "watchbot_progress/memory_backend.hpp"

#include <chrono>
#include <map>
#include <set>
#include <unordered_map>

#include "core/claim_token.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress {

namespace {

struct Job {
    std::int64_t total = 0;
    std::set<PartId> pending;
    std::set<PartId> failed_parts;  // failed for good (failure tolerance)
    std::map<PartId, PartFailure> part_failures;  // record_part_failure: at most kMaxPartFailureRecords
    bool failed = false;
    std::string reason;
    nlohmann::json metadata = nlohmann::json::object();
    bool reduce_sent = false;
    bool reduce_confirmed = false;
    ClaimToken claim_token;  // the holder of the claim, while reduce_sent
    std::int64_t reduce_claimed_at_ms = 0;
    std::int64_t updated_at_ms = 0;
    std::int64_t created_at_ms = 0;
    std::set<AlertState> alerts;  // the alert marks taken (claim_alert)
    std::int64_t reduce_repairs = 0;  // record_reduce_repair
};

ClaimToken take_claim(Job& job, std::int64_t now) {
    job.reduce_sent = true;
    job.reduce_confirmed = false;
    job.reduce_claimed_at_ms = now;
    job.updated_at_ms = now;
    job.claim_token = detail::new_claim_token();
    return job.claim_token;
}

void drop_claim(Job& job) {
    job.reduce_sent = false;
    job.reduce_confirmed = false;
    job.reduce_claimed_at_ms = 0;
    job.claim_token.clear();
}

bool holds_claim(const Job& job, const ClaimToken& token) {
    return job.reduce_sent && !token.empty() && job.claim_token == token;
}

JobStatus make_status(const std::string& jobid, const Job& job) {
    JobStatus s;
    s.jobid = jobid;
    s.total = job.total;
    s.remaining = static_cast<std::int64_t>(job.pending.size());
    s.progress = job.total > 0 ? static_cast<double>(job.total - s.remaining) / static_cast<double>(job.total) : 0.0;
    s.failed = job.failed;
    if (job.failed) s.reason = job.reason;
    s.metadata = job.metadata;
    s.reduce_sent = job.reduce_sent;
    s.reduce_confirmed = job.reduce_confirmed;
    if (job.reduce_sent) s.reduce_claimed_at_ms = job.reduce_claimed_at_ms;
    s.updated_at_ms = job.updated_at_ms;
    s.created_at_ms = job.created_at_ms;
    for (const AlertState state : kAlertStates) {
        if (job.alerts.contains(state)) s.alerts_sent.push_back(state);
    }
    s.reduce_repairs = job.reduce_repairs;
    return s;
}

}  // namespace

struct MemoryBackend::State {
    WallClock clock;
    std::int64_t now() const { return read_clock(clock); }
    std::mutex mutex;
    std::unordered_map<std::string, Job> jobs;

    Job& find(const std::string& jobid) {
        auto it = jobs.find(jobid);
        if (it == jobs.end()) throw JobDoesNotExist(jobid);
        return it->second;
    }
};

MemoryBackend::MemoryBackend() : state_(std::make_unique<State>()) {}
MemoryBackend::MemoryBackend(WallClock clock) : state_(std::make_unique<State>()) { state_->clock = std::move(clock); }
MemoryBackend::~MemoryBackend() = default;

void MemoryBackend::do_set_total(const std::string& jobid, std::int64_t total, bool overwrite) {
    std::lock_guard lock(state_->mutex);
    auto [it, inserted] = state_->jobs.try_emplace(jobid);
    if (!inserted && !overwrite) {
        throw JobAlreadyExists(jobid);
    }
    Job& job = it->second;
    job.total = total;
    job.pending.clear();
    for (PartId p = 0; p < total; ++p) job.pending.insert(job.pending.end(), p);
    job.failed = false;
    job.reason.clear();
    job.failed_parts.clear();
    job.alerts.clear();
    job.reduce_repairs = 0;
    job.part_failures.clear();
    drop_claim(job);
    job.updated_at_ms = state_->now();
    job.created_at_ms = job.updated_at_ms;
}

void MemoryBackend::do_set_metadata(const std::string& jobid, const nlohmann::json& metadata) {
    std::lock_guard lock(state_->mutex);
    Job& job = state_->find(jobid);
    for (const auto& [key, value] : metadata.items()) job.metadata[key] = value;
    job.updated_at_ms = state_->now();
}

bool MemoryBackend::do_complete_part(const std::string& jobid, PartId partid) {
    std::lock_guard lock(state_->mutex);
    Job& job = state_->find(jobid);
    validate_partid(jobid, partid, job.total);
    if (job.pending.erase(partid) > 0) job.updated_at_ms = state_->now();
    return job.pending.empty();
}

std::optional<ClaimToken> MemoryBackend::do_claim_reduce(const std::string& jobid) {
    std::lock_guard lock(state_->mutex);
    Job& job = state_->find(jobid);
    if (job.reduce_sent || job.failed || !job.pending.empty()) return std::nullopt;
    return take_claim(job, state_->now());
}

void MemoryBackend::do_release_reduce(const std::string& jobid, const ClaimToken& token) {
    std::lock_guard lock(state_->mutex);
    Job& job = state_->find(jobid);
    if (holds_claim(job, token)) drop_claim(job);
}

std::int64_t MemoryBackend::do_record_failed_part(const std::string& jobid, PartId partid) {
    std::lock_guard lock(state_->mutex);
    Job& job = state_->find(jobid);
    validate_partid(jobid, partid, job.total);
    if (job.failed_parts.insert(partid).second) job.updated_at_ms = state_->now();
    return static_cast<std::int64_t>(job.failed_parts.size());
}

std::vector<PartId> MemoryBackend::do_list_failed_parts(const std::string& jobid) {
    std::lock_guard lock(state_->mutex);
    const Job& job = state_->find(jobid);
    return {job.failed_parts.begin(), job.failed_parts.end()};
}

bool MemoryBackend::do_record_part_failure(const std::string& jobid, const PartFailure& failure) {
    std::lock_guard lock(state_->mutex);
    Job& job = state_->find(jobid);
    validate_partid(jobid, failure.partid, job.total);
    auto it = job.part_failures.find(failure.partid);
    if (it != job.part_failures.end()) {
        it->second = failure;
        return true;
    }
    if (job.part_failures.size() >= kMaxPartFailureRecords) return false;
    job.part_failures.emplace(failure.partid, failure);
    return true;
}

std::vector<PartFailure> MemoryBackend::do_list_part_failures(const std::string& jobid) {
    std::lock_guard lock(state_->mutex);
    const Job& job = state_->find(jobid);
    std::vector<PartFailure> out;
    out.reserve(job.part_failures.size());
    for (const auto& [partid, failure] : job.part_failures) out.push_back(failure);
    return out;
}

bool MemoryBackend::do_confirm_reduce(const std::string& jobid, const ClaimToken& token) {
    std::lock_guard lock(state_->mutex);
    Job& job = state_->find(jobid);
    if (!holds_claim(job, token)) return false;
    job.reduce_confirmed = true;
    return true;
}

std::optional<ClaimToken> MemoryBackend::do_reclaim_reduce(const std::string& jobid, std::chrono::milliseconds lease) {
    std::lock_guard lock(state_->mutex);
    Job& job = state_->find(jobid);
    if (job.failed || !job.pending.empty() || !job.reduce_sent || job.reduce_confirmed) return std::nullopt;
    const std::int64_t now = state_->now();
    if (now - job.reduce_claimed_at_ms < lease.count()) return std::nullopt;
    return take_claim(job, now);
}

std::optional<std::string> MemoryBackend::do_failure_reason(const std::string& jobid) {
    std::lock_guard lock(state_->mutex);
    const Job& job = state_->find(jobid);
    if (!job.failed) return std::nullopt;
    return job.reason;
}

CompletionResult MemoryBackend::do_complete_part_and_claim_reduce(const std::string& jobid, PartId partid) {
    std::lock_guard lock(state_->mutex);
    Job& job = state_->find(jobid);
    validate_partid(jobid, partid, job.total);
    if (job.pending.erase(partid) > 0) job.updated_at_ms = state_->now();
    CompletionResult result;
    result.job_complete = job.pending.empty();
    if (result.job_complete && !job.reduce_sent && !job.failed) result.reduce_claim = take_claim(job, state_->now());
    return result;
}

void MemoryBackend::do_fail_job(const std::string& jobid, const std::string& reason) {
    std::lock_guard lock(state_->mutex);
    Job& job = state_->find(jobid);
    job.failed = true;
    job.reason = reason;
    job.updated_at_ms = state_->now();
}

JobStatus MemoryBackend::do_status(const std::string& jobid) {
    std::lock_guard lock(state_->mutex);
    return make_status(jobid, state_->find(jobid));
}

bool MemoryBackend::do_part_complete(const std::string& jobid, PartId partid) {
    std::lock_guard lock(state_->mutex);
    Job& job = state_->find(jobid);
    validate_partid(jobid, partid, job.total);
    return job.pending.count(partid) == 0;
}

std::vector<PartId> MemoryBackend::do_list_pending_parts(const std::string& jobid) {
    std::lock_guard lock(state_->mutex);
    const Job& job = state_->find(jobid);
    return {job.pending.begin(), job.pending.end()};
}

void MemoryBackend::do_list_jobs(const std::function<void(const JobStatus&)>& visit) {
    std::vector<JobStatus> snapshot;
    {
        std::lock_guard lock(state_->mutex);
        snapshot.reserve(state_->jobs.size());
        for (const auto& [jobid, job] : state_->jobs) snapshot.push_back(make_status(jobid, job));
    }
    for (const auto& s : snapshot) visit(s);  // outside the lock: the visitor may call back in
}

bool MemoryBackend::do_delete_job(const std::string& jobid) {
    std::lock_guard lock(state_->mutex);
    return state_->jobs.erase(jobid) > 0;
}

bool MemoryBackend::do_claim_alert(const std::string& jobid, AlertState state) {
    std::lock_guard lock(state_->mutex);
    return state_->find(jobid).alerts.insert(state).second;
}

void MemoryBackend::do_release_alert(const std::string& jobid, AlertState state) {
    std::lock_guard lock(state_->mutex);
    auto it = state_->jobs.find(jobid);
    if (it != state_->jobs.end()) it->second.alerts.erase(state);
}

void MemoryBackend::do_record_reduce_repair(const std::string& jobid) {
    std::lock_guard lock(state_->mutex);
    ++state_->find(jobid).reduce_repairs;
}

}  // namespace watchbot_progress
