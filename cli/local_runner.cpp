#include "local_runner.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "output.hpp"
#include "watchbot_progress/errors.hpp"

extern char** environ;

namespace wp = watchbot_progress;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace wpcli {

namespace {

std::atomic<int> g_stop_signal{0};

void on_stop_signal(int signal) { g_stop_signal = signal; }

// Installs SIGINT/SIGTERM handlers for the runner's lifetime and restores the old ones after.
class StopSignals {
public:
    StopSignals() {
        g_stop_signal = 0;
        struct sigaction action {};
        action.sa_handler = on_stop_signal;
        sigemptyset(&action.sa_mask);
        sigaction(SIGINT, &action, &old_int_);
        sigaction(SIGTERM, &action, &old_term_);
    }
    ~StopSignals() {
        sigaction(SIGINT, &old_int_, nullptr);
        sigaction(SIGTERM, &old_term_, nullptr);
    }

private:
    struct sigaction old_int_ {};
    struct sigaction old_term_ {};
};

std::int64_t epoch_ms(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

struct Running {
    wp::QueueMessage message;
    SteadyClock::time_point started;
    SteadyClock::time_point lease_renewed;
    bool lease_lost = false;
    bool timed_out = false;
    bool term_sent = false;
    SteadyClock::time_point term_sent_at;
};

// The worker's environment: ours, minus the message variables, plus this message's.
std::vector<std::string> worker_environment(const wp::QueueMessage& m, const std::string& queue_uri) {
    static const char* const kOwn[] = {"Subject=", "Message=", "MessageId=", "SentTimestamp=",
                                       "ApproximateFirstReceiveTimestamp=", "ApproximateReceiveCount=", "WorkTopic="};
    std::vector<std::string> env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        const std::string entry(*e);
        const bool own = std::any_of(std::begin(kOwn), std::end(kOwn), [&](const char* p) { return entry.rfind(p, 0) == 0; });
        if (!own) env.push_back(entry);
    }
    env.push_back("Subject=" + m.subject);
    env.push_back("Message=" + m.body);
    env.push_back("MessageId=" + m.message_id);
    env.push_back("SentTimestamp=" + std::to_string(epoch_ms(m.sent_timestamp)));
    env.push_back("ApproximateFirstReceiveTimestamp=" + std::to_string(epoch_ms(m.first_receive_timestamp)));
    env.push_back("ApproximateReceiveCount=" + std::to_string(m.receive_count));
    env.push_back("WorkTopic=" + queue_uri);
    return env;
}

bool executable_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// Refuses, before anything is leased, a worker that posix_spawnp could not start: a path that is not
// an executable file, or a name found in no PATH directory (the lookup posix_spawnp makes).
void check_worker_executable(const std::string& program) {
    const auto refuse = [&](const std::string& why) {
        throw wp::InvalidInput("cannot start the worker '" + program.substr(0, 200) + "': " + why +
                               " (give the worker's path, or a command on PATH, after --); no message was taken");
    };
    if (program.empty()) refuse("an empty command");
    if (program.find('/') != std::string::npos) {
        if (!executable_file(program)) refuse(::access(program.c_str(), F_OK) == 0 ? "not an executable file" : "no such file");
        return;
    }
    const char* path = std::getenv("PATH");
    std::string dirs = (path != nullptr && *path != '\0') ? path : "/usr/local/bin:/usr/bin:/bin";
    std::size_t begin = 0;
    for (;;) {
        const std::size_t end = dirs.find(':', begin);
        std::string dir = dirs.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
        if (dir.empty()) dir = ".";
        if (executable_file(dir + "/" + program)) return;
        if (end == std::string::npos) break;
        begin = end + 1;
    }
    refuse("not found in any PATH directory");
}

// The job and part a map message names, when its body is one ({"jobid": "...", "partid": N, ...}).
std::optional<std::pair<std::string, std::int64_t>> map_part_of(const wp::QueueMessage& m) {
    if (m.subject != "map") return std::nullopt;
    const auto body = nlohmann::json::parse(m.body, nullptr, /*allow_exceptions=*/false);
    if (!body.is_object()) return std::nullopt;
    const auto jobid = body.find("jobid");
    const auto partid = body.find("partid");
    if (jobid == body.end() || partid == body.end() || !jobid->is_string() || !partid->is_number_integer()) {
        return std::nullopt;
    }
    return std::make_pair(jobid->get<std::string>(), partid->get<std::int64_t>());
}

pid_t spawn_worker(const std::vector<std::string>& command, const std::vector<std::string>& env) {
    std::vector<char*> argv;
    for (const auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);  // worker output -> our stderr
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // Its own process group: a timeout or Ctrl-C signals the worker and everything it started.
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    posix_spawnattr_setpgroup(&attr, 0);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    sigset_t empty;
    sigemptyset(&empty);
    posix_spawnattr_setsigmask(&attr, &empty);
    pid_t pid = 0;
    const int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        throw wp::InvalidInput("cannot start the worker '" + command.front() + "': " + std::strerror(rc) +
                               " (give the worker's path after --)");
    }
    return pid;
}

class Runner {
public:
    explicit Runner(const RunnerOptions& options) : options_(options) {
        wp::LocalQueueOptions queue_options = wp::LocalQueue::parse_uri(options.queue_uri);
        queue_options.max_receive_count = 0;  // the runner dead-letters by its own max_attempts
        queue_ = std::make_shared<wp::LocalQueue>(queue_options);
        progress_ = options.progress && ::isatty(STDERR_FILENO);
    }

    RunnerSummary run() {
        StopSignals signals;
        try {
            loop();
        } catch (...) {
            give_back_all();
            throw;
        }
        if (progress_) std::fputs("\r\033[K", stderr);
        return summary_;
    }

private:
    void loop() {
        auto last_progress = SteadyClock::now() - 1h;
        for (;;) {
            if (g_stop_signal != 0) {
                stop_all();
                summary_.interrupted = true;
                break;
            }
            reap();
            enforce_timeouts();
            renew_leases();
            const std::size_t free_slots = options_.concurrency - running_.size();
            std::size_t started = 0;
            if (free_slots > 0) {
                std::vector<wp::QueueMessage> leased = queue_->receive(free_slots, options_.lease);
                for (std::size_t i = 0; i < leased.size(); ++i) {
                    try {
                        start(leased[i]);
                    } catch (...) {
                        for (std::size_t j = i; j < leased.size(); ++j) give_back(leased[j]);
                        throw;
                    }
                    ++started;
                }
            }
            if (running_.empty() && started == 0 && !options_.follow) {
                const wp::QueueCounts counts = queue_->counts();
                if (counts.visible == 0 && counts.delayed == 0 && counts.in_flight == 0) break;
            }
            if (progress_ && SteadyClock::now() - last_progress > 200ms) {
                show_progress();
                last_progress = SteadyClock::now();
            }
            if (started == 0) std::this_thread::sleep_for(20ms);
        }
    }

    void start(const wp::QueueMessage& message) {
        const pid_t pid = spawn_worker(options_.command, worker_environment(message, queue_->describe()));
        const auto now = SteadyClock::now();
        running_.emplace(pid, Running{message, now, now});
    }

    // Renews, every third of the lease, the lease of each message whose worker runs. A lease lost
    // (this runner was stopped longer than the lease, and another runner took the message) is said
    // once: the message may then run twice, as on SQS.
    void renew_leases() {
        const auto now = SteadyClock::now();
        for (auto& [pid, r] : running_) {
            if (r.lease_lost || now - r.lease_renewed < options_.lease / 3) continue;
            r.lease_renewed = now;
            if (!queue_->change_visibility(r.message.receipt_handle, options_.lease)) {
                r.lease_lost = true;
                print_message("lost the lease of " + r.message.subject + " message " + r.message.message_id +
                              " (this runner was stopped longer than --lease): another runner may run it too");
            }
        }
    }

    // Returns a message this runner holds to the queue, visible at once, without counting the attempt.
    // Best effort: while giving back after an error, the queue may be failing too.
    void give_back(const wp::QueueMessage& m) noexcept {
        try {
            queue_->return_message(m.receipt_handle, std::chrono::milliseconds(0), /*count_attempt=*/false);
        } catch (const std::exception& e) {
            print_message("could not give message " + m.message_id + " back to the queue: " + e.what() +
                          " (it is visible again when its lease ends)");
        }
    }

    // After an error: every worker stopped, every held message given back.
    void give_back_all() noexcept {
        try {
            stop_all();
        } catch (...) {
            for (auto& [pid, r] : running_) {
                ::kill(-pid, SIGKILL);
                give_back(r.message);
            }
            running_.clear();
        }
    }

    void reap() {
        for (;;) {
            int status = 0;
            const pid_t pid = ::waitpid(-1, &status, WNOHANG);
            if (pid <= 0) return;
            auto it = running_.find(pid);
            if (it == running_.end()) continue;
            finish(it->second, status);
            running_.erase(it);
        }
    }

    void finish(const Running& r, int status) {
        ++summary_.attempts;
        const auto& m = r.message;
        if (seen_.insert(m.message_id).second) ++summary_.messages;
        const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if (!r.timed_out && code == 0) {
            ++summary_.succeeded;
            queue_->delete_message(m.receipt_handle);
            return;
        }
        if (!r.timed_out && code == 3) {
            ++summary_.rejected;
            queue_->delete_message(m.receipt_handle);
            print_message("rejected " + m.subject + " message " + m.message_id + " (worker exit 3)");
            return;
        }
        if (!r.timed_out && code == 4) {
            ++summary_.returned;
            queue_->return_message(m.receipt_handle, options_.backoff, /*count_attempt=*/false);
            return;
        }
        ++summary_.failures;
        std::string why;
        if (r.timed_out) {
            ++summary_.timeouts;
            why = "timed out after " + std::to_string(options_.timeout.count()) + " ms";
        } else if (WIFSIGNALED(status)) {
            why = std::string("killed by signal ") + std::to_string(WTERMSIG(status));
        } else {
            why = "exit " + std::to_string(code);
        }
        if (m.receive_count >= options_.max_attempts) {
            ++summary_.dead_letters;
            queue_->dead_letter(m.receipt_handle, why + " on attempt " + std::to_string(m.receive_count));
            print_message("dead letter: " + m.subject + " message " + m.message_id + " failed " +
                          counted(static_cast<std::uint64_t>(m.receive_count), "time") + " (last: " + why + ")");
            record_failed_part(m);
            return;
        }
        queue_->return_message(m.receipt_handle, backoff_for(m.receive_count), /*count_attempt=*/true);
    }

    void record_failed_part(const wp::QueueMessage& m) {
        if (!options_.backend) return;
        const auto part = map_part_of(m);
        if (!part) return;
        try {
            options_.backend->record_failed_part(part->first, part->second);
            ++summary_.failed_parts;
            print_message("recorded part " + std::to_string(part->second) + " of job " + part->first +
                          " as failed (see `failed " + part->first + "`; after `dead-letters redrive` it can still "
                          "complete)");
        } catch (const wp::Error& e) {
            print_message("could not record part " + std::to_string(part->second) + " of job " + part->first +
                          " as failed: " + e.what());
        }
    }

    std::chrono::milliseconds backoff_for(std::int64_t attempt) const {
        auto delay = options_.backoff;
        for (std::int64_t i = 1; i < attempt && delay < options_.max_backoff; ++i) delay *= 2;
        return std::min(delay, options_.max_backoff);
    }

    void enforce_timeouts() {
        const auto now = SteadyClock::now();
        for (auto& [pid, r] : running_) {
            if (options_.timeout.count() > 0 && !r.timed_out && now - r.started > options_.timeout) {
                r.timed_out = true;
                signal_worker(pid, r, SIGTERM);
            }
            if (r.term_sent && now - r.term_sent_at > options_.kill_grace) ::kill(-pid, SIGKILL);
        }
    }

    static void signal_worker(pid_t pid, Running& r, int signal) {
        ::kill(-pid, signal);
        if (!r.term_sent) {
            r.term_sent = true;
            r.term_sent_at = SteadyClock::now();
        }
    }

    // Ctrl-C: signal every worker, wait for them, give their messages back uncounted.
    void stop_all() {
        for (auto& [pid, r] : running_) signal_worker(pid, r, SIGTERM);
        while (!running_.empty()) {
            for (auto it = running_.begin(); it != running_.end();) {
                int status = 0;
                const pid_t done = ::waitpid(it->first, &status, WNOHANG);
                if (done == it->first) {
                    give_back(it->second.message);
                    it = running_.erase(it);
                } else {
                    if (SteadyClock::now() - it->second.term_sent_at > options_.kill_grace) ::kill(-it->first, SIGKILL);
                    ++it;
                }
            }
            std::this_thread::sleep_for(20ms);
        }
    }

    void show_progress() {
        const wp::QueueCounts c = queue_->counts();
        std::fprintf(stderr, "\r\033[Kdone %llu  failed %llu  running %zu  queued %lld  retrying %lld  dead letters %llu",
                     static_cast<unsigned long long>(summary_.succeeded + summary_.rejected),
                     static_cast<unsigned long long>(summary_.failures), running_.size(),
                     static_cast<long long>(c.visible), static_cast<long long>(c.delayed),
                     static_cast<unsigned long long>(summary_.dead_letters));
        std::fflush(stderr);
    }

    const RunnerOptions& options_;
    std::shared_ptr<wp::LocalQueue> queue_;
    std::map<pid_t, Running> running_;
    RunnerSummary summary_;
    std::set<std::string> seen_;  // ids of the messages run so far (summary_.messages)
    bool progress_ = false;
};

}  // namespace

RunnerSummary run_local_queue(const RunnerOptions& options) {
    if (options.command.empty()) throw wp::InvalidInput("no worker given: run -- WORKER [ARGS...]");
    if (options.concurrency < 1) throw wp::InvalidInput("--concurrency must be at least 1");
    if (options.max_attempts < 1) throw wp::InvalidInput("--max-attempts must be at least 1");
    if (options.lease < 1s) throw wp::InvalidInput("--lease must be at least 1 second");
    check_worker_executable(options.command.front());
    Runner runner(options);
    return runner.run();
}

}  // namespace wpcli
