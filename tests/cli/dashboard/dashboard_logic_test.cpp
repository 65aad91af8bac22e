// The dashboard's logic apart from HTTP (cli/dashboard/): rates from recent progress, job states,
// the summaries the JSON API sends, and the monitor's versions. Time is given, never waited for.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>

#include "dashboard/job_monitor.hpp"
#include "dashboard/job_summary.hpp"
#include "dashboard/progress_history.hpp"
#include "watchbot_progress/memory_backend.hpp"

namespace {

namespace wp = watchbot_progress;
using namespace wpcli::dashboard;
using namespace std::chrono_literals;

TEST(DashboardHistory, RateIsPartsPerSecondOverTheWindow) {
    ProgressHistory history(60s);
    EXPECT_FALSE(history.rate("a"));
    history.record("a", 1'000, 10);
    EXPECT_FALSE(history.rate("a")) << "one sample measures nothing";
    history.record("a", 3'000, 30);
    ASSERT_TRUE(history.rate("a"));
    EXPECT_DOUBLE_EQ(*history.rate("a"), 10.0);
    // Older samples leave the window; the rate follows the recent pace.
    history.record("a", 62'000, 50);
    history.record("a", 66'000, 90);
    ASSERT_TRUE(history.rate("a"));
    EXPECT_DOUBLE_EQ(*history.rate("a"), (90.0 - 30.0) / 63.0);
}

TEST(DashboardHistory, AStoppedJobHasRateZeroAndARecreatedOneStartsAgain) {
    ProgressHistory history(10s);
    history.record("a", 0, 5);
    history.record("a", 20'000, 5);
    history.record("a", 40'000, 5);
    EXPECT_DOUBLE_EQ(history.rate("a").value_or(-1), 0.0);
    history.record("a", 41'000, 1);  // done went down: recreated with overwrite
    EXPECT_FALSE(history.rate("a"));
    history.keep_only({});
    history.record("a", 42'000, 3);
    EXPECT_FALSE(history.rate("a")) << "forgotten jobs start again";
}

wp::JobStatus status_of(std::int64_t total, std::int64_t remaining, bool failed = false,
                        std::optional<std::int64_t> updated = std::nullopt) {
    wp::JobStatus s;
    s.jobid = "job";
    s.total = total;
    s.remaining = remaining;
    s.progress = static_cast<double>(total - remaining) / static_cast<double>(total);
    s.failed = failed;
    if (failed) s.reason = "boom";
    s.updated_at_ms = updated;
    return s;
}

TEST(DashboardSummary, StatesFromTheStatus) {
    EXPECT_EQ(classify(status_of(4, 0), 0, 1000), JobState::kComplete);
    EXPECT_EQ(classify(status_of(4, 0, true), 0, 1000), JobState::kFailed);
    EXPECT_EQ(classify(status_of(4, 2, false, 10'000), 10'999, 1000), JobState::kRunning);
    EXPECT_EQ(classify(status_of(4, 2, false, 10'000), 11'000, 1000), JobState::kStale);
    EXPECT_EQ(classify(status_of(4, 2), 1'000'000, 1000), JobState::kRunning) << "no change time: never stale";
    EXPECT_EQ(parse_state("stale"), JobState::kStale);
    EXPECT_FALSE(parse_state("Stale"));
}

TEST(DashboardSummary, JsonHasRateEtaAndReason) {
    JobSummary running{status_of(100, 40, false, 5'000), JobState::kRunning, 2.0};
    const auto j = summary_json(running, 8'000, false);
    EXPECT_EQ(j["done"], 60);
    EXPECT_EQ(j["state"], "running");
    EXPECT_DOUBLE_EQ(j["rate"].get<double>(), 2.0);
    EXPECT_DOUBLE_EQ(j["etaSeconds"].get<double>(), 20.0);
    EXPECT_DOUBLE_EQ(j["lastChangeAgoSeconds"].get<double>(), 3.0);
    EXPECT_FALSE(j.contains("metadata"));
    EXPECT_FALSE(j.contains("reason"));

    JobSummary failed{status_of(100, 40, true), JobState::kFailed, 2.0};
    const auto f = summary_json(failed, 8'000, true);
    EXPECT_EQ(f["reason"], "boom");
    EXPECT_TRUE(f["etaSeconds"].is_null()) << "a failed job does not finish";
    EXPECT_TRUE(f["lastChangeMs"].is_null());
    EXPECT_TRUE(f["metadata"].is_object());

    JobSummary unmeasured{status_of(100, 40), JobState::kRunning, std::nullopt};
    EXPECT_TRUE(summary_json(unmeasured, 0, false)["rate"].is_null());
}

TEST(DashboardMonitor, VersionGoesUpOnlyWhenSomethingChanged) {
    std::int64_t now = 1'000'000;
    auto backend = std::make_shared<wp::MemoryBackend>([&] { return now; });
    MonitorOptions options;
    options.clock = [&] { return now; };
    options.stale_after = 1h;
    JobMonitor monitor(backend, options);
    backend->set_total("b", 4);
    backend->set_total("a", 2);
    monitor.poll_once();
    auto snap = monitor.snapshot();
    EXPECT_EQ(snap->version, 1u);
    ASSERT_EQ(snap->jobs.size(), 2u);
    EXPECT_EQ(snap->jobs[0].status.jobid, "a") << "ordered by job id";
    EXPECT_FALSE(snap->jobs[0].rate);

    now += 1000;
    monitor.poll_once();
    EXPECT_EQ(monitor.snapshot()->version, 2u) << "a rate (0/s) is measured now";
    now += 1000;
    monitor.poll_once();
    EXPECT_EQ(monitor.snapshot()->version, 2u) << "nothing changed";

    backend->complete_part("b", 0);
    backend->complete_part("b", 1);
    now += 1000;
    monitor.poll_once();
    snap = monitor.snapshot();
    EXPECT_EQ(snap->version, 3u);
    EXPECT_GT(snap->jobs[1].rate.value_or(0), 0.0);
    // wait_for_change returns at once when the version is already past the one seen.
    EXPECT_EQ(monitor.wait_for_change(2, 0ms)->version, 3u);

    backend->delete_job("a");
    now += 1000;
    monitor.poll_once();
    EXPECT_EQ(monitor.snapshot()->jobs.size(), 1u);
    monitor.stop();
    EXPECT_TRUE(monitor.stopped());
}

}  // namespace
