#include "watchbot_progress/memory_notifier.hpp"

namespace watchbot_progress {

MemoryNotifier::MemoryNotifier(NotifierLimits limits) : limits_(limits) {}

void MemoryNotifier::do_publish(const std::string& subject, const std::string& body) {
    std::lock_guard lock(mutex_);
    messages_.push_back({subject, body});
}

void MemoryNotifier::do_publish_batch(std::span<const OutgoingMessage> messages) {
    std::lock_guard lock(mutex_);
    messages_.insert(messages_.end(), messages.begin(), messages.end());
}

std::vector<OutgoingMessage> MemoryNotifier::messages() const {
    std::lock_guard lock(mutex_);
    return messages_;
}

std::vector<OutgoingMessage> MemoryNotifier::messages(const std::string& subject) const {
    std::lock_guard lock(mutex_);
    std::vector<OutgoingMessage> out;
    for (const auto& m : messages_) {
        if (m.subject == subject) out.push_back(m);
    }
    return out;
}

void MemoryNotifier::clear() {
    std::lock_guard lock(mutex_);
    messages_.clear();
}

}  // namespace watchbot_progress
