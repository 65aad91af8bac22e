// status JOBID [--part N]: the Node tool's status object, with partComplete for one part.
#include <memory>
#include <optional>
#include <string>

#include "commands.hpp"
#include "output.hpp"

namespace wpcli {

namespace {

struct StatusOptions {
    std::string jobid;
    std::optional<long long> part;
};

void run_status(const StatusOptions& opt, Context& ctx) {
    if (opt.part) check_part_id(*opt.part, "--part");
    const auto backend = ctx.open_backend();
    const auto status = backend->status(opt.jobid);
    std::optional<bool> part_complete;
    if (opt.part) part_complete = backend->part_complete(opt.jobid, *opt.part);
    print_line(node_stringify(node_status_json(status, part_complete)));
}

}  // namespace

void setup_status(CLI::App& app, Context& ctx) {
    auto opt = std::make_shared<StatusOptions>();
    auto* sub = app.add_subcommand("status", "Print a job's status as the Node tool does (compact JSON)");
    add_jobid_argument(*sub, opt->jobid);
    sub->add_option_function<long long>(
           "-p,--part", [opt](const long long& part) { opt->part = part; },
           "Also tell whether this part (0-based) is complete: adds \"partComplete\"")
        ->check(integer_in_range("a part id, 0 or more"))
        ->type_name("N");
    add_database_option(*sub, ctx);
    sub->footer(
        "Output: {\"progress\":0.5,\"failed\":\"reason\",\"metadata\":{...},\"partComplete\":true,"
        "\"reduceSent\":false,\"total\":4,\"remaining\":2}\n"
        "  progress is rounded down to 2 decimals; \"failed\" (the reason) only when the job failed;\n"
        "  \"partComplete\" only with --part.\n\n"
        "Examples:\n"
        "  watchbot-progress-cpp status my-job -d redis://localhost:6379/0\n"
        "  watchbot-progress-cpp status my-job --part 3");
    sub->callback([opt, &ctx] { run_status(*opt, ctx); });
}

}  // namespace wpcli
