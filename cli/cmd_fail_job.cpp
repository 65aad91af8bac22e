// fail-job JOBID --reason TEXT: marks the job failed.
#include <memory>
#include <string>

#include "commands.hpp"
#include "output.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/job_facts_cache.hpp"

namespace wp = watchbot_progress;

namespace wpcli {

namespace {

struct FailJobOptions {
    std::string jobid;
    std::string reason;
};

void run_fail_job(const FailJobOptions& opt, Context& ctx) {
    const auto backend = ctx.open_backend();
    backend->fail_job(opt.jobid, opt.reason);
    // The workers of this host (`worker`) read the job at their next delivery instead of trusting
    // the facts they kept (job_facts_cache.hpp); other hosts see it within their check interval.
    try {
        wp::JobFactsCache(wp::job_facts_cache_options_from_env()).record_failure(backend->describe(), opt.jobid, opt.reason);
    } catch (const wp::ConfigError&) {  // a bad WATCHBOT_PROGRESS_CHECK_INTERVAL: the worker reports it
    }
}

}  // namespace

void setup_fail_job(CLI::App& app, Context& ctx) {
    auto opt = std::make_shared<FailJobOptions>();
    auto* sub = app.add_subcommand("fail-job", "Mark a job failed");
    add_jobid_argument(*sub, opt->jobid);
    sub->add_option("-r,--reason", opt->reason, "Why the job failed")->required()->type_name("TEXT");
    add_database_option(*sub, ctx);
    sub->footer(
        "Prints nothing. Failing a failed job replaces the reason. The `worker` processes of this host\n"
        "(same WATCHBOT_PROGRESS_CACHE_DIR) stop working the job's parts at once; those of other hosts within\n"
        "their check interval (worker --check-interval).\n\n"
        "Example:\n"
        "  watchbot-progress-cpp fail-job my-job --reason 'source bucket is gone' -d redis://localhost:6379/0");
    sub->callback([opt, &ctx] { run_fail_job(*opt, ctx); });
}

}  // namespace wpcli
