#pragma once
// One SQLite connection (RAII) with a cache of prepared statements, and a statement handle that
// resets itself when it goes out of scope.
//
// Thread safety: none. A Connection is used by one thread at a time (Database's pool ensures it);
// it is opened with SQLITE_OPEN_NOMUTEX.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "watchbot_progress/sqlite_options.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace watchbot_progress::detail::sqlite {

class Connection;

// A cached prepared statement in use. Binds are 1-based, columns 0-based. Destroying it resets the
// statement and clears its bindings, so the cache can hand it out again.
class Statement {
public:
    Statement(sqlite3_stmt* stmt, Connection& connection) noexcept : stmt_(stmt), connection_(&connection) {}
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, std::string_view text);
    Statement& bind_null(int index);

    // Steps once: true when a row is available, false when the statement is done. Throws
    // BackendError on failure.
    bool step();
    // Steps to the end, ignoring rows.
    void run();

    std::int64_t int64(int column) const;
    std::string text(int column) const;
    bool is_null(int column) const;

private:
    sqlite3_stmt* stmt_;
    Connection* connection_;
};

class Connection {
public:
    // Opens (creating when missing) the file, enables extended result codes, sets the busy
    // timeout, switches to WAL mode and sets `synchronous`. Throws BackendError.
    explicit Connection(const SqliteOptions& options);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();

    // The cached statement for `sql` (prepared on first use). One statement text must not be in use
    // twice at once on one connection.
    Statement statement(const std::string& sql);
    // Runs SQL text without results (may hold several statements).
    void exec(const char* sql);
    // Rows changed by the last INSERT/UPDATE/DELETE.
    std::int64_t changes() const noexcept;
    std::int64_t last_insert_rowid() const noexcept;
    // Whether a transaction is open (SQLite rolls some failed transactions back by itself).
    bool in_transaction() const noexcept;

    [[noreturn]] void fail(int result_code, std::string_view doing) const;
    const std::string& path() const noexcept { return path_; }
    sqlite3* handle() const noexcept { return db_; }

private:
    sqlite3* db_ = nullptr;
    std::string path_;
    std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace watchbot_progress::detail::sqlite
