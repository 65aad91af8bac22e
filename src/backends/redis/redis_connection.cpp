#include "backends/redis/redis_connection.hpp"

#include <unistd.h>

#include <algorithm>

#include "watchbot_progress/error_codes.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress::detail::redis {

void ReplyDeleter::operator()(redisReply* reply) const noexcept {
    if (reply != nullptr) freeReplyObject(reply);
}

void Connection::ReaderDeleter::operator()(redisReader* reader) const noexcept {
    if (reader != nullptr) redisReaderFree(reader);
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
    } else if (code == "MOVED" || code == "ASK" || code == "CROSSSLOT" || code == "CLUSTERDOWN") {
        // A Redis Cluster (an ElastiCache endpoint with cluster mode enabled): a job's keys
        // (<jobid>-metadata, <jobid>-parts, ...) hash to different slots, and the backend does not
        // follow redirections.
        hint = ": the server is a Redis Cluster node (for example an ElastiCache endpoint with cluster mode enabled), "
               "which the Redis backend does not support: a job's keys live in different hash slots and "
               "redirections (MOVED/ASK) are not followed; use a Redis server or an ElastiCache replication group "
               "with cluster mode disabled";
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

Connection::Connection(const RedisOptions& options, const TlsContext* tls) : pid_(::getpid()) {
    if (options.tls.enabled && tls == nullptr) throw std::logic_error("Connection: TLS options without a TlsContext");
    try {
        transport_ = Transport::open(options, options.tls.enabled ? tls : nullptr);
    } catch (const ConnectionLost& e) {
        throw ConnectionLost(std::string("connect: ") + e.what());
    }
    reader_.reset(redisReaderCreate());
    if (!reader_) throw std::bad_alloc();
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

bool Connection::opened_by_this_process() const noexcept { return pid_ == ::getpid(); }

void Connection::append(std::string& out, const Args& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    argv.reserve(args.size());
    lengths.reserve(args.size());
    for (const auto& a : args) {
        argv.push_back(a.data());
        lengths.push_back(a.size());
    }
    char* formatted = nullptr;
    const int length = redisFormatCommandArgv(&formatted, static_cast<int>(args.size()), argv.data(), lengths.data());
    if (length < 0 || formatted == nullptr) throw std::bad_alloc();
    out.append(formatted, static_cast<std::size_t>(length));
    redisFreeCommand(formatted);
}

Reply Connection::read_reply(std::string_view doing) {
    char buffer[16 * 1024];
    for (;;) {
        void* raw = nullptr;
        if (redisReaderGetReply(reader_.get(), &raw) != REDIS_OK) {
            throw ConnectionLost(std::string(doing) + ": protocol error: " + reader_->errstr);
        }
        if (raw != nullptr) return Reply(static_cast<redisReply*>(raw));
        std::size_t n = 0;
        try {
            n = transport_->read_some(buffer, sizeof buffer);
        } catch (const ConnectionLost& e) {
            throw ConnectionLost(std::string(doing) + ": " + e.what());
        }
        if (redisReaderFeed(reader_.get(), buffer, n) != REDIS_OK) {
            throw ConnectionLost(std::string(doing) + ": protocol error: " + reader_->errstr);
        }
    }
}

Reply Connection::command(const Args& args) {
    std::string out;
    append(out, args);
    const std::string doing = args.empty() ? "send a command" : "send " + args.front();
    try {
        transport_->write_all(out);
    } catch (const ConnectionLost& e) {
        throw ConnectionLost(doing + ": " + e.what());
    }
    return read_reply(args.empty() ? "read a reply" : "read the reply to " + args.front());
}

std::vector<Reply> Connection::pipeline(const std::vector<Args>& commands) {
    std::string out;
    for (const auto& args : commands) append(out, args);
    try {
        transport_->write_all(out);
    } catch (const ConnectionLost& e) {
        throw ConnectionLost(std::string("send a pipeline: ") + e.what());
    }
    std::vector<Reply> replies;
    replies.reserve(commands.size());
    for (std::size_t i = 0; i < commands.size(); ++i) replies.push_back(read_reply("read a pipelined reply"));
    return replies;
}

Pool::Pool(RedisOptions options)
    : options_(std::move(options)),
      tls_(options_.tls.enabled ? std::make_unique<TlsContext>(options_.tls) : nullptr),
      max_open_(std::max<std::size_t>(1, options_.pool_size)),
      pid_(::getpid()) {}

Pool::~Pool() = default;

Pool::Lease::~Lease() {
    if (connection_) pool_->give_back(std::move(connection_), broken_);
}

void Pool::forget_parent_if_forked() noexcept {
    const pid_t now = ::getpid();
    if (now == pid_) return;
    pid_ = now;
    idle_.clear();  // closes the child's descriptors only: a Transport sends nothing when destroyed
    open_ = 0;      // the leased ones belong to the parent's threads and never come back here
}

Pool::Lease Pool::acquire() {
    std::unique_lock lock(mutex_);
    forget_parent_if_forked();
    available_.wait(lock, [&] { return !idle_.empty() || open_ < max_open_; });
    if (!idle_.empty()) {
        std::unique_ptr<Connection> connection = std::move(idle_.back());
        idle_.pop_back();
        return Lease(this, std::move(connection));
    }
    ++open_;
    lock.unlock();
    try {
        return Lease(this, std::make_unique<Connection>(options_, tls_.get()));
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
        forget_parent_if_forked();
        if (!connection->opened_by_this_process()) return;  // the parent's, already forgotten
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
