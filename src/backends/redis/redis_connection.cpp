#include "backends/redis/redis_connection.hpp"

#include <pthread.h>
#include <signal.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>

#include "watchbot_progress/error_codes.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress::detail::redis {

namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
    timeval tv{};
    tv.tv_sec = static_cast<decltype(tv.tv_sec)>(ms.count() / 1000);
    tv.tv_usec = static_cast<decltype(tv.tv_usec)>((ms.count() % 1000) * 1000);
    return tv;
}

// hiredis 0.14 writes with write(2), so writing to a connection the server has reset raises SIGPIPE,
// whose default action kills the process. While a Connection does I/O, SIGPIPE is blocked in the
// calling thread; one raised meanwhile is consumed before unblocking (the write itself fails with
// EPIPE, which hiredis reports). The process's own SIGPIPE handling is left alone.
class SigpipeGuard {
public:
    SigpipeGuard() {
        sigemptyset(&sigpipe_);
        sigaddset(&sigpipe_, SIGPIPE);
        sigset_t pending;
        sigemptyset(&pending);
        was_pending_ = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
        blocked_ = pthread_sigmask(SIG_BLOCK, &sigpipe_, &previous_) == 0;
    }
    ~SigpipeGuard() {
        if (!blocked_) return;
        if (!was_pending_) {
            sigset_t pending;
            sigemptyset(&pending);
            if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
                const timespec no_wait{};
                while (sigtimedwait(&sigpipe_, nullptr, &no_wait) == -1 && errno == EINTR) {
                }
            }
        }
        pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
    }
    SigpipeGuard(const SigpipeGuard&) = delete;
    SigpipeGuard& operator=(const SigpipeGuard&) = delete;

private:
    sigset_t sigpipe_;
    sigset_t previous_;
    bool was_pending_ = false;
    bool blocked_ = false;
};

}  // namespace

void ReplyDeleter::operator()(redisReply* reply) const noexcept {
    if (reply != nullptr) freeReplyObject(reply);
}

void Connection::ContextDeleter::operator()(redisContext* context) const noexcept {
    if (context != nullptr) redisFree(context);
}

std::string endpoint(const RedisOptions& options) {
    const bool ipv6 = options.host.find(':') != std::string::npos;
    return (ipv6 ? "[" + options.host + "]" : options.host) + ":" + std::to_string(options.port);
}

std::string error_code(const redisReply& reply) {
    if (reply.type != REDIS_REPLY_ERROR || reply.str == nullptr) return {};
    const std::string_view text(reply.str, reply.len);
    return std::string(text.substr(0, text.find(' ')));
}

bool is_error(const redisReply& reply, std::string_view code) {
    return reply.type == REDIS_REPLY_ERROR && error_code(reply) == code;
}

void raise_reply_error(const redisReply& reply, const RedisOptions& options, std::string_view what) {
    std::string code = error_code(reply);
    if (code.empty()) code = "ERR";
    const bool retryable =
        code == "LOADING" || code == "BUSY" || code == "TRYAGAIN" || code == "MASTERDOWN" || code == "OOM";
    std::string text = reply.str != nullptr ? std::string(reply.str, reply.len) : std::string("(no message)");
    std::string hint;
    if (code == "NOAUTH") {
        hint = ": the server requires a password; give it as redis://:PASSWORD@host or RedisOptions::password";
    } else if (code == "WRONGPASS") {
        hint = ": check the username and password";
    } else if (code == "WRONGTYPE") {
        hint = ": a key the job uses holds another kind of value (not written by watchbot-progress?)";
    } else if (retryable) {
        hint = ": the server is busy or not ready; try again";
    }
    throw BackendError("Redis at " + endpoint(options) + " failed to " + std::string(what) + ": " + text + hint,
                       std::move(code), retryable);
}

void expect_type(const redisReply& reply, int type, const RedisOptions& options, std::string_view what) {
    if (reply.type == REDIS_REPLY_ERROR) raise_reply_error(reply, options, what);
    if (reply.type != type) {
        throw BackendError("Redis at " + endpoint(options) + " sent an unexpected reply (type " + std::to_string(reply.type) +
                               ") to " + std::string(what),
                           std::string(error_code::kUnexpectedReply), false);
    }
}

std::string as_string(const redisReply& reply) {
    if ((reply.type == REDIS_REPLY_STRING || reply.type == REDIS_REPLY_STATUS) && reply.str != nullptr) {
        return std::string(reply.str, reply.len);
    }
    return {};
}

Connection::Connection(const RedisOptions& options) {
    // hiredis treats a zero timeout as "give up at once"; 0 means no timeout here.
    context_.reset(options.connect_timeout.count() > 0
                       ? redisConnectWithTimeout(options.host.c_str(), options.port, to_timeval(options.connect_timeout))
                       : redisConnect(options.host.c_str(), options.port));
    if (!context_) throw ConnectionLost("out of memory allocating a Redis connection");
    if (context_->err != 0) lost("connect");
    if (options.command_timeout.count() > 0 &&
        redisSetTimeout(context_.get(), to_timeval(options.command_timeout)) != REDIS_OK) {
        lost("set the command timeout");
    }
    if (options.password) {
        Args auth{"AUTH"};
        if (options.username && !options.username->empty()) auth.push_back(*options.username);
        auth.push_back(*options.password);
        Reply reply = command(auth);
        if (reply->type == REDIS_REPLY_ERROR) raise_reply_error(*reply, options, "authenticate (AUTH)");
    }
    if (options.db != 0) {
        Reply reply = command({"SELECT", std::to_string(options.db)});
        if (reply->type == REDIS_REPLY_ERROR) raise_reply_error(*reply, options, "select database " + std::to_string(options.db));
    }
}

Connection::~Connection() = default;

void Connection::lost(std::string_view doing) {
    std::string message = std::string(doing) + ": ";
    if (context_ && context_->errstr[0] != '\0') {
        message += context_->errstr;
        if (context_->err == REDIS_ERR_IO && (std::string_view(context_->errstr).find("temporarily unavailable") != std::string_view::npos)) {
            message += " (timed out)";
        }
    } else {
        message += "connection failed";
    }
    throw ConnectionLost(message);
}

Reply Connection::command(const Args& args) {
    SigpipeGuard guard;
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    argv.reserve(args.size());
    lengths.reserve(args.size());
    for (const auto& a : args) {
        argv.push_back(a.data());
        lengths.push_back(a.size());
    }
    void* raw = redisCommandArgv(context_.get(), static_cast<int>(args.size()), argv.data(), lengths.data());
    if (raw == nullptr) lost(args.empty() ? "send a command" : "send " + args.front());
    return Reply(static_cast<redisReply*>(raw));
}

std::vector<Reply> Connection::pipeline(const std::vector<Args>& commands) {
    SigpipeGuard guard;
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& args : commands) {
        argv.clear();
        lengths.clear();
        for (const auto& a : args) {
            argv.push_back(a.data());
            lengths.push_back(a.size());
        }
        if (redisAppendCommandArgv(context_.get(), static_cast<int>(args.size()), argv.data(), lengths.data()) != REDIS_OK) {
            lost("queue a command");
        }
    }
    std::vector<Reply> replies;
    replies.reserve(commands.size());
    for (std::size_t i = 0; i < commands.size(); ++i) {
        void* raw = nullptr;
        if (redisGetReply(context_.get(), &raw) != REDIS_OK || raw == nullptr) lost("read a pipelined reply");
        replies.emplace_back(static_cast<redisReply*>(raw));
    }
    return replies;
}

Pool::Pool(RedisOptions options) : options_(std::move(options)), max_open_(std::max<std::size_t>(1, options_.pool_size)) {}

Pool::~Pool() = default;

Pool::Lease::~Lease() {
    if (connection_) pool_->give_back(std::move(connection_), broken_);
}

Pool::Lease Pool::acquire() {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [&] { return !idle_.empty() || open_ < max_open_; });
    if (!idle_.empty()) {
        std::unique_ptr<Connection> connection = std::move(idle_.back());
        idle_.pop_back();
        return Lease(this, std::move(connection));
    }
    ++open_;
    lock.unlock();
    try {
        return Lease(this, std::make_unique<Connection>(options_));
    } catch (...) {
        lock.lock();
        --open_;
        lock.unlock();
        available_.notify_one();
        throw;
    }
}

void Pool::give_back(std::unique_ptr<Connection> connection, bool broken) noexcept {
    std::vector<std::unique_ptr<Connection>> to_close;
    {
        std::lock_guard lock(mutex_);
        if (broken) {
            // Whatever broke this connection (a server restart, a network change) has most likely
            // broken the idle ones too: close them all rather than fail on each in turn.
            to_close = std::move(idle_);
            idle_.clear();
            open_ -= to_close.size() + 1;
        } else {
            idle_.push_back(std::move(connection));
        }
    }
    if (broken) {
        available_.notify_all();
    } else {
        available_.notify_one();
    }
    // `connection` (when broken) and `to_close` are freed here, outside the lock.
}

}  // namespace watchbot_progress::detail::redis
