#pragma once
// In-process notifier for users' unit tests: records every message it is given.

#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "watchbot_progress/export.hpp"
#include "watchbot_progress/notifier.hpp"

namespace watchbot_progress {

// Records every message it is given; thread-safe. It refuses what SNS refuses (Notifier's checks,
// SNS's limits by default), so that a test fails on a message production would refuse.
class WATCHBOT_PROGRESS_EXPORT MemoryNotifier final : public Notifier {
public:
    explicit MemoryNotifier(NotifierLimits limits = kSnsLimits);

    NotifierLimits limits() const override { return limits_; }
    std::string describe() const override { return "memory://"; }

    // A copy of every message published so far, in publication order.
    std::vector<OutgoingMessage> messages() const;
    // Only those with this subject.
    std::vector<OutgoingMessage> messages(const std::string& subject) const;
    void clear();

protected:
    void do_publish(const std::string& subject, const std::string& body) override;
    void do_publish_batch(std::span<const OutgoingMessage> messages) override;

private:
    NotifierLimits limits_;
    mutable std::mutex mutex_;
    std::vector<OutgoingMessage> messages_;
};

}  // namespace watchbot_progress
