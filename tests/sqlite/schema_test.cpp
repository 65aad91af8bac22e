// The schema version table the SQLite files of the library share (src/sqlite/sqlite_schema.hpp):
// each component's row is written once, read back, and a newer version than the caller knows is a
// ConfigError; components do not disturb each other's rows.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "factories/sqlite_factory.hpp"
#include "sqlite/sqlite_connection.hpp"
#include "sqlite/sqlite_schema.hpp"
#include "watchbot_progress/errors.hpp"

namespace wp = watchbot_progress;
namespace sq = watchbot_progress::detail::sqlite;
using ::testing::HasSubstr;

namespace {

wp::SqliteOptions options_for(const std::string& path) {
    wp::SqliteOptions o;
    o.path = path;
    return o;
}

std::int64_t query_int(sq::Connection& c, const std::string& sql) {
    auto s = c.statement(sql);
    EXPECT_TRUE(s.step()) << sql;
    return s.int64(0);
}

constexpr const char* kThings = "CREATE TABLE IF NOT EXISTS things (id INTEGER PRIMARY KEY);";
constexpr const char* kOthers = "CREATE TABLE IF NOT EXISTS others (id INTEGER PRIMARY KEY);";

TEST(SqliteSchema, NewFileRecordsTheComponentAtItsVersion) {
    sq::Connection c(options_for(wp_test::make_temp_dir() + "/a.db"));
    EXPECT_EQ(sq::init_component_schema(c, {"things", "things", 4, kThings}), 4);
    EXPECT_EQ(query_int(c, "SELECT version FROM wp_schema_versions WHERE component = 'things'"), 4);
    EXPECT_EQ(query_int(c, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'things'"), 1);
    // Again: nothing changes.
    EXPECT_EQ(sq::init_component_schema(c, {"things", "things", 4, kThings}), 4);
    EXPECT_EQ(query_int(c, "SELECT COUNT(*) FROM wp_schema_versions"), 1);
}

TEST(SqliteSchema, OlderVersionIsReturnedForTheCallerToUpgrade) {
    sq::Connection c(options_for(wp_test::make_temp_dir() + "/a.db"));
    sq::init_component_schema(c, {"things", "things", 1, kThings});
    EXPECT_EQ(sq::init_component_schema(c, {"things", "things", 3, kThings}), 1);
    EXPECT_EQ(query_int(c, "SELECT version FROM wp_schema_versions WHERE component = 'things'"), 1)
        << "the caller upgrades and records the new version";
}

TEST(SqliteSchema, NewerVersionIsConfigError) {
    sq::Connection c(options_for(wp_test::make_temp_dir() + "/a.db"));
    sq::init_component_schema(c, {"things", "things", 5, kThings});
    try {
        sq::init_component_schema(c, {"things", "a set of things", 2, kThings});
        FAIL() << "no exception";
    } catch (const wp::ConfigError& e) {
        EXPECT_THAT(e.what(), HasSubstr("holds a set of things in schema version 5, newer than this library's version 2"));
        EXPECT_THAT(e.what(), HasSubstr("upgrade watchbot-progress or use another file"));
    }
}

TEST(SqliteSchema, ComponentsShareTheFileWithTheirOwnRows) {
    sq::Connection c(options_for(wp_test::make_temp_dir() + "/a.db"));
    sq::init_component_schema(c, {"things", "things", 7, kThings});
    EXPECT_EQ(sq::init_component_schema(c, {"others", "others", 2, kOthers}), 2);
    EXPECT_EQ(query_int(c, "SELECT version FROM wp_schema_versions WHERE component = 'things'"), 7);
    EXPECT_EQ(query_int(c, "SELECT version FROM wp_schema_versions WHERE component = 'others'"), 2);
}

}  // namespace
