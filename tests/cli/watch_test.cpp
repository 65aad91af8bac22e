// watch on each backend, and a job end to end through the CLI alone.

#include "cli_test_support.hpp"

namespace {

using namespace wp_cli_test;

// -- watch

TEST_P(CliBackend, WatchFollowsTheJobUntilItCompletes) {
    constexpr int kParts = 5;
    const auto jobid = new_job(kParts);
    backend->set_metadata(jobid, {{"name", "w"}});
    // The parts are completed once the CLI has shown 0/5, however long it takes to start.
    std::promise<void> shown_start;
    bool signalled = false;
    const auto signal_start = [&] {
        if (!signalled) shown_start.set_value();
        signalled = true;
    };
    std::thread worker([&, started = shown_start.get_future()] {
        started.wait();
        for (int p = 0; p < kParts; ++p) backend->complete_part(jobid, p);
    });
    wp_test::RunOptions options;
    options.on_stderr = [&](const std::string& err) {
        if (err.find(jobid + ": 0/5 ") != std::string::npos) signal_start();
    };
    const auto r = cli({"watch", jobid, "--interval", "0.05"}, options);
    signal_start();  // the CLI ended without showing 0/5: let the worker end (the checks below fail)
    worker.join();
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "{\"metadata\": {\"name\": \"w\"}, \"jobid\": \"" + jobid +
                         "\", \"progress\": 1.0, \"total\": 5, \"remaining\": 0, \"failed\": false, \"reduceSent\": false}\n");
    // stderr is a pipe: a plain line each time the count changed, the last one complete.
    const auto lines = lines_of(r.err);
    ASSERT_GE(lines.size(), 2u) << r.err;
    EXPECT_THAT(lines.front(), StartsWith(jobid + ": 0/5 (0.0%), "));
    EXPECT_THAT(lines.back(), StartsWith(jobid + ": 5/5 (100.0%), "));
    EXPECT_THAT(lines.back(), HasSubstr("/s, done in 0:0"));
    for (const auto& line : lines) EXPECT_THAT(line, StartsWith(jobid + ": ")) << line;
}

TEST_P(CliBackend, WatchExits1WhenTheJobFails) {
    const auto jobid = new_job(4);
    std::thread worker([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        backend->complete_part(jobid, 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        backend->fail_job(jobid, "disk full");
    });
    const auto r = cli({"watch", jobid, "-i", "0.05"});
    worker.join();
    EXPECT_EQ(r.code, wpcli::kExitJobFailed) << r;
    EXPECT_EQ(r.out, "{\"metadata\": {}, \"jobid\": \"" + jobid +
                         "\", \"progress\": 0.25, \"total\": 4, \"remaining\": 3, \"failed\": true, \"error\": \"disk full\", "
                         "\"reduceSent\": false}\n");
    EXPECT_THAT(r.err, HasSubstr("watchbot-progress-cpp: job '" + jobid + "' failed: disk full\n"));
}

TEST_P(CliBackend, WatchTimesOut) {
    const auto jobid = new_job(3);
    backend->complete_part(jobid, 2);
    const auto start = std::chrono::steady_clock::now();
    const auto r = cli({"watch", jobid, "--interval", "0.1", "--timeout", "0.4"});
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(r.code, wpcli::kExitTimeout) << r;
    EXPECT_EQ(r.out, "");
    EXPECT_THAT(r.err, HasSubstr("error: timed out after 0.4 s: job '" + jobid + "' has 2 of 3 parts pending\n"));
    EXPECT_GE(elapsed, std::chrono::milliseconds(400));  // a watch that never timed out is killed by the harness
}

TEST_P(CliBackend, WatchQuietAndAlreadyCompleteAndUnknown) {
    const auto jobid = new_job(1);
    backend->complete_part(jobid, 0);
    auto r = cli({"watch", jobid, "--quiet"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.err, "");
    EXPECT_THAT(r.out, HasSubstr("\"remaining\": 0"));

    const auto missing = unique_jobid("missing");
    r = cli({"watch", missing, "-q"});
    EXPECT_EQ(r.code, wpcli::kExitJobFailed) << r;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, not_found(missing));
}

// A whole job through the CLI alone: create, work, watch, clean up.
TEST_P(CliBackend, EndToEndThroughTheCli) {
    const auto jobid = unique_jobid("e2e");
    auto r = cli({"create", "--jobid", jobid, "--topic", "memory://"}, "[{\"a\": 0}, {\"a\": 1}]");
    ASSERT_EQ(r.code, 0) << r;
    EXPECT_EQ(cli({"pending", jobid}).out, "0\n1\n");
    EXPECT_EQ(cli({"complete-part", jobid, "-p", "0"}).out, "false\n");
    EXPECT_EQ(cli({"complete-part", jobid, "-p", "1"}).out, "true\n");
    EXPECT_EQ(cli({"reduce-sent", jobid}).code, 0);
    r = cli({"watch", jobid, "-q"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_THAT(r.out, HasSubstr("\"reduceSent\": true}"));
    EXPECT_EQ(cli({"delete", jobid}).code, 0);
    EXPECT_EQ(cli({"info", jobid}).code, wpcli::kExitJobFailed);
}

// Every refused command leaves the job exactly as it was.

INSTANTIATE_TEST_SUITE_P(Cli, CliBackend, ::testing::ValuesIn(backend_kinds()), kind_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CliBackend);

}  // namespace
