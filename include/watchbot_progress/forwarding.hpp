#pragma once
// Forwarding wrappers: a Backend / Notifier that passes every call to another one. Derive from them
// and override just the calls to observe or break, their protected `do_` methods (fault injection
// in tests, counting in benchmarks).
// Thread safety is that of the wrapped object.

#include <memory>

#include "watchbot_progress/backend.hpp"
#include "watchbot_progress/export.hpp"
#include "watchbot_progress/notifier.hpp"

namespace watchbot_progress {

class WATCHBOT_PROGRESS_EXPORT ForwardingBackend : public Backend {
public:
    explicit ForwardingBackend(std::shared_ptr<Backend> target);

    std::string describe() const override;
    BackendStats stats() const override;

    const std::shared_ptr<Backend>& target() const noexcept { return target_; }

protected:
    // Each passes the call to the target's public method of the same name (which checks the
    // arguments again: cheap, and the target may be used directly too). Override the ones to observe
    // or break and call these to pass the call on.
    void do_set_total(const std::string& jobid, std::int64_t total, bool overwrite) override;
    void do_set_metadata(const std::string& jobid, const nlohmann::json& metadata) override;
    void do_check_metadata(const nlohmann::json& metadata) const override;
    bool do_complete_part(const std::string& jobid, PartId partid) override;
    std::optional<ClaimToken> do_claim_reduce(const std::string& jobid) override;
    void do_release_reduce(const std::string& jobid, const ClaimToken& token) override;
    bool do_confirm_reduce(const std::string& jobid, const ClaimToken& token) override;
    std::optional<ClaimToken> do_reclaim_reduce(const std::string& jobid, std::chrono::milliseconds lease) override;
    std::optional<std::string> do_failure_reason(const std::string& jobid) override;
    ReduceClaimState do_reduce_claim_state(const std::string& jobid) override;
    std::int64_t do_record_failed_part(const std::string& jobid, PartId partid) override;
    std::vector<PartId> do_list_failed_parts(const std::string& jobid) override;
    bool do_record_part_failure(const std::string& jobid, const PartFailure& failure) override;
    std::vector<PartFailure> do_list_part_failures(const std::string& jobid) override;
    CompletionResult do_complete_part_and_claim_reduce(const std::string& jobid, PartId partid) override;
    void do_fail_job(const std::string& jobid, const std::string& reason) override;
    JobStatus do_status(const std::string& jobid) override;
    bool do_part_complete(const std::string& jobid, PartId partid) override;
    std::optional<std::string> do_check_part(const std::string& jobid, PartId partid) override;
    JobFacts do_check_part_facts(const std::string& jobid, PartId partid) override;
    void do_assume_job_facts(const std::string& jobid, const JobFacts& facts) override;
    std::vector<PartId> do_list_pending_parts(const std::string& jobid) override;
    void do_list_jobs(const std::function<void(const JobStatus&)>& visit) override;
    bool do_delete_job(const std::string& jobid) override;
    bool do_claim_alert(const std::string& jobid, AlertState state) override;
    void do_release_alert(const std::string& jobid, AlertState state) override;
    void do_record_reduce_repair(const std::string& jobid) override;

private:
    std::shared_ptr<Backend> target_;
};

class WATCHBOT_PROGRESS_EXPORT ForwardingNotifier : public Notifier {
public:
    explicit ForwardingNotifier(std::shared_ptr<Notifier> target);

    NotifierLimits limits() const override;
    std::string describe() const override;

    const std::shared_ptr<Notifier>& target() const noexcept { return target_; }

protected:
    // Each passes the call to the target's public method of the same name (which checks the
    // messages again: the target may be used directly too). Override the ones to observe or break
    // and call these to pass the call on.
    void do_publish(const std::string& subject, const std::string& body) override;
    void do_publish_batch(std::span<const OutgoingMessage> messages) override;
    void do_check_message(const std::string& subject, const std::string& body) const override;
    void do_check_ready() override;

private:
    std::shared_ptr<Notifier> target_;
};

}  // namespace watchbot_progress
