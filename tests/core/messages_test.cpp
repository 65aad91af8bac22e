// The ground floor: message formats (messages.hpp), the job id rules every tool shares, and the
// library's error codes (error_codes.hpp).

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "watchbot_progress/error_codes.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace wp = watchbot_progress;
using nlohmann::json;

TEST(JobId, Validation) {
    EXPECT_NO_THROW(wp::validate_jobid("a-job_1"));
    EXPECT_NO_THROW(wp::validate_jobid("Zoé 🚀"));
    EXPECT_THROW(wp::validate_jobid(""), wp::InvalidInput);
    EXPECT_THROW(wp::validate_jobid("tab\there"), wp::InvalidInput);
    EXPECT_THROW(wp::validate_jobid(std::string("nul\0x", 5)), wp::InvalidInput);
    EXPECT_THROW(wp::validate_jobid("\xff\xfe"), wp::InvalidInput);
    EXPECT_THROW(wp::validate_jobid(std::string(1025, 'a')), wp::InvalidInput);
    EXPECT_NO_THROW(wp::validate_jobid(std::string(1024, 'a')));
}

TEST(Messages, MapMessageAddsJobidPartidAndMetadata) {
    const auto body = wp::map_message_body({{"url", "a"}, {"n", 2}}, "job-1", 7, R"({"k":"v"})");
    EXPECT_EQ(json::parse(body), (json{{"url", "a"}, {"n", 2}, {"jobid", "job-1"}, {"partid", 7}, {"metadata", {{"k", "v"}}}}));
    EXPECT_EQ(json::parse(wp::map_message_body(json::object(), "j", 0, "null")),
              (json{{"jobid", "j"}, {"partid", 0}, {"metadata", nullptr}}));
    // Fields of those names in the part are replaced, never duplicated.
    const auto replaced = wp::map_message_body({{"jobid", "j"}, {"partid", 3}, {"metadata", 1}, {"x", 1}}, "j", 3, "null");
    EXPECT_EQ(json::parse(replaced), (json{{"x", 1}, {"jobid", "j"}, {"partid", 3}, {"metadata", nullptr}}));
}

TEST(Messages, ReduceMessage) {
    EXPECT_EQ(json::parse(wp::reduce_message_body("j", {{"a", 1}})), (json{{"jobid", "j"}, {"metadata", {{"a", 1}}}}));
}

TEST(Messages, ParseMapMessage) {
    const auto m = wp::parse_map_message(R"({"url":"u","jobid":"j","partid":4,"metadata":{"a":1}})");
    EXPECT_EQ(m.jobid, "j");
    EXPECT_EQ(m.partid, 4);
    EXPECT_EQ(m.metadata, (json{{"a", 1}}));
    EXPECT_EQ(m.body["url"], "u");
    EXPECT_THROW(wp::parse_map_message("not json"), wp::InvalidInput);
    EXPECT_THROW(wp::parse_map_message("[1,2]"), wp::InvalidInput);
    EXPECT_THROW(wp::parse_map_message(R"({"partid":1})"), wp::InvalidInput);
    EXPECT_THROW(wp::parse_map_message(R"({"jobid":"j"})"), wp::InvalidInput);
    EXPECT_THROW(wp::parse_map_message(R"({"jobid":"j","partid":"1"})"), wp::InvalidInput);
    EXPECT_THROW(wp::parse_map_message(R"({"jobid":"j","partid":-1})"), wp::InvalidInput);
    EXPECT_THROW(wp::parse_map_message(R"({"jobid":"j","partid":1.5})"), wp::InvalidInput);
    EXPECT_THROW(wp::parse_map_message(R"({"jobid":"","partid":1})"), wp::InvalidInput);
}

TEST(Messages, MapMessageFromEnv) {
    ::unsetenv("Message");
    EXPECT_THROW(wp::map_message_from_env(), wp::ConfigError);
    ::setenv("Message", R"({"jobid":"j","partid":2})", 1);
    EXPECT_EQ(wp::map_message_from_env().partid, 2);
    ::unsetenv("Message");
}

// The library's own BackendError codes are API: users compare code() with them, so their
// spellings stay.
TEST(ErrorCodes, KeepTheirSpellings) {
    namespace ec = wp::error_code;
    EXPECT_EQ(ec::kConnection, "ConnectionError");
    EXPECT_EQ(ec::kInvalidResponse, "InvalidResponse");
    EXPECT_EQ(ec::kConcurrentModification, "ConcurrentModification");
    EXPECT_EQ(ec::kInvalidJobItem, "InvalidJobItem");
    EXPECT_EQ(ec::kUnexpectedReply, "UnexpectedReply");
    EXPECT_EQ(ec::kSqliteWalUnavailable, "SQLITE_WAL_UNAVAILABLE");
    EXPECT_EQ(ec::kPublishFailed, "PublishFailed");
}
