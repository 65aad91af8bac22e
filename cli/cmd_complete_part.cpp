// complete-part JOBID --part N: marks one part complete; prints whether the job is now complete.
#include <memory>
#include <string>

#include "commands.hpp"
#include "output.hpp"

namespace wpcli {

namespace {

struct CompletePartOptions {
    std::string jobid;
    long long part = 0;
};

void run_complete_part(const CompletePartOptions& opt, Context& ctx) {
    check_part_id(opt.part, "--part");
    const auto backend = ctx.open_backend();
    print_line(backend->complete_part(opt.jobid, opt.part) ? "true" : "false");
}

}  // namespace

void setup_complete_part(CLI::App& app, Context& ctx) {
    auto opt = std::make_shared<CompletePartOptions>();
    auto* sub = app.add_subcommand("complete-part", "Mark one part complete; print true when no part is pending any more");
    add_jobid_argument(*sub, opt->jobid);
    sub->add_option("-p,--part", opt->part, "The part id (0-based)")->required()->check(integer_in_range("a part id, 0 or more"))->type_name("N");
    add_database_option(*sub, ctx);
    sub->footer(
        "Output: true or false. Completing a part twice is not an error. This does not send the reduce\n"
        "message (a worker's Part guard does); see reduce-sent.\n\n"
        "Example:\n"
        "  watchbot-progress-cpp complete-part my-job --part 0 -d redis://localhost:6379/0");
    sub->callback([opt, &ctx] { run_complete_part(*opt, ctx); });
}

}  // namespace wpcli
