#pragma once
// In-process backend and notifier for users' unit tests. Thread-safe; state lives as long as the
// object. Same contract as every other backend (the conformance suite runs on it).

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "watchbot_progress/backend.hpp"
#include "watchbot_progress/notifier.hpp"

namespace watchbot_progress {

class MemoryBackend final : public Backend {
public:
    MemoryBackend();
    // With a clock of the caller's (claim times, leases, updated_at_ms); empty: the system clock.
    explicit MemoryBackend(WallClock clock);
    ~MemoryBackend() override;

    void set_total(const std::string& jobid, std::int64_t total, bool overwrite = false) override;
    void set_metadata(const std::string& jobid, const nlohmann::json& metadata) override;
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
    std::string describe() const override { return "memory://"; }

private:
    struct State;
    std::unique_ptr<State> state_;
};

// Records every message it is given; thread-safe.
class MemoryNotifier final : public Notifier {
public:
    explicit MemoryNotifier(NotifierLimits limits = {1 << 20, 10, 1 << 20});

    void publish(const std::string& subject, const std::string& body) override;
    void publish_batch(std::span<const OutgoingMessage> messages) override;
    NotifierLimits limits() const override { return limits_; }
    std::string describe() const override { return "memory://"; }

    // A copy of every message published so far, in publication order.
    std::vector<OutgoingMessage> messages() const;
    // Only those with this subject.
    std::vector<OutgoingMessage> messages(const std::string& subject) const;
    void clear();

private:
    NotifierLimits limits_;
    mutable std::mutex mutex_;
    std::vector<OutgoingMessage> messages_;
};

}  // namespace watchbot_progress
