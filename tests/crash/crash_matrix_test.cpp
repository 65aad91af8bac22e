// The crash matrix: the promise "exactly one reduce per job" tested the way production breaks it.
// For every backend and every step of the reduce protocol, the worker process of a job's last part
// kills itself with SIGKILL at that step (tests/crash/worker: a real process, through
// run_part_command, the code behind `watchbot-progress-cpp worker`). Then its message is delivered
// again the way watchbot does it: after 2, 4, 8, ... s while the worker exits non-zero, never after
// an exit 0, at most 10 receives (a message received 10 times goes to the dead-letter queue). No
// sweep runs. Time is the backend's clock, moved by the test (a clock file the workers read), so
// the lease is measured exactly, without sleeping, and every cell ends the same way on every run.
//
// Each cell checks: the message is done before the dead-letter queue; the job is complete with its
// reduce confirmed; exactly one reduce was published, except in the one cell where that cannot be
// known: a worker killed after its publish went out and before it confirmed. The delivery after
// the lease cannot tell that worker from one killed before publishing, and sends it again
// (docs/reliability.md, "The one window").
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "cli_runner.hpp"
#include "crash_backends.hpp"
#include "test_paths.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace wp = watchbot_progress;

namespace {

constexpr int kRetryExit = 75;       // the worker program's exit for a retryable error (ReducePending)
constexpr int kKilledExit = 128 + 9;  // SIGKILL
constexpr int kMaxReceives = 10;     // watchbot's default dead-letter threshold

class TempDir {
public:
    TempDir() {
        std::string pattern = ::testing::TempDir() + "wp-crash-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    std::string operator/(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

// The job's time, shared with the worker processes through a file.
class TestClock {
public:
    explicit TestClock(std::string file) : file_(std::move(file)) {
        now_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
        write();
    }
    void advance(std::chrono::milliseconds by) {
        now_ms_ += by.count();
        write();
    }
    std::int64_t now() const { return now_ms_; }
    const std::string& file() const { return file_; }

private:
    void write() const {
        std::ofstream out(file_, std::ios::trunc);
        out << now_ms_;
    }
    std::string file_;
    std::int64_t now_ms_;
};

using Cell = std::tuple<std::string, std::string>;  // backend, step

class CrashMatrix : public ::testing::TestWithParam<Cell> {
protected:
    // One delivery of `partid`'s message: the worker process's exit code.
    int deliver(wp::PartId partid, const std::string& crash_at = "none") {
        wp_test::RunOptions run;
        run.program = wp_test::crash_worker_path();
        run.env = {{"WP_CRASH_AT", crash_at}, {"WP_CRASH_CLOCK_FILE", clock->file()}};
        const wp_test::CliResult r = run_worker(partid, run);
        if (r.code != 0 && r.code != kRetryExit && r.code != kKilledExit) ADD_FAILURE() << r;
        return r.code;
    }
    wp_test::CliResult run_worker(wp::PartId partid, wp_test::RunOptions run) {
        return wp_test::run_cli({spec, queue_file, jobid, std::to_string(partid)}, run);
    }
    // The reduce messages in the queue.
    std::vector<std::string> reduces() {
        wp::LocalQueueOptions options;
        options.database.path = queue_file;
        wp::LocalQueue queue(options);
        std::vector<std::string> bodies;
        for (const auto& m : queue.receive(100, std::chrono::hours(1))) {
            if (m.subject == wp::kReduceSubject) bodies.push_back(m.body);
        }
        return bodies;
    }

    TempDir dir;
    std::unique_ptr<TestClock> clock;
    std::string spec;
    std::string queue_file;
    std::string jobid;
};

TEST_P(CrashMatrix, TheJobGetsItsReduceWithoutSweep) {
    ASSERT_FALSE(wp_test::crash_worker_path().empty());
    const auto& [backend_name, step] = GetParam();
    clock = std::make_unique<TestClock>(dir / "clock");
    spec = backend_name == "sqlite" ? "sqlite:" + (dir / "progress.db") : backend_name;
    queue_file = dir / "queue.db";
    jobid = "crash-" + step + "-" + wp::new_jobid();
    TestClock* shared_clock = clock.get();
    auto backend = wp_test::open_crash_backend(spec, [shared_clock] { return shared_clock->now(); });
    constexpr wp::PartId kTotal = 7;  // three shards of 3 in the sharded layout
    backend->set_total(jobid, kTotal);
    backend->set_metadata(jobid, {{"cell", backend_name + "/" + step}});

    for (wp::PartId p = 0; p + 1 < kTotal; ++p) ASSERT_EQ(deliver(p), 0) << "part " << p;
    // The last part's worker dies at the step.
    ASSERT_EQ(deliver(kTotal - 1, step), kKilledExit);
    // Watchbot: the message comes back after 2^receives seconds while its worker fails.
    int receives = 1;
    int code = kKilledExit;
    while (code != 0) {
        ASSERT_LT(receives, kMaxReceives) << "the message went to the dead-letter queue without its reduce";
        clock->advance(std::chrono::seconds(std::int64_t{1} << receives));
        code = deliver(kTotal - 1);
        ++receives;
    }
    // Late duplicates of every part, as SQS may deliver them, change nothing.
    for (wp::PartId p = 0; p < kTotal; ++p) EXPECT_EQ(deliver(p), 0) << "late duplicate of part " << p;

    const wp::JobStatus status = backend->status(jobid);
    EXPECT_TRUE(status.complete());
    EXPECT_TRUE(status.reduce_sent);
    EXPECT_TRUE(status.reduce_confirmed);
    const std::vector<std::string> sent = reduces();
    const std::size_t expected = step == "after-publish" ? 2 : 1;
    ASSERT_EQ(sent.size(), expected);
    for (const std::string& body : sent) {
        EXPECT_EQ(nlohmann::json::parse(body),
                  (nlohmann::json{{"jobid", jobid}, {"metadata", {{"cell", backend_name + "/" + step}}}}));
    }
    // Which receive of the message succeeded, with the default lease (3 minutes) and watchbot's
    // backoff: a step that leaves no claim behind is done by the next delivery; a claim left
    // unconfirmed is taken over by the first delivery at least 180 s after it, the 8th receive
    // (2 + 4 + ... + 128 = 254 s), two receives before the dead-letter queue.
    const std::map<std::string, int> done_at = {{"after-complete", 2}, {"after-claim", 8}, {"during-publish", 8},
                                                {"after-publish", 8},  {"after-confirm", 2}};
    EXPECT_EQ(receives, done_at.at(step));
}

std::string cell_name(const ::testing::TestParamInfo<Cell>& info) {
    std::string name = std::get<0>(info.param) + "_" + std::get<1>(info.param);
    for (char& c : name) {
        if (c == '-') c = '_';
    }
    return name;
}

INSTANTIATE_TEST_SUITE_P(EveryBackendEveryStep, CrashMatrix,
                         ::testing::Combine(::testing::Values("sqlite", "redis", "dynamodb", "dynamodb-sharded"),
                                            ::testing::Values("after-complete", "after-claim", "during-publish",
                                                              "after-publish", "after-confirm")),
                         cell_name);

}  // namespace
