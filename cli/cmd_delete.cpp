// delete JOBID: removes every record of the job.
#include <memory>
#include <string>

#include "commands.hpp"
#include "watchbot_progress/errors.hpp"

namespace wpcli {

namespace {

struct DeleteOptions {
    std::string jobid;
};

void run_delete(const DeleteOptions& opt, Context& ctx) {
    const auto backend = ctx.open_backend();
    if (!backend->delete_job(opt.jobid)) throw watchbot_progress::JobDoesNotExist(opt.jobid);
}

}  // namespace

void setup_delete(CLI::App& app, Context& ctx) {
    auto opt = std::make_shared<DeleteOptions>();
    auto* sub = app.add_subcommand("delete", "Delete a job's records from the database");
    add_jobid_argument(*sub, opt->jobid);
    add_database_option(*sub, ctx);
    sub->footer(
        "Prints nothing; exit 1 when there was no such job. Messages already published are not recalled:\n"
        "their workers will find no job.\n\n"
        "Example:\n"
        "  watchbot-progress-cpp delete my-job -d redis://localhost:6379/0");
    sub->callback([opt, &ctx] { run_delete(*opt, ctx); });
}

}  // namespace wpcli
