#pragma once
// In-process notifier for users' unit tests: records every message it is given.

#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "watchbot_progress/export.hpp"
#include "watchbot_progress/notifier.hpp"

namespace watchbot_progress {

// Records every message it is given; thread-safe.
class WATCHBOT_PROGRESS_EXPORT MemoryNotifier final : public Notifier {
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
