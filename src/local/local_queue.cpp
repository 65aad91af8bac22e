#include "watchbot_progress/local_queue.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <thread>

#include "core/clock.hpp"
#include "core/secure_random.hpp"
#include "sqlite/sqlite_database.hpp"
#include "sqlite/sqlite_schema.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress {

using detail::sqlite::Connection;

namespace {

constexpr int kQueueSchemaVersion = 1;

constexpr const char* kQueueTables = R"sql(
CREATE TABLE IF NOT EXISTS wp_queue_messages (
    id                      INTEGER PRIMARY KEY,
    message_id              TEXT NOT NULL UNIQUE,
    subject                 TEXT NOT NULL,
    body                    TEXT NOT NULL,
    sent_timestamp          INTEGER NOT NULL,
    first_receive_timestamp INTEGER,
    receive_count           INTEGER NOT NULL DEFAULT 0,
    visible_at              INTEGER NOT NULL,
    receipt_handle          TEXT,
    lease_owner             TEXT
);
CREATE INDEX IF NOT EXISTS wp_queue_messages_by_visibility ON wp_queue_messages (visible_at, id);
CREATE INDEX IF NOT EXISTS wp_queue_messages_by_receive_count ON wp_queue_messages (receive_count, visible_at);
CREATE TABLE IF NOT EXISTS wp_queue_dead_letters (
    id                      INTEGER PRIMARY KEY,
    message_id              TEXT NOT NULL,
    subject                 TEXT NOT NULL,
    body                    TEXT NOT NULL,
    sent_timestamp          INTEGER NOT NULL,
    first_receive_timestamp INTEGER,
    receive_count           INTEGER NOT NULL,
    dead_lettered_at        INTEGER NOT NULL,
    reason                  TEXT NOT NULL
);
)sql";

constexpr auto kPollInterval = std::chrono::milliseconds(50);

std::chrono::system_clock::time_point from_ms(std::int64_t ms) {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

void check_duration(std::chrono::milliseconds d, const char* what) {
    if (d.count() < 0) {
        throw InvalidInput(std::string(what) + " must not be negative, not " + std::to_string(d.count()) + " ms");
    }
}

std::string default_lease_owner() {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
    return std::string(host[0] != '\0' ? host : "localhost") + ":" + std::to_string(::getpid());
}

void init_schema(Connection& c) {
    detail::sqlite::init_component_schema(c, {"queue", "a queue", kQueueSchemaVersion, kQueueTables});
}

// Inserts one message; its id.
std::string insert_message(Connection& c, const std::string& subject, const std::string& body, std::int64_t now,
                           std::int64_t visible_at) {
    std::string message_id = detail::secure_random_uuid();
    c.statement(
         "INSERT INTO wp_queue_messages (message_id, subject, body, sent_timestamp, receive_count, visible_at) "
         "VALUES (?1, ?2, ?3, ?4, 0, ?5)")
        .bind(1, message_id)
        .bind(2, subject)
        .bind(3, body)
        .bind(4, now)
        .bind(5, visible_at)
        .run();
    return message_id;
}

}  // namespace

struct LocalQueue::Impl {
    explicit Impl(LocalQueueOptions o) : options(std::move(o)), db(options.database, init_schema) {}

    std::int64_t now() const {
        if (!options.clock) return detail::now_ms();
        return std::chrono::duration_cast<std::chrono::milliseconds>(options.clock().time_since_epoch()).count();
    }

    // Runs `f(connection, row_id)` in a write transaction for a well-formed handle.
    template <class F>
    bool with_handle(const std::string& receipt_handle, F&& f) {
        const std::int64_t row = message_row_of(receipt_handle);
        return db.write([&](Connection& c) { return f(c, row); });
    }

    std::vector<QueueMessage> receive_once(std::size_t max_messages, std::chrono::milliseconds visibility_timeout);

    LocalQueueOptions options;
    detail::sqlite::Database db;
};

std::vector<QueueMessage> LocalQueue::Impl::receive_once(std::size_t max_messages,
                                                         std::chrono::milliseconds visibility_timeout) {
    const std::string owner = options.lease_owner.empty() ? default_lease_owner() : options.lease_owner;
    return db.write([&](Connection& c) {
        const std::int64_t t = now();
        if (options.max_receive_count > 0) {
            // The redrive policy: visible messages that used up their receives go to the dead letters.
            c.statement(
                 "INSERT INTO wp_queue_dead_letters (message_id, subject, body, sent_timestamp, "
                 "first_receive_timestamp, receive_count, dead_lettered_at, reason) "
                 "SELECT message_id, subject, body, sent_timestamp, first_receive_timestamp, receive_count, ?1, "
                 "'received ' || receive_count || ' times without being deleted (max_receive_count is ' || ?2 || ')' "
                 "FROM wp_queue_messages WHERE receive_count >= ?2 AND visible_at <= ?1 ORDER BY id")
                .bind(1, t)
                .bind(2, options.max_receive_count)
                .run();
            if (c.changes() > 0) {
                c.statement("DELETE FROM wp_queue_messages WHERE receive_count >= ?2 AND visible_at <= ?1")
                    .bind(1, t)
                    .bind(2, options.max_receive_count)
                    .run();
            }
        }
        std::vector<std::int64_t> rows;
        {
            auto s = c.statement("SELECT id FROM wp_queue_messages WHERE visible_at <= ?1 ORDER BY visible_at, id LIMIT ?2");
            s.bind(1, t).bind(2, static_cast<std::int64_t>(std::min<std::size_t>(max_messages, std::numeric_limits<std::int64_t>::max())));
            while (s.step()) rows.push_back(s.int64(0));
        }
        const std::string token = detail::secure_random_hex(16);
        const std::int64_t visible_at = t + visibility_timeout.count();
        std::vector<QueueMessage> out;
        out.reserve(rows.size());
        for (const std::int64_t row : rows) {
            QueueMessage m;
            m.id = row;
            m.receipt_handle = std::to_string(row) + "." + token;
            c.statement(
                 "UPDATE wp_queue_messages SET receive_count = receive_count + 1, "
                 "first_receive_timestamp = COALESCE(first_receive_timestamp, ?2), visible_at = ?3, "
                 "receipt_handle = ?4, lease_owner = ?5 WHERE id = ?1")
                .bind(1, row)
                .bind(2, t)
                .bind(3, visible_at)
                .bind(4, m.receipt_handle)
                .bind(5, owner)
                .run();
            auto s = c.statement(
                "SELECT message_id, subject, body, sent_timestamp, first_receive_timestamp, receive_count "
                "FROM wp_queue_messages WHERE id = ?1");
            s.bind(1, row);
            if (!s.step()) continue;  // cannot happen inside the transaction
            m.message_id = s.text(0);
            m.subject = s.text(1);
            m.body = s.text(2);
            m.sent_timestamp = from_ms(s.int64(3));
            m.first_receive_timestamp = from_ms(s.int64(4));
            m.receive_count = s.int64(5);
            m.visible_at = from_ms(visible_at);
            out.push_back(std::move(m));
        }
        return out;
    });
}

LocalQueue::LocalQueue(LocalQueueOptions options) {
    if (options.max_receive_count < 0) {
        throw InvalidInput("max_receive_count must be 0 (no limit) or more, not " +
                           std::to_string(options.max_receive_count));
    }
    impl_ = std::make_unique<Impl>(std::move(options));
}

LocalQueue::~LocalQueue() = default;

std::shared_ptr<LocalQueue> LocalQueue::from_uri(std::string_view uri) { return std::make_shared<LocalQueue>(parse_uri(uri)); }

LocalQueueOptions LocalQueue::parse_uri(std::string_view uri) {
    LocalQueueOptions options;
    options.database = parse_sqlite_uri(uri);
    return options;
}

const LocalQueueOptions& LocalQueue::options() const noexcept { return impl_->options; }

std::string LocalQueue::describe() const { return sqlite_uri(impl_->options.database.path); }

std::int64_t LocalQueue::message_row_of(const std::string& receipt_handle) {
    const auto dot = receipt_handle.find('.');
    std::int64_t row = 0;
    const char* begin = receipt_handle.data();
    const auto [end, ec] = std::from_chars(begin, begin + (dot == std::string::npos ? 0 : dot), row);
    if (dot == std::string::npos || ec != std::errc() || end != begin + dot || row <= 0 ||
        receipt_handle.size() != dot + 33) {
        throw InvalidInput("'" + receipt_handle.substr(0, 80) +
                           "' is not a receipt handle of the local queue: pass the receipt_handle that receive() returned");
    }
    return row;
}

std::string LocalQueue::send(const std::string& subject, const std::string& body, std::chrono::milliseconds delay) {
    check_duration(delay, "delay");
    return impl_->db.write([&](Connection& c) {
        const std::int64_t t = impl_->now();
        return insert_message(c, subject, body, t, t + delay.count());
    });
}

std::vector<std::string> LocalQueue::send_batch(std::span<const OutgoingMessage> messages, std::chrono::milliseconds delay) {
    check_duration(delay, "delay");
    if (messages.empty()) return {};
    return impl_->db.write([&](Connection& c) {
        const std::int64_t t = impl_->now();
        std::vector<std::string> ids;
        ids.reserve(messages.size());
        for (const auto& m : messages) ids.push_back(insert_message(c, m.subject, m.body, t, t + delay.count()));
        return ids;
    });
}

std::vector<QueueMessage> LocalQueue::receive(std::size_t max_messages, std::chrono::milliseconds visibility_timeout,
                                              std::chrono::milliseconds wait_time) {
    if (max_messages == 0) throw InvalidInput("max_messages must be at least 1");
    check_duration(visibility_timeout, "visibility_timeout");
    check_duration(wait_time, "wait_time");
    const auto deadline = std::chrono::steady_clock::now() + wait_time;
    for (;;) {
        auto messages = impl_->receive_once(max_messages, visibility_timeout);
        if (!messages.empty()) return messages;
        const auto left = deadline - std::chrono::steady_clock::now();
        if (left <= std::chrono::steady_clock::duration::zero()) return messages;
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(left, kPollInterval));
    }
}

bool LocalQueue::delete_message(const std::string& receipt_handle) {
    return impl_->with_handle(receipt_handle, [&](Connection& c, std::int64_t row) {
        c.statement("DELETE FROM wp_queue_messages WHERE id = ?1 AND receipt_handle = ?2")
            .bind(1, row)
            .bind(2, receipt_handle)
            .run();
        return c.changes() > 0;
    });
}

bool LocalQueue::return_message(const std::string& receipt_handle, std::chrono::milliseconds delay, bool count_attempt) {
    check_duration(delay, "delay");
    return impl_->with_handle(receipt_handle, [&](Connection& c, std::int64_t row) {
        c.statement(
             "UPDATE wp_queue_messages SET visible_at = ?3, receipt_handle = NULL, lease_owner = NULL, "
             "receive_count = CASE WHEN ?4 THEN receive_count ELSE MAX(receive_count - 1, 0) END "
             "WHERE id = ?1 AND receipt_handle = ?2")
            .bind(1, row)
            .bind(2, receipt_handle)
            .bind(3, impl_->now() + delay.count())
            .bind(4, std::int64_t{count_attempt})
            .run();
        return c.changes() > 0;
    });
}

bool LocalQueue::change_visibility(const std::string& receipt_handle, std::chrono::milliseconds visibility_timeout) {
    check_duration(visibility_timeout, "visibility_timeout");
    return impl_->with_handle(receipt_handle, [&](Connection& c, std::int64_t row) {
        c.statement("UPDATE wp_queue_messages SET visible_at = ?3 WHERE id = ?1 AND receipt_handle = ?2")
            .bind(1, row)
            .bind(2, receipt_handle)
            .bind(3, impl_->now() + visibility_timeout.count())
            .run();
        return c.changes() > 0;
    });
}

bool LocalQueue::dead_letter(const std::string& receipt_handle, const std::string& reason) {
    return impl_->with_handle(receipt_handle, [&](Connection& c, std::int64_t row) {
        c.statement(
             "INSERT INTO wp_queue_dead_letters (message_id, subject, body, sent_timestamp, first_receive_timestamp, "
             "receive_count, dead_lettered_at, reason) "
             "SELECT message_id, subject, body, sent_timestamp, first_receive_timestamp, receive_count, ?3, ?4 "
             "FROM wp_queue_messages WHERE id = ?1 AND receipt_handle = ?2")
            .bind(1, row)
            .bind(2, receipt_handle)
            .bind(3, impl_->now())
            .bind(4, reason)
            .run();
        if (c.changes() == 0) return false;
        c.statement("DELETE FROM wp_queue_messages WHERE id = ?1").bind(1, row).run();
        return true;
    });
}

QueueCounts LocalQueue::counts() {
    return impl_->db.read([&](Connection& c) {
        QueueCounts counts;
        {
            auto s = c.statement(
                "SELECT COALESCE(SUM(visible_at <= ?1), 0), "
                "COALESCE(SUM(visible_at > ?1 AND receipt_handle IS NOT NULL), 0), "
                "COALESCE(SUM(visible_at > ?1 AND receipt_handle IS NULL), 0) FROM wp_queue_messages");
            s.bind(1, impl_->now());
            if (s.step()) {
                counts.visible = s.int64(0);
                counts.in_flight = s.int64(1);
                counts.delayed = s.int64(2);
            }
        }
        auto s = c.statement("SELECT COUNT(*) FROM wp_queue_dead_letters");
        if (s.step()) counts.dead_letters = s.int64(0);
        return counts;
    });
}

std::vector<QueuedMessage> LocalQueue::list_messages(std::size_t limit) {
    return impl_->db.read([&](Connection& c) {
        std::vector<QueuedMessage> out;
        auto s = c.statement(
            "SELECT id, message_id, subject, body, sent_timestamp, receive_count, visible_at, receipt_handle IS NOT NULL, "
            "lease_owner FROM wp_queue_messages ORDER BY id LIMIT ?1");
        s.bind(1, limit == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(limit));
        const std::int64_t now = impl_->now();
        while (s.step()) {
            QueuedMessage m;
            m.id = s.int64(0);
            m.message_id = s.text(1);
            m.subject = s.text(2);
            m.body = s.text(3);
            m.sent_timestamp = from_ms(s.int64(4));
            m.receive_count = s.int64(5);
            const std::int64_t visible_at = s.int64(6);
            m.visible_at = from_ms(visible_at);
            const bool leased = s.int64(7) != 0;
            if (visible_at <= now) {
                m.state = QueueMessageState::kVisible;
            } else if (leased) {
                m.state = QueueMessageState::kInFlight;
                if (!s.is_null(8)) m.lease_owner = s.text(8);
            } else {
                m.state = QueueMessageState::kDelayed;
            }
            out.push_back(std::move(m));
        }
        return out;
    });
}

std::vector<DeadLetter> LocalQueue::list_dead_letters() {
    return impl_->db.read([&](Connection& c) {
        std::vector<DeadLetter> out;
        auto s = c.statement(
            "SELECT id, message_id, subject, body, sent_timestamp, first_receive_timestamp, receive_count, "
            "dead_lettered_at, reason FROM wp_queue_dead_letters ORDER BY id");
        while (s.step()) {
            DeadLetter d;
            d.id = s.int64(0);
            d.message_id = s.text(1);
            d.subject = s.text(2);
            d.body = s.text(3);
            d.sent_timestamp = from_ms(s.int64(4));
            if (!s.is_null(5)) d.first_receive_timestamp = from_ms(s.int64(5));
            d.receive_count = s.int64(6);
            d.dead_lettered_at = from_ms(s.int64(7));
            d.reason = s.text(8);
            out.push_back(std::move(d));
        }
        return out;
    });
}

std::vector<std::string> LocalQueue::redrive_dead_letters(std::span<const std::string> message_ids) {
    return impl_->db.write([&](Connection& c) {
        // The rows to move, oldest first: every dead letter, or the named ones (each must be one).
        std::vector<std::pair<std::int64_t, std::string>> rows;  // (row id, message id)
        if (message_ids.empty()) {
            auto s = c.statement("SELECT id, message_id FROM wp_queue_dead_letters ORDER BY id");
            while (s.step()) rows.emplace_back(s.int64(0), s.text(1));
        } else {
            for (const auto& message_id : message_ids) {
                auto s = c.statement("SELECT id FROM wp_queue_dead_letters WHERE message_id = ?1 ORDER BY id LIMIT 1");
                s.bind(1, message_id);
                if (!s.step()) {
                    throw InvalidInput("'" + message_id.substr(0, 80) + "' is not the message id of a dead letter in " +
                                       sqlite_uri(impl_->options.database.path) +
                                       ": nothing was redriven (list them with `dead-letters ls`)");
                }
                const std::int64_t row = s.int64(0);
                if (std::none_of(rows.begin(), rows.end(), [&](const auto& r) { return r.first == row; })) {
                    rows.emplace_back(row, message_id);
                }
            }
            std::sort(rows.begin(), rows.end());
        }
        const std::int64_t t = impl_->now();
        std::vector<std::string> moved;
        moved.reserve(rows.size());
        for (const auto& [row, message_id] : rows) {
            c.statement(
                 "INSERT INTO wp_queue_messages (message_id, subject, body, sent_timestamp, receive_count, visible_at) "
                 "SELECT message_id, subject, body, sent_timestamp, 0, ?2 FROM wp_queue_dead_letters WHERE id = ?1")
                .bind(1, row)
                .bind(2, t)
                .run();
            c.statement("DELETE FROM wp_queue_dead_letters WHERE id = ?1").bind(1, row).run();
            moved.push_back(message_id);
        }
        return moved;
    });
}

}  // namespace watchbot_progress
