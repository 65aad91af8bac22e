#include "sqlite/sqlite_connection.hpp"

#include <sqlite3.h>

#include <limits>

#include "sqlite/sqlite_error.hpp"
#include "watchbot_progress/error_codes.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress::detail::sqlite {

namespace {

std::string abbreviated(std::string_view sql) {
    constexpr std::size_t kMax = 60;
    std::string out;
    for (char c : sql.substr(0, kMax)) out += (c == '\n' || c == '\t') ? ' ' : c;
    if (sql.size() > kMax) out += "...";
    return out;
}

const char* synchronous_pragma(SqliteSynchronous s) {
    switch (s) {
        case SqliteSynchronous::kOff: return "PRAGMA synchronous=OFF";
        case SqliteSynchronous::kFull: return "PRAGMA synchronous=FULL";
        case SqliteSynchronous::kNormal: break;
    }
    return "PRAGMA synchronous=NORMAL";
}

}  // namespace

Statement::~Statement() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

Statement& Statement::bind(int index, std::int64_t value) {
    const int rc = sqlite3_bind_int64(stmt_, index, value);
    if (rc != SQLITE_OK) connection_->fail(rc, "binding a parameter");
    return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
    const int rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    if (rc != SQLITE_OK) connection_->fail(rc, "binding a parameter");
    return *this;
}

Statement& Statement::bind_null(int index) {
    const int rc = sqlite3_bind_null(stmt_, index);
    if (rc != SQLITE_OK) connection_->fail(rc, "binding a parameter");
    return *this;
}

bool Statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    connection_->fail(rc, "running '" + abbreviated(sqlite3_sql(stmt_)) + "'");
}

void Statement::run() {
    while (step()) {
    }
}

std::int64_t Statement::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::text(int column) const {
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    if (data == nullptr) return {};
    return std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

Connection::Connection(const SqliteOptions& options) : path_(options.path) {
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    const int rc = sqlite3_open_v2(path_.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_close(db_);
        db_ = nullptr;
        throw_error(rc, "opening the database", path_, nullptr);
    }
    try {
        sqlite3_extended_result_codes(db_, 1);
        const auto busy_ms = options.busy_timeout.count();
        sqlite3_busy_timeout(db_, static_cast<int>(std::min<long long>(busy_ms, std::numeric_limits<int>::max())));
        // journal_mode=WAL is stored in the file; asking again on an existing WAL file is a no-op.
        {
            Statement mode = statement("PRAGMA journal_mode=WAL");
            const std::string got = mode.step() ? mode.text(0) : std::string();
            if (got != "wal") {
                throw BackendError("SQLite could not switch '" + path_ + "' to WAL journal mode (it is in '" + got +
                                       "' mode): put the database on a local filesystem that supports shared memory",
                                   std::string(error_code::kSqliteWalUnavailable), false);
            }
        }
        exec(synchronous_pragma(options.synchronous));
        // Keep the WAL file from staying huge after a large set_total.
        exec("PRAGMA journal_size_limit=67108864");
    } catch (...) {
        for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
        statements_.clear();
        sqlite3_close(db_);
        db_ = nullptr;
        throw;
    }
}

Connection::~Connection() {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close(db_);
}

Statement Connection::statement(const std::string& sql) {
    auto it = statements_.find(sql);
    if (it == statements_.end()) {
        sqlite3_stmt* stmt = nullptr;
        const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                          &stmt, nullptr);
        if (rc != SQLITE_OK) fail(rc, "preparing '" + abbreviated(sql) + "'");
        it = statements_.emplace(sql, stmt).first;
    }
    return Statement(it->second, *this);
}

void Connection::exec(const char* sql) {
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) fail(rc, "running '" + abbreviated(sql) + "'");
}

std::int64_t Connection::changes() const noexcept { return sqlite3_changes(db_); }

std::int64_t Connection::last_insert_rowid() const noexcept { return sqlite3_last_insert_rowid(db_); }

bool Connection::in_transaction() const noexcept { return sqlite3_get_autocommit(db_) == 0; }

void Connection::fail(int result_code, std::string_view doing) const { throw_error(result_code, doing, path_, db_); }

}  // namespace watchbot_progress::detail::sqlite
