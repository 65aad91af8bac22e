#include "backends/redis/redis_reply.hpp"

#include "watchbot_progress/error_codes.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress::detail::redis {

void ReplyReader::check_error() const {
    if (reply_->type == REDIS_REPLY_ERROR) raise_reply_error(*reply_, *options_, what_);
}

void ReplyReader::expect(int type) const {
    check_error();
    if (reply_->type != type) unexpected();
}

long long ReplyReader::integer() const {
    expect(REDIS_REPLY_INTEGER);
    return reply_->integer;
}

std::string ReplyReader::string() const {
    expect(REDIS_REPLY_STRING);
    return as_string(*reply_);
}

ReplyReader ReplyReader::array() const {
    expect(REDIS_REPLY_ARRAY);
    return *this;
}

std::optional<std::string> ReplyReader::optional_string() const {
    if (reply_->type != REDIS_REPLY_STRING && reply_->type != REDIS_REPLY_STATUS) return std::nullopt;
    return as_string(*reply_);
}

std::size_t ReplyReader::size() const noexcept { return reply_->type == REDIS_REPLY_ARRAY ? reply_->elements : 0; }

const redisReply& ReplyReader::element(std::size_t i) const {
    if (i >= size() || reply_->element[i] == nullptr) unexpected();
    return *reply_->element[i];
}

long long ReplyReader::integer(std::size_t i) const {
    const redisReply& e = element(i);
    if (e.type != REDIS_REPLY_INTEGER) unexpected();
    return e.integer;
}

std::string ReplyReader::text(std::size_t i) const { return as_string(element(i)); }

std::optional<std::string> ReplyReader::optional_string(std::size_t i) const {
    const redisReply& e = element(i);
    if (e.type != REDIS_REPLY_STRING && e.type != REDIS_REPLY_STATUS) return std::nullopt;
    return as_string(e);
}

ReplyReader ReplyReader::array(std::size_t i) const {
    const redisReply& e = element(i);
    if (e.type != REDIS_REPLY_ARRAY) unexpected();
    return ReplyReader(e, *options_, what_);
}

std::optional<ReplyReader> ReplyReader::optional_array(std::size_t i, std::size_t size) const {
    if (i >= this->size()) return std::nullopt;
    const redisReply& e = element(i);
    if (e.type != REDIS_REPLY_ARRAY || e.elements != size) return std::nullopt;
    return ReplyReader(e, *options_, what_);
}

void ReplyReader::unexpected() const {
    throw BackendError("Redis at " + endpoint(*options_) + " sent an unexpected reply to " + std::string(what_),
                       std::string(error_code::kUnexpectedReply), false);
}

ScriptReply::ScriptReply(Reply reply, const RedisOptions& options, std::string_view what)
    : reply_(std::move(reply)), reader_(*reply_, options, what) {
    (void)reader_.array();
    (void)reader_.integer(0);
}

}  // namespace watchbot_progress::detail::redis
