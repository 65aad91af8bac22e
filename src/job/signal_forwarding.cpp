#include "job/signal_forwarding.hpp"

#include <signal.h>

#include <atomic>
#include <iterator>

#include "watchbot_progress/errors.hpp"

namespace watchbot_progress::detail {

namespace {

constexpr std::size_t kCount = std::size(kForwardedSignals);

std::atomic<bool> g_forwarding{false};  // a SignalForwarding exists
std::atomic<bool> g_deferring{false};   // a SignalDeferral exists
std::atomic<pid_t> g_target{0};
// A signal not sent yet. Whoever exchanges it to 0 (the handler or forward_to) sends it: once.
std::atomic<int> g_pending{0};
std::atomic<int> g_last{0};
std::atomic<int> g_received{0};

// The handlers in place before the outermost of SignalDeferral / SignalForwarding installed ours.
struct sigaction g_previous[kCount];
struct sigaction g_previous_pipe;

// Async-signal-safe: atomics (lock-free for int) and kill().
void on_signal(int signal) {
    g_last.store(signal);
    g_received.fetch_add(1);
    g_pending.store(signal);
    const pid_t target = g_target.load();
    if (target > 0 && g_pending.exchange(0) != 0) ::kill(-target, signal);
}

static_assert(std::atomic<int>::is_always_lock_free && std::atomic<pid_t>::is_always_lock_free &&
              std::atomic<bool>::is_always_lock_free);

void install_handlers() {
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    for (std::size_t i = 0; i < kCount; ++i) ::sigaction(kForwardedSignals[i], &action, &g_previous[i]);
}

void restore_handlers() {
    for (std::size_t i = 0; i < kCount; ++i) ::sigaction(kForwardedSignals[i], &g_previous[i], nullptr);
}

void reset_state() {
    g_target.store(0);
    g_pending.store(0);
    g_last.store(0);
    g_received.store(0);
}

}  // namespace

SignalForwarding::SignalForwarding() {
    if (g_forwarding.exchange(true)) {
        throw Error("a command is already running in this process: run one command at a time");
    }
    g_target.store(0);
    if (!g_deferring.load()) {
        reset_state();
        install_handlers();
    }
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    ::sigaction(SIGPIPE, &ignore, &g_previous_pipe);
}

SignalForwarding::~SignalForwarding() {
    g_target.store(0);
    if (!g_deferring.load()) restore_handlers();
    ::sigaction(SIGPIPE, &g_previous_pipe, nullptr);
    g_forwarding.store(false);
}

void SignalForwarding::forward_to(pid_t pgid) {
    g_target.store(pgid);
    if (const int pending = g_pending.exchange(0); pending != 0) ::kill(-pgid, pending);
}

int SignalForwarding::last_signal() const { return g_last.load(); }

SignalDeferral::SignalDeferral() {
    if (g_forwarding.load()) {
        throw Error("a command is already running in this process: run one command at a time");
    }
    if (g_deferring.exchange(true)) {
        throw Error("another command's part is being worked in this process: work one part at a time");
    }
    reset_state();
    install_handlers();
}

SignalDeferral::~SignalDeferral() {
    restore_handlers();
    g_pending.store(0);
    g_deferring.store(false);
}

int SignalDeferral::received() const { return g_received.load(); }

int SignalDeferral::last_signal() const { return g_last.load(); }

}  // namespace watchbot_progress::detail
