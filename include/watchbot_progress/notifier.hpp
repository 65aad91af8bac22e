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

// SNS's limits (Publish and PublishBatch): a message of at most 262,144 bytes, a batch of at most
// 10 messages and 262,144 bytes in all. The limits of SnsNotifier and LocalQueueNotifier, and
// MemoryNotifier's by default.
inline constexpr NotifierLimits kSnsLimits{262'144, 10, 262'144};

// The most characters of a subject SNS accepts.
inline constexpr std::size_t kSnsMaxSubjectChars = 100;

// The contract's checks live here, once: publish, publish_batch and check_message are
// non-virtual; they check every message against SNS's rules (below), then call the protected
// virtual `do_` method of the same name, which a notifier implements. So every notifier refuses
// what SNS refuses, with the same InvalidInput, and a notifier's `do_publish` and `do_publish_batch`
// receive only messages (and batches) that passed the checks.
//
// SNS's rules, for every message (InvalidInput saying which rule and what to do, nothing sent):
//   subject  1 to kSnsMaxSubjectChars characters of printable ASCII (U+0020..U+007E: no line
//            break, tab or other control character), not starting with a space;
//   body     not empty, at most limits().max_message_bytes bytes, valid UTF-8 (no overlong forms,
//            no encoded surrogates, nothing above U+10FFFF) of the characters SNS accepts: tab, line
//            feed, carriage return, U+0020..U+D7FF, U+E000..U+FFFD, U+10000..U+10FFFF.
class WATCHBOT_PROGRESS_EXPORT Notifier {
public:
    virtual ~Notifier() = default;

    // Publishes one message. Throws InvalidInput (nothing sent) when it breaks the rules above,
    // BackendError (after the notifier's own retries) when it could not be published.
    void publish(const std::string& subject, const std::string& body);

    // Publishes every message of the batch. Throws InvalidInput (nothing sent) when the batch holds
    // more than limits().max_batch_entries messages or more than limits().max_batch_bytes of
    // bodies, or when one of its messages breaks the rules (the message says which: "message 3 of
    // the batch of 10"). An empty batch sends nothing. On failure, after retries, throws
    // PublishError whose failed_indexes() lists every message that was not published; the others
    // were.
    void publish_batch(std::span<const OutgoingMessage> messages);

    // Throws InvalidInput when publish() would refuse this message for what it holds, without
    // sending anything: SNS's rules above, then the notifier's own (do_check_message). create_job
    // calls it for every map message before writing the job, so that a part a notifier refuses
    // never leaves a job behind. Thread-safe.
    void check_message(const std::string& subject, const std::string& body) const;

    // Resolves, sending no message, what publishing needs and can be known before it: SNS resolves
    // its credentials (ConfigError when none are found, saying where they are looked for).
    // create_job calls it before writing the job, so that a topic that cannot publish never leaves
    // a job behind without its map messages.
    void check_ready();

    // The batch and size limits the checks apply. The default: one message per batch, no size limit.
    virtual NotifierLimits limits() const { return {}; }

    // Where messages go, for messages: a topic ARN or URI without credentials.
    virtual std::string describe() const = 0;

protected:
    // What a notifier implements: each is called by the public method of the same name without
    // `do_`, after that method's checks (see above), and has that method's contract.
    virtual void do_publish(const std::string& subject, const std::string& body) = 0;
    // Called with a non-empty batch within limits(), every message checked. The default calls
    // do_publish for one message after another, and reports those that failed in PublishError.
    virtual void do_publish_batch(std::span<const OutgoingMessage> messages);
    // The notifier's own rules, beyond SNS's. The default accepts everything. Must send nothing.
    virtual void do_check_message(const std::string& subject, const std::string& body) const;
    // The default does nothing.
    virtual void do_check_ready();
};

}  // namespace watchbot_progress
