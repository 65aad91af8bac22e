#pragma once
// The notifier interface: how map and reduce messages leave the library (SNS in production, a local
// SQLite queue for local runs, memory in tests).
//
// Thread safety: notifiers shipped with the library may be called concurrently from any threads.

#include <cstddef>
#include <limits>
#include <span>
#include <string>

#include "watchbot_progress/export.hpp"

namespace watchbot_progress {

struct OutgoingMessage {
    std::string subject;  // "map" or "reduce"
    std::string body;     // the JSON text of the message
};

// What a notifier accepts; create_job checks every message against these before writing the job.
struct NotifierLimits {
    std::size_t max_message_bytes = std::numeric_limits<std::size_t>::max();
    std::size_t max_batch_entries = 1;
    std::size_t max_batch_bytes = std::numeric_limits<std::size_t>::max();
};

class WATCHBOT_PROGRESS_EXPORT Notifier {
public:
    virtual ~Notifier() = default;

    // Publishes one message. Throws InvalidInput when it breaks limits(), BackendError (after the
    // notifier's own retries) when it could not be published.
    virtual void publish(const std::string& subject, const std::string& body) = 0;

    // Publishes every message of the batch (at most limits().max_batch_entries of them, at most
    // limits().max_batch_bytes in all). On failure, after retries, throws PublishError whose
    // failed_indexes() lists every message that was not published; the others were. The default
    // publishes one message at a time.
    virtual void publish_batch(std::span<const OutgoingMessage> messages);

    virtual NotifierLimits limits() const { return {}; }

    // Throws InvalidInput when publish() would refuse this message for what it holds (size, empty
    // body, characters the service does not accept, a bad subject), without sending anything.
    // create_job calls it for every map message before writing the job, so that a part a notifier
    // refuses never leaves a job behind. The default checks limits().max_message_bytes and that the
    // body is not empty; notifiers with more rules (SNS) override it. Thread-safe.
    virtual void check_message(const std::string& subject, const std::string& body) const;

    // Resolves, sending no message, what publishing needs and can be known before it: SNS resolves
    // its credentials (ConfigError when none are found, saying where they are looked for).
    // create_job calls it before writing the job, so that a topic that cannot publish never leaves
    // a job behind without its map messages. The default does nothing.
    virtual void check_ready();

    // Where messages go, for messages: a topic ARN or URI without credentials.
    virtual std::string describe() const = 0;
};

}  // namespace watchbot_progress
