// ls: every job in the database, one JSON status object (or job id) per line (the Python tool's `ls`).
#include <memory>
#include <string>

#include "commands.hpp"
#include "output.hpp"

namespace wpcli {

namespace {

struct LsOptions {
    bool status = false;  // --status: the default, accepted for the Python tool's sake
    bool jobid_only = false;
    bool hide_completed = false;
};

void run_ls(const LsOptions& opt, Context& ctx) {
    const auto backend = ctx.open_backend();
    backend->list_jobs([&](const watchbot_progress::JobStatus& status) {
        if (opt.hide_completed && status.remaining == 0) return;
        print_line(opt.jobid_only ? status.jobid : python_dumps(info_json(status)));
    });
}

}  // namespace

void setup_ls(CLI::App& app, Context& ctx) {
    auto opt = std::make_shared<LsOptions>();
    auto* sub = app.add_subcommand("ls", "List the jobs in the database, one per line");
    auto* status = sub->add_flag("--status", opt->status, "Print each job's status as a JSON object (the default)");
    auto* jobid = sub->add_flag("--jobid", opt->jobid_only, "Print only the job ids");
    status->excludes(jobid);
    sub->add_flag("--hide-completed", opt->hide_completed, "Show only jobs with pending parts");
    add_database_option(*sub, ctx);
    sub->footer(
        "Output: one line per job, in no particular order: the status object of `info`, or with --jobid the job id.\n\n"
        "Examples:\n"
        "  watchbot-progress-cpp ls -d sqlite:///var/lib/jobs.db --hide-completed\n"
        "  watchbot-progress-cpp ls --jobid     # database from $ProgressTable");
    sub->callback([opt, &ctx] { run_ls(*opt, ctx); });
}

}  // namespace wpcli
