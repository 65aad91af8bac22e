#pragma once
// Forwarding wrappers: a Backend / Notifier that passes every call to another one. Derive from them
// and override just the calls to observe or break (fault injection in tests, counting in benchmarks).
// Thread safety is that of the wrapped object.

#include <memory>

#include "watchbot_progress/backend.hpp"
#include "watchbot_progress/notifier.hpp"

namespace watchbot_progress {

class ForwardingBackend : public Backend {
public:
    explicit ForwardingBackend(std::shared_ptr<Backend> target);

    void set_total(const std::string& jobid, std::int64_t total, bool overwrite = false) override;
    void set_metadata(const std::string& jobid, const nlohmann::json& metadata) override;
    void check_metadata(const nlohmann::json& metadata) const override;
    bool complete_part(const std::string& jobid, PartId partid) override;
    std::optional<ClaimToken> claim_reduce(const std::string& jobid) override;
    void release_reduce(const std::string& jobid, const ClaimToken& token) override;
    bool confirm_reduce(const std::string& jobid, const ClaimToken& token) override;
    std::optional<ClaimToken> reclaim_reduce(const std::string& jobid, std::chrono::milliseconds lease) override;
    std::optional<std::string> failure_reason(const std::string& jobid) override;
    std::int64_t record_failed_part(const std::string& jobid, PartId partid) override;
    std::vector<PartId> list_failed_parts(const std::string& jobid) override;
    CompletionResult complete_part_and_claim_reduce(const std::string& jobid, PartId partid) override;
    void fail_job(const std::string& jobid, const std::string& reason) override;
    JobStatus status(const std::string& jobid) override;
    bool part_complete(const std::string& jobid, PartId partid) override;
    std::vector<PartId> list_pending_parts(const std::string& jobid) override;
    void list_jobs(const std::function<void(const JobStatus&)>& visit) override;
    bool delete_job(const std::string& jobid) override;
    std::string describe() const override;
    BackendStats stats() const override;

    const std::shared_ptr<Backend>& target() const noexcept { return target_; }

private:
    std::shared_ptr<Backend> target_;
};

class ForwardingNotifier : public Notifier {
public:
    explicit ForwardingNotifier(std::shared_ptr<Notifier> target);

    void publish(const std::string& subject, const std::string& body) override;
    void publish_batch(std::span<const OutgoingMessage> messages) override;
    NotifierLimits limits() const override;
    void check_message(const std::string& subject, const std::string& body) const override;
    std::string describe() const override;

    const std::shared_ptr<Notifier>& target() const noexcept { return target_; }

private:
    std::shared_ptr<Notifier> target_;
};

}  // namespace watchbot_progress
