#pragma once
// A SQLite file shared by threads and processes: a pool of connections plus short transactions that
// are retried, with jittered exponential backoff, while the file is locked by other connections.
//
// Thread safety: all methods may be called from any threads at once; each transaction runs on a
// connection no other thread uses meanwhile. Process safety: see SqliteBackend (fork is detected and
// inherited connections are abandoned).

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <type_traits>
#include <vector>

#include "sqlite/sqlite_connection.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/sqlite_options.hpp"

namespace watchbot_progress::detail::sqlite {

class Database {
public:
    // Checks the options (InvalidInput for an empty path or ":memory:"), opens a first connection
    // (so a bad path fails here) and runs `init` on it in a write transaction (retried like any
    // other); `init` creates the caller's tables.
    Database(SqliteOptions options, const std::function<void(Connection&)>& init);
    ~Database();

    // Runs f(Connection&) inside BEGIN IMMEDIATE ... COMMIT and returns its result. Exceptions from
    // f roll back and propagate unchanged (never retried). SQLITE_BUSY / LOCKED / PROTOCOL anywhere
    // in the transaction roll back and run f again, after a backoff, until retry_timeout; so f must
    // only compute its result from the database (no side effects outside it).
    //
    // Write transactions of one Database run one at a time (a mutex, held for one attempt, never
    // during the backoff). SQLite allows one writer per file anyway; letting this process's threads
    // queue on SQLite's lock instead kept a connection reading an older snapshot at every moment, so
    // the automatic checkpoint could never start the WAL over and the WAL grew without bound
    // (tests/backends/sqlite/wal_test.cpp). f must not call write() or read() on the same Database.
    template <class F>
    auto write(F&& f) {
        return transact("BEGIN IMMEDIATE", &write_mutex_, std::forward<F>(f));
    }
    // The same with a read (deferred) transaction: one consistent snapshot. Reads run concurrently.
    template <class F>
    auto read(F&& f) {
        return transact("BEGIN", nullptr, std::forward<F>(f));
    }

    const SqliteOptions& options() const noexcept { return options_; }

private:
    // A borrowed connection, returned to the pool on destruction unless discarded.
    class Lease {
    public:
        Lease(Database& db, std::unique_ptr<Connection> c) : db_(db), connection_(std::move(c)) {}
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease() {
            if (connection_) db_.release(std::move(connection_));
        }
        Connection& operator*() const noexcept { return *connection_; }
        void discard() noexcept { connection_.reset(); }

    private:
        Database& db_;
        std::unique_ptr<Connection> connection_;
    };

    // Deadline and backoff of one transaction's attempts.
    class Retry {
    public:
        explicit Retry(const SqliteOptions& options);
        // For a retryable error: sleeps (never past the deadline) and returns true, or, once
        // retry_timeout has passed since the first attempt, throws a retryable BackendError saying
        // how long the file stayed locked. Other errors: returns false.
        bool again(const BackendError& error);

    private:
        const SqliteOptions& options_;
        std::chrono::steady_clock::time_point start_;
        std::chrono::milliseconds backoff_;
        int attempts_ = 1;
    };

    std::unique_ptr<Connection> acquire();
    void release(std::unique_ptr<Connection> connection) noexcept;
    // Ends a failed transaction; discards the connection when even that fails.
    static void roll_back(Lease& lease) noexcept;

    // One transaction, retried; with `gate`, each attempt holds that mutex.
    template <class F>
    auto transact(const char* begin, std::mutex* gate, F&& f) {
        using Result = std::invoke_result_t<F&, Connection&>;
        Retry retry(options_);
        for (;;) {
            try {
                std::unique_lock<std::mutex> one_writer;
                if (gate != nullptr) one_writer = std::unique_lock<std::mutex>(*gate);
                Lease lease(*this, acquire());
                (*lease).exec(begin);
                try {
                    if constexpr (std::is_void_v<Result>) {
                        f(*lease);
                        (*lease).exec("COMMIT");
                        return;
                    } else {
                        Result result = f(*lease);
                        (*lease).exec("COMMIT");
                        return result;
                    }
                } catch (...) {
                    roll_back(lease);
                    throw;
                }
            } catch (const BackendError& error) {
                if (!retry.again(error)) throw;
            }
        }
    }

    SqliteOptions options_;
    std::mutex write_mutex_;  // held by the write transaction in progress
    std::mutex mutex_;        // guards idle_ and pid_
    std::vector<std::unique_ptr<Connection>> idle_;
    pid_t pid_;
};

}  // namespace watchbot_progress::detail::sqlite
