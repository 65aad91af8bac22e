#pragma once
// Runs the command-line tool (wp_test::cli_path()) as a real process, with stdout, stderr and the exit code
// captured separately. Shared by the CLI tests.

#include <signal.h>

#include <chrono>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace wp_test {

struct CliResult {
    int code = -1;  // the exit status, or 128 + signal
    std::string out;
    std::string err;
};

std::ostream& operator<<(std::ostream& os, const CliResult& r);

struct RunOptions {
    std::string input;                          // written to the child's stdin, then closed
    std::map<std::string, std::string> env;     // set in the child's environment
    std::chrono::seconds timeout{120};          // the child is killed after this long
    // When set, polled about every 100 ms while the child runs; the child gets SIGINT the first
    // time it returns true. Lets a test interrupt at a point the child reached, not after a guess.
    std::function<bool()> interrupt_when;
    int interrupt_signal = SIGINT;  // what interrupt_when sends (SIGKILL: the child dies at that point)
    // When set, called on the calling thread with everything the child wrote to stderr so far, each
    // time more arrives: a test can wait for the child to reach a point instead of sleeping.
    std::function<void(const std::string& err_so_far)> on_stderr;
    // When set, this program runs instead of the CLI (a test's own worker program).
    std::string program;
};

// Runs the CLI with `args`. ProgressTable, WorkTopic and AlertTopic are removed from the child's environment
// unless `options.env` sets them.
CliResult run_cli(const std::vector<std::string>& args, const RunOptions& options = {});
CliResult run_cli(const std::vector<std::string>& args, const std::string& input);

}  // namespace wp_test
