// watch on each backend, and a job end to end through the CLI alone.

#include <sys/ioctl.h>

#include "cli_test_support.hpp"
#include "test_paths.hpp"

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
    auto r = cli({"create", "--jobid", jobid, "--topic", queue_uri}, "[{\"a\": 0}, {\"a\": 1}]");
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

#if WP_CLI_TEST_SQLITE
// Runs the CLI with stderr on a pseudo-terminal `columns` wide (stdin and stdout on /dev/null) and
// returns everything written to the terminal and the exit code.
std::pair<std::string, int> run_on_terminal(const std::vector<std::string>& args, unsigned short columns) {
    const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) throw std::runtime_error("no pseudo-terminal");
    const int slave = ::open(::ptsname(master), O_RDWR | O_NOCTTY);
    if (slave < 0) throw std::runtime_error("cannot open the pseudo-terminal's slave");
    struct winsize size {};
    size.ws_row = 24;
    size.ws_col = columns;
    ::ioctl(slave, TIOCSWINSZ, &size);
    std::vector<std::string> argv_text = {wp_test::cli_path()};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_text) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int null = ::open("/dev/null", O_RDWR);
        ::dup2(null, 0);
        ::dup2(null, 1);
        ::dup2(slave, 2);
        ::close(master);
        ::unsetenv("ProgressTable");
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(slave);
    std::string out;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(master, buf, sizeof buf);
        if (n > 0) {
            out.append(buf, static_cast<std::size_t>(n));
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            break;  // EIO once the child closed the terminal
        }
    }
    ::close(master);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return {out, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)};
}

// On a terminal narrower than the display line, every redraw still fits on one row (a line that
// wraps cannot be redrawn in place): the bar goes and the long job id is cut short.
TEST(CliWatchTerminal, RedrawsFitATerminalNarrowerThanTheLine) {
    TempDir dir;
    const std::string uri = "sqlite://" + dir.path() + "/jobs.db";
    const std::string jobid = "a-job-id-much-longer-than-the-terminal-is-wide-" + wp::new_jobid();
    auto backend = wp::open_backend(uri);
    backend->set_total(jobid, 2);
    backend->complete_part(jobid, 0);
    constexpr unsigned short kColumns = 40;
    const auto [terminal, code] =
        run_on_terminal({"watch", jobid, "--interval", "0.05", "--timeout", "0.2", "-d", uri}, kColumns);
    EXPECT_EQ(code, wpcli::kExitTimeout) << terminal;
    // Split into what each redraw left on the row: '\r' starts a redraw, "\x1b[K" clears the rest.
    std::vector<std::string> draws;
    std::string current;
    for (std::size_t i = 0; i < terminal.size(); ++i) {
        if (terminal.compare(i, 3, "\x1b[K") == 0) {
            i += 2;
        } else if (terminal[i] == '\r' || terminal[i] == '\n') {
            if (!current.empty()) draws.push_back(current);
            current.clear();
        } else {
            current += terminal[i];
        }
    }
    if (!current.empty()) draws.push_back(current);
    std::size_t bars = 0;
    for (const auto& draw : draws) {
        if (draw.rfind("watchbot-progress-cpp: ", 0) == 0) continue;  // the timeout message, a line of its own
        ++bars;
        EXPECT_LT(draw.size(), kColumns) << "a redraw wider than the terminal: '" << draw << "'";
        EXPECT_THAT(draw, HasSubstr("...  1/2  50.0%")) << draw;
        EXPECT_THAT(draw, StartsWith("a-job-")) << draw;
    }
    EXPECT_GE(bars, 1u) << terminal;
}
#endif

// Every refused command leaves the job exactly as it was.

INSTANTIATE_TEST_SUITE_P(Cli, CliBackend, ::testing::ValuesIn(backend_kinds()), kind_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CliBackend);

}  // namespace
