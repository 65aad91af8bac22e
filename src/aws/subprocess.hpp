#pragma once
// Runs a program and captures what it writes, for credential_process.

#include <cstddef>
#include <string>
#include <vector>

namespace watchbot_progress::aws {

struct ProcessOutput {
    int exit_status = -1;  // the exit status when the program exited
    int signal = 0;        // the signal that ended it, else 0
    std::string out;       // stdout, at most max_bytes (the rest is read and dropped)
    std::string err;       // stderr, likewise
    bool out_truncated = false;
};

// Runs argv[0] (searched on PATH when it has no '/') with `argv`, the process's environment, stdin
// from /dev/null (so it never eats input the caller reads, e.g. parts piped to `create`), and
// stdout and stderr captured. Waits for it to end; there is no time limit (as botocore).
//
// Throws std::system_error (with the errno) when the program cannot be started (not found, not
// executable) or a pipe cannot be made. Thread-safe: uses posix_spawn and waits for its own child only.
ProcessOutput run_process(const std::vector<std::string>& argv, std::size_t max_bytes = 1U << 20U);

}  // namespace watchbot_progress::aws
