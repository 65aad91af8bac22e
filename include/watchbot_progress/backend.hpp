#pragma once
// The backend interface: where a job's bookkeeping lives. Every backend (DynamoDB, Redis, SQLite,
// memory, or a user's own) implements this class, and the conformance suite in tests/ checks each
// against the same contract.
//
// Thread safety: every method of every backend shipped with the library may be called concurrently
// from any number of threads on one instance. A user's backend must be as safe if it is shared
// between threads.
//
// Errors: unless stated otherwise a method throws JobDoesNotExist for an unknown job (it never
// creates a job as a side effect), InvalidInput for a bad job id or part id, and BackendError when
// the store fails (with the store's error code and whether a retry may help).

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "watchbot_progress/alerts.hpp"
#include "watchbot_progress/export.hpp"

namespace watchbot_progress {

using PartId = std::int64_t;

// Wall-clock time as backends read it, in milliseconds since the Unix epoch: claim times, leases
// (reclaim_reduce) and updated_at_ms. The backends shipped with the library take one (options
// field `clock`, or a constructor argument) so that tests can move time without sleeping; an empty
// one means the system clock. Must be callable from any thread.
using WallClock = std::function<std::int64_t()>;

// The system clock, in milliseconds since the Unix epoch.
WATCHBOT_PROGRESS_EXPORT std::int64_t system_time_ms();

// `clock()` when set, else system_time_ms().
inline std::int64_t read_clock(const WallClock& clock) { return clock ? clock() : system_time_ms(); }

// A job's state as one value.
struct WATCHBOT_PROGRESS_EXPORT JobStatus {
    std::string jobid;
    std::int64_t total = 0;      // number of parts
    std::int64_t remaining = 0;  // parts not yet completed
    double progress = 0.0;       // (total - remaining) / total, in [0, 1]
    bool failed = false;
    std::optional<std::string> reason;                      // why the job failed, when it did
    nlohmann::json metadata = nlohmann::json::object();     // user metadata, always an object
    // The reduce was claimed (and, unless released, sent): by this library's claim, or as the other
    // tools record it (DynamoDB: `reduceSent`, or the Python tool's `metadata.reduce_message_sent`;
    // Redis: the `reduce_message_sent` field).
    bool reduce_sent = false;
    // The claimer confirmed that the reduce was sent (confirm_reduce). A claim that stays
    // unconfirmed belongs to a worker that crashed or is still sending: see reclaim_reduce.
    bool reduce_confirmed = false;
    // When the current claim was taken, in milliseconds since the Unix epoch. Absent when the
    // reduce is not claimed, or was claimed by a tool that records no time (the Python/Node tools).
    std::optional<std::int64_t> reduce_claimed_at_ms;
    // When the job last changed (creation, a completed part, a failure, a claim), in milliseconds
    // since the Unix epoch. Absent when the backend or the tool that wrote the job records no time.
    // Its presence is also the record that this library created or worked the job: `sweep` sends
    // the reduce of a complete job nobody claimed only then (the Python and Node tools record no
    // time, and their users may send the reduce themselves and mark it later).
    std::optional<std::int64_t> updated_at_ms;
    // When the job was created (set_total; an overwrite creates it anew), in milliseconds since the
    // Unix epoch. Every backend shipped with the library records it for the jobs it creates; absent
    // for jobs written by the Python and Node tools, which record no time (and by backends that
    // record none).
    std::optional<std::int64_t> created_at_ms;
    // The alert marks taken on the job (claim_alert): the alerts sent, or being sent, about it, in
    // kAlertStates' order. Empty for a backend that records no marks.
    std::vector<AlertState> alerts_sent;
    // How many lost reduces of the job a repair (sweep, monitor) sent: record_reduce_repair's count.
    // 0 for a backend that records none. For metrics only: no decision reads it.
    std::int64_t reduce_repairs = 0;

    bool complete() const noexcept { return remaining == 0; }
    // The status as the CLI prints it: {"jobid", "total", "remaining", "progress", "failed",
    // "metadata", "reduceSent"} plus "error" when the job failed.
    nlohmann::json to_json() const;
};

// A won reduce claim: an opaque random token that identifies the claim to release_reduce and
// confirm_reduce, which act only while that token still holds the claim (a claim taken over by
// reclaim_reduce, released, or reset by set_total's overwrite no longer does). Not a secret, but
// internal: never show it in messages meant for users.
using ClaimToken = std::string;

// Result of Backend::complete_part_and_claim_reduce.
struct CompletionResult {
    bool job_complete = false;                // no part of the job is pending any more
    std::optional<ClaimToken> reduce_claim;   // set when this caller won the reduce claim and must send the reduce
    bool reduce_claimed() const noexcept { return reduce_claim.has_value(); }
};

// A job's reduce claim, as Backend::reduce_claim_state reads it: what a delivery that found the job
// complete without winning the claim needs to decide whether it may report success.
struct ReduceClaimState {
    bool failed = false;     // the job failed: it gets no reduce
    bool claimed = false;    // JobStatus::reduce_sent
    bool confirmed = false;  // JobStatus::reduce_confirmed
    // JobStatus::reduce_claimed_at_ms: absent for a claim made by a tool that records no time (the
    // Python and Node tools mark a reduce they have sent).
    std::optional<std::int64_t> claimed_at_ms;
};

// What a worker recorded about a failed delivery of one part (Backend::record_part_failure): what
// `info --parts failed`, `failed` and the dashboard's job page show beside the part's id.
struct WATCHBOT_PROGRESS_EXPORT PartFailure {
    PartId partid = 0;
    std::optional<int> exit_code;  // the command's exit code (`worker`); absent for an exception
    std::int64_t attempts = 0;     // the delivery's receive count (ApproximateReceiveCount); 0: unknown
    std::int64_t time_ms = 0;      // when the delivery failed, ms since the Unix epoch
    // The exception's what() (Part guard) or the command's failure and the end of its stderr
    // (`worker`): at most kMaxPartFailureTextBytes of valid UTF-8 (record_part_failure cuts it).
    std::string text;

    // {"partid", "attempts", "failedAt" (time_ms), "text"} plus "exitCode" when set: the form the
    // CLI prints, the dashboard sends and the Redis backend keeps.
    nlohmann::json to_json() const;
    // Reads to_json()'s form; fields missing or of another type read as their defaults.
    static PartFailure from_json(const nlohmann::json& json);
};

// What Backend::check_part_facts read about a job that stays true for the job's life, plus its
// failure as read, so that a later process (the next `worker` delivery on the same host, through a
// JobFactsCache) can skip the read: Backend::assume_job_facts hands them back to a new backend.
struct WATCHBOT_PROGRESS_EXPORT JobFacts {
    // The job's number of parts; 0: the backend told nothing it could assume later (the facts must
    // not be kept: backends that do not override check_part_facts).
    std::int64_t total = 0;
    // The failure as read: the reason ("" when none was recorded), nullopt when the job had not failed.
    std::optional<std::string> failure;
    // The backend's own facts about the job's storage (DynamoDB: the sharded layout's attributes,
    // which let the completion write its shard item without reading the job item); null when it
    // needs none. Opaque to everyone else: keep it as it is.
    nlohmann::json layout;
};

// The bounds of Backend::record_part_failure: records kept per job, and bytes of text per record.
inline constexpr std::size_t kMaxPartFailureRecords = 100;
inline constexpr std::size_t kMaxPartFailureTextBytes = 4096;

// Traffic counters of a backend, for benchmarks and diagnostics. Backends that cannot count report 0.
struct BackendStats {
    std::uint64_t requests = 0;        // round trips to the store
    std::uint64_t bytes_sent = 0;      // request bytes (bodies/commands) sent to the store
    std::uint64_t bytes_received = 0;  // response bytes received from the store
};

// The contract's checks live here, once: every public call below is non-virtual, checks its
// arguments (the job id with validate_jobid, a total with validate_total, metadata with
// check_metadata), then calls the protected virtual `do_` method of the same name, which a backend
// implements. So a backend's `do_` methods receive only a valid job id, a total in 1 .. kMaxParts
// and metadata check_metadata accepted. A part id is checked against the job's total
// (validate_partid) by the backend, which alone knows the total and reads it in the same atomic
// step that completes the part.
class WATCHBOT_PROGRESS_EXPORT Backend {
public:
    virtual ~Backend() = default;

    // Creates the job with parts 0 .. total-1 pending, not failed, reduce not sent.
    // 1 <= total <= kMaxParts, else InvalidInput (validate_total). If the job already exists: InvalidInput, unless overwrite is
    // true, in which case the job's parts, failure and reduce flag are reset (metadata is kept).
    void set_total(const std::string& jobid, std::int64_t total, bool overwrite = false);

    // Merges the top-level keys of `metadata` (a JSON object, else InvalidInput) into the job's
    // metadata; other keys are kept. `metadata` is checked with check_metadata first.
    void set_metadata(const std::string& jobid, const nlohmann::json& metadata);

    // Throws InvalidInput when set_metadata would refuse `metadata` for what it holds (not a JSON
    // object, a string that is not valid UTF-8, a key or value this store cannot keep), without
    // touching the store. create_job calls it before writing anything, so that metadata a backend
    // refuses never leaves a job behind without it. Checks what every backend needs (an object,
    // valid UTF-8), then the store's own rules (do_check_metadata). Thread-safe; sends no request.
    void check_metadata(const nlohmann::json& metadata) const;

    // Marks the part complete and returns whether no part is pending any more. Idempotent:
    // completing a part twice is not an error and never counts twice. partid outside
    // 0 .. total-1: InvalidInput.
    bool complete_part(const std::string& jobid, PartId partid);

    // Atomically marks the reduce as claimed, on condition that no part of the job is pending, in
    // the same atomic step (so a job overwritten after it was seen complete is never claimed).
    // Returns the claim's token for exactly one caller per job however many race (until the claim is
    // released), nullopt when it was already claimed (by this library, or by the Python tool's
    // `metadata.reduce_message_sent` on DynamoDB, or by the Redis field the Python tool reads), the
    // job has failed, or a part is pending. The token is what release_reduce and confirm_reduce need.
    std::optional<ClaimToken> claim_reduce(const std::string& jobid);

    // Gives a claimed reduce back, so that the next completion of any part (a redelivered message)
    // can claim it again. Called by the Part guard when sending the reduce failed. Acts only while
    // `token` still holds the claim: once the claim was taken over (reclaim_reduce), released or
    // reset by an overwrite, it changes nothing (a late release never undoes another's claim).
    void release_reduce(const std::string& jobid, const ClaimToken& token);

    // Records that the claimed reduce was sent. The Part guard calls it once the reduce message is
    // published (or on_reduce returned). Returns true when `token` holds the claim (it is confirmed
    // now, or was already); false, changing nothing, when it does not (the claim was taken over,
    // released or never made): then another holder may send the reduce too.
    // The default do_confirm_reduce does nothing and returns true: such a backend cannot tell a
    // crashed claimer from a finished one, and reclaim_reduce never succeeds on it.
    bool confirm_reduce(const std::string& jobid, const ClaimToken& token);

    // Takes over a reduce claim that was never confirmed and was taken at least `lease` ago (its
    // claimer crashed between claiming and confirming, or is still trying to send). Atomic: returns
    // a new token for exactly one of any number of racing callers, who must then send the reduce
    // and call confirm_reduce with it; the claim time restarts, and the old token no longer holds
    // the claim. nullopt when the job failed, has pending parts, its reduce is not claimed or is
    // confirmed, was claimed less than `lease` ago, or was claimed by a tool that records no claim
    // time (the Python and Node tools). A duplicate reduce is possible only when the first claimer
    // did send but did not confirm within the lease.
    // The default do_reclaim_reduce returns nullopt (for backends that record no claim time).
    std::optional<ClaimToken> reclaim_reduce(const std::string& jobid, std::chrono::milliseconds lease);

    // Whether the job failed: its reason when it did ("" when none was recorded), nullopt when it
    // has not. What the Part guard reads before every delivery when fail_job_on is set, so backends
    // make it one small read (no pending-part count). The default do_failure_reason calls status().
    std::optional<std::string> failure_reason(const std::string& jobid);

    // The job's reduce claim (see ReduceClaimState) as one small read: the Part guard reads it for a
    // delivery that found the job complete and did not win the claim. The default calls status();
    // backends whose status() is costly (DynamoDB's sharded layout) override do_reduce_claim_state.
    ReduceClaimState reduce_claim_state(const std::string& jobid);

    // complete_part and, when the job is then complete, claim_reduce (reduce_claim holds the token
    // when this caller won). Backends override do_complete_part_and_claim_reduce to do both in one
    // atomic round trip; the default calls the two in turn, which is also correct (the claim alone
    // decides who sends the reduce).
    CompletionResult complete_part_and_claim_reduce(const std::string& jobid, PartId partid);

    // Failure tolerance (PartOptions::failure_tolerance): records that the part failed for good
    // (its message goes to the dead-letter queue) and returns how many distinct parts of the job are
    // recorded so. Idempotent; does not complete the part. set_total with overwrite forgets them.
    // The default do_record_failed_part throws ConfigError (the backend cannot tolerate failures).
    std::int64_t record_failed_part(const std::string& jobid, PartId partid);

    // The part ids recorded by record_failed_part, ascending. The default returns none.
    std::vector<PartId> list_failed_parts(const std::string& jobid);

    // Keeps what a failed delivery of a part said (exit code, attempts, time, text), for people
    // finding out why (`info --parts failed`, the dashboard). Bounded per job: a part's newest
    // record replaces its older one, and a job keeps the records of at most kMaxPartFailureRecords
    // parts; a part not yet recorded when the job holds that many is not kept (the first parts to
    // fail are kept, and their number stays bounded however many parts fail). Returns whether the
    // record was kept. The text is made valid UTF-8 (invalid bytes become U+FFFD) and, when longer
    // than kMaxPartFailureTextBytes, cut to its end (where a stderr's last lines are), starting
    // with the line "[...]". Does not complete or fail the part (record_failed_part counts a part
    // failed for good). InvalidInput: part id outside the job, negative attempts or time.
    // set_total with overwrite and delete_job forget the records. The default
    // do_record_part_failure keeps nothing and returns false (a backend that cannot keep them).
    bool record_part_failure(const std::string& jobid, const PartFailure& failure);

    // The records kept by record_part_failure, by ascending part id. The default returns none.
    std::vector<PartFailure> list_part_failures(const std::string& jobid);

    // Marks the job failed with a reason. Failing a failed job replaces the reason.
    void fail_job(const std::string& jobid, const std::string& reason);

    JobStatus status(const std::string& jobid);

    // Whether that one part is complete. partid outside 0 .. total-1: InvalidInput.
    bool part_complete(const std::string& jobid, PartId partid);

    // What a worker checks before it works a part (run_part_command, the CLI's `worker`): the job
    // exists (else JobDoesNotExist) and `partid` is one of its parts (else InvalidInput, as
    // part_complete says), and whether the job failed: its reason ("" when none was recorded),
    // nullopt when it has not. Says nothing about whether the part is complete. The default
    // do_check_part calls part_complete and failure_reason; DynamoDB reads the job item once, and
    // remembers a sharded job's layout there, so that the completion after it reads nothing.
    std::optional<std::string> check_part(const std::string& jobid, PartId partid);

    // check_part, also returning what the read taught: the job's facts (JobFacts), to be kept by a
    // host-local cache (JobFactsCache) and handed to assume_job_facts by a later process. Throws
    // what check_part throws. The default calls do_check_part and returns total = 0 (nothing to
    // keep); DynamoDB returns the total and a sharded job's layout from its one GetItem.
    JobFacts check_part_facts(const std::string& jobid, PartId partid);

    // Takes `facts` (from check_part_facts, possibly in another process) as true of the job without
    // reading it, so that the completion that follows costs what it costs a process that read
    // them (DynamoDB: the one write of the part's shard item). Facts that no longer hold (the job
    // was deleted or overwritten since) are found out by the completion, which then reads the job
    // as it is (never completes a part of a replaced generation). Malformed facts are ignored.
    // Never reads or writes the store. The default does nothing.
    void assume_job_facts(const std::string& jobid, const JobFacts& facts);

    // The pending part ids, ascending.
    std::vector<PartId> list_pending_parts(const std::string& jobid);

    // Calls `visit` once for every job in the backend, following pagination to the end. Order is
    // unspecified. Jobs created or deleted during the walk may or may not be visited.
    void list_jobs(const std::function<void(const JobStatus&)>& visit);

    // Removes every record of the job. Returns false (and does nothing) when there was no job.
    bool delete_job(const std::string& jobid);

    // Alerts (alerts.hpp): atomically takes the mark "the alert of `state` was sent" on the job.
    // True for exactly one caller per job and state however many race (in any process), false once
    // the mark is taken; JobDoesNotExist for no job. set_total with overwrite (a new job) forgets
    // the marks; delete_job removes them. Only the winner publishes the alert (send_alert).
    // The default do_claim_alert throws ConfigError: a backend that cannot take the mark atomically
    // would send an alert once per process that sees the state; a user's backend implements
    // do_claim_alert (and do_release_alert) to send alerts.
    bool claim_alert(const std::string& jobid, AlertState state);

    // Gives the mark back, so that a later detection sends the alert: send_alert calls it when
    // publishing was refused for certain (nothing went out). Forgets the mark whoever took it: only
    // the winner of claim_alert calls it. Does nothing when the mark is not taken or there is no job.
    // The default do_release_alert does nothing.
    void release_alert(const std::string& jobid, AlertState state);

    // Counts one repair of the job's reduce: sweep calls it after it sent a lost reduce (whatever the
    // confirmation), and JobStatus::reduce_repairs reports the count, which the metrics add up. For
    // metrics only, so it is written after the reduce, not with its claim: a repairer that dies
    // between the two leaves the count one short, never the reduce unsent. set_total with overwrite
    // resets it; delete_job removes it. JobDoesNotExist for no job. The default
    // do_record_reduce_repair records nothing.
    void record_reduce_repair(const std::string& jobid);

    // Where the backend points, for messages: a URI without password or credentials.
    virtual std::string describe() const = 0;

    // Traffic since the backend was made. Thread-safe. The default reports zeros.
    virtual BackendStats stats() const { return {}; }

protected:
    // What a backend implements: each is called by the public method of the same name without
    // `do_`, after that method's checks (see above), and has that method's contract.
    virtual void do_set_total(const std::string& jobid, std::int64_t total, bool overwrite) = 0;
    virtual void do_set_metadata(const std::string& jobid, const nlohmann::json& metadata) = 0;
    // The store's own rules for metadata, called by check_metadata after the checks every backend
    // needs. The default accepts everything. Must not touch the store.
    virtual void do_check_metadata(const nlohmann::json& metadata) const;
    virtual bool do_complete_part(const std::string& jobid, PartId partid) = 0;
    virtual std::optional<ClaimToken> do_claim_reduce(const std::string& jobid) = 0;
    virtual void do_release_reduce(const std::string& jobid, const ClaimToken& token) = 0;
    virtual bool do_confirm_reduce(const std::string& jobid, const ClaimToken& token);
    virtual std::optional<ClaimToken> do_reclaim_reduce(const std::string& jobid, std::chrono::milliseconds lease);
    virtual std::optional<std::string> do_failure_reason(const std::string& jobid);
    virtual ReduceClaimState do_reduce_claim_state(const std::string& jobid);
    virtual CompletionResult do_complete_part_and_claim_reduce(const std::string& jobid, PartId partid);
    virtual std::int64_t do_record_failed_part(const std::string& jobid, PartId partid);
    virtual std::vector<PartId> do_list_failed_parts(const std::string& jobid);
    virtual bool do_record_part_failure(const std::string& jobid, const PartFailure& failure);
    virtual std::vector<PartFailure> do_list_part_failures(const std::string& jobid);
    virtual void do_fail_job(const std::string& jobid, const std::string& reason) = 0;
    virtual JobStatus do_status(const std::string& jobid) = 0;
    virtual bool do_part_complete(const std::string& jobid, PartId partid) = 0;
    virtual std::optional<std::string> do_check_part(const std::string& jobid, PartId partid);
    virtual JobFacts do_check_part_facts(const std::string& jobid, PartId partid);
    virtual void do_assume_job_facts(const std::string& jobid, const JobFacts& facts);
    virtual std::vector<PartId> do_list_pending_parts(const std::string& jobid) = 0;
    virtual void do_list_jobs(const std::function<void(const JobStatus&)>& visit) = 0;
    virtual bool do_delete_job(const std::string& jobid) = 0;
    virtual bool do_claim_alert(const std::string& jobid, AlertState state);
    virtual void do_release_alert(const std::string& jobid, AlertState state);
    virtual void do_record_reduce_repair(const std::string& jobid);
};

// Checks a job id: non-empty, at most 1024 bytes, valid UTF-8 (no overlong forms, surrogates or code
// points above U+10FFFF) without control characters (U+0000..U+001F, U+007F..U+009F).
// Throws InvalidInput saying what is wrong.
WATCHBOT_PROGRESS_EXPORT void validate_jobid(const std::string& jobid);

// The most parts a job may have: a bound on the storage and work one set_total may ask for (a
// number typed by mistake must not make a backend write for hours or exhaust memory).
inline constexpr std::int64_t kMaxParts = 1'000'000'000;

// Checks a job's total: 1 <= total <= kMaxParts. Throws InvalidInput saying what is wrong.
WATCHBOT_PROGRESS_EXPORT void validate_total(std::int64_t total);

// Checks a part id against a job's total: 0 <= partid < total. Throws InvalidInput.
WATCHBOT_PROGRESS_EXPORT void validate_partid(const std::string& jobid, PartId partid, std::int64_t total);

}  // namespace watchbot_progress
