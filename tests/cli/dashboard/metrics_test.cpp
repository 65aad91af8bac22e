// serve's and monitor's GET /metrics (cli/dashboard/metrics.hpp, prometheus_text.hpp): the text format's
// escaping, the values read from a backend against a clock of the test's, the bound on per-job
// series, and promtool's check of the whole text. Over HTTP on every real backend: tests/cli/metrics_test.cpp.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "dashboard/metrics.hpp"
#include "dashboard/prometheus_text.hpp"
#include "prometheus_check.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/forwarding.hpp"
#include "watchbot_progress/memory_backend.hpp"

namespace {

namespace wp = watchbot_progress;
namespace dash = wpcli::dashboard;
using wp_test::parse_exposition;
using wp_test::sample_value;

TEST(PrometheusText, EscapesLabelValuesAndHelpAsTheFormatSays) {
    EXPECT_EQ(dash::escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
    EXPECT_EQ(dash::escape_help("a\\b\"c\nd"), "a\\\\b\"c\\nd");
    dash::PrometheusText out;
    out.family("x_total", "counter", "help with \\ and\nnewline");
    out.sample("x_total", {{"jobid", "j\"1\n"}, {"state", "pending"}}, 3);
    out.sample("x_total", 0.5);
    EXPECT_EQ(out.text(),
              "# HELP x_total help with \\\\ and\\nnewline\n# TYPE x_total counter\n"
              "x_total{jobid=\"j\\\"1\\n\",state=\"pending\"} 3\nx_total 0.5\n");
    const auto samples = parse_exposition(out.text());
    ASSERT_EQ(samples.size(), 2u);
    EXPECT_EQ(samples[0].labels.at("jobid"), "j\"1\n");
    wp_test::expect_promtool_accepts(out.text());
}

TEST(PrometheusText, ValuesAreWholeOrTheShortestThatReadsBack) {
    dash::PrometheusText out;
    out.family("v", "gauge", "values");
    out.sample("v", {{"k", "a"}}, 12449.0 / 1000.0);
    out.sample("v", {{"k", "b"}}, 0.1 + 0.2);
    out.sample("v", {{"k", "c"}}, 1e20);
    out.sample("v", {{"k", "d"}}, -3);
    EXPECT_EQ(out.text(), "# HELP v values\n# TYPE v gauge\nv{k=\"a\"} 12.449\nv{k=\"b\"} 0.30000000000000004\n"
                          "v{k=\"c\"} 1e+20\nv{k=\"d\"} -3\n");
    wp_test::expect_promtool_accepts(out.text());
}

class Metrics : public ::testing::Test {
protected:
    std::atomic<std::int64_t> now{1'000'000'000'000};
    std::shared_ptr<wp::MemoryBackend> backend =
        std::make_shared<wp::MemoryBackend>([this] { return now.load(); });
    dash::MetricsOptions options() {
        dash::MetricsOptions o;
        o.clock = [this] { return now.load(); };
        o.stale_after = std::chrono::minutes(10);
        return o;
    }
};

TEST_F(Metrics, CountsJobsByStateReducesAndPartsFromTheStore) {
    backend->set_total("running", 5);  // created at now
    backend->complete_part("running", 0);
    backend->complete_part("running", 1);
    backend->record_failed_part("running", 4);
    now += 60'000;
    backend->set_total("stale", 2);  // created a minute later, then left alone
    now += 5'000;
    backend->set_total("done", 1);
    const auto claim = backend->complete_part_and_claim_reduce("done", 0).reduce_claim;
    ASSERT_TRUE(claim);
    backend->confirm_reduce("done", *claim);
    backend->set_total("unsent", 1);
    backend->complete_part("unsent", 0);
    backend->set_total("failed", 3);
    backend->fail_job("failed", "bad \"input\"\nline two");
    now += 20 * 60'000;  // 20 minutes on: "stale" and "running" are stale unless they changed
    backend->complete_part("running", 2);

    const std::string text = dash::metrics_text(*backend, options());
    wp_test::expect_promtool_accepts(text);
    const auto s = parse_exposition(text);
    EXPECT_EQ(sample_value(s, "watchbot_progress_jobs", {{"state", "running"}}), 1);
    EXPECT_EQ(sample_value(s, "watchbot_progress_jobs", {{"state", "stale"}}), 1);
    EXPECT_EQ(sample_value(s, "watchbot_progress_jobs", {{"state", "complete"}}), 2);
    EXPECT_EQ(sample_value(s, "watchbot_progress_jobs", {{"state", "failed"}}), 1);
    EXPECT_EQ(sample_value(s, "watchbot_progress_reduces_sent"), 1);
    EXPECT_EQ(sample_value(s, "watchbot_progress_reduces_confirmed"), 1);
    EXPECT_EQ(sample_value(s, "watchbot_progress_reduces_unsent"), 1);
    EXPECT_EQ(sample_value(s, "watchbot_progress_job_parts", {{"jobid", "running"}, {"state", "pending"}}), 2);
    EXPECT_EQ(sample_value(s, "watchbot_progress_job_parts", {{"jobid", "running"}, {"state", "complete"}}), 3);
    EXPECT_EQ(sample_value(s, "watchbot_progress_job_parts", {{"jobid", "running"}, {"state", "failed"}}), 1);
    EXPECT_EQ(sample_value(s, "watchbot_progress_job_parts", {{"jobid", "stale"}, {"state", "pending"}}), 2);
    EXPECT_FALSE(sample_value(s, "watchbot_progress_job_parts", {{"jobid", "done"}, {"state", "pending"}}));
    EXPECT_FALSE(sample_value(s, "watchbot_progress_job_parts", {{"jobid", "failed"}, {"state", "pending"}}));
    // Parts are pending from their job's creation: the oldest is "running"'s, 21m05s ago.
    EXPECT_EQ(sample_value(s, "watchbot_progress_oldest_pending_part_age_seconds"), 1265);
    EXPECT_EQ(sample_value(s, "watchbot_progress_job_oldest_pending_part_age_seconds", {{"jobid", "running"}}), 1265);
    EXPECT_EQ(sample_value(s, "watchbot_progress_job_oldest_pending_part_age_seconds", {{"jobid", "stale"}}), 1205);
}

// The repairs and the alerts sent are the sums of every job's records (JobStatus::reduce_repairs,
// alerts_sent); a deleted job takes its records with it.
TEST_F(Metrics, RepairsAndAlertsSentAreSummedOverTheJobs) {
    const auto counts = [&] {
        const auto s = parse_exposition(dash::metrics_text(*backend, options()));
        std::map<std::string, double> c{{"repairs", sample_value(s, "watchbot_progress_reduce_repairs").value_or(-1)}};
        for (const wp::AlertState state : wp::kAlertStates) {
            const std::string name = wp::to_string(state);
            c[name] = sample_value(s, "watchbot_progress_alerts_sent", {{"state", name}}).value_or(-1);
        }
        return c;
    };
    using Counts = std::map<std::string, double>;
    EXPECT_EQ(counts(), (Counts{{"repairs", 0}, {"failed", 0}, {"stalled", 0}, {"reduce-overdue", 0}, {"part-dead", 0}}));
    backend->set_total("a", 1);
    backend->set_total("b", 1);
    backend->record_reduce_repair("a");
    backend->record_reduce_repair("a");
    backend->record_reduce_repair("b");
    ASSERT_TRUE(backend->claim_alert("a", wp::AlertState::kStalled));
    ASSERT_TRUE(backend->claim_alert("b", wp::AlertState::kStalled));
    ASSERT_TRUE(backend->claim_alert("b", wp::AlertState::kPartDead));
    EXPECT_EQ(counts(), (Counts{{"repairs", 3}, {"failed", 0}, {"stalled", 2}, {"reduce-overdue", 0}, {"part-dead", 1}}));
    backend->delete_job("a");
    EXPECT_EQ(counts(), (Counts{{"repairs", 1}, {"failed", 0}, {"stalled", 1}, {"reduce-overdue", 0}, {"part-dead", 1}}));
}

TEST_F(Metrics, PerJobSeriesOnlyForTheMostRecentlyCreatedRunningJobs) {
    for (int i = 0; i < 30; ++i) {
        backend->set_total("job-" + std::to_string(100 + i), 2);
        now += 1000;
    }
    auto o = options();
    o.max_jobs = 3;
    const auto s = parse_exposition(dash::metrics_text(*backend, o));
    EXPECT_EQ(sample_value(s, "watchbot_progress_jobs", {{"state", "running"}}), 30);
    std::set<std::string> listed;
    for (const auto& sample : s) {
        if (sample.name == "watchbot_progress_job_parts") listed.insert(sample.labels.at("jobid"));
    }
    EXPECT_EQ(listed, (std::set<std::string>{"job-127", "job-128", "job-129"}));
    o.max_jobs = 0;
    for (const auto& sample : parse_exposition(dash::metrics_text(*backend, o))) {
        EXPECT_NE(sample.name, "watchbot_progress_job_parts");
    }
}

// Counts the reads one scrape makes: one walk of the job list, one failed-parts read per listed job.
class CountingBackend : public wp::ForwardingBackend {
public:
    using wp::ForwardingBackend::ForwardingBackend;
    int walks = 0, failed_reads = 0, other_reads = 0;

protected:
    void do_list_jobs(const std::function<void(const wp::JobStatus&)>& visit) override {
        ++walks;
        wp::ForwardingBackend::do_list_jobs(visit);
    }
    std::vector<wp::PartId> do_list_failed_parts(const std::string& jobid) override {
        ++failed_reads;
        return wp::ForwardingBackend::do_list_failed_parts(jobid);
    }
    std::vector<wp::PartId> do_list_pending_parts(const std::string& jobid) override {
        ++other_reads;
        return wp::ForwardingBackend::do_list_pending_parts(jobid);
    }
    wp::JobStatus do_status(const std::string& jobid) override {
        ++other_reads;
        return wp::ForwardingBackend::do_status(jobid);
    }
};

TEST_F(Metrics, AScrapeIsOneWalkAndABoundedNumberOfReads) {
    for (int i = 0; i < 50; ++i) backend->set_total("job-" + std::to_string(i), 1000);
    CountingBackend counting(backend);
    auto o = options();
    o.max_jobs = 4;
    dash::metrics_text(counting, o);
    EXPECT_EQ(counting.walks, 1);
    EXPECT_EQ(counting.failed_reads, 4);
    EXPECT_EQ(counting.other_reads, 0);
}

class FailingBackend : public wp::ForwardingBackend {
public:
    using wp::ForwardingBackend::ForwardingBackend;

protected:
    void do_list_jobs(const std::function<void(const wp::JobStatus&)>&) override {
        throw wp::BackendError("the store is down", "ServiceUnavailable", true);
    }
};

TEST_F(Metrics, AStoreErrorIsA503SayingSo) {
    dash::MetricsEndpoint endpoint(std::make_shared<FailingBackend>(backend), options());
    const auto reply = endpoint.scrape();
    EXPECT_EQ(reply.status, 503);
    EXPECT_NE(reply.body.find("the store is down"), std::string::npos) << reply.body;
    dash::MetricsEndpoint working(backend, options());
    const auto ok = working.scrape();
    EXPECT_EQ(ok.status, 200);
    EXPECT_EQ(ok.content_type, "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace
