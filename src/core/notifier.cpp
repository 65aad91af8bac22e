#include "watchbot_progress/notifier.hpp"

#include <exception>
#include <string>
#include <vector>

#include "core/sns_message_rules.hpp"
#include "watchbot_progress/error_codes.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress {

void Notifier::check_message(const std::string& subject, const std::string& body) const {
    detail::check_sns_message(subject, body, limits().max_message_bytes, "the message");
    do_check_message(subject, body);
}

void Notifier::publish(const std::string& subject, const std::string& body) {
    check_message(subject, body);
    do_publish(subject, body);
}

void Notifier::publish_batch(std::span<const OutgoingMessage> messages) {
    if (messages.empty()) return;
    const NotifierLimits l = limits();
    detail::check_sns_batch_entries(messages.size(), l);
    for (std::size_t i = 0; i < messages.size(); ++i) {
        const std::string where = detail::batch_message_name(i, messages.size());
        detail::check_sns_message(messages[i].subject, messages[i].body, l.max_message_bytes, where);
        try {
            do_check_message(messages[i].subject, messages[i].body);
        } catch (const InvalidInput& e) {
            throw InvalidInput(where + ": " + e.what());
        }
    }
    detail::check_sns_batch_bytes(messages, l);
    do_publish_batch(messages);
}

void Notifier::check_ready() { do_check_ready(); }

void Notifier::do_check_message(const std::string& /*subject*/, const std::string& /*body*/) const {}

void Notifier::do_check_ready() {}

void Notifier::do_publish_batch(std::span<const OutgoingMessage> messages) {
    std::vector<std::size_t> failed;
    std::string first_error;
    std::string code = std::string(error_code::kPublishFailed);
    bool retryable = true;
    for (std::size_t i = 0; i < messages.size(); ++i) {
        try {
            do_publish(messages[i].subject, messages[i].body);
        } catch (const InvalidInput&) {
            throw;
        } catch (const std::exception& e) {
            if (failed.empty()) {
                first_error = e.what();
                if (const auto* be = dynamic_cast<const BackendError*>(&e)) {
                    code = be->code();
                    retryable = be->retryable();
                }
            }
            failed.push_back(i);
        }
    }
    if (!failed.empty()) {
        throw PublishError(std::to_string(failed.size()) + " of " + std::to_string(messages.size()) +
                               " messages could not be published to " + describe() + ": " + first_error,
                           code, retryable, std::move(failed));
    }
}

}  // namespace watchbot_progress
