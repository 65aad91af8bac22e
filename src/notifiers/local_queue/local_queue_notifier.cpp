#include <string>
#include <vector>

#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/local_queue.hpp"

namespace watchbot_progress {

LocalQueueNotifier::LocalQueueNotifier(std::shared_ptr<LocalQueue> queue) : queue_(std::move(queue)) {
    if (!queue_) throw InvalidInput("LocalQueueNotifier needs a queue, got a null pointer");
}

LocalQueueNotifier::LocalQueueNotifier(LocalQueueOptions options)
    : queue_(std::make_shared<LocalQueue>(std::move(options))) {}

std::shared_ptr<LocalQueueNotifier> LocalQueueNotifier::from_uri(std::string_view uri) {
    return std::make_shared<LocalQueueNotifier>(LocalQueue::from_uri(uri));
}

std::string LocalQueueNotifier::describe() const { return queue_->describe(); }

void LocalQueueNotifier::do_publish(const std::string& subject, const std::string& body) { queue_->send(subject, body); }

void LocalQueueNotifier::do_publish_batch(std::span<const OutgoingMessage> messages) {
    try {
        queue_->send_batch(messages);
    } catch (const BackendError& e) {
        std::vector<std::size_t> all(messages.size());
        for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
        throw PublishError("none of the " + std::to_string(messages.size()) + " messages could be published to " +
                               describe() + ": " + e.what(),
                           e.code(), e.retryable(), std::move(all));
    }
}

}  // namespace watchbot_progress
