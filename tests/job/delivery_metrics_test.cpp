// Delivery metrics (watchbot_progress/delivery_metrics.hpp): the EMF line's form, checked against the
// EMF specification's rules (emf_check.hpp), and the one line each delivery of the Part guard and of
// run_part_command writes to stdout with WATCHBOT_PROGRESS_METRICS=emf: its outcome and claim outcome
// in each case, and nothing at all without the variable or with another value. Stdout is a temporary
// file for the length of each delivery (StdoutCapture).
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "emf_check.hpp"
#include "watchbot_progress/command_part.hpp"
#include "watchbot_progress/delivery_metrics.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace {

namespace wp = watchbot_progress;
using nlohmann::json;

// File descriptor 1 goes to a temporary file from construction to lines().
class StdoutCapture {
public:
    StdoutCapture() {
        std::cout.flush();
        std::fflush(stdout);
        char path[] = "/tmp/wp-stdout-XXXXXX";
        fd_ = ::mkstemp(path);
        if (fd_ < 0) throw std::runtime_error("mkstemp failed");
        path_ = path;
        saved_ = ::dup(STDOUT_FILENO);
        ::dup2(fd_, STDOUT_FILENO);
    }
    ~StdoutCapture() {
        restore();
        ::unlink(path_.c_str());
    }

    // What was written, as lines; stdout is back.
    std::vector<std::string> lines() {
        restore();
        std::ifstream in(path_);
        std::vector<std::string> out;
        for (std::string line; std::getline(in, line);) out.push_back(line);
        return out;
    }

private:
    void restore() {
        if (saved_ < 0) return;
        std::cout.flush();
        std::fflush(stdout);
        ::dup2(saved_, STDOUT_FILENO);
        ::close(saved_);
        ::close(fd_);
        saved_ = -1;
    }
    int fd_ = -1;
    int saved_ = -1;
    std::string path_;
};

// WATCHBOT_PROGRESS_METRICS set for the object's life.
class MetricsEnv {
public:
    explicit MetricsEnv(const char* value) { ::setenv("WATCHBOT_PROGRESS_METRICS", value, 1); }
    ~MetricsEnv() { ::unsetenv("WATCHBOT_PROGRESS_METRICS"); }
};

struct Fatal : std::runtime_error {
    using std::runtime_error::runtime_error;
};

TEST(DeliveryMetrics, TheLineFollowsTheEmbeddedMetricFormat) {
    wp::DeliveryMetrics m;
    m.jobid = "job \"1\"\t";
    m.partid = 7;
    m.outcome = wp::DeliveryOutcome::kCompleted;
    m.claim = wp::ClaimOutcome::kSent;
    m.duration_ms = 12.5;
    m.timestamp_ms = 1'700'000'000'123;
    const std::string text = wp::emf_line(m);
    EXPECT_EQ(text.find('\n'), std::string::npos);
    const json line = wp_test::expect_emf_line(text);
    EXPECT_EQ(line["_aws"]["Timestamp"], 1'700'000'000'123);
    const json& directive = line["_aws"]["CloudWatchMetrics"][0];
    EXPECT_EQ(directive["Namespace"], "WatchbotProgress");
    EXPECT_EQ(directive["Dimensions"], json::parse(R"([["Outcome"], ["ClaimOutcome"]])"));
    EXPECT_EQ(directive["Metrics"], json::parse(R"([{"Name": "PartDuration", "Unit": "Milliseconds"},
        {"Name": "Deliveries", "Unit": "Count"}, {"Name": "ReducesSent", "Unit": "Count"}])"));
    EXPECT_EQ(line["Outcome"], "completed");
    EXPECT_EQ(line["ClaimOutcome"], "sent");
    EXPECT_EQ(line["PartDuration"], 12.5);
    EXPECT_EQ(line["Deliveries"], 1);
    EXPECT_EQ(line["ReducesSent"], 1);
    EXPECT_EQ(line["jobid"], "job \"1\"\t");  // a property: not a dimension
    EXPECT_EQ(line["partid"], 7);
    // The checker catches what CloudWatch would refuse.
    json broken = line;
    broken["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] = "Millis";
    broken.erase("Outcome");
    EXPECT_NE(wp_test::emf_problems(broken), "");
}

class PartMetrics : public ::testing::Test {
protected:
    std::int64_t now = wp::system_time_ms();
    std::shared_ptr<wp::MemoryBackend> backend = std::make_shared<wp::MemoryBackend>([this] { return now; });
    std::shared_ptr<wp::MemoryNotifier> notifier = std::make_shared<wp::MemoryNotifier>();

    wp::PartOptions options() {
        wp::PartOptions o;
        o.backend = backend;
        o.notifier = notifier;
        o.fail_job_on = wp::fail_on<Fatal>();
        return o;
    }

    // One delivery of `partid` running `work`; returns the lines it wrote to stdout.
    std::vector<std::string> deliver(const std::string& jobid, wp::PartId partid, const std::function<void()>& work) {
        StdoutCapture capture;
        try {
            wp::Part(jobid, partid, options()).run(work);
        } catch (...) {
        }
        return capture.lines();
    }

    // The one line of a delivery, checked against EMF's rules.
    json only_line(const std::vector<std::string>& lines) {
        EXPECT_EQ(lines.size(), 1u);
        return lines.empty() ? json() : wp_test::expect_emf_line(lines[0]);
    }
};

TEST_F(PartMetrics, EachDeliveryWritesOneLineWithItsOutcomes) {
    MetricsEnv env("emf");
    backend->set_total("j", 2);
    json line = only_line(deliver("j", 0, [] {}));
    EXPECT_EQ(line["Outcome"], "completed");
    EXPECT_EQ(line["ClaimOutcome"], "none");
    EXPECT_EQ(line["ReducesSent"], 0);
    EXPECT_EQ(line["jobid"], "j");
    EXPECT_EQ(line["partid"], 0);
    EXPECT_GE(line["PartDuration"].get<double>(), 0.0);

    line = only_line(deliver("j", 1, [] {}));
    EXPECT_EQ(line["Outcome"], "completed");
    EXPECT_EQ(line["ClaimOutcome"], "sent");
    EXPECT_EQ(line["ReducesSent"], 1);
    ASSERT_EQ(notifier->messages().size(), 1u);

    line = only_line(deliver("j", 1, [] {}));  // a duplicate delivery
    EXPECT_EQ(line["Outcome"], "completed");
    EXPECT_EQ(line["ClaimOutcome"], "already-sent");
    EXPECT_EQ(line["ReducesSent"], 0);
}

TEST_F(PartMetrics, TheWorksOwnOutputComesWholeBeforeTheLine) {
    MetricsEnv env("emf");
    backend->set_total("j", 1);
    const auto lines = deliver("j", 0, [] {
        std::cout << "from C++ " << 1 << "\n";
        std::printf("from C\n");
    });
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0], "from C++ 1");
    EXPECT_EQ(lines[1], "from C");
    wp_test::expect_emf_line(lines[2]);
}

TEST_F(PartMetrics, FailuresJobFailuresAndAFailedJob) {
    MetricsEnv env("emf");
    backend->set_total("j", 3);
    json line = only_line(deliver("j", 0, [] { throw std::runtime_error("retry me"); }));
    EXPECT_EQ(line["Outcome"], "failed");
    EXPECT_EQ(line["ClaimOutcome"], "none");
    line = only_line(deliver("j", 1, [] { throw Fatal("bad input"); }));
    EXPECT_EQ(line["Outcome"], "job-failed");
    line = only_line(deliver("j", 2, [] { ADD_FAILURE() << "ran for a failed job"; }));
    EXPECT_EQ(line["Outcome"], "job-already-failed");
}

TEST_F(PartMetrics, AnUnconfirmedClaimIsPendingThenTakenOverAfterTheLease) {
    MetricsEnv env("emf");
    backend->set_total("j", 1);
    ASSERT_TRUE(backend->complete_part_and_claim_reduce("j", 0).reduce_claim);  // a claimer that died
    json line = only_line(deliver("j", 0, [] {}));
    EXPECT_EQ(line["Outcome"], "error");
    EXPECT_EQ(line["ClaimOutcome"], "pending");
    now += std::chrono::milliseconds(std::chrono::minutes(4)).count();  // past the 3-minute lease
    line = only_line(deliver("j", 0, [] {}));
    EXPECT_EQ(line["Outcome"], "completed");
    EXPECT_EQ(line["ClaimOutcome"], "taken-over");
    EXPECT_EQ(line["ReducesSent"], 1);
}

TEST_F(PartMetrics, NothingWithoutTheVariableOrWithAnotherValue) {
    backend->set_total("j", 3);
    EXPECT_TRUE(deliver("j", 0, [] {}).empty());
    MetricsEnv env("prometheus");
    EXPECT_FALSE(wp::delivery_metrics_enabled());
    EXPECT_TRUE(deliver("j", 1, [] {}).empty());
    ::setenv("WATCHBOT_PROGRESS_METRICS", "", 1);
    EXPECT_TRUE(deliver("j", 2, [] {}).empty());
}

TEST_F(PartMetrics, TheGuardsStepsWriteTheLineToo) {
    MetricsEnv env("emf");
    backend->set_total("j", 2);
    StdoutCapture capture;
    wp::Part part("j", 0, options());
    part.started_at(std::chrono::steady_clock::now() - std::chrono::seconds(2));
    part.begin();
    part.succeed();
    const auto lines = capture.lines();
    ASSERT_EQ(lines.size(), 1u);
    const json line = wp_test::expect_emf_line(lines[0]);
    EXPECT_GE(line["PartDuration"].get<double>(), 2000.0);
}

TEST_F(PartMetrics, ACommandsDeliveriesWriteOneLineEach) {
    MetricsEnv env("emf");
    backend->set_total("j", 2);
    wp::CommandPartOptions o;
    o.part.backend = backend;
    o.part.notifier = notifier;
    o.fail_job_on_exit = {3};
    const auto run = [&](wp::PartId partid, const std::string& script) {
        StdoutCapture capture;
        wp::run_part_command(wp::MapMessage{"j", partid, json::object(), json{{"jobid", "j"}, {"partid", partid}}},
                             {"/bin/sh", "-c", script}, o);
        return capture.lines();
    };
    auto lines = run(0, "echo from the command");
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0], "from the command");
    EXPECT_EQ(wp_test::expect_emf_line(lines[1])["Outcome"], "completed");
    lines = run(1, "exit 3");
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(wp_test::expect_emf_line(lines[0])["Outcome"], "job-failed");
    lines = run(1, "echo never");
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(wp_test::expect_emf_line(lines[0])["Outcome"], "job-already-failed");
}

}  // namespace
