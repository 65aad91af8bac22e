// watch JOBID: follows a job until it completes (exit 0) or fails (exit 1), with a progress bar on
// stderr; prints the final status (as `info` does) on stdout.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "output.hpp"
#include "progress_bar.hpp"
#include "watchbot_progress/errors.hpp"

namespace wpcli {

namespace {

struct WatchOptions {
    std::string jobid;
    double interval = 1.0;  // seconds
    double timeout = 0.0;   // seconds; 0: none
    bool quiet = false;
};

void run_watch(const WatchOptions& opt, Context& ctx) {
    if (!(opt.interval > 0.0) || !std::isfinite(opt.interval)) {
        throw watchbot_progress::InvalidInput("--interval must be a positive number of seconds");
    }
    if (!(opt.timeout >= 0.0) || !std::isfinite(opt.timeout)) {
        throw watchbot_progress::InvalidInput("--timeout must be a non-negative number of seconds (0: none)");
    }
    using Clock = std::chrono::steady_clock;
    const auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opt.interval));
    const auto start = Clock::now();
    const bool has_deadline = opt.timeout > 0.0;
    const auto deadline =
        start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(has_deadline ? opt.timeout : 0.0));

    const auto backend = ctx.open_backend();
    std::unique_ptr<ProgressBar> bar;
    if (!opt.quiet) {
        bar = std::make_unique<ProgressBar>(opt.jobid, 0,
                                            stderr_is_terminal() ? ProgressBar::Style::kTerminal : ProgressBar::Style::kLines);
    }
    for (bool first = true;; first = false) {
        const auto status = backend->status(opt.jobid);
        const auto done = static_cast<std::uint64_t>(status.total - status.remaining);
        if (bar) {
            bar->set_total(static_cast<std::uint64_t>(status.total));
            if (first) bar->rebase(done);
            bar->update(done, true);
        }
        if (status.failed || status.complete()) {
            if (bar) bar->finish();
            print_line(python_dumps(info_json(status)));
            if (status.failed) {
                print_message("job '" + opt.jobid + "' failed: " + status.reason.value_or(""));
                ctx.exit_code = kExitJobFailed;
            }
            return;
        }
        const auto now = Clock::now();
        if (has_deadline && now >= deadline) {
            if (bar) bar->finish();
            char seconds[32];
            std::snprintf(seconds, sizeof seconds, "%g", opt.timeout);
            throw ExitError(kExitTimeout, std::string("timed out after ") + seconds + " s: job '" + opt.jobid +
                                              "' has " + std::to_string(status.remaining) + " of " +
                                              std::to_string(status.total) + " parts pending");
        }
        auto wake = now + interval;
        if (has_deadline && wake > deadline) wake = deadline;
        std::this_thread::sleep_until(wake);
    }
}

}  // namespace

void setup_watch(CLI::App& app, Context& ctx) {
    auto opt = std::make_shared<WatchOptions>();
    auto* sub = app.add_subcommand("watch", "Follow a job's progress until it completes or fails");
    add_jobid_argument(*sub, opt->jobid);
    sub->add_option("-i,--interval", opt->interval, "Seconds between polls (fractions allowed)")
        ->type_name("SECONDS")
        ->capture_default_str();
    sub->add_option("--timeout", opt->timeout, "Give up after this many seconds (exit 6); 0: wait forever")
        ->type_name("SECONDS")
        ->capture_default_str();
    sub->add_flag("-q,--quiet", opt->quiet, "No progress display on stderr");
    add_database_option(*sub, ctx);
    sub->footer(
        "Shows parts done / total, the rate and the time left on stderr: a bar redrawn in place on a\n"
        "terminal, else a line each time the count changes. At the end prints the job's status (as `info`)\n"
        "on stdout. Exit 0: complete; 1: failed or no such job; 6: --timeout passed.\n\n"
        "Examples:\n"
        "  watchbot-progress-cpp watch my-job -d redis://localhost:6379/0\n"
        "  watchbot-progress-cpp watch my-job --interval 5 --timeout 3600 && echo done");
    sub->callback([opt, &ctx] { run_watch(*opt, ctx); });
}

}  // namespace wpcli
