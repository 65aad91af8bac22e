// failed JOBID: the ids of the parts recorded as failed for good (failure tolerance), one per line
// or as a JSON array.
#include <memory>
#include <string>

#include "commands.hpp"
#include "output.hpp"

namespace wpcli {

namespace {

struct FailedOptions {
    std::string jobid;
    bool array = false;
};

void run_failed(const FailedOptions& opt, Context& ctx) {
    const auto backend = ctx.open_backend();
    const auto parts = backend->list_failed_parts(opt.jobid);
    if (opt.array) {
        print_line(python_dumps(nlohmann::json(parts)));
    } else {
        for (const auto partid : parts) print_line(std::to_string(partid));
    }
}

}  // namespace

void setup_failed(CLI::App& app, Context& ctx) {
    auto opt = std::make_shared<FailedOptions>();
    auto* sub = app.add_subcommand("failed", "Print the ids of a job's parts that failed for good, ascending");
    add_jobid_argument(*sub, opt->jobid);
    sub->add_flag("--array", opt->array, "Print one JSON array, e.g. [4, 9], instead of one id per line");
    add_database_option(*sub, ctx);
    sub->footer(
        "A part failed for good when its worker threw on the message's last allowed delivery and the\n"
        "worker's Part guard tolerates failures (PartOptions::failure_tolerance). Other jobs print nothing.\n\n"
        "Examples:\n"
        "  watchbot-progress-cpp failed my-job -d redis://localhost:6379/0\n"
        "  watchbot-progress-cpp failed my-job --array");
    sub->callback([opt, &ctx] { run_failed(*opt, ctx); });
}

}  // namespace wpcli
