// reduce-sent JOBID: marks the job's reduce as sent (claims and confirms it), so neither a worker nor
// `sweep` sends it. The exit code says whether this call took the claim (0: the caller sends the
// reduce, or has sent it) or found it taken (kExitAlreadyClaimed: someone else did or does), so that
// a script can run `reduce-sent JOB && send-the-reduce` from many places and send it once. Only a
// complete job's reduce can be marked: before that, a worker's delivery sends it.
#include <chrono>
#include <memory>
#include <string>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "output.hpp"

namespace wpcli {

namespace {

struct ReduceSentOptions {
    std::string jobid;
};

[[noreturn]] void refuse_failed(const std::string& jobid, const watchbot_progress::JobStatus& status) {
    throw ExitError(kExitJobFailed, "job '" + jobid + "' has failed (" + status.reason.value_or("") +
                                        "): its reduce was not marked sent");
}

// Found the reduce claimed by someone else: a worker, sweep or another reduce-sent call holds the
// claim and sends the reduce, or has sent it. The claim is left as it is: its holder confirms it, and
// when the holder died before confirming, sweep sends the reduce after the claim's lease. (Taking it
// over here, to confirm it, would leave the reduce unsent when the holder had not sent it yet, and a
// concurrent reduce-sent call that claimed first would then fail to confirm and exit 8 as well.)
// Exits kExitAlreadyClaimed.
[[noreturn]] void already_claimed(const std::string& jobid) {
    print_message("the reduce of job '" + jobid + "' was already marked sent");
    throw ExitError(kExitAlreadyClaimed, "");
}

void run_reduce_sent(const ReduceSentOptions& opt, Context& ctx) {
    const auto backend = ctx.open_backend();
    auto status = backend->status(opt.jobid);
    if (status.failed) refuse_failed(opt.jobid, status);
    if (status.reduce_sent) already_claimed(opt.jobid);
    if (!status.complete()) {
        throw ExitError(kExitUsage, "job '" + opt.jobid + "' has " + std::to_string(status.remaining) + " of its " +
                                        std::to_string(status.total) +
                                        " parts pending: its reduce cannot be marked sent before every part is "
                                        "complete (the delivery that completes the last part sends it); nothing "
                                        "was marked");
    }
    if (const auto claim = backend->claim_reduce(opt.jobid)) {
        // Claimed and confirmed as one mark: the claim counts only when it was still this call's when
        // confirmed (sweep --older-than 0 may take a claim over at once, and then sends the reduce).
        if (backend->confirm_reduce(opt.jobid, *claim)) return;
        print_message("the reduce of job '" + opt.jobid + "' was taken over (by sweep) before this call confirmed it");
        throw ExitError(kExitAlreadyClaimed, "");
    }
    status = backend->status(opt.jobid);
    if (status.failed) refuse_failed(opt.jobid, status);
    already_claimed(opt.jobid);
}

}  // namespace

void setup_reduce_sent(CLI::App& app, Context& ctx) {
    auto opt = std::make_shared<ReduceSentOptions>();
    auto* sub = app.add_subcommand("reduce-sent", "Mark a complete job's reduce message as sent");
    add_jobid_argument(*sub, opt->jobid);
    add_database_option(*sub, ctx);
    sub->footer(
        "Claims the reduce and confirms the claim, so that neither a worker nor sweep sends it. Prints\n"
        "nothing. Exit 0 when this call took the claim (you send the reduce, or have sent it); exit 8 when\n"
        "the reduce was already claimed or marked (a note goes to stderr; do not send it). Only a complete\n"
        "job can be marked: a job with pending parts is refused (exit 2, nothing marked), as the delivery\n"
        "that completes its last part sends the reduce; a failed job cannot be marked (exit 1).\n\n"
        "Example:\n"
        "  watchbot-progress-cpp reduce-sent my-job -d redis://localhost:6379/0 && ./send-reduce my-job");
    sub->callback([opt, &ctx] { run_reduce_sent(*opt, ctx); });
}

}  // namespace wpcli
