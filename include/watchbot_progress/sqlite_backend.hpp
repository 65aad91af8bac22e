#pragma once
// SQLite backend: an embedded database in one file, for local runs and single-machine use.
//
// Many threads and many worker PROCESSES may share one database file at once:
//   * the file is in WAL mode (readers never block the writer) with a busy timeout;
//   * every write is one short `BEGIN IMMEDIATE` transaction; when the file stays locked beyond the
//     busy timeout (SQLITE_BUSY / SQLITE_LOCKED), the whole transaction is retried with jittered
//     exponential backoff until `retry_timeout` has passed, then BackendError("SQLITE_BUSY",
//     retryable) is thrown;
//   * complete_part_and_claim_reduce is one transaction, so exactly one caller across all processes
//     wins the reduce claim.
// The file must be on a local filesystem (WAL needs shared memory; NFS is not safe).
//
// Schema (tables are prefixed, so the same file can also hold the local queue's tables and others):
//   wp_jobs(id INTEGER PRIMARY KEY, jobid TEXT UNIQUE, total, remaining, failed, reason,
//           metadata TEXT (a JSON object), reduce_sent, reduce_confirmed, reduce_claimed_at,
//           reduce_claim_token, created_at, updated_at)   -- times: ms since epoch
//   wp_pending_parts(job INTEGER, partid INTEGER, PRIMARY KEY (job, partid)) WITHOUT ROWID
//           -- one row per pending part; `job` is wp_jobs.id (a small integer key keeps the table
//           -- about five times smaller and set_total about twice as fast as repeating the job id)
//   wp_schema_versions(component TEXT PRIMARY KEY, version INTEGER)   -- 'jobs': 3 (older files are
//           -- upgraded in place when opened)
// `remaining` is updated in the same transaction as each deletion that removed a row, so status and
// completion checks are O(1).
//
// Thread safety: every method may be called concurrently from any threads. Each call borrows a
// connection from the instance's pool (opening one when none is idle), so a connection is never
// used by two threads at once; up to `max_idle_connections` idle connections are kept open. Write
// transactions of one instance (SqliteBackend or LocalQueue) run one at a time, reads concurrently:
// SQLite admits one writer per file anyway, and threads queueing on SQLite's own lock kept its
// automatic checkpoint from ever restarting the WAL, which then grew without bound.
// Process safety: each worker process opens its own instance. Do not fork() while this process has
// the file open if the child is going to use the file: SQLite's per-process lock bookkeeping is
// copied by fork() (https://sqlite.org/howtocorrupt.html, "carrying an open database connection
// across a fork"); close every instance first, or exec() in the child. As a safeguard, an instance
// used in a forked child never touches the parent's connections: it abandons them (never closing
// them) and opens its own.
//
// Errors: SQLite failures become BackendError whose code() is the SQLite name of the result code
// ("SQLITE_BUSY", "SQLITE_CANTOPEN", "SQLITE_CORRUPT", ...), retryable for BUSY, LOCKED and
// PROTOCOL. A file written by a newer schema version: ConfigError.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "watchbot_progress/backend.hpp"
#include "watchbot_progress/export.hpp"
#include "watchbot_progress/sqlite_options.hpp"  // SqliteOptions, parse_sqlite_uri

namespace watchbot_progress {

class WATCHBOT_PROGRESS_EXPORT SqliteBackend final : public Backend {
public:
    // Opens (creating when missing) the database, switches it to WAL mode and creates the tables.
    // Throws InvalidInput for an empty path or ":memory:", BackendError when SQLite cannot open the
    // file ("SQLITE_CANTOPEN": missing directory, permissions; "SQLITE_NOTADB": not a database) or
    // cannot switch it to WAL mode ("SQLITE_WAL_UNAVAILABLE"), ConfigError when the file holds a
    // newer schema version than this library reads.
    // `clock` (claim times, leases, updated_at_ms): empty for the system clock; tests pass their own.
    explicit SqliteBackend(SqliteOptions options, WallClock clock = {});
    // sqlite:///path/to/file.db or sqlite://relative/path.db (see parse_sqlite_uri).
    static std::shared_ptr<SqliteBackend> from_uri(std::string_view uri);
    static SqliteOptions parse_uri(std::string_view uri) { return parse_sqlite_uri(uri); }
    ~SqliteBackend() override;

    // "sqlite:///path/to/file.db"
    std::string describe() const override;

    const SqliteOptions& options() const noexcept;

    // The most parts a job may have here: Backend's kMaxParts (set_total checks it), under the name
    // this class gave it first.
    static constexpr std::int64_t kMaxTotal = kMaxParts;

protected:
    // The Backend contract (backend.hpp).
    void do_set_total(const std::string& jobid, std::int64_t total, bool overwrite) override;
    void do_set_metadata(const std::string& jobid, const nlohmann::json& metadata) override;
    bool do_complete_part(const std::string& jobid, PartId partid) override;
    // The claim's token is kept in wp_jobs.reduce_claim_token; release and confirm compare it.
    std::optional<ClaimToken> do_claim_reduce(const std::string& jobid) override;
    void do_release_reduce(const std::string& jobid, const ClaimToken& token) override;
    bool do_confirm_reduce(const std::string& jobid, const ClaimToken& token) override;
    std::optional<ClaimToken> do_reclaim_reduce(const std::string& jobid, std::chrono::milliseconds lease) override;
    // One query of the job's row (failed, reason).
    std::optional<std::string> do_failure_reason(const std::string& jobid) override;
    std::int64_t do_record_failed_part(const std::string& jobid, PartId partid) override;
    std::vector<PartId> do_list_failed_parts(const std::string& jobid) override;
    bool do_record_part_failure(const std::string& jobid, const PartFailure& failure) override;
    std::vector<PartFailure> do_list_part_failures(const std::string& jobid) override;
    // One transaction: check the job, range-check the part, delete it, update `remaining` when a row
    // was deleted, claim the reduce when nothing remains and the job is neither failed nor claimed.
    CompletionResult do_complete_part_and_claim_reduce(const std::string& jobid, PartId partid) override;
    void do_fail_job(const std::string& jobid, const std::string& reason) override;
    JobStatus do_status(const std::string& jobid) override;
    bool do_part_complete(const std::string& jobid, PartId partid) override;
    std::vector<PartId> do_list_pending_parts(const std::string& jobid) override;
    // Reads the jobs in pages (by insertion order) and calls `visit` outside any transaction, so the
    // visitor may call back into the backend.
    void do_list_jobs(const std::function<void(const JobStatus&)>& visit) override;
    bool do_delete_job(const std::string& jobid) override;
    bool do_claim_alert(const std::string& jobid, AlertState state) override;
    void do_release_alert(const std::string& jobid, AlertState state) override;
    void do_record_reduce_repair(const std::string& jobid) override;

private:
    struct WATCHBOT_PROGRESS_NO_EXPORT Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace watchbot_progress
