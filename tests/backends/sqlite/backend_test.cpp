// The SQLite backend beyond the conformance suite: URI parsing, the file format (WAL, schema,
// counters), large jobs, lock contention, and many worker processes sharing one file.

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <random>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sqlite/sqlite_connection.hpp"
#include "factories/sqlite_factory.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/job.hpp"
#include "watchbot_progress/open_backend.hpp"
#include "watchbot_progress/sqlite_backend.hpp"

namespace wp = watchbot_progress;
using ::testing::HasSubstr;

namespace {

std::string temp_db(const std::string& name = "jobs.db") { return wp_test::make_temp_dir() + "/" + name; }

wp::SqliteOptions options_for(const std::string& path) {
    wp::SqliteOptions o;
    o.path = path;
    return o;
}

// A raw connection to the file, to look at what the backend wrote.
std::int64_t query_int(const std::string& path, const std::string& sql) {
    wp::detail::sqlite::Connection c(options_for(path));
    auto s = c.statement(sql);
    return s.step() ? s.int64(0) : -1;
}

template <class F>
std::string error_code_of(F&& f) {
    try {
        f();
    } catch (const wp::BackendError& e) {
        return e.code();
    }
    return "no error";
}

// ------------------------------------------------------------------------------------------------
// URIs

TEST(SqliteUri, AbsolutePath) {
    const auto o = wp::parse_sqlite_uri("sqlite:///var/tmp/jobs.db");
    EXPECT_EQ(o.path, "/var/tmp/jobs.db");
    EXPECT_EQ(o.busy_timeout, wp::SqliteOptions{}.busy_timeout);
    EXPECT_EQ(o.synchronous, wp::SqliteSynchronous::kNormal);
}

TEST(SqliteUri, RelativePath) {
    EXPECT_EQ(wp::parse_sqlite_uri("sqlite://data/jobs.db").path, "data/jobs.db");
    EXPECT_EQ(wp::parse_sqlite_uri("sqlite://jobs.db").path, "jobs.db");
    EXPECT_EQ(wp::parse_sqlite_uri("sqlite://./jobs.db").path, "./jobs.db");
}

TEST(SqliteUri, PercentEscapesAndParameters) {
    const auto o = wp::parse_sqlite_uri(
        "sqlite:///tmp/my%20jobs%3F.db?busy_timeout_ms=250&retry_timeout_ms=0&synchronous=full");
    EXPECT_EQ(o.path, "/tmp/my jobs?.db");
    EXPECT_EQ(o.busy_timeout, std::chrono::milliseconds(250));
    EXPECT_EQ(o.retry_timeout, std::chrono::milliseconds(0));
    EXPECT_EQ(o.synchronous, wp::SqliteSynchronous::kFull);
    EXPECT_EQ(wp::parse_sqlite_uri("sqlite:///x.db?synchronous=off").synchronous, wp::SqliteSynchronous::kOff);
    EXPECT_EQ(wp::parse_sqlite_uri("sqlite:///x.db?").path, "/x.db");
}

TEST(SqliteUri, MalformedUrisAreInvalidInput) {
    for (const char* uri : {"sqlite://", "sqlite:///", "sqlite:///var/tmp/", "sqlite://:memory:", "sqlite://~/jobs.db",
                            "sqlite:///jobs.db#x", "sqlite:///jobs%2.db", "sqlite:///jobs%zz.db", "sqlite:///jobs%00.db",
                            "sqlite:///jobs.db?unknown=1", "sqlite:///jobs.db?busy_timeout_ms=abc",
                            "sqlite:///jobs.db?busy_timeout_ms=-5", "sqlite:///jobs.db?synchronous=sometimes",
                            "sqlite:///jobs.db?busy_timeout_ms", "sqlite:/jobs.db", "redis://localhost", "",
                            "sqlite:///a\nb.db"}) {
        EXPECT_THROW(wp::parse_sqlite_uri(uri), wp::InvalidInput) << uri;
    }
    try {
        wp::parse_sqlite_uri("sqlite:///jobs.db?bogus=1");
        FAIL() << "no exception";
    } catch (const wp::InvalidInput& e) {
        EXPECT_THAT(e.what(), HasSubstr("unknown query parameter 'bogus'"));
        EXPECT_THAT(e.what(), HasSubstr("sqlite:///absolute/path/file.db"));
    }
}

TEST(SqliteUri, DescribeRoundTrips) {
    for (const std::string path : {"/tmp/a.db", "rel/a.db", "/tmp/odd %?#.db"}) {
        EXPECT_EQ(wp::parse_sqlite_uri(wp::sqlite_uri(path)).path, path);
    }
    EXPECT_EQ(wp::sqlite_uri("/tmp/a.db"), "sqlite:///tmp/a.db");
}

TEST(SqliteUri, OpenBackendDispatchesSqliteUris) {
    const std::string path = temp_db();
    auto backend = wp::open_backend("sqlite://" + path);
    ASSERT_NE(std::dynamic_pointer_cast<wp::SqliteBackend>(backend), nullptr);
    EXPECT_EQ(backend->describe(), "sqlite://" + path);
    EXPECT_THROW(wp::open_backend("sqlite://"), wp::InvalidInput);
}

TEST(SqliteUri, OpenBackendMustExistRefusesAMissingFileAndCreatesNothing) {
    const std::string path = temp_db();
    try {
        wp::open_backend("sqlite://" + path, {.must_exist = true});
        FAIL() << "expected DatabaseDoesNotExist";
    } catch (const wp::DatabaseDoesNotExist& e) {
        EXPECT_EQ(e.path(), path);
        EXPECT_THAT(e.what(), ::testing::HasSubstr("SQLite database '" + path + "' does not exist (nothing was created)"));
    }
    EXPECT_NE(::access(path.c_str(), F_OK), 0) << "nothing created";
    EXPECT_THROW(wp::open_backend("sqlite://", {.must_exist = true}), wp::InvalidInput) << "a malformed URI as before";
    wp::open_backend("sqlite://" + path)->set_total("job", 1);  // creates it
    EXPECT_EQ(wp::open_backend("sqlite://" + path, {.must_exist = true})->status("job").total, 1);
    EXPECT_THROW(wp::open_backend("sqlite://" + path, {.dynamodb_layout = "compatible"}), wp::InvalidInput)
        << "a DynamoDB layout with another database";
}

TEST(SqliteUri, RelativePathIsRelativeToTheWorkingDirectory) {
    const std::string dir = wp_test::make_temp_dir();
    char old[4096];
    ASSERT_NE(::getcwd(old, sizeof old), nullptr);
    ASSERT_EQ(::chdir(dir.c_str()), 0);
    {
        auto backend = wp::SqliteBackend::from_uri("sqlite://rel.db");
        backend->set_total("job", 3);
    }
    ASSERT_EQ(::chdir(old), 0);
    EXPECT_EQ(query_int(dir + "/rel.db", "SELECT total FROM wp_jobs WHERE jobid = 'job'"), 3);
}

// ------------------------------------------------------------------------------------------------
// Opening files

TEST(SqliteBackend, MissingDirectoryIsCantOpen) {
    const std::string path = wp_test::make_temp_dir() + "/no/such/dir/jobs.db";
    try {
        wp::SqliteBackend backend(options_for(path));
        FAIL() << "no exception";
    } catch (const wp::BackendError& e) {
        EXPECT_EQ(e.code(), "SQLITE_CANTOPEN");
        EXPECT_FALSE(e.retryable());
        EXPECT_THAT(e.what(), HasSubstr(path));
        EXPECT_THAT(e.what(), HasSubstr("directory exists"));
    }
}

TEST(SqliteBackend, FileThatIsNotADatabaseIsNotADb) {
    const std::string path = temp_db();
    std::ofstream(path) << std::string(8192, 'x');
    EXPECT_EQ(error_code_of([&] { wp::SqliteBackend backend(options_for(path)); }), "SQLITE_NOTADB");
}

TEST(SqliteBackend, MemoryAndEmptyPathsAreInvalidInput) {
    EXPECT_THROW(wp::SqliteBackend(options_for("")), wp::InvalidInput);
    EXPECT_THROW(wp::SqliteBackend(options_for(":memory:")), wp::InvalidInput);
}

TEST(SqliteBackend, FileIsInWalMode) {
    const std::string path = temp_db();
    wp::SqliteBackend backend(options_for(path));
    backend.set_total("job", 5);
    // Bytes 18 and 19 of the header: file format write/read versions, 2 in WAL mode.
    std::ifstream file(path, std::ios::binary);
    char header[100] = {};
    file.read(header, sizeof header);
    ASSERT_EQ(file.gcount(), 100);
    EXPECT_EQ(std::string(header, 15), "SQLite format 3");
    EXPECT_EQ(header[18], 2);
    EXPECT_EQ(header[19], 2);
    wp::detail::sqlite::Connection c(options_for(path));
    auto s = c.statement("PRAGMA journal_mode");
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.text(0), "wal");
}

TEST(SqliteBackend, SchemaTablesAndVersion) {
    const std::string path = temp_db();
    wp::SqliteBackend backend(options_for(path));
    EXPECT_EQ(query_int(path, "SELECT version FROM wp_schema_versions WHERE component = 'jobs'"), 3);
    EXPECT_EQ(query_int(path, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'wp_jobs'"), 1);
    EXPECT_EQ(query_int(path, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'wp_pending_parts' "
                              "AND sql LIKE '%WITHOUT ROWID%'"),
              1);
}

TEST(SqliteBackend, NewerSchemaVersionIsConfigError) {
    const std::string path = temp_db();
    { wp::SqliteBackend backend(options_for(path)); }
    {
        wp::detail::sqlite::Connection c(options_for(path));
        c.exec("UPDATE wp_schema_versions SET version = 99 WHERE component = 'jobs'");
    }
    try {
        wp::SqliteBackend backend(options_for(path));
        FAIL() << "no exception";
    } catch (const wp::ConfigError& e) {
        EXPECT_THAT(e.what(), HasSubstr("schema version 99"));
    }
}

TEST(SqliteBackend, VersionOneFileIsUpgradedInPlace) {
    // A file written by version 1 of the schema (before claim times and confirmations).
    const std::string path = temp_db();
    {
        wp::detail::sqlite::Connection c(options_for(path));
        c.exec(R"sql(
CREATE TABLE wp_schema_versions (component TEXT PRIMARY KEY NOT NULL, version INTEGER NOT NULL);
CREATE TABLE wp_jobs (
    id INTEGER PRIMARY KEY, jobid TEXT NOT NULL UNIQUE, total INTEGER NOT NULL CHECK (total >= 1),
    remaining INTEGER NOT NULL CHECK (remaining >= 0), failed INTEGER NOT NULL DEFAULT 0, reason TEXT,
    metadata TEXT NOT NULL DEFAULT '{}', reduce_sent INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE wp_pending_parts (job INTEGER NOT NULL, partid INTEGER NOT NULL, PRIMARY KEY (job, partid)) WITHOUT ROWID;
INSERT INTO wp_schema_versions VALUES ('jobs', 1);
INSERT INTO wp_jobs (jobid, total, remaining, reduce_sent, created_at, updated_at) VALUES ('sent', 1, 0, 1, 1, 1);
INSERT INTO wp_jobs (jobid, total, remaining, reduce_sent, created_at, updated_at) VALUES ('running', 2, 1, 0, 1, 1);
INSERT INTO wp_pending_parts VALUES (2, 1);
)sql");
    }
    wp::SqliteBackend backend(options_for(path));
    EXPECT_EQ(query_int(path, "SELECT version FROM wp_schema_versions WHERE component = 'jobs'"), 3);
    const auto sent = backend.status("sent");
    EXPECT_TRUE(sent.reduce_sent);
    EXPECT_TRUE(sent.reduce_confirmed) << "a reduce claimed before the upgrade must not be swept again";
    EXPECT_FALSE(backend.reclaim_reduce("sent", std::chrono::milliseconds(0)));
    const auto r = backend.complete_part_and_claim_reduce("running", 1);
    EXPECT_TRUE(r.reduce_claimed());
    EXPECT_TRUE(backend.status("running").reduce_claimed_at_ms.has_value());
    wp::SqliteBackend again(options_for(path));  // a second open finds version 3: no second ALTER
    EXPECT_EQ(again.status("running").total, 2);
}

TEST(SqliteBackend, VersionTwoFileIsUpgradedInPlace) {
    // A file written by version 2 of the schema (before claim tokens), with a claim left
    // unconfirmed: no token holds it, so only a take-over after its lease can finish it.
    const std::string path = temp_db();
    {
        wp::detail::sqlite::Connection c(options_for(path));
        c.exec(R"sql(
CREATE TABLE wp_schema_versions (component TEXT PRIMARY KEY NOT NULL, version INTEGER NOT NULL);
CREATE TABLE wp_jobs (
    id INTEGER PRIMARY KEY, jobid TEXT NOT NULL UNIQUE, total INTEGER NOT NULL CHECK (total >= 1),
    remaining INTEGER NOT NULL CHECK (remaining >= 0), failed INTEGER NOT NULL DEFAULT 0, reason TEXT,
    metadata TEXT NOT NULL DEFAULT '{}', reduce_sent INTEGER NOT NULL DEFAULT 0,
    reduce_confirmed INTEGER NOT NULL DEFAULT 0, reduce_claimed_at INTEGER,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE wp_pending_parts (job INTEGER NOT NULL, partid INTEGER NOT NULL, PRIMARY KEY (job, partid)) WITHOUT ROWID;
CREATE TABLE wp_failed_parts (job INTEGER NOT NULL, partid INTEGER NOT NULL, PRIMARY KEY (job, partid)) WITHOUT ROWID;
INSERT INTO wp_schema_versions VALUES ('jobs', 2);
INSERT INTO wp_jobs (jobid, total, remaining, reduce_sent, reduce_claimed_at, created_at, updated_at)
    VALUES ('claimed', 1, 0, 1, 1, 1, 1);
)sql");
    }
    wp::SqliteBackend backend(options_for(path));
    EXPECT_EQ(query_int(path, "SELECT version FROM wp_schema_versions WHERE component = 'jobs'"), 3);
    backend.release_reduce("claimed", "");
    EXPECT_FALSE(backend.confirm_reduce("claimed", ""));
    EXPECT_TRUE(backend.status("claimed").reduce_sent);
    const auto claim = backend.reclaim_reduce("claimed", std::chrono::milliseconds(0));
    ASSERT_TRUE(claim);
    EXPECT_TRUE(backend.confirm_reduce("claimed", *claim));
    EXPECT_TRUE(backend.status("claimed").reduce_confirmed);
}

// Alerts' marks live in a table of their own, wp_alerts, created when a file of an earlier version
// (without it) is opened: its jobs can be alerted at once, without a schema version of their own.
TEST(SqliteBackend, AFileWithoutTheAlertsTableGetsItWhenOpened) {
    const std::string path = temp_db();
    {
        wp::SqliteBackend before(options_for(path));
        before.set_total("old-job", 2);
    }
    {
        wp::detail::sqlite::Connection c(options_for(path));
        c.exec("DROP TABLE wp_alerts;");  // as a file of the version before alerts
    }
    EXPECT_EQ(query_int(path, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'wp_alerts'"), 0);
    wp::SqliteBackend backend(options_for(path));
    EXPECT_EQ(query_int(path, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'wp_alerts'"), 1);
    EXPECT_TRUE(backend.claim_alert("old-job", wp::AlertState::kStalled));
    EXPECT_FALSE(backend.claim_alert("old-job", wp::AlertState::kStalled));
    EXPECT_EQ(query_int(path, "SELECT version FROM wp_schema_versions WHERE component = 'jobs'"), 3);
}

// The repair counts too (wp_reduce_repairs). A row left by a version that does not know the table
// (it deletes the job, not the count) is not inherited by the next job that takes the same row id.
TEST(SqliteBackend, AFileWithoutTheRepairsTableGetsItAndNoJobInheritsACount) {
    const std::string path = temp_db();
    {
        wp::SqliteBackend before(options_for(path));
        before.set_total("old-job", 2);
    }
    {
        wp::detail::sqlite::Connection c(options_for(path));
        c.exec("DROP TABLE wp_reduce_repairs;");  // as a file of the version before repair counts
    }
    wp::SqliteBackend backend(options_for(path));
    EXPECT_EQ(query_int(path, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'wp_reduce_repairs'"), 1);
    EXPECT_EQ(backend.status("old-job").reduce_repairs, 0);
    backend.record_reduce_repair("old-job");
    backend.record_reduce_repair("old-job");
    EXPECT_EQ(backend.status("old-job").reduce_repairs, 2);
    const std::int64_t id = query_int(path, "SELECT id FROM wp_jobs WHERE jobid = 'old-job'");
    {
        wp::detail::sqlite::Connection c(options_for(path));
        c.exec("DELETE FROM wp_pending_parts; DELETE FROM wp_jobs;");  // deleted as an older version deletes
    }
    backend.set_total("new-job", 1);
    ASSERT_EQ(query_int(path, "SELECT id FROM wp_jobs WHERE jobid = 'new-job'"), id);  // the row id is reused
    EXPECT_EQ(backend.status("new-job").reduce_repairs, 0);
    EXPECT_TRUE(backend.status("new-job").alerts_sent.empty());
}

TEST(SqliteBackend, InstancesOnOneFileShareJobs) {
    const std::string path = temp_db();
    wp::SqliteBackend a(options_for(path));
    wp::SqliteBackend b(options_for(path));
    a.set_total("shared", 2);
    a.set_metadata("shared", {{"k", 1}});
    EXPECT_FALSE(b.complete_part("shared", 0));
    EXPECT_TRUE(a.complete_part("shared", 1));
    EXPECT_TRUE(b.claim_reduce("shared"));
    EXPECT_FALSE(a.claim_reduce("shared"));
    const auto s = a.status("shared");
    EXPECT_EQ(s.remaining, 0);
    EXPECT_TRUE(s.reduce_sent);
    EXPECT_EQ(s.metadata, nlohmann::json({{"k", 1}}));
}

TEST(SqliteBackend, BadJobIdsAreInvalidInputEverywhere) {
    auto backend = wp_test::SqliteFactory::make();
    EXPECT_THROW(backend->status(""), wp::InvalidInput);
    EXPECT_THROW(backend->complete_part("a\tb", 0), wp::InvalidInput);
    EXPECT_THROW(backend->delete_job(std::string(1025, 'x')), wp::InvalidInput);
    EXPECT_THROW(backend->set_total("job", wp::SqliteBackend::kMaxTotal + 1), wp::InvalidInput);
}

// ------------------------------------------------------------------------------------------------
// Counters and timestamps

TEST(SqliteBackend, RemainingCounterMatchesThePendingRows) {
    const std::string path = temp_db();
    wp::SqliteBackend backend(options_for(path));
    backend.set_total("job", 10);
    for (int round = 0; round < 3; ++round) {
        for (wp::PartId p : {3, 3, 7, 0, 7}) backend.complete_part("job", p);
    }
    EXPECT_EQ(backend.status("job").remaining, 7);
    EXPECT_EQ(query_int(path, "SELECT remaining FROM wp_jobs WHERE jobid = 'job'"), 7);
    EXPECT_EQ(query_int(path, "SELECT COUNT(*) FROM wp_pending_parts"), 7);
    backend.set_total("job", 4, /*overwrite=*/true);
    EXPECT_EQ(query_int(path, "SELECT COUNT(*) FROM wp_pending_parts"), 4);
    EXPECT_EQ(backend.status("job").remaining, 4);
    EXPECT_TRUE(backend.delete_job("job"));
    EXPECT_EQ(query_int(path, "SELECT COUNT(*) FROM wp_pending_parts"), 0);
    EXPECT_EQ(query_int(path, "SELECT COUNT(*) FROM wp_jobs"), 0);
}

TEST(SqliteBackend, TimestampsAreRecorded) {
    const std::string path = temp_db();
    wp::SqliteBackend backend(options_for(path));
    const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    backend.set_total("job", 2);
    const auto created = query_int(path, "SELECT created_at FROM wp_jobs WHERE jobid = 'job'");
    EXPECT_GE(created, before);
    EXPECT_LE(created, before + 60'000);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    backend.complete_part("job", 0);
    EXPECT_GT(query_int(path, "SELECT updated_at FROM wp_jobs WHERE jobid = 'job'"), created);
    EXPECT_EQ(query_int(path, "SELECT created_at FROM wp_jobs WHERE jobid = 'job'"), created);
}

TEST(SqliteBackend, ListJobsFollowsPagesAndAllowsCallbacks) {
    auto backend = wp_test::SqliteFactory::make();
    for (int i = 0; i < 600; ++i) backend->set_total("job-" + std::to_string(i), 1);
    std::set<std::string> seen;
    backend->list_jobs([&](const wp::JobStatus& s) {
        seen.insert(s.jobid);
        backend->complete_part(s.jobid, 0);  // calling back in must not deadlock
    });
    EXPECT_EQ(seen.size(), 600u);
    EXPECT_TRUE(backend->status("job-599").complete());
}

// ------------------------------------------------------------------------------------------------
// Large jobs

// Speed is a figure printed here (docs/performance.md has the benchmarks), not a check.
TEST(SqliteBackend, MillionPartSetTotalWritesEveryPart) {
    const std::string path = temp_db();
    wp::SqliteBackend backend(options_for(path));
    const auto start = std::chrono::steady_clock::now();
    backend.set_total("big", 1'000'000);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
    std::cout << "[          ] set_total(1,000,000) took " << ms << " ms\n";
    EXPECT_EQ(query_int(path, "SELECT COUNT(*) FROM wp_pending_parts"), 1'000'000);
    EXPECT_EQ(query_int(path, "SELECT MIN(partid) FROM wp_pending_parts"), 0);
    EXPECT_EQ(query_int(path, "SELECT MAX(partid) FROM wp_pending_parts"), 999'999);
    EXPECT_EQ(backend.status("big").remaining, 1'000'000);

    // Completions stay O(1): the counter, not a count of rows.
    const auto t0 = std::chrono::steady_clock::now();
    for (wp::PartId p = 0; p < 1000; ++p) backend.complete_part_and_claim_reduce("big", p * 997);
    const auto per_completion = (std::chrono::steady_clock::now() - t0) / 1000;
    std::cout << "[          ] one completion of the 1,000,000-part job took "
              << std::chrono::duration_cast<std::chrono::microseconds>(per_completion).count() << " us\n";
    EXPECT_EQ(backend.status("big").remaining, 999'000);
    EXPECT_TRUE(backend.part_complete("big", 997));
    EXPECT_FALSE(backend.part_complete("big", 998));
    EXPECT_EQ(backend.list_pending_parts("big").size(), 999'000u);

    backend.set_total("big", 1'000'000, /*overwrite=*/true);
    EXPECT_EQ(backend.status("big").remaining, 1'000'000);
    EXPECT_TRUE(backend.delete_job("big"));
    EXPECT_EQ(query_int(path, "SELECT COUNT(*) FROM wp_pending_parts"), 0);
}

// ------------------------------------------------------------------------------------------------
// Lock contention

TEST(SqliteBackend, LockHeldBeyondRetryTimeoutIsRetryableBusy) {
    const std::string path = temp_db();
    auto options = options_for(path);
    options.busy_timeout = std::chrono::milliseconds(20);
    options.retry_timeout = std::chrono::milliseconds(200);
    wp::SqliteBackend backend(options);
    backend.set_total("job", 3);
    wp::detail::sqlite::Connection locker(options_for(path));
    locker.exec("BEGIN IMMEDIATE");
    const auto start = std::chrono::steady_clock::now();
    try {
        backend.complete_part("job", 0);
        FAIL() << "no exception";
    } catch (const wp::BackendError& e) {
        EXPECT_EQ(e.code(), "SQLITE_BUSY");
        EXPECT_TRUE(e.retryable());
        EXPECT_THAT(e.what(), HasSubstr("stayed locked"));
    }
    // A lower bound only: the backend never gives up before retry_timeout, however the sleeps fall.
    EXPECT_GE(std::chrono::steady_clock::now() - start, options.retry_timeout);
    // Readers are not blocked by the writer (WAL).
    EXPECT_EQ(backend.status("job").remaining, 3);
    locker.exec("ROLLBACK");
    EXPECT_FALSE(backend.complete_part("job", 0));
}

// A backoff longer than the whole retry_timeout is cut at the deadline: the last attempt runs when
// retry_timeout has passed, not when the next full wait would have passed it. (Giving up as soon as
// "elapsed + next wait" reached the deadline failed here nearly every run, after about 20 ms.)
TEST(SqliteBackend, LongBackoffStillRetriesUntilTheDeadline) {
    const std::string path = temp_db();
    auto options = options_for(path);
    options.busy_timeout = std::chrono::milliseconds(5);
    options.retry_timeout = std::chrono::milliseconds(300);
    options.retry_backoff_initial = std::chrono::milliseconds(60'000);
    options.retry_backoff_max = std::chrono::milliseconds(60'000);
    wp::SqliteBackend backend(options);
    backend.set_total("job", 1);
    wp::detail::sqlite::Connection locker(options_for(path));
    locker.exec("BEGIN IMMEDIATE");
    const auto start = std::chrono::steady_clock::now();
    EXPECT_THROW(backend.complete_part("job", 0), wp::BackendError);
    EXPECT_GE(std::chrono::steady_clock::now() - start, options.retry_timeout);
    locker.exec("ROLLBACK");
    EXPECT_TRUE(backend.complete_part_and_claim_reduce("job", 0).reduce_claimed());
}

TEST(SqliteBackend, RetriesUntilTheLockIsReleased) {
    const std::string path = temp_db();
    auto options = options_for(path);
    options.busy_timeout = std::chrono::milliseconds(10);  // far shorter than the lock is held
    options.retry_timeout = std::chrono::milliseconds(10'000);
    wp::SqliteBackend backend(options);
    backend.set_total("job", 1);
    wp::detail::sqlite::Connection locker(options_for(path));
    locker.exec("BEGIN IMMEDIATE");
    std::thread release([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        locker.exec("COMMIT");
    });
    const auto result = backend.complete_part_and_claim_reduce("job", 0);
    release.join();
    EXPECT_TRUE(result.job_complete);
    EXPECT_TRUE(result.reduce_claimed());
}

TEST(SqliteBackend, ThreadsSharingAnInstanceClaimOnce) {
    auto backend = wp_test::SqliteFactory::make();
    backend->set_total("job", 500);
    std::atomic<int> claims{0};
    std::atomic<wp::PartId> next{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (wp::PartId i = next++; i < 1500; i = next++) {
                if (backend->complete_part_and_claim_reduce("job", i % 500).reduce_claimed()) ++claims;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(claims.load(), 1);
    EXPECT_TRUE(backend->status("job").complete());
}

// ------------------------------------------------------------------------------------------------
// Many processes on one file

// Runs `child(k)` in `n` forked processes; each writes one int64 result to its pipe. Returns the
// results; a child that failed reports through its exit status.
template <class F>
std::vector<std::int64_t> run_in_processes(int n, F&& child) {
    std::vector<pid_t> pids;
    std::vector<int> fds;
    for (int k = 0; k < n; ++k) {
        int fd[2];
        if (::pipe(fd) != 0) throw std::runtime_error("pipe failed");
        const pid_t pid = ::fork();
        if (pid < 0) throw std::runtime_error("fork failed");
        if (pid == 0) {
            ::close(fd[0]);
            int status = 0;
            std::int64_t result = -1;
            try {
                result = child(k);
            } catch (const std::exception& e) {
                std::fprintf(stderr, "child %d: %s\n", k, e.what());
                status = 1;
            }
            if (::write(fd[1], &result, sizeof result) != sizeof result) status = 2;
            ::_exit(status);
        }
        ::close(fd[1]);
        pids.push_back(pid);
        fds.push_back(fd[0]);
    }
    std::vector<std::int64_t> results;
    for (int k = 0; k < n; ++k) {
        std::int64_t result = -1;
        EXPECT_EQ(::read(fds[k], &result, sizeof result), static_cast<ssize_t>(sizeof result));
        ::close(fds[k]);
        int status = 0;
        EXPECT_EQ(::waitpid(pids[k], &status, 0), pids[k]);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child " << k << " failed";
        results.push_back(result);
    }
    return results;
}

TEST(SqliteBackend, MultiProcessDuplicatedDeliveriesClaimExactlyOnce) {
    constexpr int kProcesses = 6;
    constexpr wp::PartId kTotal = 2000;
    const std::string path = temp_db();
    const std::string uri = "sqlite://" + path;
    for (unsigned seed : {3u, 11u}) {
        const std::string jobid = "multi-" + std::to_string(seed);
        // The parent closes its instance before forking: SQLite's per-process lock bookkeeping must
        // not be copied into the children while a connection to the file is open.
        wp::SqliteBackend::from_uri(uri)->set_total(jobid, kTotal);

        std::vector<wp::PartId> deliveries;
        for (int copy = 0; copy < 3; ++copy) {
            for (wp::PartId p = 0; p < kTotal; ++p) deliveries.push_back(p);
        }
        std::mt19937 rng(seed);
        std::shuffle(deliveries.begin(), deliveries.end(), rng);

        const auto claims = run_in_processes(kProcesses, [&](int k) -> std::int64_t {
            auto backend = wp::SqliteBackend::from_uri(uri);
            std::int64_t won = 0;
            for (std::size_t i = static_cast<std::size_t>(k); i < deliveries.size(); i += kProcesses) {
                if (backend->complete_part_and_claim_reduce(jobid, deliveries[i]).reduce_claimed()) ++won;
            }
            return won;
        });
        std::int64_t total_claims = 0;
        for (auto c : claims) {
            EXPECT_GE(c, 0);
            total_claims += c;
        }
        EXPECT_EQ(total_claims, 1) << "seed " << seed;
        auto backend = wp::SqliteBackend::from_uri(uri);
        const auto s = backend->status(jobid);
        EXPECT_TRUE(s.complete());
        EXPECT_TRUE(s.reduce_sent);
        EXPECT_TRUE(backend->list_pending_parts(jobid).empty());
        EXPECT_EQ(query_int(path, "SELECT COUNT(*) FROM wp_pending_parts"), 0);
    }
}

}  // namespace
