#pragma once
// Running an external command the way a worker's wrapper must (what `watchbot-progress-cpp worker`
// runs each message's command with, and run_part_command, command_part.hpp):
//
//   wp::CommandResult r = wp::run_command({.argv = {"sh", "worker.sh"}, .input = message_json});
//
// The command runs with this process's environment plus `environment`, reads `input` (or this
// process's stdin), and writes to this process's stdout and stderr. It runs in a process group of
// its own, and is killed (SIGKILL) should the thread that called run_command die before it (a
// worker killed by `run --timeout` or the OOM killer leaves no command behind). While it runs, the signals a container's stop or a terminal sends (SIGTERM, SIGINT,
// SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2) that reach this process are forwarded to that group, once each,
// and do not stop this process. The previous handlers come back when run_command returns.
// (Inside run_part_command, command_part.hpp, they stay held back until the part's outcome is
// recorded.)

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "watchbot_progress/export.hpp"

namespace watchbot_progress {

struct CommandOptions {
    // The command and its arguments; argv[0] is a path, or a name looked up in PATH.
    std::vector<std::string> argv;
    // Variables set in the command's environment (replacing any of the same name); every other
    // variable of this process's environment is passed on.
    std::vector<std::pair<std::string, std::string>> environment;
    // The command's standard input: these bytes (then end of file), from a memory file, so the
    // command may read them or not. Unset: this process's standard input.
    std::optional<std::string> input;
    // When not 0, the command's stderr goes through a pipe to this process's stderr and its last
    // this many bytes are kept (CommandResult::stderr_tail). 0: the command writes to this
    // process's stderr directly.
    std::size_t stderr_tail_bytes = 0;
};

struct CommandResult {
    // As a shell reports it: the command's exit status; 128 + N when signal N killed it; 127 when
    // it was not found, 126 when it could not be executed.
    int exit_code = 0;
    // N when signal N killed the command, else 0.
    int signal = 0;
    // The last signal this process received, and forwarded to the command, while it ran; 0: none.
    int forwarded_signal = 0;
    // Why the command could not be started (exit_code 126 or 127); empty when it ran.
    std::string start_error;
    // The end of the command's stderr (detail::OutputTail::text: whole lines, valid UTF-8, a first
    // line "[...]" when earlier output was dropped); empty unless stderr_tail_bytes was set.
    std::string stderr_tail;

    bool succeeded() const noexcept { return exit_code == 0 && start_error.empty(); }
};

// Runs the command to its end (see above) and returns how it ended. A command that cannot be
// started is a result (exit_code 127 or 126, start_error), not an exception. Throws InvalidInput when
// argv is empty, Error when the process cannot be set up (no pipe or memory file) or when another
// run_command is running in this process (the signal handlers are the process's: one at a time).
WATCHBOT_PROGRESS_EXPORT CommandResult run_command(const CommandOptions& options);

}  // namespace watchbot_progress
