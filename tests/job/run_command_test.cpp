// run_command (watchbot_progress/command.hpp): exit codes as a shell reports them, stdin from memory,
// the environment, the stderr tail, and the stop signals forwarded to the command. The commands are
// small /bin/sh scripts; the signal tests synchronise on a FIFO the command writes to once it runs.

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "job/signal_forwarding.hpp"
#include "watchbot_progress/command.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/job.hpp"

namespace fs = std::filesystem;
namespace wp = watchbot_progress;
using ::testing::HasSubstr;

namespace {

class RunCommandTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir = fs::path(::testing::TempDir()) / ("wp-cmd-" + wp::new_jobid());
        fs::create_directories(dir);
    }
    void TearDown() override { fs::remove_all(dir); }

    static wp::CommandResult sh(const std::string& script, wp::CommandOptions options = {}) {
        options.argv = {"/bin/sh", "-c", script};
        return wp::run_command(options);
    }
    std::string read(const std::string& name) const {
        std::ifstream in(dir / name);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }
    std::string path(const std::string& name) const { return (dir / name).string(); }

    fs::path dir;
};

TEST_F(RunCommandTest, ExitCodePassesThrough) {
    const auto r = sh("exit 7");
    EXPECT_EQ(r.exit_code, 7);
    EXPECT_EQ(r.signal, 0);
    EXPECT_EQ(r.forwarded_signal, 0);
    EXPECT_FALSE(r.succeeded());
    EXPECT_TRUE(sh("exit 0").succeeded());
}

TEST_F(RunCommandTest, InputOnStdinAndVariablesInTheEnvironment) {
    ::setenv("WP_RUN_COMMAND_KEPT", "kept", 1);
    wp::CommandOptions options;
    options.input = "{\"a\": 1}\nsecond\n";
    options.environment = {{"WP_RUN_COMMAND_SET", "set value"}, {"WP_RUN_COMMAND_KEPT", "replaced"}};
    const auto r = sh("cat > '" + path("in") + "'; printf '%s|%s' \"$WP_RUN_COMMAND_SET\" \"$WP_RUN_COMMAND_KEPT\" > '" +
                          path("env") + "'",
                      options);
    ::unsetenv("WP_RUN_COMMAND_KEPT");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(read("in"), "{\"a\": 1}\nsecond\n");
    EXPECT_EQ(read("env"), "set value|replaced");
}

TEST_F(RunCommandTest, InputTheCommandNeverReadsDoesNotBlock) {
    wp::CommandOptions options;
    options.input = std::string(1 << 20, 'x');  // far more than a pipe holds
    EXPECT_EQ(sh("exit 0", options).exit_code, 0);
}

TEST_F(RunCommandTest, MissingOrNotExecutableCommandAsAShellReportsIt) {
    wp::CommandOptions options;
    options.argv = {"wp-no-such-command-" + wp::new_jobid()};
    auto r = wp::run_command(options);
    EXPECT_EQ(r.exit_code, 127);
    EXPECT_THAT(r.start_error, HasSubstr("cannot run 'wp-no-such-command-"));
    EXPECT_FALSE(r.succeeded());

    std::ofstream(dir / "not-executable") << "#!/bin/sh\nexit 0\n";
    options.argv = {path("not-executable")};
    r = wp::run_command(options);
    EXPECT_EQ(r.exit_code, 126);
    EXPECT_THAT(r.start_error, HasSubstr("Permission denied"));

    options.argv = {};
    EXPECT_THROW(wp::run_command(options), wp::InvalidInput);
}

TEST_F(RunCommandTest, StderrTailKeepsTheLastLines) {
    wp::CommandOptions options;
    options.stderr_tail_bytes = 40;
    const auto r = sh("i=1; while [ $i -le 30 ]; do echo \"problem $i\" >&2; i=$((i+1)); done; exit 3", options);
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(r.stderr_tail, "[...]\nproblem 28\nproblem 29\nproblem 30");  // 40 bytes: three whole lines
    EXPECT_EQ(sh("echo nothing kept >&2").stderr_tail, "");  // no tail asked for
}

TEST_F(RunCommandTest, KilledBySignalIs128PlusN) {
    const auto r = sh("kill -KILL $$");
    EXPECT_EQ(r.signal, SIGKILL);
    EXPECT_EQ(r.exit_code, 128 + SIGKILL);
    EXPECT_EQ(r.forwarded_signal, 0);  // not ours
}

TEST_F(RunCommandTest, OneCommandAtATimePerProcess) {
    wp::detail::SignalForwarding first;
    EXPECT_THROW(sh("exit 0"), wp::Error);
}

// The signal tests: the command writes a line to a FIFO once its trap is set; a helper thread reads
// it and sends the signal to this process, which run_command forwards. The helper blocks the
// forwarded signals for itself, so that the signal is handled by the thread waiting in run_command,
// as in the CLI (under ThreadSanitizer a handler deferred on a thread that is about to end may never
// run).
class RunCommandSignals : public RunCommandTest {
protected:
    // Runs `script` (which must write a line to "$READY" once ready) and sends `signal` to this
    // process once that line arrives.
    wp::CommandResult run_and_signal(const std::string& script, int signal) {
        const std::string fifo = path("ready");
        EXPECT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
        // Sent to the thread that waits in run_command, as the kernel delivers a process's signal to
        // the one thread that does not block it (the CLI's other threads block them). A signal sent
        // to the process could reach ThreadSanitizer's own background thread, where its handler
        // never runs.
        const pthread_t waiting = ::pthread_self();
        std::thread signaller([fifo, signal, waiting] {
            sigset_t forwarded;
            sigemptyset(&forwarded);
            for (const int s : wp::detail::kForwardedSignals) sigaddset(&forwarded, s);
            ::pthread_sigmask(SIG_BLOCK, &forwarded, nullptr);
            std::ifstream in(fifo);  // blocks until the command opens it
            std::string line;
            std::getline(in, line);
            ::pthread_kill(waiting, signal);
        });
        wp::CommandOptions options;
        options.environment = {{"READY", fifo}};
        auto r = sh(script, options);
        signaller.join();
        return r;
    }
};

TEST_F(RunCommandSignals, SigtermIsForwardedToTheCommandAndNotFatalToUs) {
    const auto r = run_and_signal(
        "trap 'kill $p 2>/dev/null; echo got TERM > \"" + path("trapped") + "\"; exit 42' TERM; sleep 1000 </dev/null >/dev/null 2>&1 & p=$!; echo ready > \"$READY\"; wait $p",
        SIGTERM);
    EXPECT_EQ(r.exit_code, 42);  // its trap ran: it got the signal, and we are still here
    EXPECT_EQ(r.signal, 0);
    EXPECT_EQ(r.forwarded_signal, SIGTERM);
    EXPECT_EQ(read("trapped"), "got TERM\n");
}

TEST_F(RunCommandSignals, ACommandKilledByTheForwardedSignalExits128PlusN) {
    const auto r = run_and_signal("echo ready > \"$READY\"; exec sleep 1000", SIGTERM);
    EXPECT_EQ(r.signal, SIGTERM);
    EXPECT_EQ(r.exit_code, 128 + SIGTERM);
    EXPECT_EQ(r.forwarded_signal, SIGTERM);
}

TEST_F(RunCommandSignals, TheHandlersAreRestoredAfterwards) {
    struct sigaction before {};
    ::sigaction(SIGTERM, nullptr, &before);
    sh("exit 0");
    struct sigaction after {};
    ::sigaction(SIGTERM, nullptr, &after);
    EXPECT_EQ(before.sa_handler, after.sa_handler);
}

}  // namespace
