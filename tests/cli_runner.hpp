#pragma once
// Runs the command-line tool (WP_CLI_PATH) as a real process, with stdout, stderr and the exit code
// captured separately. Shared by the CLI tests.

#include <chrono>
#include <map>
#include <optional>
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
    // When set, the child gets SIGINT this long after it started (Ctrl-C).
    std::optional<std::chrono::milliseconds> interrupt_after;
};

// Runs the CLI with `args`. ProgressTable and WorkTopic are removed from the child's environment
// unless `options.env` sets them.
CliResult run_cli(const std::vector<std::string>& args, const RunOptions& options = {});
CliResult run_cli(const std::vector<std::string>& args, const std::string& input);

}  // namespace wp_test
