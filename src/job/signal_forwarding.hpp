#pragma once
// The stop signals this process receives while it works a command: forwarded to the command's
// process group while the command runs (SignalForwarding, used by run_command, command.hpp), and
// held back around it (SignalDeferral, used by run_part_command, command_part.hpp) so that a signal
// that arrives once the command has exited cannot stop this process in the middle of recording the
// part's outcome. The handlers are the process's: one SignalDeferral and one SignalForwarding at a
// time per process; a SignalForwarding may be made inside a SignalDeferral's life (not the other way
// round).

#include <sys/types.h>

#include <csignal>

namespace watchbot_progress::detail {

// The signals forwarded and deferred: what `docker stop` / ECS (SIGTERM), a terminal (SIGINT,
// SIGQUIT, SIGHUP) and users (SIGUSR1, SIGUSR2) send.
inline constexpr int kForwardedSignals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

class SignalForwarding {
public:
    // Installs the handlers (and ignores SIGPIPE, so that writing the child's output to a closed
    // stderr cannot kill this process). From now on a forwarded signal does not stop this process:
    // it is recorded, and sent to the target once one is set. Inside a SignalDeferral's life the
    // deferral's handlers stay, and a signal it received before (not yet sent anywhere) is sent to
    // the target as soon as one is set. Throws Error when another SignalForwarding exists.
    SignalForwarding();
    // Restores the previous handlers (inside a SignalDeferral: signals are held back again).
    ~SignalForwarding();
    SignalForwarding(const SignalForwarding&) = delete;
    SignalForwarding& operator=(const SignalForwarding&) = delete;

    // Sends every signal received from now on to the process group `pgid`, and the one received
    // before (if any) now; each signal is sent once.
    void forward_to(pid_t pgid);
    // The last signal received (0: none); inside a SignalDeferral, since the deferral began.
    int last_signal() const;
};

class SignalDeferral {
public:
    // Installs the handlers: from now on a forwarded signal does not stop this process; it is
    // recorded (received(), last_signal()) and, while a SignalForwarding has a target, forwarded to
    // it. Throws Error when another SignalDeferral or a SignalForwarding exists.
    SignalDeferral();
    // Restores the previous handlers. A signal received meanwhile is not raised again: the caller
    // reads it and decides.
    ~SignalDeferral();
    SignalDeferral(const SignalDeferral&) = delete;
    SignalDeferral& operator=(const SignalDeferral&) = delete;

    // How many signals were received since the deferral began (each delivery counts).
    int received() const;
    // The last signal received since the deferral began (0: none).
    int last_signal() const;
};

}  // namespace watchbot_progress::detail
