#pragma once
// Private to the Redis backend (and its tests): one connection to a Redis server, and a pool of them.
// A Connection formats commands and parses replies with hiredis (redisFormatCommandArgv, redisReader)
// and moves the bytes over a Transport of its own (plain TCP or TLS, redis_transport.hpp).
//
// A Connection is used by one thread at a time. Any failure of the connection itself (refused,
// reset, EOF, timeout, protocol error) throws ConnectionLost and leaves the Connection unusable:
// the caller discards it. Error *replies* from Redis are returned as replies (type
// REDIS_REPLY_ERROR); raise_reply_error turns one into a BackendError.

#include <hiredis/hiredis.h>
#include <sys/types.h>

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "backends/redis/redis_transport.hpp"
#include "watchbot_progress/redis_options.hpp"

namespace watchbot_progress::detail::redis {

// Frees a hiredis reply. Defined in the library so that users of this header (the tests) need not
// link hiredis themselves.
struct ReplyDeleter {
    void operator()(redisReply* reply) const noexcept;
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

using Args = std::vector<std::string>;

// The first word of an error reply ("WRONGTYPE", "NOSCRIPT", ...).
std::string error_code(const redisReply& reply);
bool is_error(const redisReply& reply, std::string_view code);
// Throws BackendError for an error reply, with its code; "LOADING", "BUSY", "TRYAGAIN",
// "MASTERDOWN", "OOM" are retryable. `what` says what the backend was doing.
[[noreturn]] void raise_reply_error(const redisReply& reply, const RedisOptions& options, std::string_view what);
// Throws BackendError("UnexpectedReply") when the reply is not of the expected type (after checking
// for an error reply).
void expect_type(const redisReply& reply, int type, const RedisOptions& options, std::string_view what);
std::string as_string(const redisReply& reply);  // a string or status reply's text

class Connection {
public:
    // Connects (connect_timeout; with options.tls, over TLS with `tls`, which must then be given and
    // outlive the Connection), sets the command timeout, AUTHs and SELECTs. Throws ConnectionLost
    // when the server cannot be reached, BackendError when it refuses TLS, AUTH or SELECT.
    explicit Connection(const RedisOptions& options, const TlsContext* tls = nullptr);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // One command, one round trip. Never returns null; error replies are returned.
    Reply command(const Args& args);
    // Sends every command, then reads every reply, in order: one round trip.
    std::vector<Reply> pipeline(const std::vector<Args>& commands);

    // False in a child process (fork) of the process that opened the connection: the socket is
    // then shared with the parent, and the child must not use it.
    bool opened_by_this_process() const noexcept;

private:
    void append(std::string& out, const Args& args);
    Reply read_reply(std::string_view doing);

    struct ReaderDeleter {
        void operator()(redisReader* reader) const noexcept;
    };
    std::unique_ptr<Transport> transport_;
    std::unique_ptr<redisReader, ReaderDeleter> reader_;
    const pid_t pid_;
};

// Up to max_open connections; acquire() hands out an idle one, opens a new one while under the
// limit (outside the lock), or waits for one to be returned. Thread-safe. In a child process (fork)
// the pool starts empty: the parent's connections, idle or leased, are never handed out there
// (a child and its parent sending on one socket could each read the other's replies). Their
// descriptors are closed in the child, which sends nothing: the parent goes on using them.
class Pool {
public:
    // With options.tls.enabled, builds the TLS context now: throws ConfigError as TlsContext does.
    explicit Pool(RedisOptions options);
    ~Pool();

    class Lease {
    public:
        Lease(Pool* pool, std::unique_ptr<Connection> connection) : pool_(pool), connection_(std::move(connection)) {}
        Lease(Lease&& other) noexcept = default;
        Lease& operator=(Lease&&) = delete;
        ~Lease();
        Connection& operator*() const noexcept { return *connection_; }
        Connection* operator->() const noexcept { return connection_.get(); }
        // The connection failed: on return it is closed, with every idle connection of the pool.
        void mark_broken() noexcept { broken_ = true; }

    private:
        Pool* pool_;
        std::unique_ptr<Connection> connection_;
        bool broken_ = false;
    };

    // Throws what Connection's constructor throws when a new connection cannot be opened.
    Lease acquire();

private:
    void give_back(std::unique_ptr<Connection> connection, bool broken) noexcept;
    // Under mutex_: in a child process, forgets the parent's connections and their count.
    void forget_parent_if_forked() noexcept;

    const RedisOptions options_;
    const std::unique_ptr<TlsContext> tls_;  // with options_.tls.enabled
    const std::size_t max_open_;
    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<Connection>> idle_;
    std::size_t open_ = 0;  // idle plus leased plus being opened
    pid_t pid_;             // the process whose connections these are
};

}  // namespace watchbot_progress::detail::redis
