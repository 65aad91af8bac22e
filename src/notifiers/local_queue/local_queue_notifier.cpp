#include <string>
#include <vector>

#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/local_queue.hpp"

namespace watchbot_progress {

namespace {

void check_subject(const std::string& subject) {
    if (subject.empty()) throw InvalidInput("message subject is empty: SNS refuses empty subjects; use \"map\" or \"reduce\"");
    if (subject.size() > LocalQueueNotifier::kMaxSubjectBytes) {
        throw InvalidInput("message subject is " + std::to_string(subject.size()) + " bytes long; SNS allows at most " +
                           std::to_string(LocalQueueNotifier::kMaxSubjectBytes));
    }
    for (char c : subject) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u > 0x7E) {
            throw InvalidInput("message subject contains a character SNS refuses (only printable ASCII without line breaks)");
        }
    }
    if (subject.front() == ' ') throw InvalidInput("message subject starts with a space, which SNS refuses");
}

void check_body(const std::string& body, const std::string& where) {
    if (body.empty()) throw InvalidInput("message" + where + " is empty: SNS refuses empty messages");
    if (body.size() > LocalQueueNotifier::kMaxMessageBytes) {
        throw InvalidInput("message" + where + " of " + std::to_string(body.size()) +
                           " bytes is over SNS's limit of " + std::to_string(LocalQueueNotifier::kMaxMessageBytes) +
                           " bytes: make the part smaller (e.g. pass a reference to the data instead of the data)");
    }
}

}  // namespace

LocalQueueNotifier::LocalQueueNotifier(std::shared_ptr<LocalQueue> queue) : queue_(std::move(queue)) {
    if (!queue_) throw InvalidInput("LocalQueueNotifier needs a queue, got a null pointer");
}

LocalQueueNotifier::LocalQueueNotifier(LocalQueueOptions options)
    : queue_(std::make_shared<LocalQueue>(std::move(options))) {}

std::shared_ptr<LocalQueueNotifier> LocalQueueNotifier::from_uri(std::string_view uri) {
    return std::make_shared<LocalQueueNotifier>(LocalQueue::from_uri(uri));
}

std::string LocalQueueNotifier::describe() const { return queue_->describe(); }

void LocalQueueNotifier::check_message(const std::string& subject, const std::string& body) const {
    check_subject(subject);
    check_body(body, "");
}

void LocalQueueNotifier::publish(const std::string& subject, const std::string& body) {
    check_subject(subject);
    check_body(body, "");
    queue_->send(subject, body);
}

void LocalQueueNotifier::publish_batch(std::span<const OutgoingMessage> messages) {
    if (messages.empty()) return;
    if (messages.size() > kMaxBatchEntries) {
        throw InvalidInput("batch of " + std::to_string(messages.size()) + " messages is over SNS's limit of " +
                           std::to_string(kMaxBatchEntries) + " per batch: split it");
    }
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < messages.size(); ++i) {
        check_subject(messages[i].subject);
        check_body(messages[i].body, " " + std::to_string(i) + " of the batch");
        bytes += messages[i].body.size();
    }
    if (bytes > kMaxBatchBytes) {
        throw InvalidInput("batch of " + std::to_string(bytes) + " bytes is over SNS's limit of " +
                           std::to_string(kMaxBatchBytes) + " bytes per batch: send fewer messages per batch");
    }
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
