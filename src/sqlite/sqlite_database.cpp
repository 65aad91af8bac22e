#include "sqlite/sqlite_database.hpp"

#include <unistd.h>

#include <algorithm>
#include <random>
#include <thread>

#include "sqlite/sqlite_error.hpp"

namespace watchbot_progress::detail::sqlite {

namespace {

void check_options(const SqliteOptions& options) {
    if (options.path.empty()) {
        throw InvalidInput("SQLite database path is empty: give a file path, e.g. sqlite:///var/tmp/jobs.db");
    }
    if (options.path == ":memory:" || options.path.rfind("file::memory:", 0) == 0) {
        throw InvalidInput("SQLite database ':memory:' cannot be shared between connections and processes: "
                           "give a file path, e.g. sqlite:///tmp/jobs.db");
    }
    if (options.path.find('\0') != std::string::npos) {
        throw InvalidInput("SQLite database path contains a NUL byte: give a plain file path");
    }
    if (options.busy_timeout.count() < 0 || options.retry_timeout.count() < 0 ||
        options.retry_backoff_initial.count() < 0 || options.retry_backoff_max.count() < 0) {
        throw InvalidInput("SQLite busy_timeout, retry_timeout and retry backoffs must not be negative");
    }
}

std::chrono::milliseconds jitter(std::chrono::milliseconds upper) {
    // Fork-safe: seeded per thread and reseeded when the process changes.
    thread_local pid_t seeded_pid = 0;
    thread_local std::minstd_rand generator;
    if (seeded_pid != ::getpid()) {
        seeded_pid = ::getpid();
        std::random_device device;
        generator.seed(device());
    }
    if (upper.count() <= 0) return std::chrono::milliseconds(0);
    std::uniform_int_distribution<long long> pick(0, upper.count());
    return std::chrono::milliseconds(pick(generator));
}

}  // namespace

Database::Database(SqliteOptions options, const std::function<void(Connection&)>& init)
    : options_(std::move(options)), pid_(::getpid()) {
    check_options(options_);
    write([&](Connection& c) { init(c); });
}

Database::~Database() {
    if (pid_ != ::getpid()) {
        for (auto& c : idle_) static_cast<void>(c.release());  // the parent's: never close them here
    }
}

std::unique_ptr<Connection> Database::acquire() {
    {
        std::lock_guard lock(mutex_);
        if (pid_ != ::getpid()) {
            // A forked child: the parent's connections must not be used or closed here.
            for (auto& c : idle_) static_cast<void>(c.release());
            idle_.clear();
            pid_ = ::getpid();
        }
        if (!idle_.empty()) {
            auto c = std::move(idle_.back());
            idle_.pop_back();
            return c;
        }
    }
    return std::make_unique<Connection>(options_);  // outside the lock: opening may wait for locks
}

void Database::release(std::unique_ptr<Connection> connection) noexcept {
    std::lock_guard lock(mutex_);
    if (pid_ != ::getpid()) {
        static_cast<void>(connection.release());  // opened before a fork: abandon
        return;
    }
    if (idle_.size() < options_.max_idle_connections) idle_.push_back(std::move(connection));
}

void Database::roll_back(Lease& lease) noexcept {
    Connection& c = *lease;
    if (!c.in_transaction()) return;  // SQLite already rolled back
    try {
        c.exec("ROLLBACK");
    } catch (...) {
        lease.discard();  // in an unknown state: close it rather than reuse it
    }
}

Database::Retry::Retry(const SqliteOptions& options)
    : options_(options), start_(std::chrono::steady_clock::now()), backoff_(options.retry_backoff_initial) {}

bool Database::Retry::again(const BackendError& error) {
    if (!is_retryable_code(error.code())) return false;
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start_);
    if (elapsed >= options_.retry_timeout) {
        throw BackendError("SQLite database '" + options_.path + "' stayed locked by other connections for " +
                               std::to_string(elapsed.count()) + " ms over " + std::to_string(attempts_) +
                               " attempts: retry later, raise retry_timeout, or run fewer writers (last error: " +
                               error.what() + ")",
                           error.code(), true);
    }
    // The last wait ends at the deadline, so the last attempt runs then: never give up early.
    std::this_thread::sleep_for(std::min(jitter(backoff_), options_.retry_timeout - elapsed));
    backoff_ = std::min(options_.retry_backoff_max, std::max(backoff_ * 2, std::chrono::milliseconds(1)));
    ++attempts_;
    return true;
}

}  // namespace watchbot_progress::detail::sqlite
