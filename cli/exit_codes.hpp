#pragma once
// The exit codes of watchbot-progress-cpp: the one table. main() maps exceptions to these codes (and
// nowhere else does); docs/cli.md and `watchbot-progress-cpp --help` list this same table.

#include <stdexcept>
#include <string>

namespace wpcli {

enum ExitCode : int {
    kExitOk = 0,              // success (also: complete-part printing false)
    kExitJobFailed = 1,       // the job does not exist, or it failed (watch, reduce-sent); run: dead letters
    kExitUsage = 2,           // bad command line or bad input: unknown option, bad JSON, bad part id, bad --database
    kExitBackend = 3,         // the backend (or topic) is unreachable or returned an error
    kExitWorkerReject = 3,    // worker: the job is failed or does not exist: watchbot's "reject" (message deleted);
                              // a command's own 3 fails the job first, so no map message is deleted unrecorded
    kExitConfig = 4,          // configuration: ProgressTable / WorkTopic unset or invalid, backend not built in
    kExitPublishPartial = 5,  // create: the job was written but some map messages could not be published
    kExitTimeout = 6,         // watch: --timeout passed before the job completed or failed
    kExitInternal = 7,        // anything else (I/O error, unexpected exception): a bug or the environment
    kExitAlreadyClaimed = 8,  // reduce-sent: the reduce was claimed before this call (do not send it)
    kExitWorkerRetry = 9,     // worker: the database or topic failed or is not configured, the reduce waits on another's
                              // unconfirmed claim (ReducePending), or an interrupted command exited 3: retry the message
    kExitCannotExecute = 126, // worker: the command could not be executed (as a shell reports it)
    kExitNotFound = 127,      // worker: the command was not found (as a shell reports it)
    kExitInterrupted = 130,   // run: interrupted (Ctrl-C / SIGINT), as shells report 128 + SIGINT
};

struct ExitCodeInfo {
    int code;
    const char* name;
    const char* meaning;
};

inline constexpr ExitCodeInfo kExitCodes[] = {
    {kExitOk, "ok", "success; worker: the command's work is done (or its own exit 0, for subjects other than map)"},
    {kExitJobFailed, "job failed or not found",
     "the job (or the sqlite:// file) does not exist; watch, reduce-sent, resend: the job failed; run: messages went "
     "to the dead letters"},
    {kExitUsage, "usage error",
     "bad command line or input: unknown option, bad JSON, bad part id or total, bad --database/--topic value; "
     "reduce-sent: the job has pending parts; resend --failed: the job's reduce was sent; worker: a malformed map "
     "message, or a part id outside its job (nothing written, the command does not run)"},
    {kExitBackend, "backend unreachable",
     "the database or topic could not be reached or returned an error (worker: 9); worker: the job is failed "
     "(the command exited 3 or a --fail-job-on-exit code, or the job had failed before) or does not exist, so "
     "the message is rejected (watchbot deletes it)"},
    {kExitConfig, "configuration error",
     "ProgressTable/WorkTopic unset or invalid, or that backend is not built into this binary"},
    {kExitPublishPartial, "publish failed partially",
     "create: the job was written (its id is printed) but some map messages were not published; resend: some were "
     "not published"},
    {kExitTimeout, "timeout", "watch: --timeout passed before the job completed or failed"},
    {kExitInternal, "internal error", "an unexpected error (I/O, a bug); the message says what happened"},
    {kExitAlreadyClaimed, "already claimed",
     "reduce-sent: the reduce was claimed before this call (by a worker, sweep or an earlier call), or taken over "
     "by sweep before this call confirmed it: do not send it"},
    {kExitWorkerRetry, "worker: retry",
     "worker: the database or topic failed or is not configured (ProgressTable unset, a sqlite:// file that does not "
     "exist), the job's reduce waits on another delivery's "
     "unconfirmed claim, or a command stopped by a forwarded signal exited 3; watchbot retries the message (the "
     "other commands' 3 would make watchbot delete it)"},
    {kExitCannotExecute, "cannot execute", "worker: the command could not be executed"},
    {kExitNotFound, "not found", "worker: the command was not found"},
    {kExitInterrupted, "interrupted",
     "run: stopped by Ctrl-C; the workers' messages were returned to the queue. worker: any other code is the "
     "command's own (never 3 for a map message), 128+N when signal N stopped it"},
};

// Thrown by a subcommand to end with a given exit code and a one-line message on stderr (empty: no
// message). main() catches it like every other exception.
class ExitError : public std::runtime_error {
public:
    ExitError(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
    int code() const noexcept { return code_; }

private:
    int code_;
};

}  // namespace wpcli
