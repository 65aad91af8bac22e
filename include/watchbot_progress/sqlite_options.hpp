#pragma once
// How to open a SQLite database file: the options and the URI syntax shared by SqliteBackend
// (sqlite_backend.hpp) and LocalQueue (local_queue.hpp). The file's behaviour under many threads and
// processes is described in sqlite_backend.hpp.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "watchbot_progress/export.hpp"

namespace watchbot_progress {

// SQLite's `PRAGMA synchronous` in WAL mode: kNormal survives process crashes but may lose the last
// transactions on power loss; kFull survives power loss at the cost of an fsync per commit. The
// lower-case names are the values' first spellings, kept for code written against them.
enum class SqliteSynchronous {
    kOff,
    kNormal,
    kFull,
    off [[deprecated("use SqliteSynchronous::kOff")]] = kOff,
    normal [[deprecated("use SqliteSynchronous::kNormal")]] = kNormal,
    full [[deprecated("use SqliteSynchronous::kFull")]] = kFull,
};

// How to open a SQLite file; shared by SqliteBackend and LocalQueue.
struct SqliteOptions {
    // The database file; created (with its directory's permissions) when missing. Not ":memory:":
    // the state must be shared between connections and processes.
    std::string path;
    // How long SQLite itself waits for a lock before a statement fails with SQLITE_BUSY.
    std::chrono::milliseconds busy_timeout{5000};
    // How long a transaction that keeps failing with SQLITE_BUSY / SQLITE_LOCKED is retried in all,
    // from its first attempt; 0: never retried beyond busy_timeout.
    std::chrono::milliseconds retry_timeout{60000};
    // Backoff between those retries: full jitter, doubling from `retry_backoff_initial` up to
    // `retry_backoff_max`.
    std::chrono::milliseconds retry_backoff_initial{2};
    std::chrono::milliseconds retry_backoff_max{200};
    SqliteSynchronous synchronous = SqliteSynchronous::kNormal;
    // Idle connections kept open per instance (more may be open while many threads are busy).
    std::size_t max_idle_connections = 8;
};

// Parses a SQLite URI (shared by SqliteBackend::parse_uri and LocalQueue::parse_uri):
//   sqlite:///absolute/path/file.db      the absolute path /absolute/path/file.db
//   sqlite://relative/path/file.db       a path relative to the current directory
// followed by optional query parameters: ?busy_timeout_ms=N&retry_timeout_ms=N&synchronous=off|normal|full
// Percent-escapes (%20) in the path are decoded. Throws InvalidInput, saying what is wrong, for
// another scheme, an empty path, a path ending in '/', ":memory:", "~" (not expanded), a fragment
// ('#'), a bad escape, or an unknown or malformed parameter.
WATCHBOT_PROGRESS_EXPORT SqliteOptions parse_sqlite_uri(std::string_view uri);

// The URI for `path`: "sqlite://" + path (so "sqlite:///abs/file.db" for absolute paths), with '%',
// '?', '#' and control characters percent-escaped. Without the query parameters.
WATCHBOT_PROGRESS_EXPORT std::string sqlite_uri(const std::string& path);

}  // namespace watchbot_progress
