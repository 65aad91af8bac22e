#pragma once
// In-process backend for users' unit tests. Thread-safe; state lives as long as the object. Same
// contract as every other backend (the conformance suite runs on it). Its companion, MemoryNotifier,
// is in memory_notifier.hpp (a backend's header includes no notifier).

#include <memory>
#include <string>
#include <vector>

#include "watchbot_progress/backend.hpp"
#include "watchbot_progress/export.hpp"

namespace watchbot_progress {

class WATCHBOT_PROGRESS_EXPORT MemoryBackend final : public Backend {
public:
    MemoryBackend();
    // With a clock of the caller's (claim times, leases, updated_at_ms); empty: the system clock.
    explicit MemoryBackend(WallClock clock);
    ~MemoryBackend() override;

    std::string describe() const override { return "memory://"; }

protected:
    void do_set_total(const std::string& jobid, std::int64_t total, bool overwrite) override;
    void do_set_metadata(const std::string& jobid, const nlohmann::json& metadata) override;
    bool do_complete_part(const std::string& jobid, PartId partid) override;
    std::optional<ClaimToken> do_claim_reduce(const std::string& jobid) override;
    void do_release_reduce(const std::string& jobid, const ClaimToken& token) override;
    bool do_confirm_reduce(const std::string& jobid, const ClaimToken& token) override;
    std::optional<ClaimToken> do_reclaim_reduce(const std::string& jobid, std::chrono::milliseconds lease) override;
    std::optional<std::string> do_failure_reason(const std::string& jobid) override;
    std::int64_t do_record_failed_part(const std::string& jobid, PartId partid) override;
    std::vector<PartId> do_list_failed_parts(const std::string& jobid) override;
    bool do_record_part_failure(const std::string& jobid, const PartFailure& failure) override;
    std::vector<PartFailure> do_list_part_failures(const std::string& jobid) override;
    CompletionResult do_complete_part_and_claim_reduce(const std::string& jobid, PartId partid) override;
    void do_fail_job(const std::string& jobid, const std::string& reason) override;
    JobStatus do_status(const std::string& jobid) override;
    bool do_part_complete(const std::string& jobid, PartId partid) override;
    std::vector<PartId> do_list_pending_parts(const std::string& jobid) override;
    void do_list_jobs(const std::function<void(const JobStatus&)>& visit) override;
    bool do_delete_job(const std::string& jobid) override;
    bool do_claim_alert(const std::string& jobid, AlertState state) override;
    void do_release_alert(const std::string& jobid, AlertState state) override;
    void do_record_reduce_repair(const std::string& jobid) override;

private:
    struct WATCHBOT_PROGRESS_NO_EXPORT State;
    std::unique_ptr<State> state_;
};

}  // namespace watchbot_progress
