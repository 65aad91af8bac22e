#include "sqlite/sqlite_error.hpp"

#include <sqlite3.h>

#include "watchbot_progress/errors.hpp"

namespace watchbot_progress::detail::sqlite {

const char* error_name(int result_code) noexcept {
    switch (result_code & 0xFF) {
        case SQLITE_OK: return "SQLITE_OK";
        case SQLITE_ERROR: return "SQLITE_ERROR";
        case SQLITE_INTERNAL: return "SQLITE_INTERNAL";
        case SQLITE_PERM: return "SQLITE_PERM";
        case SQLITE_ABORT: return "SQLITE_ABORT";
        case SQLITE_BUSY: return "SQLITE_BUSY";
        case SQLITE_LOCKED: return "SQLITE_LOCKED";
        case SQLITE_NOMEM: return "SQLITE_NOMEM";
        case SQLITE_READONLY: return "SQLITE_READONLY";
        case SQLITE_INTERRUPT: return "SQLITE_INTERRUPT";
        case SQLITE_IOERR: return "SQLITE_IOERR";
        case SQLITE_CORRUPT: return "SQLITE_CORRUPT";
        case SQLITE_NOTFOUND: return "SQLITE_NOTFOUND";
        case SQLITE_FULL: return "SQLITE_FULL";
        case SQLITE_CANTOPEN: return "SQLITE_CANTOPEN";
        case SQLITE_PROTOCOL: return "SQLITE_PROTOCOL";
        case SQLITE_EMPTY: return "SQLITE_EMPTY";
        case SQLITE_SCHEMA: return "SQLITE_SCHEMA";
        case SQLITE_TOOBIG: return "SQLITE_TOOBIG";
        case SQLITE_CONSTRAINT: return "SQLITE_CONSTRAINT";
        case SQLITE_MISMATCH: return "SQLITE_MISMATCH";
        case SQLITE_MISUSE: return "SQLITE_MISUSE";
        case SQLITE_NOLFS: return "SQLITE_NOLFS";
        case SQLITE_AUTH: return "SQLITE_AUTH";
        case SQLITE_FORMAT: return "SQLITE_FORMAT";
        case SQLITE_RANGE: return "SQLITE_RANGE";
        case SQLITE_NOTADB: return "SQLITE_NOTADB";
        case SQLITE_NOTICE: return "SQLITE_NOTICE";
        case SQLITE_WARNING: return "SQLITE_WARNING";
        default: return "SQLITE_UNKNOWN";
    }
}

bool is_retryable(int result_code) noexcept {
    const int primary = result_code & 0xFF;
    return primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_PROTOCOL;
}

bool is_retryable_code(std::string_view code) noexcept {
    return code == "SQLITE_BUSY" || code == "SQLITE_LOCKED" || code == "SQLITE_PROTOCOL";
}

namespace {

// What the user can do about it.
const char* advice(int result_code) {
    switch (result_code & 0xFF) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
        case SQLITE_PROTOCOL:
            return "another connection holds the lock: retry, or raise busy_timeout / retry_timeout";
        case SQLITE_CANTOPEN:
            return "check that the directory exists and that this process may create and write files in it";
        case SQLITE_READONLY:
        case SQLITE_PERM:
        case SQLITE_AUTH:
            return "check the permissions of the file, of its -wal and -shm files and of their directory";
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
        case SQLITE_FORMAT:
            return "the file is not a SQLite database or is damaged: point the URI at another file";
        case SQLITE_FULL:
            return "the disk is full: free some space";
        case SQLITE_IOERR:
            return "check the disk and the filesystem (WAL mode needs a local filesystem, not NFS)";
        case SQLITE_NOMEM:
            return "the process ran out of memory";
        case SQLITE_TOOBIG:
            return "a value is over SQLite's size limit: send smaller data";
        default:
            return "if it persists, report it with this message";
    }
}

}  // namespace

void throw_error(int result_code, std::string_view doing, const std::string& path, sqlite3* db) {
    std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(result_code);
    std::string message = std::string("SQLite error ") + error_name(result_code) + " (" + std::to_string(result_code) +
                          ") " + std::string(doing) + " in '" + path + "': " + detail + ": " + advice(result_code);
    throw BackendError(message, error_name(result_code), is_retryable(result_code));
}

}  // namespace watchbot_progress::detail::sqlite
