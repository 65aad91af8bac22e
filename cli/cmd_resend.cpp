// resend JOBID FILE --pending | --failed: publishes again the map messages of a job's pending (or
// recorded failed) parts, from the parts file `create` read, after checking the file is the job's.
// --failed refuses a job whose reduce was already claimed or sent: its failed parts were counted
// done, the reduce went out without them, and running them again would redo their work for nothing.
#include <unistd.h>

#include <memory>
#include <mutex>
#include <string>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "output.hpp"
#include "part_reader.hpp"
#include "progress_bar.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/resend.hpp"

namespace wp = watchbot_progress;

namespace wpcli {

namespace {

struct ResendCommandOptions {
    std::string jobid;
    std::string file;
    bool pending = false;
    bool failed = false;
    std::string topic;
    std::string format = "auto";
    std::size_t workers = 25;
    int progress = 0;  // 1: --progress, -1: --no-progress, 0: auto (on a terminal)
};

void run_resend(const ResendCommandOptions& opt, Context& ctx) {
    if (opt.pending == opt.failed) {
        throw wp::InvalidInput("say which parts to re-send: --pending (every part not complete) or --failed "
                               "(the parts recorded failed)");
    }
    wp::validate_jobid(opt.jobid);
    if (opt.workers == 0) throw wp::InvalidInput("--workers must be at least 1");
    const PartReader::Format format = opt.format == "array"   ? PartReader::Format::kArray
                                      : opt.format == "lines" ? PartReader::Format::kLines
                                                              : PartReader::Format::kAuto;
    wp::ResendOptions options;
    options.which = opt.pending ? wp::ResendOptions::Which::kPending : wp::ResendOptions::Which::kFailed;
    options.notifier = ctx.open_notifier(opt.topic);
    options.backend = ctx.open_backend();
    options.workers = opt.workers;
    if (opt.failed) {
        const wp::JobStatus status = options.backend->status(opt.jobid);
        if (!status.failed && status.reduce_sent) {
            throw ExitError(kExitUsage,
                            "job '" + opt.jobid + "' already sent its reduce (" +
                                (status.reduce_confirmed ? "confirmed" : "claimed, not yet confirmed") +
                                "): its failed parts were counted done and cannot take part in another reduce, so "
                                "running them again would redo their work for nothing; nothing was sent (to run "
                                "them anyway, create a job of those parts)");
        }
    }

    PartReader reader(opt.file, format);
    if (opt.file == "-" && ::isatty(STDIN_FILENO) == 1) {
        print_message("reading parts from the terminal: a JSON array or one JSON object per line, then Ctrl-D");
    }
    const bool terminal = stderr_is_terminal();
    const auto style = terminal ? ProgressBar::Style::kTerminal : ProgressBar::Style::kLines;
    std::unique_ptr<ProgressBar> bar;
    std::mutex mutex;
    if (opt.progress > 0 || (opt.progress == 0 && terminal)) {
        options.on_progress = [&](std::uint64_t published, std::uint64_t total) {
            std::lock_guard lock(mutex);
            if (!bar) {
                bar = std::make_unique<ProgressBar>("re-sending", total, style,
                                                    std::chrono::milliseconds(style == ProgressBar::Style::kTerminal ? 100 : 1000));
                bar->rebase(published);
            }
            bar->update(published, published == total);
        };
    }
    std::vector<wp::PartId> resent;
    try {
        resent = wp::resend_parts(opt.jobid, static_cast<wp::PartSource&>(reader), options);
    } catch (...) {
        if (bar) bar->finish();
        throw;
    }
    if (bar) bar->finish();
    const std::string which = opt.pending ? "pending" : "failed";
    if (resent.empty()) {
        print_message("job '" + opt.jobid + "' has no " + which + " part: nothing to re-send");
    } else {
        print_message("re-sent the map messages of " + counted(resent.size(), which + " part") + " of job '" +
                      opt.jobid + "' to " + options.notifier->describe());
    }
}

}  // namespace

void setup_resend(CLI::App& app, Context& ctx) {
    auto opt = std::make_shared<ResendCommandOptions>();
    auto* sub = app.add_subcommand("resend", "Publish again the map messages of a job's pending or failed parts");
    add_jobid_argument(*sub, opt->jobid);
    sub->add_option("file", opt->file, "The parts file `create` read (JSON array or JSON Lines); -: stdin")
        ->required()
        ->type_name("PARTS_FILE");
    auto* pending = sub->add_flag("--pending", opt->pending, "Re-send every part not yet complete");
    auto* failed = sub->add_flag("--failed", opt->failed, "Re-send the parts recorded failed (see `failed`)");
    pending->excludes(failed);
    sub->add_option("--topic", opt->topic,
                    "Where the map messages go: an SNS topic ARN or sqlite:///path/to/queue.db. Default: WorkTopic")
        ->type_name("URI");
    add_parts_input_options(*sub, opt->format, opt->workers);
    auto* progress = sub->add_flag_callback("--progress", [opt] { opt->progress = 1; },
                                            "Show progress on stderr even when it is not a terminal");
    auto* no_progress = sub->add_flag_callback("--no-progress", [opt] { opt->progress = -1; },
                                               "Never show progress (default: on a terminal)");
    progress->excludes(no_progress);
    add_database_option(*sub, ctx);
    sub->footer(
        "The file must be the job's: as many parts as its total, any \"jobid\"/\"partid\" a part carries\n"
        "matching; it is read and checked whole before anything is published (exit 2, nothing sent, when it\n"
        "does not match). Messages carry the job's metadata as it is now. A part whose message is still\n"
        "queued runs twice, which workers tolerate (completions are idempotent, one reduce is sent). Prints\n"
        "nothing on stdout; a summary line on stderr. Exit 5 when some messages could not be published.\n"
        "--failed refuses a job whose reduce was already sent (exit 2, nothing sent): its failed parts were\n"
        "counted done and the reduce went out without them; running them again cannot send another one.\n\n"
        "Examples:\n"
        "  watchbot-progress-cpp resend my-job parts.jsonl --pending -d redis://localhost:6379/0 --topic arn:aws:sns:us-east-1:123456789012:work\n"
        "  watchbot-progress-cpp resend my-job parts.json --failed");
    sub->callback([opt, &ctx] { run_resend(*opt, ctx); });
}

}  // namespace wpcli
