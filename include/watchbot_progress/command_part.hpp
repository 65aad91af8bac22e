#pragma once
// A map message's part worked by an external command, inside the Part guard: what
// `watchbot-progress-cpp worker -- CMD` does with a `map` message, for workers in any language.
//
//   wp::MapMessage message = wp::map_message_from_env();
//   wp::CommandPartResult r = wp::run_part_command(message, {"python3", "work.py"}, {.fail_job_on_exit = {3}});
//
// The steps are Part's (part.hpp), through its succeed() and fail() (its begin() check comes from
// the one read below):
//   1. One read (Backend::check_part) checks the part and, when fail_job_on_exit or
//      part.failure_tolerance is set, a job that already failed is not worked (outcome
//      kJobAlreadyFailed; the command does not run). With facts_cache, the read is skipped while
//      this host checked the job less than the cache's interval ago (check_part_cached,
//      job_facts_cache.hpp), and a job this delivery fails is recorded there at once.
//   2. The command runs (run_command, command.hpp) with WATCHBOT_PROGRESS_JOBID and
//      WATCHBOT_PROGRESS_PARTID in its environment and the map message's JSON (the part's fields
//      plus jobid, partid and metadata) and a line break on its stdin.
//   3. Exit 0: Part::succeed() completes the part and, when this delivery completes the job and wins
//      the claim, sends the job's one reduce (the reduce protocol, reduce.hpp) and confirms it.
//      An exit code in fail_job_on_exit: Part::fail() marks the job failed, with the reason "part N
//      failed: the command exited with code C; the end of its stderr: ..." (bounded by
//      stderr_tail_bytes). Any other failure (another code, a signal it did not get from us, a
//      command that cannot start): Part::fail(), which records it under part.failure_tolerance on the
//      message's last delivery and otherwise changes nothing. A command stopped by a signal this
//      process forwarded (an ECS stop) is interrupted: nothing is recorded.
//      Every failure but an interrupted one is also recorded for the part first
//      (Backend::record_part_failure: the exit code, the receive count, the time, and the text
//      above with the end of the command's stderr), which `info --parts failed` and the dashboard
//      show; recording it never changes the outcome.
//
// Stop signals (SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2) never stop this process while
// run_part_command runs: while the command runs they are forwarded to it (run_command); one that
// arrives before the command starts is forwarded to it as soon as it starts; one that arrives
// after the command exited is held until step 3 is done (the part completed, the reduce claimed,
// sent and confirmed, or the job marked failed), then reported in deferred_signal, so that an ECS
// stop cannot cut those steps in two. The previous handlers come back when it returns; the held
// signal is not raised again (the caller decides: `worker` exits with the outcome's code). One
// run_part_command or run_command at a time per process.
//
// Mapping the outcome to watchbot's exit codes (0 delete, 3 reject: delete, 4 no-op: return,
// other: retry) is the caller's: never pass a command's 3 through as it is, or the message of a
// part neither completed nor failed is deleted and the job never completes (`worker` fails the job
// on a 3: it is always one of its fail_job_on_exit codes).

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "watchbot_progress/command.hpp"
#include "watchbot_progress/export.hpp"
#include "watchbot_progress/job_facts_cache.hpp"
#include "watchbot_progress/messages.hpp"
#include "watchbot_progress/part.hpp"

namespace watchbot_progress {

struct CommandPartOptions {
    // The guard's options: backend, notifier or on_reduce, reduce_lease, failure_tolerance. Its
    // fail_job_on is replaced (the exit codes below are what fail the job).
    PartOptions part;
    // The command's exit codes (1 to 255) that fail the whole job.
    std::vector<int> fail_job_on_exit;
    // How much of the end of the command's stderr a failure reason and a failure's record
    // (Backend::record_part_failure) quote.
    std::size_t stderr_tail_bytes = 1000;
    // Where step 1 keeps what it read for the host's later deliveries (job_facts_cache.hpp);
    // nullptr: every delivery reads.
    std::shared_ptr<JobFactsCache> facts_cache;
};

struct CommandPartResult {
    enum class Outcome {
        kCompleted,            // exit 0: the part is complete (and the reduce sent if this delivery won it)
        kJobFailed,            // an exit code of fail_job_on_exit: the job is marked failed
        kJobFailedUnrecorded,  // the same, but marking the job failed did not succeed (see stderr): retry
        kJobAlreadyFailed,     // the job had failed before: the command did not run (failure_reason)
        kCommandFailed,        // any other failure of the command: watchbot should retry the message
        kInterrupted,          // stopped by a signal forwarded to it (command.forwarded_signal)
        // The command exited 0, but meanwhile the job was deleted, or replaced by a job without
        // this part (an overwrite with fewer parts): Part::succeed() was refused with
        // JobDoesNotExist or InvalidInput, so the part is complete in no job. `job_gone_reason`
        // says which.
        kJobGone,
    };
    Outcome outcome = Outcome::kCompleted;
    // How the command ended; default (never run) for kJobAlreadyFailed.
    CommandResult command;
    // kJobAlreadyFailed: the job's failure reason.
    std::string failure_reason;
    // kJobGone: what completing the part was refused with.
    std::string job_gone_reason;
    // A stop signal that arrived after the command exited and was held until the outcome was
    // recorded (the last one, when several did); 0: none.
    int deferred_signal = 0;
};

// Works the part of `message` with `argv` as described above. Before the command starts, one read
// (Backend::check_part) checks the part: JobDoesNotExist when the job does not exist, InvalidInput when the part id is not
// within it (the command does not run). Throws what Part's constructor throws
// (InvalidInput, ConfigError when a default backend or notifier is needed and unset), InvalidInput
// for an exit code outside 1..255, what run_command throws, and what completing the part or sending
// the reduce throws (BackendError, ...; the claim given back, as Part does), but for a completion
// refused because the job went while the command ran: that is the outcome kJobGone.
WATCHBOT_PROGRESS_EXPORT CommandPartResult run_part_command(const MapMessage& message, const std::vector<std::string>& argv,
                                                            CommandPartOptions options);

}  // namespace watchbot_progress
