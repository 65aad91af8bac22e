// pending JOBID: the pending part ids, one per line or as a JSON array (the Python tool's `pending`).
#include <memory>
#include <string>

#include "commands.hpp"
#include "output.hpp"

namespace wpcli {

namespace {

struct PendingOptions {
    std::string jobid;
    bool array = false;
};

void run_pending(const PendingOptions& opt, Context& ctx) {
    const auto backend = ctx.open_backend();
    const auto parts = backend->list_pending_parts(opt.jobid);
    if (opt.array) {
        print_line(python_dumps(nlohmann::json(parts)));
    } else {
        for (const auto partid : parts) print_line(std::to_string(partid));
    }
}

}  // namespace

void setup_pending(CLI::App& app, Context& ctx) {
    auto opt = std::make_shared<PendingOptions>();
    auto* sub = app.add_subcommand("pending", "Print the ids of a job's pending parts, ascending");
    add_jobid_argument(*sub, opt->jobid);
    sub->add_flag("--array", opt->array, "Print one JSON array, e.g. [0, 3, 7], instead of one id per line");
    add_database_option(*sub, ctx);
    sub->footer(
        "Examples:\n"
        "  watchbot-progress-cpp pending 2f1c0d7e-5b8a-4c1e-9d3f-0a6b7c8d9e0f -d redis://localhost:6379/0\n"
        "  watchbot-progress-cpp pending my-job --array");
    sub->callback([opt, &ctx] { run_pending(*opt, ctx); });
}

}  // namespace wpcli
