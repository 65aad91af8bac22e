// reduce-sent JOBID: marks the job's reduce as sent (claims and confirms it), so neither a worker nor
// `sweep` sends it. The exit code says whether this call took the claim (0: the caller sends the
// reduce) or found it taken (kExitAlreadyClaimed: someone else did or does), so that a script can
// run `reduce-sent JOB && send-the-reduce` from many places and send it once.
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

void run_reduce_sent(const ReduceSentOptions& opt, Context& ctx) {
    const auto backend = ctx.open_backend();
    if (const auto claim = backend->claim_reduce(opt.jobid)) {
        backend->confirm_reduce(opt.jobid, *claim);
        return;
    }
    const auto status = backend->status(opt.jobid);
    if (status.failed) {
        throw ExitError(kExitJobFailed, "job '" + opt.jobid + "' has failed (" + status.reason.value_or("") +
                                            "): its reduce was not marked sent");
    }
    // Parts pending: the reduce is claimed only once every part is complete (by the worker of the
    // last part), so it cannot be marked sent before; the caller must not send it either.
    if (!status.complete() && !status.reduce_sent) {
        print_message("job '" + opt.jobid + "' has " + std::to_string(status.remaining) +
                      " pending part" + (status.remaining == 1 ? "" : "s") +
                      ": its reduce is claimed once every part is complete, not before; not marked sent");
        ctx.exit_code = kExitAlreadyClaimed;
        return;
    }
    // Claimed but unconfirmed (a worker is sending it, or crashed): the user says it was sent, so
    // take the claim over at once and confirm it, and neither a later delivery nor sweep sends it.
    if (status.reduce_sent && !status.reduce_confirmed) {
        if (const auto claim = backend->reclaim_reduce(opt.jobid, std::chrono::milliseconds(0))) {
            backend->confirm_reduce(opt.jobid, *claim);
        }
    }
    print_message("the reduce of job '" + opt.jobid + "' was already marked sent");
    ctx.exit_code = kExitAlreadyClaimed;
}

}  // namespace

void setup_reduce_sent(CLI::App& app, Context& ctx) {
    auto opt = std::make_shared<ReduceSentOptions>();
    auto* sub = app.add_subcommand("reduce-sent", "Mark a job's reduce message as sent");
    add_jobid_argument(*sub, opt->jobid);
    add_database_option(*sub, ctx);
    sub->footer(
        "Prints nothing. Exit 0 when this call took the claim (send the reduce yourself); exit 8 when the\n"
        "reduce was already claimed or marked, or the job still has pending parts (a note goes to stderr;\n"
        "do not send it); a failed job cannot be marked (exit 1).\n\n"
        "Example:\n"
        "  watchbot-progress-cpp reduce-sent my-job -d redis://localhost:6379/0 && ./send-reduce my-job");
    sub->callback([opt, &ctx] { run_reduce_sent(*opt, ctx); });
}

}  // namespace wpcli
