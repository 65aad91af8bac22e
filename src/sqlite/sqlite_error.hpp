#pragma once
// Translation of SQLite result codes into the library's exceptions, in one place.
//
// Every SQLite failure becomes a BackendError whose code() is the SQLite name of the primary result
// code ("SQLITE_BUSY", "SQLITE_CANTOPEN", ...) and whose retryable() is true exactly for the codes a
// retry may clear: SQLITE_BUSY, SQLITE_LOCKED and SQLITE_PROTOCOL (lock contention).

#include <string>
#include <string_view>

struct sqlite3;

namespace watchbot_progress::detail::sqlite {

// "SQLITE_BUSY" for SQLITE_BUSY and all its extended codes; "SQLITE_UNKNOWN" for codes SQLite may
// add later.
const char* error_name(int result_code) noexcept;

// Whether a retry of the whole transaction may succeed (lock contention).
bool is_retryable(int result_code) noexcept;

// Whether a BackendError thrown by this layer is lock contention worth retrying.
bool is_retryable_code(std::string_view code) noexcept;

// Throws BackendError for `result_code`. `doing` says what was attempted ("opening", "running
// 'DELETE ...'"), `path` which database; `db` (may be null) supplies SQLite's own message.
[[noreturn]] void throw_error(int result_code, std::string_view doing, const std::string& path, sqlite3* db);

}  // namespace watchbot_progress::detail::sqlite
