#pragma once
// Private to the Redis backend: typed reading of replies, so that backend logic says what it
// expects of a reply (reply.array(3).optional_string(2), reply.integer()) instead of walking
// hiredis's structs (reply->element[3]->element[2], reply->type). Every access checks bounds and
// types: a reply of another shape is BackendError("UnexpectedReply") naming the server and what the
// backend was doing, never an out-of-bounds read; an error reply, where the backend expects a value,
// is the BackendError it stands for (raise_reply_error).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "backends/redis/redis_connection.hpp"
#include "backends/redis/redis_script_status.hpp"

namespace watchbot_progress::detail::redis {

// A view of a reply (which must outlive it). `what` (what the backend was doing, for messages)
// must outlive it too: callers pass string literals.
class ReplyReader {
public:
    ReplyReader(const redisReply& reply, const RedisOptions& options, std::string_view what) noexcept
        : reply_(&reply), options_(&options), what_(what) {}

    // ---- the reply itself ----
    // Throws the BackendError an error reply stands for (raise_reply_error); any other reply passes.
    void check_error() const;
    // The reply, an integer / a string / an array (an error reply throws its error; another type,
    // UnexpectedReply).
    long long integer() const;
    std::string string() const;
    ReplyReader array() const;
    // The reply's text when it is a string or status reply; nullopt for anything else (nil, an
    // error, ...).
    std::optional<std::string> optional_string() const;

    // ---- elements of an array reply ----
    // Elements of an array reply; 0 for any other reply.
    std::size_t size() const noexcept;
    // Element i, an integer.
    long long integer(std::size_t i) const;
    // Element i's text when it is a string or status reply, else "" (a nil, an integer, ...).
    std::string text(std::size_t i) const;
    // Element i's text when it is a string or status reply; nullopt when it is anything else (nil,
    // which is also what a script's `false` becomes).
    std::optional<std::string> optional_string(std::size_t i) const;
    // Element i, an array.
    ReplyReader array(std::size_t i) const;
    // Element i when it is an array of exactly `size` elements, else nullopt.
    std::optional<ReplyReader> optional_array(std::size_t i, std::size_t size) const;

    // Throws BackendError("UnexpectedReply").
    [[noreturn]] void unexpected() const;

private:
    const redisReply& element(std::size_t i) const;
    // check_error, then UnexpectedReply unless the reply has hiredis type `type`.
    void expect(int type) const;

    const redisReply* reply_;
    const RedisOptions* options_;
    std::string_view what_;
};

// A script's reply, owned: an array whose first element is a ScriptStatus (checked on
// construction), read with ReplyReader's accessors.
class ScriptReply {
public:
    // Throws BackendError for an error reply, UnexpectedReply when the reply is not an array whose
    // first element is an integer.
    ScriptReply(Reply reply, const RedisOptions& options, std::string_view what);

    ScriptStatus status() const { return static_cast<ScriptStatus>(reader_.integer(0)); }
    const ReplyReader& reader() const noexcept { return reader_; }
    long long integer(std::size_t i) const { return reader_.integer(i); }
    [[noreturn]] void unexpected() const { reader_.unexpected(); }

private:
    Reply reply_;
    ReplyReader reader_;
};

}  // namespace watchbot_progress::detail::redis
