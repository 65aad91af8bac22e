// The Redis backend's typed reply reader (src/backends/redis/redis_reply.hpp) and the scripts'
// status constants (redis_script_status.hpp), without a server: replies built by hand.

#include <functional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "backends/redis/redis_reply.hpp"
#include "backends/redis/redis_script_status.hpp"
#include "backends/redis/redis_scripts.hpp"
#include "watchbot_progress/errors.hpp"

namespace wp = watchbot_progress;
namespace rd = watchbot_progress::detail::redis;
using ::testing::HasSubstr;

namespace {

redisReply integer_reply(long long value) {
    redisReply r{};
    r.type = REDIS_REPLY_INTEGER;
    r.integer = value;
    return r;
}

// A string reply, or with `type` an error or status reply, of `text`.
redisReply string_reply(std::string& text, int type = REDIS_REPLY_STRING) {
    redisReply r{};
    r.type = type;
    r.str = text.data();
    r.len = text.size();
    return r;
}

redisReply nil_reply() {
    redisReply r{};
    r.type = REDIS_REPLY_NIL;
    return r;
}

redisReply array_reply(std::vector<redisReply*>& elements) {
    redisReply r{};
    r.type = REDIS_REPLY_ARRAY;
    r.elements = elements.size();
    r.element = elements.data();
    return r;
}

std::string unexpected_reply_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const wp::BackendError& e) {
        EXPECT_EQ(e.code(), "UnexpectedReply");
        return e.what();
    }
    ADD_FAILURE() << "no BackendError";
    return {};
}

}  // namespace

TEST(RedisReply, ReadsTypedElementsOfNestedArrays) {
    std::string at = "1700000000000", confirmed = "1";
    redisReply zero = integer_reply(0), remaining = integer_reply(7), at_reply = string_reply(at),
               confirmed_reply = string_reply(confirmed), nil = nil_reply();
    std::vector<redisReply*> record_elements{&at_reply, &confirmed_reply, &nil};
    redisReply record = array_reply(record_elements);
    std::vector<redisReply*> elements{&zero, &remaining, &record};
    redisReply reply = array_reply(elements);

    const wp::RedisOptions options;
    const rd::ReplyReader reader(reply, options, "read a job's status");
    EXPECT_EQ(reader.size(), 3u);
    EXPECT_EQ(reader.integer(0), 0);
    EXPECT_EQ(reader.integer(1), 7);
    const auto claim = reader.optional_array(2, 3);
    ASSERT_TRUE(claim.has_value());
    EXPECT_EQ(claim->optional_string(0), at);
    EXPECT_EQ(claim->text(1), "1");
    EXPECT_FALSE(claim->optional_string(2).has_value());  // nil (a script's false)
    EXPECT_EQ(claim->text(2), "");
    EXPECT_FALSE(reader.optional_array(2, 4).has_value());
    EXPECT_FALSE(reader.optional_array(1, 3).has_value());
    EXPECT_FALSE(reader.optional_array(9, 3).has_value());
}

TEST(RedisReply, AReplyOfAnotherShapeIsAnUnexpectedReplyNamingWhatWasBeingDone) {
    std::string text = "x";
    redisReply one = integer_reply(1), str = string_reply(text);
    std::vector<redisReply*> elements{&one, &str};
    redisReply reply = array_reply(elements);
    const wp::RedisOptions options;
    const rd::ReplyReader reader(reply, options, "complete a part");
    EXPECT_THAT(unexpected_reply_of([&] { (void)reader.integer(1); }), HasSubstr("complete a part"));
    EXPECT_THAT(unexpected_reply_of([&] { (void)reader.integer(2); }), HasSubstr("unexpected reply"));
    EXPECT_THAT(unexpected_reply_of([&] { (void)reader.array(0); }), HasSubstr("complete a part"));
    redisReply scalar = integer_reply(5);
    const rd::ReplyReader not_an_array(scalar, options, "complete a part");
    EXPECT_EQ(not_an_array.size(), 0u);
    EXPECT_THAT(unexpected_reply_of([&] { (void)not_an_array.integer(0); }), HasSubstr("complete a part"));
}

// A reply read as a whole (a command's, a pipeline's): the type asked for, an error reply's own
// error, or UnexpectedReply.
TEST(RedisReply, ReadsAWholeReplyOfTheTypeAsked) {
    const wp::RedisOptions options;
    std::string text = "abc", error = "WRONGTYPE Operation against a key holding the wrong kind of value";
    redisReply one = integer_reply(1), str = string_reply(text), nil = nil_reply(), err = string_reply(error, REDIS_REPLY_ERROR);
    std::vector<redisReply*> elements{&one, &str};
    redisReply array = array_reply(elements);

    EXPECT_EQ(rd::ReplyReader(one, options, "count").integer(), 1);
    EXPECT_EQ(rd::ReplyReader(str, options, "load a script").string(), "abc");
    EXPECT_EQ(rd::ReplyReader(str, options, "read").optional_string(), "abc");
    EXPECT_FALSE(rd::ReplyReader(nil, options, "read").optional_string().has_value());
    EXPECT_FALSE(rd::ReplyReader(err, options, "read").optional_string().has_value());
    EXPECT_EQ(rd::ReplyReader(array, options, "scan").array().text(1), "abc");
    rd::ReplyReader(one, options, "write").check_error();  // passes

    EXPECT_THAT(unexpected_reply_of([&] { (void)rd::ReplyReader(str, options, "count the parts").integer(); }),
                HasSubstr("count the parts"));
    EXPECT_THAT(unexpected_reply_of([&] { (void)rd::ReplyReader(one, options, "scan").array(); }), HasSubstr("scan"));
    EXPECT_THAT(unexpected_reply_of([&] { (void)rd::ReplyReader(nil, options, "load a script").string(); }),
                HasSubstr("load a script"));
    for (const std::function<void()>& read :
         std::vector<std::function<void()>>{[&] { rd::ReplyReader(err, options, "list parts").check_error(); },
                                            [&] { (void)rd::ReplyReader(err, options, "list parts").integer(); },
                                            [&] { (void)rd::ReplyReader(err, options, "list parts").array(); }}) {
        try {
            read();
            ADD_FAILURE() << "no BackendError";
        } catch (const wp::BackendError& e) {
            EXPECT_EQ(e.code(), "WRONGTYPE");
            EXPECT_THAT(e.what(), HasSubstr("list parts"));
        }
    }
}

TEST(RedisReply, ScriptsGetTheStatusNamesFromTheEnum) {
    const std::string source = rd::script_source(rd::scripts::kFail);
    for (const auto& [status, name] : rd::kScriptStatusNames) {
        EXPECT_THAT(source, HasSubstr("local " + std::string(name) + " = " + std::to_string(static_cast<long long>(status)) + "\n"));
    }
    EXPECT_THAT(source, HasSubstr("return {JOB_DOES_NOT_EXIST}"));
    EXPECT_EQ(source.substr(source.size() - rd::scripts::kFail.size()), rd::scripts::kFail);
    // No script writes a status as a number any more.
    for (const std::string_view script : {rd::scripts::kPrelude, rd::scripts::kComplete, rd::scripts::kClaim, rd::scripts::kReclaim,
                                          rd::scripts::kRecordFailed, rd::scripts::kConfirm, rd::scripts::kRelease, rd::scripts::kFail,
                                          rd::scripts::kSetMetadata, rd::scripts::kStatus, rd::scripts::kPartPending,
                                          rd::scripts::kCommitTotal}) {
        EXPECT_EQ(script.find("return {-"), std::string_view::npos) << script;
        EXPECT_EQ(script.find("return {0"), std::string_view::npos) << script;
    }
}
