#pragma once
// Counting wrappers for the throughput tool: calls to the backend, messages through the notifier.

#include <atomic>
#include <string>

#include "watchbot_progress/forwarding.hpp"
#include "watchbot_progress/messages.hpp"

namespace wp_bench {

namespace wp = watchbot_progress;

// Counts backend calls (a stand-in for round trips where the backend does not report its own).
class CountingBackend final : public wp::ForwardingBackend {
public:
    using ForwardingBackend::ForwardingBackend;

    void do_set_total(const std::string& jobid, std::int64_t total, bool overwrite) override {
        ++calls;
        ForwardingBackend::do_set_total(jobid, total, overwrite);
    }
    void do_set_metadata(const std::string& jobid, const nlohmann::json& metadata) override {
        ++calls;
        ForwardingBackend::do_set_metadata(jobid, metadata);
    }
    wp::CompletionResult do_complete_part_and_claim_reduce(const std::string& jobid, wp::PartId partid) override {
        ++calls;
        return ForwardingBackend::do_complete_part_and_claim_reduce(jobid, partid);
    }
    wp::JobStatus do_status(const std::string& jobid) override {
        ++calls;
        return ForwardingBackend::do_status(jobid);
    }
    void do_release_reduce(const std::string& jobid, const wp::ClaimToken& token) override {
        ++calls;
        ForwardingBackend::do_release_reduce(jobid, token);
    }
    bool do_confirm_reduce(const std::string& jobid, const wp::ClaimToken& token) override {
        ++calls;
        return ForwardingBackend::do_confirm_reduce(jobid, token);
    }
    std::optional<wp::ClaimToken> do_reclaim_reduce(const std::string& jobid, std::chrono::milliseconds lease) override {
        ++calls;
        return ForwardingBackend::do_reclaim_reduce(jobid, lease);
    }
    std::optional<std::string> do_failure_reason(const std::string& jobid) override {
        ++calls;
        return ForwardingBackend::do_failure_reason(jobid);
    }

    std::atomic<std::uint64_t> calls{0};
};

// Counts published messages by subject.
class CountingNotifier final : public wp::ForwardingNotifier {
public:
    using ForwardingNotifier::ForwardingNotifier;

    void do_publish(const std::string& subject, const std::string& body) override {
        ForwardingNotifier::do_publish(subject, body);
        count(subject, 1);
    }
    void do_publish_batch(std::span<const wp::OutgoingMessage> messages) override {
        ForwardingNotifier::do_publish_batch(messages);
        for (const auto& m : messages) count(m.subject, 1);
    }

    std::atomic<std::uint64_t> map_messages{0};
    std::atomic<std::uint64_t> reduce_messages{0};

private:
    void count(const std::string& subject, std::uint64_t n) {
        if (subject == wp::kReduceSubject) reduce_messages += n;
        else map_messages += n;
    }
};

}  // namespace wp_bench
