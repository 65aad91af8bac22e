// Restarting redis-server in the middle of a job. The test starts its own redis-server on a free
// 127.0.0.1 port (so the shared test server is never disturbed), with the append-only file on and
// fsynced after every write (appendfsync always): a restart then keeps every write Redis
// acknowledged, as a production Redis with persistence does (without persistence a restart loses
// the job, which no client library can prevent). A 2,000-part job is created, every part is
// delivered two or three times from 16 threads through the Part guard, and while that runs the
// server is restarted twice: SIGTERM at a quarter of the deliveries, down for 0.2 s (the backend's
// reconnect attempts ride it out), and SIGKILL at half, down for 1.5 s (calls fail after their
// reconnect attempts). Deliveries whose guard threw (connection refused, LOADING) are delivered
// again until they succeed. The job must end complete with exactly one reduce message.
//
// The test fails (never skips) when redis-server cannot be found or started.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <tuple>

#include <gtest/gtest.h>

#include "fault_delivery.hpp"
#include "watchbot_progress/redis_backend.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

extern char** environ;

namespace wp = watchbot_progress;
using nlohmann::json;
using std::chrono::milliseconds;

namespace {

constexpr int kParts = 2000;

// A free 127.0.0.1 port (bound, then released).
int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t length = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
    ::close(fd);
    return ntohs(addr.sin_port);
}

// "+PONG" from a PING on a fresh connection: the server is up and has loaded its data.
bool answers_ping(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    bool ok = false;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        timeval timeout{1, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        const char ping[] = "PING\r\n";
        char answer[64] = {0};
        if (::send(fd, ping, sizeof ping - 1, MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof ping - 1) &&
            ::recv(fd, answer, sizeof answer - 1, 0) > 0) {
            ok = std::string(answer).rfind("+PONG", 0) == 0;  // "-LOADING ..." while it reads the AOF
        }
    }
    ::close(fd);
    return ok;
}

// A private redis-server with the append-only file fsynced on every write, in its own directory.
class PersistentRedis {
public:
    PersistentRedis() {
        std::string pattern = (std::filesystem::temp_directory_path() / "wp-redis-fault-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
        dir_ = pattern;
        for (int attempt = 0; attempt < 3 && pid_ < 0; ++attempt) {
            port_ = free_port();
            try {
                start();
            } catch (const std::runtime_error&) {
                if (attempt == 2) throw;
            }
        }
    }
    ~PersistentRedis() {
        stop(SIGTERM);
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    PersistentRedis(const PersistentRedis&) = delete;
    PersistentRedis& operator=(const PersistentRedis&) = delete;

    int port() const { return port_; }

    // Stops the server with `signal` and starts it again on the same port and files; returns how
    // long the server could not be reached.
    milliseconds restart(int signal, milliseconds down) {
        const auto begin = std::chrono::steady_clock::now();
        stop(signal);
        std::this_thread::sleep_for(down);
        start();
        return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - begin);
    }

private:
    void start() {
        const std::string port = std::to_string(port_);
        std::vector<std::string> args = {"redis-server", "--bind", "127.0.0.1", "--port", port, "--save", "",
                                         "--appendonly", "yes", "--appendfsync", "always", "--dir", dir_,
                                         "--daemonize", "no", "--logfile", dir_ + "/redis.log"};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_t pid = -1;
        if (::posix_spawnp(&pid, "redis-server", nullptr, nullptr, argv.data(), environ) != 0) {
            throw std::runtime_error("cannot run redis-server (is it installed? scripts/deps.sh installs it)");
        }
        pid_ = pid;
        for (int i = 0; i < 200; ++i) {  // 10 s
            if (answers_ping(port_)) return;
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                throw std::runtime_error("redis-server exited at start; see " + dir_ + "/redis.log");
            }
            std::this_thread::sleep_for(milliseconds(50));
        }
        stop(SIGKILL);
        throw std::runtime_error("redis-server did not answer PING within 10 s on port " + port);
    }

    void stop(int signal) {
        if (pid_ < 0) return;
        ::kill(pid_, signal);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }

    std::string dir_;
    int port_ = 0;
    pid_t pid_ = -1;
};

TEST(RedisFaults, RestartsInTheMiddleOfA2000PartJobLoseNothingAndSendOneReduce) {
    const auto started = std::chrono::steady_clock::now();
    PersistentRedis redis;
    wp::RedisOptions options;
    options.port = redis.port();
    options.pool_size = 16;
    auto backend = std::make_shared<wp::RedisBackend>(options);
    auto notifier = std::make_shared<wp_test::CountingNotifier>();

    json parts = json::array();
    for (int i = 0; i < kParts; ++i) parts.push_back({{"tile", i}});
    const json metadata = {{"test", "redis-restart"}};
    const std::string jobid = wp::create_job(parts, {.backend = backend, .notifier = notifier, .metadata = metadata});
    std::vector<wp::MapMessage> messages;
    for (const std::string& body : notifier->messages("map")) messages.push_back(wp::parse_map_message(body));
    ASSERT_EQ(messages.size(), static_cast<std::size_t>(kParts));

    // The restarts run beside the workers, when the deliveries reach a quarter and a half.
    const std::uint64_t deliveries = 2 * kParts + (kParts + 4) / 5;  // copies 2, a third for every 5th part
    std::mutex mutex;
    std::condition_variable progressed;
    std::uint64_t done = 0;
    std::vector<std::string> restarts;
    std::thread restarter([&] {
        // The first outage is shorter than the backend's reconnect attempts (50 + 100 + 200 ms of
        // backoff), the second longer: its calls fail and their deliveries come back.
        const std::tuple<std::uint64_t, int, milliseconds> plan[] = {{deliveries / 4, SIGTERM, milliseconds(200)},
                                                                     {deliveries / 2, SIGKILL, milliseconds(1500)}};
        for (const auto& [at, signal, outage] : plan) {
            {
                std::unique_lock lock(mutex);
                progressed.wait(lock, [&] { return done >= at; });
            }
            const milliseconds down = redis.restart(signal, outage);
            std::lock_guard lock(mutex);
            restarts.push_back(std::string(signal == SIGKILL ? "SIGKILL" : "SIGTERM") + " at delivery " +
                               std::to_string(at) + ", unreachable for " + std::to_string(down.count()) + " ms");
        }
    });
    std::vector<std::atomic<int>> runs(kParts);
    wp_test::DeliveryOptions delivery;
    delivery.redelivery_delay = milliseconds(200);
    delivery.on_delivery = [&](std::uint64_t n) {
        {
            std::lock_guard lock(mutex);
            done = std::max(done, n);
        }
        progressed.notify_all();
    };
    const wp_test::DeliveryReport report = wp_test::deliver_with_redelivery(messages, delivery, [&](const wp::MapMessage& m) {
        wp::Part(m, {.backend = backend, .notifier = notifier}).run([&] { ++runs.at(m.partid); });
    });
    {
        // In case the deliveries ended before a planned restart (they cannot: the plan is below
        // the first round's count), release the restarter.
        std::lock_guard lock(mutex);
        done = std::max<std::uint64_t>(done, deliveries);
    }
    progressed.notify_all();
    restarter.join();
    const auto finished = std::chrono::steady_clock::now();

    std::cout << "[redis restart] restarts: " << ::testing::PrintToString(restarts) << "\n"
              << "[redis restart] workers: " << report.to_string() << "\n"
              << "[redis restart] time: " << std::chrono::duration<double>(finished - started).count() << " s"
              << std::endl;
    RecordProperty("guard_failures", std::to_string(report.failed));
    RecordProperty("rounds", std::to_string(report.rounds));

    ASSERT_EQ(restarts.size(), 2u);
    EXPECT_GT(report.failed, 0u) << "the restarts were noticed";
    EXPECT_TRUE(report.unexpected.empty()) << ::testing::PrintToString(report.unexpected);
    EXPECT_EQ(report.undelivered, 0u);
    for (int p = 0; p < kParts; ++p) ASSERT_GE(runs[p].load(), 2) << "part " << p;

    const wp::JobStatus status = backend->status(jobid);
    EXPECT_EQ(status.total, kParts);
    EXPECT_EQ(status.remaining, 0);
    EXPECT_FALSE(status.failed);
    EXPECT_TRUE(status.reduce_sent);
    EXPECT_EQ(status.metadata, metadata);
    EXPECT_TRUE(backend->list_pending_parts(jobid).empty());
    const auto reduces = notifier->messages("reduce");
    std::cout << "[redis restart] reduce messages: " << reduces.size() << std::endl;
    ASSERT_EQ(reduces.size(), 1u);
    EXPECT_EQ(json::parse(reduces[0]), (json{{"jobid", jobid}, {"metadata", metadata}}));
}

}  // namespace
