#include "aws/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

extern char** environ;

namespace watchbot_progress::aws {
namespace {

class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() { reset(); }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    void reset(int fd = -1) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }

private:
    int fd_ = -1;
};

struct Pipe {
    Fd read_end;
    Fd write_end;
};

void make_pipe(Pipe& pipe) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
    pipe.read_end.reset(fds[0]);
    pipe.write_end.reset(fds[1]);
}

class FileActions {
public:
    FileActions() { ::posix_spawn_file_actions_init(&actions_); }
    ~FileActions() { ::posix_spawn_file_actions_destroy(&actions_); }
    FileActions(const FileActions&) = delete;
    FileActions& operator=(const FileActions&) = delete;
    posix_spawn_file_actions_t* get() { return &actions_; }

private:
    posix_spawn_file_actions_t actions_;
};

}  // namespace

ProcessOutput run_process(const std::vector<std::string>& argv, std::size_t max_bytes) {
    if (argv.empty()) throw std::system_error(EINVAL, std::generic_category(), "no program");
    Pipe out_pipe;
    Pipe err_pipe;
    make_pipe(out_pipe);
    make_pipe(err_pipe);

    FileActions actions;
    // dup2 clears close-on-exec on the target; every other descriptor of ours is close-on-exec.
    ::posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    ::posix_spawn_file_actions_adddup2(actions.get(), out_pipe.write_end.get(), STDOUT_FILENO);
    ::posix_spawn_file_actions_adddup2(actions.get(), err_pipe.write_end.get(), STDERR_FILENO);

    std::vector<std::string> storage = argv;
    std::vector<char*> args;
    for (auto& arg : storage) args.push_back(arg.data());
    args.push_back(nullptr);

    pid_t pid = -1;
    const int rc = ::posix_spawnp(&pid, args[0], actions.get(), nullptr, args.data(), environ);
    if (rc != 0) throw std::system_error(rc, std::generic_category(), "posix_spawnp");
    out_pipe.write_end.reset();
    err_pipe.write_end.reset();

    ProcessOutput result;
    struct Stream {
        int fd;
        std::string* into;
        bool open = true;
    };
    Stream streams[2] = {{out_pipe.read_end.get(), &result.out}, {err_pipe.read_end.get(), &result.err}};
    char buffer[8192];
    while (streams[0].open || streams[1].open) {
        pollfd fds[2];
        int count = 0;
        int index[2];
        for (int i = 0; i < 2; ++i) {
            if (!streams[i].open) continue;
            fds[count] = {streams[i].fd, POLLIN, 0};
            index[count++] = i;
        }
        if (::poll(fds, static_cast<nfds_t>(count), -1) < 0) {
            if (errno == EINTR) continue;
            break;  // cannot happen with valid descriptors; stop reading and reap the child
        }
        for (int k = 0; k < count; ++k) {
            if ((fds[k].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
            Stream& stream = streams[index[k]];
            const ssize_t n = ::read(stream.fd, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                stream.open = false;
                continue;
            }
            const std::size_t room = max_bytes > stream.into->size() ? max_bytes - stream.into->size() : 0;
            if (static_cast<std::size_t>(n) > room && stream.into == &result.out) result.out_truncated = true;
            stream.into->append(buffer, std::min(room, static_cast<std::size_t>(n)));
        }
    }

    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "waitpid");
    }
    if (WIFEXITED(status)) result.exit_status = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
    return result;
}

}  // namespace watchbot_progress::aws
