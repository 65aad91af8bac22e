// info JOBID: the job's status as one JSON object (the Python tool's `info`); with --parts failed,
// also its failed parts and what their failures said.
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "commands.hpp"
#include "core/excerpt.hpp"
#include "job/failed_parts.hpp"
#include "job_table.hpp"
#include "output.hpp"

namespace wpcli {

namespace {

using watchbot_progress::detail::FailedPart;
using watchbot_progress::detail::failed_parts_json;
using watchbot_progress::detail::failed_parts_of;

struct InfoOptions {
    std::string jobid;
    std::string format = "json";
    std::string parts;  // "" or "failed"
};

// The failed parts for people: a heading line per part, then its failure's text indented, each
// line printable (a command's stderr may hold control characters).
std::string failed_parts_text(const std::vector<FailedPart>& parts, std::int64_t now_ms) {
    std::ostringstream out;
    if (parts.empty()) {
        out << "No failed parts recorded.\n";
        return out.str();
    }
    out << "Failed parts (" << parts.size() << "):\n";
    for (const FailedPart& part : parts) {
        out << "  part " << part.partid << (part.failed_for_good ? ", failed for good" : "");
        if (part.record) {
            const auto& r = *part.record;
            if (r.exit_code) out << ", exit code " << *r.exit_code;
            if (r.attempts > 0) out << ", attempt " << r.attempts;
            if (r.time_ms > 0) out << ", " << format_age(now_ms - r.time_ms) << " ago";
            out << "\n";
            std::istringstream lines(r.text);
            for (std::string line; std::getline(lines, line);) {
                out << "      " << watchbot_progress::detail::printable(line) << "\n";
            }
        } else {
            out << " (nothing recorded of its failure)\n";
        }
    }
    return out.str();
}

void run_info(const InfoOptions& opt, Context& ctx) {
    const bool table = table_format(opt.format);
    const auto backend = ctx.open_backend();
    const auto status = backend->status(opt.jobid);
    const auto failed_parts = backend->list_failed_parts(opt.jobid);
    std::optional<std::vector<FailedPart>> details;
    if (opt.parts == "failed") details = failed_parts_of(*backend, opt.jobid);
    if (table) {
        const std::int64_t now = watchbot_progress::system_time_ms();
        std::cout << job_table({JobRow{status, failed_parts}}, now);
        if (details) std::cout << "\n" << failed_parts_text(*details, now);
    } else {
        ordered_json info = info_json(status);
        // Only when there are some, so that the output stays the Python tool's for every other job.
        if (!failed_parts.empty()) info["failedParts"] = failed_parts;
        if (details) info["parts"] = ordered_json::parse(failed_parts_json(*details).dump());
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
    sub->add_option("--parts", opt->parts,
                    "failed: also list the failed parts with what their failures said (exit code, attempts, time, "
                    "error text or the end of the command's stderr)")
        ->check(CLI::IsMember({"failed"}));
    add_database_option(*sub, ctx);
    sub->footer(
        "Output: {\"metadata\": {...}, \"jobid\": \"...\", \"progress\": 0.5, \"total\": 4, \"remaining\": 2, "
        "\"failed\": false, \"reduceSent\": false} (\"error\": reason, when failed; \"failedParts\": [ids], when\n"
        "parts failed for good: failure tolerance, or `run`'s dead letters)\n"
        "With --format table: JOB ID, STATE, DONE/TOTAL, AGE (since created), LAST PROGRESS, REDUCE SENT, REASON\n"
        "(\"-\" for a time the job does not record: jobs of the Python and Node tools).\n"
        "With --parts failed: \"parts\": [{\"partid\", \"failedForGood\", \"exitCode\", \"attempts\", \"failedAt\" (ms), \"text\"}]\n"
        "(the parts failed for good and those whose failures a worker recorded; the table format prints\n"
        "each with its text below the job's row).\n\n"
        "Examples:\n"
        "  watchbot-progress-cpp info 2f1c0d7e-5b8a-4c1e-9d3f-0a6b7c8d9e0f -d redis://localhost:6379/0\n"
        "  watchbot-progress-cpp info my-job --format table\n"
        "  watchbot-progress-cpp info --parts failed my-job --format table");
    sub->callback([opt, &ctx] { run_info(*opt, ctx); });
}

}  // namespace wpcli
