#pragma once
// A backend that counts the calls made to it: the benchmarks' stand-in for round trips where the
// backend does not count its own (watchbot-progress-bench, and the Python package's
// counting_backend). Header-only, for the tools above the library.

#include <atomic>
#include <cstdint>

#include "watchbot_progress/forwarding.hpp"

namespace watchbot_progress::detail {

// Every call that reaches the target (each `do_` method but do_check_metadata, which stays local)
// adds one to `calls`, whether it succeeds or throws. Thread-safe as the target is.
class CountingBackend final : public ForwardingBackend {
public:
    using ForwardingBackend::ForwardingBackend;

    std::atomic<std::uint64_t> calls{0};

protected:
    void do_set_total(const std::string& jobid, std::int64_t total, bool overwrite) override {
        ++calls;
        ForwardingBackend::do_set_total(jobid, total, overwrite);
    }
    void do_set_metadata(const std::string& jobid, const nlohmann::json& metadata) override {
        ++calls;
        ForwardingBackend::do_set_metadata(jobid, metadata);
    }
    bool do_complete_part(const std::string& jobid, PartId partid) override {
        ++calls;
        return ForwardingBackend::do_complete_part(jobid, partid);
    }
    std::optional<ClaimToken> do_claim_reduce(const std::string& jobid) override {
        ++calls;
        return ForwardingBackend::do_claim_reduce(jobid);
    }
    void do_release_reduce(const std::string& jobid, const ClaimToken& token) override {
        ++calls;
        ForwardingBackend::do_release_reduce(jobid, token);
    }
    bool do_confirm_reduce(const std::string& jobid, const ClaimToken& token) override {
        ++calls;
        return ForwardingBackend::do_confirm_reduce(jobid, token);
    }
    std::optional<ClaimToken> do_reclaim_reduce(const std::string& jobid, std::chrono::milliseconds lease) override {
        ++calls;
        return ForwardingBackend::do_reclaim_reduce(jobid, lease);
    }
    std::optional<std::string> do_failure_reason(const std::string& jobid) override {
        ++calls;
        return ForwardingBackend::do_failure_reason(jobid);
    }
    ReduceClaimState do_reduce_claim_state(const std::string& jobid) override {
        ++calls;
        return ForwardingBackend::do_reduce_claim_state(jobid);
    }
    std::int64_t do_record_failed_part(const std::string& jobid, PartId partid) override {
        ++calls;
        return ForwardingBackend::do_record_failed_part(jobid, partid);
    }
    std::vector<PartId> do_list_failed_parts(const std::string& jobid) override {
        ++calls;
        return ForwardingBackend::do_list_failed_parts(jobid);
    }
    bool do_record_part_failure(const std::string& jobid, const PartFailure& failure) override {
        ++calls;
        return ForwardingBackend::do_record_part_failure(jobid, failure);
    }
    std::vector<PartFailure> do_list_part_failures(const std::string& jobid) override {
        ++calls;
        return ForwardingBackend::do_list_part_failures(jobid);
    }
    CompletionResult do_complete_part_and_claim_reduce(const std::string& jobid, PartId partid) override {
        ++calls;
        return ForwardingBackend::do_complete_part_and_claim_reduce(jobid, partid);
    }
    void do_fail_job(const std::string& jobid, const std::string& reason) override {
        ++calls;
        ForwardingBackend::do_fail_job(jobid, reason);
    }
    JobStatus do_status(const std::string& jobid) override {
        ++calls;
        return ForwardingBackend::do_status(jobid);
    }
    bool do_part_complete(const std::string& jobid, PartId partid) override {
        ++calls;
        return ForwardingBackend::do_part_complete(jobid, partid);
    }
    std::optional<std::string> do_check_part(const std::string& jobid, PartId partid) override {
        ++calls;
        return ForwardingBackend::do_check_part(jobid, partid);
    }
    JobFacts do_check_part_facts(const std::string& jobid, PartId partid) override {
        ++calls;
        return ForwardingBackend::do_check_part_facts(jobid, partid);
    }
    std::vector<PartId> do_list_pending_parts(const std::string& jobid) override {
        ++calls;
        return ForwardingBackend::do_list_pending_parts(jobid);
    }
    void do_list_jobs(const std::function<void(const JobStatus&)>& visit) override {
        ++calls;
        ForwardingBackend::do_list_jobs(visit);
    }
    bool do_delete_job(const std::string& jobid) override {
        ++calls;
        return ForwardingBackend::do_delete_job(jobid);
    }
    bool do_claim_alert(const std::string& jobid, AlertState state) override {
        ++calls;
        return ForwardingBackend::do_claim_alert(jobid, state);
    }
    void do_release_alert(const std::string& jobid, AlertState state) override {
        ++calls;
        ForwardingBackend::do_release_alert(jobid, state);
    }
    void do_record_reduce_repair(const std::string& jobid) override {
        ++calls;
        ForwardingBackend::do_record_reduce_repair(jobid);
    }
};

}  // namespace watchbot_progress::detail
