#pragma once
// Redis backend over hiredis, with the Python tool's key layout, so jobs written by either tool are
// readable and completable by the other:
//
//   <jobid>-metadata  hash: `total` (decimal), `failed` ("1" when failed), `error` (the reason),
//                     `reduce_message_sent` ("True" once the reduce was claimed; written with HSETNX),
//                     and one field per user-metadata key.
//   <jobid>-parts     set of the pending part ids as decimal strings ("0", "1", ...). Redis removes
//                     an empty set, so this key is absent once every part is complete.
//
// A job exists exactly when `<jobid>-metadata` has a `total` field. The backend writes one more key
// that other tools ignore: `<jobid>-reduce-claim`, a hash with the claim's random token, its time
// and whether it was confirmed, plus `updated` (the job's last progress, ms). The token makes the
// claim owned: release and confirm act only with it, and a claim whose reply was lost on a dropped
// connection is recognised by the caller's own retry, or by reading the record back when every
// retry failed too, instead of being held by nobody until its lease ends (see Retries). The
// record's presence is also what tells `sweep` that this library worked the job.
// set_total also writes its parts under a temporary key `<jobid>-parts-tmp-<random>` (expiring after
// an hour) and renames it into place.
//
// User metadata encoding (lossy in one case): a JSON string value is stored as-is, any other JSON
// value (number, bool, null, object, array) as its compact JSON text. On reading, a field whose text
// parses as a non-string JSON value is returned as that value, any other text as a string. So a
// string that looks like JSON — "12", "true", "null", "[1]", "{}" — is read back as the number,
// bool, null, array or object it spells, not as the string that was written. Fields written by
// other tools follow the same rule (the Python tool's True is stored as "True", which is not JSON,
// so it reads back as the string "True").
//
// Atomicity and round trips: every method that reads and writes one job runs as a Lua script
// (SCRIPT LOAD once per server, then EVALSHA; reloaded automatically after NOSCRIPT, e.g. after a
// SCRIPT FLUSH or a server restart), so each is atomic and one round trip — in particular
// complete_part_and_claim_reduce, the hot path of every worker. set_total with many parts is the
// exception: it adds the part ids to the temporary key in SADD commands of 10,000 ids (pipelined, so
// the server never blocks on one giant command), then one script checks the job does not exist (or
// overwrite), renames the set into place and writes `total` last; a half-written job is never
// visible.
//
// Thread safety: every method may be called concurrently from any number of threads. Each call
// checks a connection out of a pool for the duration of its command(s) and returns it afterwards;
// at most pool_size connections are open at once and further callers wait for one to be returned.
// No connection is held while a list_jobs visitor runs, so visitors may call back into the backend.
//
// Retries: when a connection fails (connection refused or reset, server restarted, timeout), the
// connection is discarded — with every idle connection of the pool, which is likely broken the same
// way — and the command is retried on a fresh connection, up to reconnect_attempts times with a
// short backoff. Every command the backend sends is safe to repeat: completing a part twice never
// counts twice and a lost reduce claim is recognised by its token. When every attempt fails:
// BackendError with code "ConnectionError", retryable() true — except for a claim (claim_reduce,
// reclaim_reduce, complete_part_and_claim_reduce), whose record is then read back once: if it
// holds the caller's token, the script ran and only its replies were lost, and the call reports
// the claim won (the job complete) instead of an error. An error reply from Redis is a
// BackendError whose code is the reply's first word ("WRONGTYPE", "NOAUTH", "WRONGPASS", "OOM",
// ...), not retried; "LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN" and "OOM" are marked retryable.
// Error messages name host:port, never the password.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "watchbot_progress/backend.hpp"
#include "watchbot_progress/export.hpp"
#include "watchbot_progress/redis_options.hpp"

namespace watchbot_progress {

class WATCHBOT_PROGRESS_EXPORT RedisBackend final : public Backend {
public:
    // Connects lazily: the first call opens the first connection, so constructing never throws
    // for an unreachable server. With options.tls.enabled, reads the TLS files now: ConfigError
    // naming the file when one cannot be used.
    explicit RedisBackend(RedisOptions options = {});

    // redis[s]://[[username]:password@]host[:port][/db][?db=N][&cacert=PATH][&cert=PATH][&key=PATH],
    // e.g. redis://localhost:6379/0, redis://:secret@10.0.0.5/2, redis://default:secret@cache.local:6380?db=1,
    // redis://[::1]:6379, rediss://app:secret@cache.example.com:6380/0?cacert=/etc/ssl/redis-ca.pem.
    // rediss:// is TLS (RedisTlsOptions): cacert is the CA file, cert and key the client certificate
    // and key (percent-decoded paths); they are refused on redis://. A username with a password
    // authenticates as that ACL user (AUTH username password). Userinfo is percent-decoded. Defaults:
    // host 127.0.0.1, port 6379, db 0. Throws InvalidInput for a wrong scheme, a bad port (not
    // 1-65535), a bad db (not a non-negative integer, or /db and ?db= disagreeing), an unknown query
    // parameter, or a TLS parameter on redis://. Messages never contain the password.
    static RedisOptions parse_uri(std::string_view uri);
    static std::shared_ptr<RedisBackend> from_uri(std::string_view uri);

    // Closes the pooled connections. No call may be running on the backend.
    ~RedisBackend() override;

    RedisBackend(const RedisBackend&) = delete;
    RedisBackend& operator=(const RedisBackend&) = delete;

    // redis://host:port/db (rediss:// with TLS) — never the username or password.
    std::string describe() const override;

    const RedisOptions& options() const noexcept;

protected:
    // The methods follow the Backend contract (backend.hpp); Redis specifics:
    //
    // set_total: writes the parts set, then (atomically) refuses an existing job unless overwrite,
    //   renames the set into place and writes `total`. Overwrite deletes the parts set and the
    //   `failed`, `error` and `reduce_message_sent` fields, keeps user metadata, cancels any expiry.
    void do_set_total(const std::string& jobid, std::int64_t total, bool overwrite) override;
    // set_metadata: HSETs one field per top-level key (see the encoding above). Keys named `total`,
    //   `failed`, `error` or `reduce_message_sent` are refused with InvalidInput (they would corrupt
    //   the job's bookkeeping), as are values that are not valid UTF-8.
    void do_set_metadata(const std::string& jobid, const nlohmann::json& metadata) override;
    // check_metadata: the default checks plus the reserved keys above.
    void do_check_metadata(const nlohmann::json& metadata) const override;
    bool do_complete_part(const std::string& jobid, PartId partid) override;
    // claim_reduce: HSETNX reduce_message_sent True, refused (nullopt) when the job failed or the
    //   field is there already (the Python tool's mark of a sent reduce included); the token goes
    //   to the claim record. With delete_when_done, a successful claim on a complete job sets the
    //   keys' expiry. When every attempt's connection failed (a reply lost after the script ran),
    //   one HGET of the record's token tells whether the claim is the caller's.
    std::optional<ClaimToken> do_claim_reduce(const std::string& jobid) override;
    // release_reduce: while the record holds `token`: HDEL reduce_message_sent and the record's
    //   token, and cancels a delete_when_done expiry. Otherwise nothing.
    void do_release_reduce(const std::string& jobid, const ClaimToken& token) override;
    // confirm_reduce / reclaim_reduce: the claim record `<jobid>-reduce-claim` (a hash: token, at,
    // confirmed). Claims set by the Python tool have no record: they are never taken over, and no
    // token confirms or releases them.
    bool do_confirm_reduce(const std::string& jobid, const ClaimToken& token) override;
    std::optional<ClaimToken> do_reclaim_reduce(const std::string& jobid, std::chrono::milliseconds lease) override;
    // failure_reason: one HMGET of total, failed and error.
    std::optional<std::string> do_failure_reason(const std::string& jobid) override;
    std::int64_t do_record_failed_part(const std::string& jobid, PartId partid) override;
    std::vector<PartId> do_list_failed_parts(const std::string& jobid) override;
    bool do_record_part_failure(const std::string& jobid, const PartFailure& failure) override;
    std::vector<PartFailure> do_list_part_failures(const std::string& jobid) override;
    // One Lua script, one round trip: existence and range check, SREM, SCARD and, when no part is
    //   pending and the job has not failed, the HSETNX claim.
    CompletionResult do_complete_part_and_claim_reduce(const std::string& jobid, PartId partid) override;
    // fail_job: HSET failed "1" and error <reason>, atomically.
    void do_fail_job(const std::string& jobid, const std::string& reason) override;
    // status: HGETALL and SCARD in one script. `failed` counts when the field is present and not
    //   "", "0", "false" or "False"; reduce_sent when `reduce_message_sent` is present.
    JobStatus do_status(const std::string& jobid) override;
    bool do_part_complete(const std::string& jobid, PartId partid) override;
    // list_pending_parts: SSCAN over the set (one round trip for small sets), sorted numerically.
    std::vector<PartId> do_list_pending_parts(const std::string& jobid) override;
    // list_jobs: SCAN MATCH *-metadata COUNT 100 to the end; keys that are not jobs (no `total`,
    //   not a hash) or that vanish during the walk are skipped, each job is visited once.
    void do_list_jobs(const std::function<void(const JobStatus&)>& visit) override;
    // delete_job: DEL of the job's keys. If the connection drops after the server deleted them, the
    //   retry finds nothing and returns false.
    bool do_delete_job(const std::string& jobid) override;
    bool do_claim_alert(const std::string& jobid, AlertState state) override;
    void do_release_alert(const std::string& jobid, AlertState state) override;
    void do_record_reduce_repair(const std::string& jobid) override;

private:
    struct WATCHBOT_PROGRESS_NO_EXPORT Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace watchbot_progress
