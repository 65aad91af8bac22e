// run_command (command.hpp): spawns the command in a process group of its own, feeds its stdin from
// a memory file, tees its stderr into a bounded tail, forwards stop signals, waits for its end.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "job/output_tail.hpp"
#include "job/signal_forwarding.hpp"
#include "watchbot_progress/command.hpp"
#include "watchbot_progress/errors.hpp"

extern char** environ;

namespace watchbot_progress {

namespace {

// A file descriptor closed when it goes away.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd& operator=(Fd&& other) noexcept {
        reset();
        fd_ = std::exchange(other.fd_, -1);
        return *this;
    }
    ~Fd() { reset(); }
    int get() const { return fd_; }
    void reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_ = -1;
};

Error system_error(const std::string& what) { return Error(what + ": " + std::strerror(errno)); }

// This process's environment with `set` applied.
std::vector<std::string> merged_environment(const std::vector<std::pair<std::string, std::string>>& set) {
    std::set<std::string> names;
    for (const auto& [name, value] : set) {
        if (name.empty() || name.find('=') != std::string::npos) {
            throw InvalidInput("environment variable name '" + name + "' is empty or holds '='");
        }
        names.insert(name);
    }
    std::vector<std::string> env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        const std::string entry(*e);
        if (names.count(entry.substr(0, entry.find('='))) == 0) env.push_back(entry);
    }
    for (const auto& [name, value] : set) env.push_back(name + "=" + value);
    return env;
}

// A memory file holding `bytes`, positioned at its start.
Fd input_file(const std::string& bytes) {
    Fd fd(::memfd_create("watchbot-progress-input", MFD_CLOEXEC));
    if (fd.get() < 0) throw system_error("cannot create the command's input (memfd_create)");
    for (std::size_t done = 0; done < bytes.size();) {
        const ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw system_error("cannot write the command's input");
        done += static_cast<std::size_t>(n);
    }
    if (::lseek(fd.get(), 0, SEEK_SET) != 0) throw system_error("cannot rewind the command's input");
    return fd;
}

void write_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // our stderr is gone: the command's output is dropped, the command goes on
        data += n;
        size -= static_cast<std::size_t>(n);
    }
}

// Copies the command's stderr to ours and into `tail` until it closes or, once the command has
// exited, until nothing more is waiting (a process it left behind may hold the pipe open).
int relay_stderr_and_wait(pid_t pid, int from, detail::OutputTail& tail) {
    char buffer[4096];
    bool open = true;
    int status = 0;
    bool exited = false;
    while (open) {
        pollfd p{from, POLLIN, 0};
        const int ready = ::poll(&p, 1, exited ? 0 : 100);
        if (ready < 0 && errno != EINTR) throw system_error("poll on the command's stderr");
        if (ready > 0) {
            const ssize_t n = ::read(from, buffer, sizeof buffer);
            if (n > 0) {
                write_all(STDERR_FILENO, buffer, static_cast<std::size_t>(n));
                tail.append(std::string_view(buffer, static_cast<std::size_t>(n)));
                continue;
            }
            if (n == 0 || (errno != EINTR && errno != EAGAIN)) open = false;
            continue;
        }
        if (ready == 0 && exited) break;  // drained; what a leftover process writes later is not ours
        if (!exited && ::waitpid(pid, &status, WNOHANG) == pid) exited = true;
    }
    if (!exited) {
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
    return status;
}

int wait_for(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) throw system_error("waitpid on the command");
    }
    return status;
}

// posix_spawn's attributes and file actions, destroyed when done.
struct SpawnSetup {
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t actions;
    SpawnSetup() {
        posix_spawnattr_init(&attr);
        posix_spawn_file_actions_init(&actions);
    }
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;
};

}  // namespace

CommandResult run_command(const CommandOptions& options) {
    if (options.argv.empty() || options.argv.front().empty()) {
        throw InvalidInput("no command given: name the program to run and its arguments");
    }
    std::vector<std::string> env = merged_environment(options.environment);
    std::vector<char*> argv;
    for (const auto& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);

    Fd input;
    if (options.input) input = input_file(*options.input);
    Fd err_read, err_write;
    if (options.stderr_tail_bytes > 0) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) throw system_error("cannot create a pipe for the command's stderr");
        err_read = Fd(fds[0]);
        err_write = Fd(fds[1]);
    }

    SpawnSetup spawn;
    if (input.get() >= 0) posix_spawn_file_actions_adddup2(&spawn.actions, input.get(), STDIN_FILENO);
    if (err_write.get() >= 0) posix_spawn_file_actions_adddup2(&spawn.actions, err_write.get(), STDERR_FILENO);
    // Its own process group (forwarded signals reach what it starts too), default dispositions for
    // the signals we handle or ignore, nothing blocked.
    posix_spawnattr_setflags(&spawn.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    posix_spawnattr_setpgroup(&spawn.attr, 0);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (const int s : detail::kForwardedSignals) sigaddset(&defaults, s);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&spawn.attr, &defaults);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&spawn.attr, &none);

    detail::SignalForwarding forwarding;
    CommandResult result;
    pid_t pid = 0;
    const int rc = ::posix_spawnp(&pid, argv[0], &spawn.actions, &spawn.attr, argv.data(), envp.data());
    if (rc != 0) {
        result.exit_code = (rc == ENOENT || rc == ENOTDIR) ? 127 : 126;
        result.start_error = "cannot run '" + options.argv.front() + "': " + std::strerror(rc);
        result.forwarded_signal = forwarding.last_signal();
        return result;
    }
    forwarding.forward_to(pid);
    err_write.reset();
    input.reset();

    int status = 0;
    if (err_read.get() >= 0) {
        detail::OutputTail tail(options.stderr_tail_bytes);
        status = relay_stderr_and_wait(pid, err_read.get(), tail);
        result.stderr_tail = tail.text();
    } else {
        status = wait_for(pid);
    }
    result.forwarded_signal = forwarding.last_signal();
    if (WIFSIGNALED(status)) {
        result.signal = WTERMSIG(status);
        result.exit_code = 128 + result.signal;
    } else {
        result.exit_code = WEXITSTATUS(status);
    }
    return result;
}

}  // namespace watchbot_progress
