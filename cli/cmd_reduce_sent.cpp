// reduce-sent JOBID: marks the job's reduce as sent (claims and confirms it), so neither a worker nor
// `sweep` sends it.
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
    // Claimed but unconfirmed (a worker is sending it, or crashed): the user says it was sent, so
    // take the claim over at once and confirm it, and neither a later delivery nor sweep sends it.
    if (status.reduce_sent && !status.reduce_confirmed) {
        if (const auto claim = backend->reclaim_reduce(opt.jobid, std::chrono::milliseconds(0))) {
            backend->confirm_reduce(opt.jobid, *claim);
        }
    }
    print_message("the reduce of job '" + opt.jobid + "' was already marked sent");
}

}  // namespace

void setup_reduce_sent(CLI::App& app, Context& ctx) {
    auto opt = std::make_shared<ReduceSentOptions>();
    auto* sub = app.add_subcommand("reduce-sent", "Mark a job's reduce message as sent");
    add_jobid_argument(*sub, opt->jobid);
    add_database_option(*sub, ctx);
    sub->footer(
        "Prints nothing. Marking it twice is not an error (a note goes to stderr); a failed job cannot be\n"
        "marked (exit 1).\n\n"
        "Example:\n"
        "  watchbot-progress-cpp reduce-sent my-job -d redis://localhost:6379/0");
    sub->callback([opt, &ctx] { run_reduce_sent(*opt, ctx); });
}

}  // namespace wpcli
