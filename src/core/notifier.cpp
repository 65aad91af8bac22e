#include "watchbot_progress/notifier.hpp"

#include <exception>
#include <string>
#include <vector>

#include "watchbot_progress/error_codes.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress {

void Notifier::check_ready() {}

void Notifier::check_message(const std::string& /*subject*/, const std::string& body) const {
    if (body.empty()) throw InvalidInput("the message is empty: " + describe() + " does not take empty messages");
    const std::size_t max = limits().max_message_bytes;
    if (body.size() > max) {
        throw InvalidInput("the message is " + std::to_string(body.size()) + " bytes, over the limit of " + std::to_string(max) +
                           " bytes of " + describe() + ": store large data elsewhere (e.g. S3) and send its address");
    }
}

void Notifier::publish_batch(std::span<const OutgoingMessage> messages) {
    std::vector<std::size_t> failed;
    std::string first_error;
    std::string code = std::string(error_code::kPublishFailed);
    bool retryable = true;
    for (std::size_t i = 0; i < messages.size(); ++i) {
        try {
            publish(messages[i].subject, messages[i].body);
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
