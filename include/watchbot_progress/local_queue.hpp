#pragma once
// A local message queue in a SQLite file, modelled on SQS as watchbot uses it, and a Notifier that
// publishes into it. Together with SqliteBackend they run whole jobs on one machine without AWS.
//
// Semantics (SQS + watchbot):
//   * send() adds a message, visible at once or after a delay.
//   * receive() leases up to N visible messages for a visibility timeout: each gets a new receipt
//     handle, its receive_count goes up by one and its first receive time is set. A message is never
//     leased to two receivers at once (one transaction decides); when a lease expires without the
//     message being deleted, returned or dead-lettered, the message is visible again and the next
//     receive leases it with a new handle (the old one then no longer works).
//   * delete_message() removes a message (the worker succeeded).
//   * return_message() makes it visible again after a delay; with count_attempt false (watchbot's
//     exit code 4) its receive_count goes back down, so the attempt does not count towards
//     max_receive_count.
//   * dead_letter() moves it to the dead-letter table with a reason. receive() also dead-letters, as
//     an SQS redrive policy does, a visible message already received max_receive_count times.
// Handle-taking methods return false, and change nothing, when the handle no longer holds the lease
// (the message was deleted, returned, dead-lettered, or received again after its lease expired).
// Deleting with a handle whose lease expired but that nobody received since still works (as on SQS).
//
// Message states, as counts() reports them (now = the queue's clock):
//   visible    visible_at <= now
//   in flight  leased and visible_at > now
//   delayed    not leased and visible_at > now (sent with a delay, or returned with one)
//
// Schema (tables separate from the backend's, so one file may hold both, or each its own file):
//   wp_queue_messages(id INTEGER PRIMARY KEY, message_id TEXT UNIQUE (UUID v4), subject, body,
//       sent_timestamp, first_receive_timestamp (NULL until received), receive_count, visible_at,
//       receipt_handle (NULL when not leased), lease_owner)            -- times: ms since the epoch
//   wp_queue_dead_letters(id, message_id, subject, body, sent_timestamp, first_receive_timestamp,
//       receive_count, dead_lettered_at, reason)
//
// Thread and process safety: every method may be called concurrently from any threads and from any
// number of processes sharing the file (WAL mode, short BEGIN IMMEDIATE transactions retried while
// the file is locked; see SqliteBackend for the details and for fork()). Errors: SQLite failures are
// BackendError with the SQLite code name ("SQLITE_BUSY", retryable), bad arguments InvalidInput.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "watchbot_progress/export.hpp"
#include "watchbot_progress/notifier.hpp"
#include "watchbot_progress/sqlite_options.hpp"

namespace watchbot_progress {

struct LocalQueueOptions {
    // The file and how to open it (SqliteOptions::path is required).
    SqliteOptions database;
    // A visible message already received this many times is dead-lettered by receive() instead of
    // being delivered again (watchbot's default dead-letter threshold is 10). 0: never.
    std::int64_t max_receive_count = 10;
    // Recorded with each lease, for people reading the table; empty: "<hostname>:<pid>".
    std::string lease_owner;
    // The time used for timestamps and visibility; null: the system clock. Processes sharing a file
    // must share a clock, so only tests replace it.
    std::function<std::chrono::system_clock::time_point()> clock;
};

// A leased message, as receive() returns it.
struct QueueMessage {
    std::int64_t id = 0;             // the row id: increases with sending order
    std::string message_id;          // UUID v4, stable across receives
    std::string subject;
    std::string body;
    std::chrono::system_clock::time_point sent_timestamp;
    std::chrono::system_clock::time_point first_receive_timestamp;
    std::int64_t receive_count = 0;  // including this receive
    std::string receipt_handle;      // for delete_message / return_message / dead_letter / change_visibility
    std::chrono::system_clock::time_point visible_at;  // when the lease ends
};

struct DeadLetter {
    std::int64_t id = 0;
    std::string message_id;
    std::string subject;
    std::string body;
    std::chrono::system_clock::time_point sent_timestamp;
    std::optional<std::chrono::system_clock::time_point> first_receive_timestamp;
    std::int64_t receive_count = 0;
    std::chrono::system_clock::time_point dead_lettered_at;
    std::string reason;
};

// A message still in the queue, as list_messages() shows it.
enum class QueueMessageState { kVisible, kInFlight, kDelayed };  // as counts() defines them

struct QueuedMessage {
    std::int64_t id = 0;
    std::string message_id;
    std::string subject;
    std::string body;
    std::chrono::system_clock::time_point sent_timestamp;
    std::int64_t receive_count = 0;  // receives so far
    QueueMessageState state = QueueMessageState::kVisible;
    std::chrono::system_clock::time_point visible_at;  // in flight: when the lease ends; delayed: when visible
    std::string lease_owner;  // in flight: who holds the lease (LocalQueueOptions::lease_owner); else empty
};

struct QueueCounts {
    std::int64_t visible = 0;
    std::int64_t in_flight = 0;
    std::int64_t delayed = 0;
    std::int64_t dead_letters = 0;
};

class WATCHBOT_PROGRESS_EXPORT LocalQueue {
public:
    // Opens (creating when missing) the file in WAL mode and creates the queue's tables. Throws like
    // SqliteBackend's constructor; InvalidInput for a negative max_receive_count.
    explicit LocalQueue(LocalQueueOptions options);
    // sqlite:///path/to/queue.db or sqlite://relative/queue.db (see parse_sqlite_uri).
    static std::shared_ptr<LocalQueue> from_uri(std::string_view uri);
    static LocalQueueOptions parse_uri(std::string_view uri);
    ~LocalQueue();
    LocalQueue(const LocalQueue&) = delete;
    LocalQueue& operator=(const LocalQueue&) = delete;

    // Adds a message, receivable once `delay` has passed; returns its message id. No size limit here
    // (LocalQueueNotifier applies SNS's). Negative delay: InvalidInput.
    std::string send(const std::string& subject, const std::string& body,
                     std::chrono::milliseconds delay = std::chrono::milliseconds(0));
    // Adds all messages in one transaction (all or none); returns their message ids in order.
    std::vector<std::string> send_batch(std::span<const OutgoingMessage> messages,
                                        std::chrono::milliseconds delay = std::chrono::milliseconds(0));

    // Leases up to `max_messages` (>= 1) visible messages, oldest visibility first, for
    // `visibility_timeout` (>= 0). When none is visible, polls (every 50 ms of real time) until
    // `wait_time` has passed (long polling); returns an empty vector when still none. InvalidInput for
    // max_messages 0 or negative durations.
    std::vector<QueueMessage> receive(std::size_t max_messages, std::chrono::milliseconds visibility_timeout,
                                      std::chrono::milliseconds wait_time = std::chrono::milliseconds(0));

    // Deletes the leased message. False when the handle no longer holds the lease.
    bool delete_message(const std::string& receipt_handle);
    // Ends the lease: visible again after `delay`; with count_attempt false, receive_count is
    // decremented (never below 0). False when the handle no longer holds the lease.
    bool return_message(const std::string& receipt_handle, std::chrono::milliseconds delay = std::chrono::milliseconds(0),
                        bool count_attempt = true);
    // Extends (or shortens) the lease to end `visibility_timeout` from now. False when lost.
    bool change_visibility(const std::string& receipt_handle, std::chrono::milliseconds visibility_timeout);
    // Moves the leased message to the dead letters with `reason`. False when the lease was lost.
    bool dead_letter(const std::string& receipt_handle, const std::string& reason);

    QueueCounts counts();
    // Up to `limit` messages still in the queue (0: all), in sending order, each with its state.
    std::vector<QueuedMessage> list_messages(std::size_t limit = 0);
    // Every dead letter, oldest first.
    std::vector<DeadLetter> list_dead_letters();
    // Moves dead letters back into the queue, visible at once, with their message id, subject, body
    // and sent time, and a receive count of 0 (as a fresh message: it gets max_receive_count receives
    // again). `message_ids` names them (DeadLetter::message_id); empty: every dead letter. All or
    // none, in one transaction: a message id that is not a dead letter is InvalidInput naming it,
    // and nothing is moved. Returns the message ids moved, oldest dead letter first.
    std::vector<std::string> redrive_dead_letters(std::span<const std::string> message_ids = {});

    // "sqlite:///path/to/queue.db"
    std::string describe() const;
    const LocalQueueOptions& options() const noexcept;

    // InvalidInput for a malformed handle (not one receive() made).
    static std::int64_t message_row_of(const std::string& receipt_handle);

private:
    struct WATCHBOT_PROGRESS_NO_EXPORT Impl;
    std::unique_ptr<Impl> impl_;
};

// Publishes map and reduce messages into a LocalQueue. Notifier's checks apply SNS's rules and
// limits, so a local run refuses exactly the messages AWS would.
class WATCHBOT_PROGRESS_EXPORT LocalQueueNotifier final : public Notifier {
public:
    // SNS's limits (kSnsLimits): a message body of at most 256 KiB, at most 10 messages and 256 KiB
    // in one batch.
    static constexpr std::size_t kMaxMessageBytes = kSnsLimits.max_message_bytes;
    static constexpr std::size_t kMaxBatchEntries = kSnsLimits.max_batch_entries;
    static constexpr std::size_t kMaxBatchBytes = kSnsLimits.max_batch_bytes;
    // SNS subjects: at most 100 characters, printable ASCII.
    static constexpr std::size_t kMaxSubjectBytes = kSnsMaxSubjectChars;

    explicit LocalQueueNotifier(std::shared_ptr<LocalQueue> queue);
    explicit LocalQueueNotifier(LocalQueueOptions options);
    // sqlite:///path/to/queue.db (see parse_sqlite_uri).
    static std::shared_ptr<LocalQueueNotifier> from_uri(std::string_view uri);

    NotifierLimits limits() const override { return kSnsLimits; }
    std::string describe() const override;

    const std::shared_ptr<LocalQueue>& queue() const noexcept { return queue_; }

protected:
    // BackendError when the queue fails.
    void do_publish(const std::string& subject, const std::string& body) override;
    // Sends all in one transaction: on failure none was sent and PublishError lists every index.
    void do_publish_batch(std::span<const OutgoingMessage> messages) override;

private:
    std::shared_ptr<LocalQueue> queue_;
};

}  // namespace watchbot_progress
