// info JOBID: the job's status as one JSON object (the Python tool's `info`).
#include <iostream>
#include <memory>
#include <string>

#include "commands.hpp"
#include "job_table.hpp"
#include "output.hpp"

namespace wpcli {

namespace {

struct InfoOptions {
    std::string jobid;
    std::string format = "json";
};

void run_info(const InfoOptions& opt, Context& ctx) {
    const bool table = table_format(opt.format);
    const auto backend = ctx.open_backend();
    const auto status = backend->status(opt.jobid);
    const auto failed_parts = backend->list_failed_parts(opt.jobid);
    if (table) {
        std::cout << job_table({JobRow{status, failed_parts}}, watchbot_progress::system_time_ms());
    } else {
        ordered_json info = info_json(status);
        // Only when there are some, so that the output stays the Python tool's for every other job.
        if (!failed_parts.empty()) info["failedParts"] = failed_parts;
        print_line(python_dumps(info));
    }
}

}  // namespace

void setup_info(CLI::App& app, Context& ctx) {
    auto opt = std::make_shared<InfoOptions>();
    auto* sub = app.add_subcommand("info", "Print a job's status as one JSON object (as the Python tool does)");
    add_jobid_argument(*sub, opt->jobid);
    sub->add_option("--format", opt->format, "json: one JSON object (as the Python tool); table: a table for people")
        ->check(CLI::IsMember({"json", "table"}))
        ->capture_default_str();
    add_database_option(*sub, ctx);
    sub->footer(
        "Output: {\"metadata\": {...}, \"jobid\": \"...\", \"progress\": 0.5, \"total\": 4, \"remaining\": 2, "
        "\"failed\": false, \"reduceSent\": false} (\"error\": reason, when failed; \"failedParts\": [ids], when\n"
        "parts failed for good: failure tolerance, or `run`'s dead letters)\n"
        "With --format table: JOB ID, STATE, DONE/TOTAL, AGE (since created), LAST PROGRESS, REDUCE SENT, REASON\n"
        "(\"-\" for a time the job does not record: jobs of the Python and Node tools).\n\n"
        "Examples:\n"
        "  watchbot-progress-cpp info 2f1c0d7e-5b8a-4c1e-9d3f-0a6b7c8d9e0f -d redis://localhost:6379/0\n"
        "  watchbot-progress-cpp info my-job --format table");
    sub->callback([opt, &ctx] { run_info(*opt, ctx); });
}

}  // namespace wpcli
