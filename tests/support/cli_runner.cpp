#include "cli_runner.hpp"

#include "test_paths.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace wp_test {

std::ostream& operator<<(std::ostream& os, const CliResult& r) {
    return os << "exit " << r.code << "\n--- stdout ---\n" << r.out << "--- stderr ---\n" << r.err;
}


// Runs the CLI with `args`. ProgressTable, WorkTopic and AlertTopic are removed from the child's environment
// unless `options.env` sets them. Everything the child needs is prepared before fork(), so the child
// only calls async-signal-safe functions (other threads of this process may be running).
CliResult run_cli(const std::vector<std::string>& args, const RunOptions& options) {
    std::vector<std::string> argv_storage;
    argv_storage.push_back(options.program.empty() ? cli_path() : options.program);
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);

    std::vector<std::string> env_storage;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string entry(*e);
        const std::string name = entry.substr(0, entry.find('='));
        if (name == "ProgressTable" || name == "WorkTopic" || name == "AlertTopic" || options.env.count(name)) continue;
        env_storage.push_back(entry);
    }
    for (const auto& [name, value] : options.env) env_storage.push_back(name + "=" + value);
    std::vector<char*> envp;
    for (auto& e : env_storage) envp.push_back(e.data());
    envp.push_back(nullptr);

    int in_pipe[2], out_pipe[2], err_pipe[2];
    if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
        throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    }
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        ::dup2(in_pipe[0], STDIN_FILENO);
        ::dup2(out_pipe[1], STDOUT_FILENO);
        ::dup2(err_pipe[1], STDERR_FILENO);
        ::execve(argv[0], argv.data(), envp.data());
        ::_exit(127);
    }
    ::close(in_pipe[0]);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);

    CliResult result;
    int in_fd = in_pipe[1];
    ::fcntl(in_fd, F_SETFL, O_NONBLOCK);
    std::size_t written = 0;
    if (options.input.empty()) {
        ::close(in_fd);
        in_fd = -1;
    }
    int out_fd = out_pipe[0], err_fd = err_pipe[0];
    const auto deadline = std::chrono::steady_clock::now() + options.timeout;
    bool killed = false;
    bool interrupted = false;
    while (out_fd >= 0 || err_fd >= 0) {
        std::vector<pollfd> fds;
        if (in_fd >= 0) fds.push_back({in_fd, POLLOUT, 0});
        if (out_fd >= 0) fds.push_back({out_fd, POLLIN, 0});
        if (err_fd >= 0) fds.push_back({err_fd, POLLIN, 0});
        const int ready = ::poll(fds.data(), fds.size(), 100);
        if (ready < 0 && errno != EINTR) throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
        if (!interrupted && options.interrupt_when && options.interrupt_when()) {
            ::kill(pid, options.interrupt_signal);
            interrupted = true;
        }
        if (!killed && std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            killed = true;
        }
        for (const auto& p : fds) {
            if (p.revents == 0) continue;
            if (p.fd == in_fd) {
                const ssize_t n = ::write(in_fd, options.input.data() + written, options.input.size() - written);
                if (n > 0) written += static_cast<std::size_t>(n);
                if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == options.input.size()) {
                    ::close(in_fd);
                    in_fd = -1;
                }
            } else {
                char buf[65536];
                const ssize_t n = ::read(p.fd, buf, sizeof buf);
                if (n > 0) {
                    (p.fd == out_fd ? result.out : result.err).append(buf, static_cast<std::size_t>(n));
                    if (p.fd == err_fd && options.on_stderr) options.on_stderr(result.err);
                } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                    ::close(p.fd);
                    (p.fd == out_fd ? out_fd : err_fd) = -1;
                }
            }
        }
    }
    if (in_fd >= 0) ::close(in_fd);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (killed) result.err += "\n[test harness: killed after the timeout]\n";
    return result;
}

CliResult run_cli(const std::vector<std::string>& args, const std::string& input) {
    RunOptions options;
    options.input = input;
    return run_cli(args, options);
}

}  // namespace wp_test
