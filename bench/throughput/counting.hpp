#pragma once
// The throughput tool's count of messages through the notifier (its count of backend calls is
// detail::CountingBackend, core/counting_backend.hpp).

#include <atomic>
#include <string>

#include "watchbot_progress/forwarding.hpp"
#include "watchbot_progress/messages.hpp"

namespace wp_bench {

namespace wp = watchbot_progress;

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
