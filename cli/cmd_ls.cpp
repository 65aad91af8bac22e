// ls: every job in the database, one JSON status object (or job id) per line (the Python tool's `ls`).
#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "duration.hpp"
#include "job_table.hpp"
#include "output.hpp"

namespace wpcli {

namespace {

struct LsOptions {
    bool status = false;  // --status: the default, accepted for the Python tool's sake
    bool jobid_only = false;
    bool hide_completed = false;
    std::string stale;  // --stale DURATION; empty: every job
    std::string format = "json";
};

void run_ls(const LsOptions& opt, Context& ctx) {
    const bool table = table_format(opt.format);
    std::vector<watchbot_progress::JobStatus> rows;  // the table's, printed at the end (column widths)
    std::optional<std::int64_t> stale_before;  // ms since the epoch
    if (!opt.stale.empty()) {
        const auto age = parse_duration(opt.stale, "--stale");
        stale_before = watchbot_progress::system_time_ms() - age.count();
    }
    const auto backend = ctx.open_backend();
    std::size_t unknown = 0;
    backend->list_jobs([&](const watchbot_progress::JobStatus& status) {
        if (opt.hide_completed && status.remaining == 0) return;
        if (stale_before) {
            // Stale: still running (pending parts, not failed) and unchanged for that long.
            if (status.failed || status.complete()) return;
            if (!status.updated_at_ms) {
                ++unknown;
                return;
            }
            if (*status.updated_at_ms > *stale_before) return;
        }
        if (table) {
            rows.push_back(status);
        } else {
            print_line(opt.jobid_only ? status.jobid : python_dumps(info_json(status)));
        }
    });
    if (table) {
        std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.jobid < b.jobid; });
        std::cout << job_table(job_rows(*backend, std::move(rows)), watchbot_progress::system_time_ms());
    }
    if (unknown > 0) {
        print_message(std::to_string(unknown) + " running job" + (unknown == 1 ? "" : "s") +
                      " record no progress time (written by the Python or Node tool) and were not checked");
    }
}

}  // namespace

void setup_ls(CLI::App& app, Context& ctx) {
    auto opt = std::make_shared<LsOptions>();
    auto* sub = app.add_subcommand("ls", "List the jobs in the database, one per line");
    auto* status = sub->add_flag("--status", opt->status, "Print each job's status as a JSON object (the default)");
    auto* jobid = sub->add_flag("--jobid", opt->jobid_only, "Print only the job ids");
    status->excludes(jobid);
    auto* format = sub->add_option("--format", opt->format,
                                   "json: each job's info object per line (as the Python tool); table: a table for people")
                       ->check(CLI::IsMember({"json", "table"}))
                       ->capture_default_str();
    format->excludes(jobid);
    sub->add_flag("--hide-completed", opt->hide_completed, "Show only jobs with pending parts");
    sub->add_option("--stale", opt->stale,
                    "Show only running jobs (parts pending, not failed) with no progress for this long (e.g. 30m, 2h, 1d)")
        ->type_name("DURATION");
    add_database_option(*sub, ctx);
    sub->footer(
        "Output: one line per job, in no particular order: the status object of `info`, or with --jobid the job id.\n"
        "With --format table: a header, then JOB ID, STATE, DONE/TOTAL, AGE (since created), LAST PROGRESS,\n"
        "REDUCE SENT and REASON (why it failed, or its failed parts) per job (\"-\" for a time the job does not\n"
        "record: jobs of the Python and Node tools).\n\n"
        "Examples:\n"
        "  watchbot-progress-cpp ls -d sqlite:///var/lib/jobs.db --hide-completed\n"
        "  watchbot-progress-cpp ls --jobid     # database from $ProgressTable\n"
        "  watchbot-progress-cpp ls --stale 2h --jobid   # running jobs that made no progress for 2 hours\n"
        "  watchbot-progress-cpp ls --hide-completed --format table");
    sub->callback([opt, &ctx] { run_ls(*opt, ctx); });
}

}  // namespace wpcli
