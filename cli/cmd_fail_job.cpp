// fail-job JOBID --reason TEXT: marks the job failed.
#include <memory>
#include <string>

#include "commands.hpp"
#include "output.hpp"

namespace wpcli {

namespace {

struct FailJobOptions {
    std::string jobid;
    std::string reason;
};

void run_fail_job(const FailJobOptions& opt, Context& ctx) {
    const auto backend = ctx.open_backend();
    backend->fail_job(opt.jobid, opt.reason);
}

}  // namespace

void setup_fail_job(CLI::App& app, Context& ctx) {
    auto opt = std::make_shared<FailJobOptions>();
    auto* sub = app.add_subcommand("fail-job", "Mark a job failed");
    add_jobid_argument(*sub, opt->jobid);
    sub->add_option("-r,--reason", opt->reason, "Why the job failed")->required()->type_name("TEXT");
    add_database_option(*sub, ctx);
    sub->footer(
        "Prints nothing. Failing a failed job replaces the reason.\n\n"
        "Example:\n"
        "  watchbot-progress-cpp fail-job my-job --reason 'source bucket is gone' -d redis://localhost:6379/0");
    sub->callback([opt, &ctx] { run_fail_job(*opt, ctx); });
}

}  // namespace wpcli
