// run_command (command.hpp): forks and execs the command in a process group of its own, feeds its stdin from
// a memory file, tees its stderr into a bounded tail, forwards stop signals, waits for its end.
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdlib>
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

// Waits for the command `pid` to exit and returns its wait status. Meanwhile, when `from` >= 0,
// copies the command's stderr to ours and into `tail`; after the exit, only what is already waiting
// (a process the command left behind may hold the pipe open). The wait is a poll() on a pidfd (where
// the kernel has none, a poll every 100 ms): a forwarded signal's handler runs during it under every
// runtime, ThreadSanitizer's included, which runs handlers only inside the calls it knows to block
// (poll, not waitpid).
int wait_for_command(pid_t pid, int from, detail::OutputTail* tail) {
    const Fd exit_fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    char buffer[4096];
    bool output_open = from >= 0;
    bool exited = false;
    int status = 0;
    for (;;) {
        if (!exited) {
            const pid_t r = ::waitpid(pid, &status, WNOHANG);
            if (r == pid) exited = true;
            if (r < 0 && errno != EINTR) throw system_error("waitpid on the command");
        }
        if (exited && !output_open) break;
        pollfd fds[2];
        nfds_t count = 0;
        if (output_open) fds[count++] = pollfd{from, POLLIN, 0};
        if (!exited && exit_fd.get() >= 0) fds[count++] = pollfd{exit_fd.get(), POLLIN, 0};
        const int timeout_ms = exited ? 0 : (exit_fd.get() >= 0 ? -1 : 100);
        const int ready = ::poll(fds, count, timeout_ms);
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) throw system_error("poll on the command");
        if (ready == 0 && exited) break;  // drained
        if (output_open && fds[0].revents != 0) {
            const ssize_t n = ::read(from, buffer, sizeof buffer);
            if (n > 0) {
                write_all(STDERR_FILENO, buffer, static_cast<std::size_t>(n));
                tail->append(std::string_view(buffer, static_cast<std::size_t>(n)));
            } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                output_open = false;
            }
        }
    }
    return status;
}

// Where execve may find argv[0]: itself when it holds a '/', else each PATH directory (as execvp).
std::vector<std::string> candidate_paths(const std::string& name) {
    if (name.find('/') != std::string::npos) return {name};
    const char* path = std::getenv("PATH");
    std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
    std::vector<std::string> out;
    std::size_t begin = 0;
    for (;;) {
        const std::size_t end = dirs.find(':', begin);
        std::string dir = dirs.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
        out.push_back((dir.empty() ? std::string(".") : dir) + "/" + name);
        if (end == std::string::npos) break;
        begin = end + 1;
    }
    return out;
}

// The child between fork and exec: only async-signal-safe calls (other threads may hold locks).
// Its own process group; killed when this thread dies (so a SIGKILL of the worker does not leave it
// running); default dispositions and nothing blocked; stdin and stderr redirected; then execve of
// each candidate. On failure writes errno to `report` and exits 127.
[[noreturn]] void exec_child(pid_t parent, const std::vector<const char*>& paths, char* const* argv, char* const* envp,
                             int input, int err, int report) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent is already gone
    struct sigaction defaults {};
    defaults.sa_handler = SIG_DFL;
    sigemptyset(&defaults.sa_mask);
    for (const int s : detail::kForwardedSignals) ::sigaction(s, &defaults, nullptr);
    ::sigaction(SIGPIPE, &defaults, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (input >= 0 && ::dup2(input, STDIN_FILENO) < 0) ::_exit(127);
    if (err >= 0 && ::dup2(err, STDERR_FILENO) < 0) ::_exit(127);
    int error = ENOENT;
    for (const char* path : paths) {
        ::execve(path, argv, envp);
        if (errno != ENOENT && errno != ENOTDIR) error = errno;  // as execvp: EACCES and the like win
    }
    while (::write(report, &error, sizeof error) < 0 && errno == EINTR) {
    }
    ::_exit(127);
}

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

    const std::vector<std::string> paths = candidate_paths(options.argv.front());
    std::vector<const char*> path_ptrs;
    for (const auto& p : paths) path_ptrs.push_back(p.c_str());
    int report_fds[2];
    if (::pipe2(report_fds, O_CLOEXEC) != 0) throw system_error("cannot create a pipe to start the command");
    Fd report_read(report_fds[0]), report_write(report_fds[1]);

    detail::SignalForwarding forwarding;
    CommandResult result;
    const pid_t parent = ::getpid();
    // The forwarded signals wait (blocked on this thread) until the child has its group and is the
    // target; the child unblocks them once its handlers are the defaults.
    sigset_t forwarded, previous_mask;
    sigemptyset(&forwarded);
    for (const int s : detail::kForwardedSignals) sigaddset(&forwarded, s);
    ::pthread_sigmask(SIG_BLOCK, &forwarded, &previous_mask);
    const pid_t pid = ::fork();
    if (pid == 0) {
        exec_child(parent, path_ptrs, argv.data(), envp.data(), input.get(), err_write.get(), report_write.get());
    }
    if (pid > 0) {
        ::setpgid(pid, pid);  // also here, so the group exists before we signal it (either call may come first)
        forwarding.forward_to(pid);
    }
    ::pthread_sigmask(SIG_SETMASK, &previous_mask, nullptr);
    if (pid < 0) throw system_error("cannot start the command (fork)");
    report_write.reset();
    int exec_error = 0;
    ssize_t n = 0;
    while ((n = ::read(report_read.get(), &exec_error, sizeof exec_error)) < 0 && errno == EINTR) {
    }
    if (n == sizeof exec_error) {  // exec failed: the child exits 127
        wait_for_command(pid, -1, nullptr);
        result.exit_code = (exec_error == ENOENT || exec_error == ENOTDIR) ? 127 : 126;
        result.start_error = "cannot run '" + options.argv.front() + "': " + std::strerror(exec_error);
        result.forwarded_signal = forwarding.last_signal();
        return result;
    }
    err_write.reset();
    input.reset();

    detail::OutputTail tail(options.stderr_tail_bytes);
    const int status = wait_for_command(pid, err_read.get(), &tail);
    if (err_read.get() >= 0) result.stderr_tail = tail.text();
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
