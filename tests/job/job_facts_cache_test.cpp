// JobFactsCache and check_part_cached (watchbot_progress/job_facts_cache.hpp): the host-local cache
// that spares a `worker` delivery its read of the job. On the memory backend, behind a backend that
// reports facts as DynamoDB's does (a total and layout facts) and counts its reads. Time is an
// injected clock: no test waits.

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "watchbot_progress/job_facts_cache.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace fs = std::filesystem;
namespace wp = watchbot_progress;
using nlohmann::json;
using ::testing::HasSubstr;
using Outcome = wp::CommandPartResult::Outcome;

namespace {

// The memory backend, reporting facts (total and a layout) from check_part_facts as a backend
// that can use them does, and counting the reads and what it was told to assume.
class FactsBackend : public wp::ForwardingBackend {
public:
    using ForwardingBackend::ForwardingBackend;
    int reads = 0;
    int assumed = 0;
    json assumed_layout;

protected:
    std::optional<std::string> do_check_part(const std::string& jobid, wp::PartId partid) override {
        ++reads;  // check_part itself: what check_part_cached calls without a cache
        return ForwardingBackend::do_check_part(jobid, partid);
    }
    wp::JobFacts do_check_part_facts(const std::string& jobid, wp::PartId partid) override {
        ++reads;
        wp::JobFacts facts;
        facts.failure = ForwardingBackend::do_check_part(jobid, partid);
        facts.total = status(jobid).total;
        facts.layout = {{"tree", jobid}};
        return facts;
    }
    void do_assume_job_facts(const std::string&, const wp::JobFacts& facts) override {
        ++assumed;
        assumed_layout = facts.layout;
    }
};

class JobFactsCacheTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir = fs::path(::testing::TempDir()) / ("wp-facts-" + wp::new_jobid());
        fs::create_directories(dir);
        backend->set_total(jobid, 3);
    }
    void TearDown() override { fs::remove_all(dir); }

    // A cache as a new worker process opens it: same directory, the test's clock.
    std::shared_ptr<wp::JobFactsCache> cache(std::chrono::milliseconds interval = std::chrono::seconds(5)) {
        wp::JobFactsCacheOptions o;
        o.directory = dir / "cache";
        o.interval = interval;
        o.now_ms = [this] { return now; };
        return std::make_shared<wp::JobFactsCache>(o);
    }
    // One delivery's check, from a new backend (a new process) over the same store.
    std::optional<std::string> check(wp::PartId partid, std::chrono::milliseconds interval = std::chrono::seconds(5)) {
        fresh = std::make_shared<FactsBackend>(memory);
        return wp::check_part_cached(*fresh, cache(interval).get(), jobid, partid);
    }
    std::string entry_file() { return cache()->entry_path(fresh->describe(), jobid).string(); }

    fs::path dir;
    std::int64_t now = 1'700'000'000'000;
    std::shared_ptr<wp::Backend> memory = std::make_shared<wp::MemoryBackend>();
    std::shared_ptr<wp::Backend> backend = memory;
    std::shared_ptr<FactsBackend> fresh;
    std::string jobid = "facts-" + wp::new_jobid();
};

TEST_F(JobFactsCacheTest, AFreshEntrySparesTheReadAndHandsTheFactsToTheBackend) {
    EXPECT_EQ(check(0), std::nullopt);
    EXPECT_EQ(fresh->reads, 1) << "nothing kept yet: the check reads";
    EXPECT_EQ(fresh->assumed, 0);
    now += 4999;
    EXPECT_EQ(check(1), std::nullopt);
    EXPECT_EQ(fresh->reads, 0) << "checked on this host 4.999 s ago: no read";
    EXPECT_EQ(fresh->assumed, 1);
    EXPECT_EQ(fresh->assumed_layout, (json{{"tree", jobid}}));
    struct stat st {};
    ASSERT_EQ(::stat((dir / "cache").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(JobFactsCacheTest, AStaleEntryIsReadAgain) {
    check(0);
    now += 5000;
    check(1);
    EXPECT_EQ(fresh->reads, 1) << "5 s old: the interval has passed";
    now += 1;
    check(2);
    EXPECT_EQ(fresh->reads, 0) << "the read refreshed the entry";
    now -= 10'000;  // an entry from the future (a clock stepped back) is not trusted
    check(2);
    EXPECT_EQ(fresh->reads, 1);
}

TEST_F(JobFactsCacheTest, IntervalZeroReadsEveryTimeAndKeepsNothing) {
    for (wp::PartId p : {0, 1, 2}) {
        check(p, std::chrono::milliseconds(0));
        EXPECT_EQ(fresh->reads, 1);
    }
    EXPECT_FALSE(fs::exists(dir / "cache"));
}

TEST_F(JobFactsCacheTest, NoJobAndAPartOutOfRangeAreNeverKeptAsFine) {
    fresh = std::make_shared<FactsBackend>(memory);
    EXPECT_THROW(wp::check_part_cached(*fresh, cache().get(), "facts-none-" + wp::new_jobid(), 0), wp::JobDoesNotExist);
    check(0);
    EXPECT_THROW(check(3), wp::InvalidInput);
    EXPECT_EQ(fresh->reads, 1) << "part 3 is beyond the total kept: read, refused";
    EXPECT_THROW(check(3), wp::InvalidInput);
    EXPECT_EQ(fresh->reads, 1) << "still refused by a read";
    // A job deleted since: its entry is removed when a read finds it gone.
    backend->delete_job(jobid);
    now += 5000;
    EXPECT_THROW(check(0), wp::JobDoesNotExist);
    EXPECT_FALSE(fs::exists(entry_file()));
}

TEST_F(JobFactsCacheTest, CorruptForeignOrUnreadableEntriesAreReadThrough) {
    check(0);
    const std::string file = entry_file();
    for (const std::string& text : {std::string(""), std::string("{not json"), std::string("[1,2]"),
                                    json({{"v", 1}, {"backend", "elsewhere"}, {"jobid", jobid}, {"total", 3}, {"readAt", now}}).dump(),
                                    json({{"v", 2}, {"backend", fresh->describe()}, {"jobid", jobid}, {"total", 3}, {"readAt", now}}).dump(),
                                    json({{"v", 1}, {"backend", fresh->describe()}, {"jobid", jobid}, {"total", "3"}, {"readAt", now}}).dump(),
                                    json({{"v", 1}, {"backend", fresh->describe()}, {"jobid", jobid}, {"total", 3}, {"readAt", now}, {"failure", 7}}).dump(),
                                    std::string(100'000, ' ')}) {
        SCOPED_TRACE(text.substr(0, 80));
        std::ofstream(file, std::ios::trunc) << text;
        EXPECT_EQ(check(1), std::nullopt);
        EXPECT_EQ(fresh->reads, 1) << "the entry was trusted";
        EXPECT_EQ(check(1), std::nullopt);
        EXPECT_EQ(fresh->reads, 0) << "the read wrote a good entry over it";
    }
    // A directory that is not the user's own closed one is not used (never an error).
    fs::permissions(dir / "cache", fs::perms::owner_all | fs::perms::group_write | fs::perms::others_write);
    check(1);
    EXPECT_EQ(fresh->reads, 1);
    check(1);
    EXPECT_EQ(fresh->reads, 1) << "facts kept in a directory others may write were trusted";
    // An entry path that cannot be written: the check still works.
    fs::permissions(dir / "cache", fs::perms::owner_all);
    fs::remove(file);
    fs::create_directory(file);
    EXPECT_EQ(check(1), std::nullopt);
    EXPECT_EQ(check(1), std::nullopt);
    EXPECT_EQ(fresh->reads, 1);
}

TEST_F(JobFactsCacheTest, AFailureReadIsReadAgainNeverAssumed) {
    check(0);
    backend->fail_job(jobid, "tile 7 is corrupt");
    EXPECT_EQ(check(1), std::nullopt) << "a failure elsewhere: seen within the interval, not before";
    EXPECT_EQ(fresh->reads, 0);
    now += 5000;
    EXPECT_EQ(check(1), std::optional<std::string>("tile 7 is corrupt"));
    EXPECT_EQ(fresh->reads, 1);
    EXPECT_EQ(check(1), std::optional<std::string>("tile 7 is corrupt"));
    EXPECT_EQ(fresh->reads, 1) << "a kept failure is confirmed by a read (the job may have been overwritten)";
    backend->set_total(jobid, 3, /*overwrite=*/true);
    EXPECT_EQ(check(1), std::nullopt) << "the overwritten job is worked at once";
}

TEST_F(JobFactsCacheTest, AFailureRecordedOnThisHostStopsTheNextDeliveryAtOnce) {
    check(0);
    backend->fail_job(jobid, "part 0 failed");
    cache()->record_failure(fresh->describe(), jobid, "part 0 failed");
    EXPECT_EQ(check(1), std::optional<std::string>("part 0 failed"));
    EXPECT_EQ(fresh->reads, 1) << "the kept facts were trusted over the host's own failure";
    // A check whose read began before the failure was recorded does not hide it.
    const auto c = cache();
    const std::int64_t before = now - 1;
    wp::JobFacts stale;
    stale.total = 3;
    c->record_failure(fresh->describe(), jobid, "part 0 failed");
    c->store(fresh->describe(), jobid, stale, before);
    check(2);
    EXPECT_EQ(fresh->reads, 1);
}

TEST_F(JobFactsCacheTest, OldEntriesArePrunedWhenANewOneIsWritten) {
    check(0);
    const auto c = cache();
    const fs::path old_file = dir / "cache" / "0000000000000000.json";
    const fs::path old_temporary = dir / "cache" / "0000000000000001.json.tmp.1.0";
    std::ofstream(old_file) << "{}";
    std::ofstream(old_temporary) << "{";
    const auto two_hours_ago = fs::file_time_type::clock::now() - std::chrono::hours(2);
    fs::last_write_time(old_file, two_hours_ago);
    fs::last_write_time(old_temporary, two_hours_ago);
    const std::string other = "facts-other-" + wp::new_jobid();
    backend->set_total(other, 1);
    fresh = std::make_shared<FactsBackend>(memory);
    wp::check_part_cached(*fresh, c.get(), other, 0);  // a new entry
    EXPECT_FALSE(fs::exists(old_file));
    EXPECT_FALSE(fs::exists(old_temporary));
    EXPECT_TRUE(fs::exists(entry_file())) << "a young entry was pruned";
}

TEST_F(JobFactsCacheTest, CheckIntervalParsing) {
    EXPECT_EQ(wp::parse_check_interval("5s", "x"), std::chrono::seconds(5));
    EXPECT_EQ(wp::parse_check_interval("250ms", "x"), std::chrono::milliseconds(250));
    EXPECT_EQ(wp::parse_check_interval("2m", "x"), std::chrono::minutes(2));
    EXPECT_EQ(wp::parse_check_interval("0", "x"), std::chrono::milliseconds(0));
    for (const char* bad : {"", "5", "-1s", "5 s", "1d", "s", "25h"}) {
        SCOPED_TRACE(bad);
        try {
            wp::parse_check_interval(bad, "--check-interval");
            ADD_FAILURE() << "accepted";
        } catch (const wp::InvalidInput& e) {
            EXPECT_THAT(e.what(), HasSubstr("--check-interval"));
        }
    }
}

// run_part_command with a cache: a job this host's delivery failed is not worked by the next
// delivery, though the facts kept before the failure say it had not failed.
TEST_F(JobFactsCacheTest, RunPartCommandRecordsTheFailureItCaused) {
    const auto notifier = std::make_shared<wp::MemoryNotifier>();
    const auto deliver = [&](wp::PartId partid, const std::string& script) {
        fresh = std::make_shared<FactsBackend>(memory);
        wp::CommandPartOptions o;
        o.part.backend = fresh;
        o.part.notifier = notifier;
        o.fail_job_on_exit = {3};
        o.facts_cache = cache();
        const auto message = wp::parse_map_message(wp::map_message_body(json::object(), jobid, partid, "null"));
        return wp::run_part_command(message, {"/bin/sh", "-c", script}, o).outcome;
    };
    EXPECT_EQ(deliver(0, "exit 0"), Outcome::kCompleted);
    EXPECT_EQ(fresh->reads, 1);
    EXPECT_EQ(deliver(1, "exit 3"), Outcome::kJobFailed);
    EXPECT_EQ(fresh->reads, 0) << "the facts were fresh";
    EXPECT_EQ(deliver(2, "exit 0"), Outcome::kJobAlreadyFailed) << "the command ran for a job failed on this host";
    EXPECT_EQ(fresh->reads, 1);
}

}  // namespace
