// info JOBID: the job's status as one JSON object (the Python tool's `info`).
#include <memory>
#include <string>

#include "commands.hpp"
#include "output.hpp"

namespace wpcli {

namespace {

struct InfoOptions {
    std::string jobid;
};

void run_info(const InfoOptions& opt, Context& ctx) {
    const auto backend = ctx.open_backend();
    print_line(python_dumps(info_json(backend->status(opt.jobid))));
}

}  // namespace

void setup_info(CLI::App& app, Context& ctx) {
    auto opt = std::make_shared<InfoOptions>();
    auto* sub = app.add_subcommand("info", "Print a job's status as one JSON object (as the Python tool does)");
    add_jobid_argument(*sub, opt->jobid);
    add_database_option(*sub, ctx);
    sub->footer(
        "Output: {\"metadata\": {...}, \"jobid\": \"...\", \"progress\": 0.5, \"total\": 4, \"remaining\": 2, "
        "\"failed\": false, \"reduceSent\": false} (\"error\": reason, when failed)\n\n"
        "Example:\n"
        "  watchbot-progress-cpp info 2f1c0d7e-5b8a-4c1e-9d3f-0a6b7c8d9e0f -d redis://localhost:6379/0");
    sub->callback([opt, &ctx] { run_info(*opt, ctx); });
}

}  // namespace wpcli
