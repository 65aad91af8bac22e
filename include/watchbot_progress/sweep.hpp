#pragma once
// sweep: finds the complete jobs whose reduce was lost and sends it, by the reduce protocol
// (reduce.hpp). What the CLI's `watchbot-progress-cpp sweep` runs; run it on a schedule.
//
// A complete (not failed) job's reduce is lost when
//   * its claim was left unconfirmed for at least `older_than` (the claimer crashed before
//     confirming): the claim is taken over (reclaim_reduce);
//   * nobody holds its claim (sending failed, the claim was given back and the message was never
//     delivered again) and this library created or worked the job (it records a change time,
//     JobStatus::updated_at_ms): the claim is taken (claim_reduce).
// A complete, never-claimed job without that record was written only by the Python or Node tool,
// whose users may send the reduce themselves and mark it later: it proves nothing and is left alone,
// unless it is named in `jobids` or `include_other_tools` is set. The claim decides in every case,
// so two sweeps, or a sweep and a worker, send a reduce once.
//
// Each reduce sent is counted on its job (Backend::record_reduce_repair: the metrics' repairs).
//
// One job's failure (its claim, its sending, its confirmation, its deletion) does not stop the
// sweep: it is reported (SweepEvent kReduceFailed / kDeleteFailed), the sweep goes on with the other
// jobs, and throws the first such error once every job was tried.

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "watchbot_progress/backend.hpp"
#include "watchbot_progress/export.hpp"
#include "watchbot_progress/reduce.hpp"

namespace watchbot_progress {

// Why a job's reduce counts as lost.
enum class LostReduce {
    kNeverClaimed,               // complete, nobody holds the claim, this library worked the job
    kNeverClaimedNamed,          // the same on a job written only by another tool, named in `jobids`
    kNeverClaimedOtherTool,      // the same, sent because of `include_other_tools`
    kClaimUnconfirmed,           // claimed `claim_age` ago (at least older_than) and never confirmed
};

// What sweep found or did with one job, in the order it happens.
struct SweepEvent {
    enum class Kind {
        kLeftAlone,    // complete, never claimed, written by another tool: not sent (see above)
        kWouldSend,    // dry run: the reduce is lost and would be sent
        kSent,         // the reduce was sent; `confirmation` says how it was confirmed
        kWouldDelete,  // dry run: finished for delete_finished_after or more, would be deleted
        // Claiming, sending or confirming the lost reduce threw `error`. confirmation kUnconfirmed:
        // the reduce was sent and only its confirmation failed (it may be sent again once the claim's
        // lease has passed); else it was not sent, and its claim (if taken) was given back.
        kReduceFailed,
        kDeleteFailed,  // deleting the finished job threw `error`
    };
    Kind kind;
    std::string jobid;
    LostReduce why = LostReduce::kNeverClaimed;           // would_send, sent, reduce_failed
    std::chrono::milliseconds claim_age{0};                // would_send, sent, reduce_failed: for claim_unconfirmed
    ReduceConfirmation confirmation = ReduceConfirmation::kConfirmed;  // sent, reduce_failed
    // reduce_failed, delete_failed; sent: counting the repair (Backend::record_reduce_repair) threw
    // this, so the metrics miss it (the reduce itself was sent).
    std::exception_ptr error;
    std::chrono::milliseconds unchanged_for{0};            // would_delete: since the job last changed
};

struct SweepOptions {
    // Only these jobs (an unknown one: JobDoesNotExist, before anything is sent); empty: every job.
    std::vector<std::string> jobids;
    // Claims left unconfirmed at least this long are taken over. Choose it longer than sending a
    // reduce can take: a claimer still sending after that long would send a second reduce.
    std::chrono::milliseconds older_than = std::chrono::minutes(5);
    // Also send the reduce of complete, never-claimed jobs written only by other tools.
    bool include_other_tools = false;
    // Also delete jobs finished (failed, or complete with their reduce sent and confirmed, or sent by
    // a tool that records no confirmation) and unchanged for this long. Jobs without a change time
    // (written by tools that record none) are kept.
    std::optional<std::chrono::milliseconds> delete_finished_after;
    // Change nothing; report would_send and would_delete events.
    bool dry_run = false;
    // Where reduces go. Called once, before the first claim (so a bad topic claims nothing); never
    // in a dry run nor when no reduce is lost.
    std::function<ReduceSink()> open_sink;
    // The time job ages are measured against; empty: the system clock.
    WallClock clock;
    // Called for each event as it happens (optional).
    std::function<void(const SweepEvent&)> on_event;
};

struct SweepResult {
    std::size_t lost = 0;        // jobs whose reduce was found lost
    std::size_t sent = 0;        // reduces sent (lost ones whose claim this sweep won)
    std::size_t left_alone = 0;  // complete, never-claimed jobs of other tools left alone
    std::size_t deleted = 0;     // finished jobs deleted
    std::size_t failed = 0;      // jobs whose claim, sending, confirmation or deletion threw
    std::size_t unrecorded = 0;  // reduces sent whose repair could not be counted (record_reduce_repair threw)
};

// Runs one sweep over `backend`. A job whose claim, sending (its claim is given back: see
// send_claimed_reduce), confirmation or deletion throws is reported (on_event) and counted, and the
// sweep goes on with the next job; once every job was tried, the first such error is thrown again.
// Thrown at once, before anything more is done: what listing the jobs or reading a named job throws
// (JobDoesNotExist for an unknown name), what open_sink throws (nothing was claimed), and
// InvalidInput when a reduce is to be sent and `open_sink` is empty. A job deleted since the
// listing is skipped.
WATCHBOT_PROGRESS_EXPORT SweepResult sweep(Backend& backend, const SweepOptions& options);

}  // namespace watchbot_progress
