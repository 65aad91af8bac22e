#pragma once
// Forwarding the stop signals this process receives to a child's process group while the child runs
// (run_command, command.hpp). One SignalForwarding at a time per process: the handlers are the
// process's.

#include <sys/types.h>

#include <csignal>

namespace watchbot_progress::detail {

// The signals forwarded: what `docker stop` / ECS (SIGTERM), a terminal (SIGINT, SIGQUIT, SIGHUP)
// and users (SIGUSR1, SIGUSR2) send.
inline constexpr int kForwardedSignals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

class SignalForwarding {
public:
    // Installs the handlers (and ignores SIGPIPE, so that writing the child's output to a closed
    // stderr cannot kill this process). From now on a forwarded signal does not stop this process:
    // it is recorded, and sent to the target once one is set. Throws Error when another
    // SignalForwarding exists.
    SignalForwarding();
    // Restores the previous handlers.
    ~SignalForwarding();
    SignalForwarding(const SignalForwarding&) = delete;
    SignalForwarding& operator=(const SignalForwarding&) = delete;

    // Sends every signal received from now on to the process group `pgid`, and the one received
    // before (if any) now; each signal is sent once.
    void forward_to(pid_t pgid);
    // The last signal received (0: none).
    int last_signal() const;
};

}  // namespace watchbot_progress::detail
