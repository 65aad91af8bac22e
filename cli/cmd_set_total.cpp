// set-total JOBID --total N: creates the job's bookkeeping with parts 0 .. N-1 pending.
#include <memory>
#include <string>

#include "commands.hpp"
#include "output.hpp"
#include "watchbot_progress/errors.hpp"

namespace wpcli {

namespace {

struct SetTotalOptions {
    std::string jobid;
    long long total = 0;
    bool overwrite = false;
};

void run_set_total(const SetTotalOptions& opt, Context& ctx) {
    if (opt.total < 1) {
        throw watchbot_progress::InvalidInput("--total " + std::to_string(opt.total) +
                                              " is too small: a job has at least 1 part");
    }
    if (opt.total > watchbot_progress::kMaxParts) {
        throw watchbot_progress::InvalidInput("--total " + std::to_string(opt.total) + " is over the limit of " +
                                              std::to_string(watchbot_progress::kMaxParts) +
                                              " parts per job: split the work into several jobs");
    }
    watchbot_progress::validate_jobid(opt.jobid);
    const auto backend = ctx.open_backend(Context::Missing::kCreate);
    backend->set_total(opt.jobid, opt.total, opt.overwrite);
}

}  // namespace

void setup_set_total(CLI::App& app, Context& ctx) {
    auto opt = std::make_shared<SetTotalOptions>();
    auto* sub = app.add_subcommand("set-total", "Create a job with N pending parts, numbered 0 to N-1 (no messages sent)");
    add_jobid_argument(*sub, opt->jobid);
    sub->add_option("-t,--total", opt->total, "The number of parts (1 to 1,000,000,000)")
        ->required()
        ->check(integer_in_range("the number of parts, 1 or more"))
        ->type_name("N");
    sub->add_flag("--overwrite", opt->overwrite,
                  "Reset an existing job of this id (its parts, failure and reduce flag; metadata is kept) "
                  "instead of refusing it");
    add_database_option(*sub, ctx);
    add_dynamodb_layout_option(*sub, ctx);
    sub->footer(
        "Prints nothing. Refuses a job that already exists unless --overwrite.\n\n"
        "Example:\n"
        "  watchbot-progress-cpp set-total my-job --total 100 -d redis://localhost:6379/0");
    sub->callback([opt, &ctx] { run_set_total(*opt, ctx); });
}

}  // namespace wpcli
