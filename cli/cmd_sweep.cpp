// sweep: sends the reduce of complete jobs whose reduce was lost — claimed by a worker that never
// confirmed sending it (it crashed) at least --older-than ago, or never claimed (given back after a
// failed send and never claimed again) on a job this library created or worked. A complete,
// unclaimed job without that record (written by the Python or Node tool, whose users may send the
// reduce themselves and mark it later) is left alone unless named or --include-other-tools.
// The finding and sending is the library's sweep (watchbot_progress/sweep.hpp); this file reads the
// options and prints what happens.
#include <chrono>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "duration.hpp"
#include "error_text.hpp"
#include "output.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/sweep.hpp"

namespace wp = watchbot_progress;

namespace wpcli {

namespace {

struct SweepOptions {
    std::vector<std::string> jobids;  // empty: every job
    std::string older_than = "5m";
    std::string topic;
    std::string delete_finished_after;  // empty: delete nothing
    bool dry_run = false;
    bool include_other_tools = false;  // also complete, unclaimed jobs without this library's record
};

// Why the job's reduce counts as lost, in words.
std::string describe(const wp::SweepEvent& e) {
    switch (e.why) {
        case wp::LostReduce::kNeverClaimed:
            return "complete, reduce never claimed";
        case wp::LostReduce::kNeverClaimedNamed:
            return "complete, reduce never claimed (written by another tool; sent because it was named)";
        case wp::LostReduce::kNeverClaimedOtherTool:
            return "complete, reduce never claimed (written by another tool; --include-other-tools)";
        case wp::LostReduce::kClaimUnconfirmed:
            return "reduce claimed " + describe_duration(e.claim_age) + " ago and never confirmed sent";
    }
    return {};
}

void run_sweep(const SweepOptions& opt, Context& ctx) {
    wp::SweepOptions options;
    options.jobids = opt.jobids;
    options.older_than = parse_duration(opt.older_than, "--older-than");
    if (!opt.delete_finished_after.empty()) {
        options.delete_finished_after = parse_duration(opt.delete_finished_after, "--delete-finished-after");
    }
    options.include_other_tools = opt.include_other_tools;
    options.dry_run = opt.dry_run;
    const auto backend = ctx.open_backend();
    options.open_sink = [&] { return wp::ReduceSink{ctx.open_notifier(opt.topic), {}}; };
    std::size_t sent = 0;
    std::size_t failed = 0;
    options.on_event = [&](const wp::SweepEvent& e) {
        const std::string& jobid = e.jobid;
        switch (e.kind) {
            case wp::SweepEvent::Kind::kLeftAlone:
                print_message("job '" + jobid +
                              "': complete and its reduce never claimed, but written by another tool (no record of "
                              "this library's guard), whose users may send the reduce themselves: left alone; to send "
                              "it, name it (sweep " + jobid + ") or pass --include-other-tools");
                break;
            case wp::SweepEvent::Kind::kWouldSend:
                print_line(jobid);
                print_message("job '" + jobid + "': " + describe(e) + ": would send its reduce");
                break;
            case wp::SweepEvent::Kind::kSent:
                ++sent;
                if (e.confirmation == wp::ReduceConfirmation::kTakenOver) {
                    print_message("job '" + jobid +
                                  "': its reduce was sent, but the claim was taken over meanwhile: it may be sent twice");
                }
                print_line(jobid);
                print_message("job '" + jobid + "': " + describe(e) + ": sent its reduce");
                if (e.error) print_message(unrecorded_repair_message(jobid, e.error));
                break;
            case wp::SweepEvent::Kind::kWouldDelete:
                print_message("job '" + jobid + "': finished, unchanged for " + describe_duration(e.unchanged_for) +
                              " (at least " + describe_duration(*options.delete_finished_after) + "): would delete it");
                break;
            case wp::SweepEvent::Kind::kReduceFailed:
                ++failed;
                if (e.confirmation == wp::ReduceConfirmation::kUnconfirmed) {
                    ++sent;
                    print_line(jobid);
                    print_message("job '" + jobid + "': " + describe(e) + ": sent its reduce, but confirming it failed (" +
                                  what_of(e.error) + "): it may be sent again once --older-than has passed");
                } else {
                    print_message("job '" + jobid + "': " + describe(e) + ": sending its reduce failed (" +
                                  what_of(e.error) + "); its claim was given back: a later sweep sends it");
                }
                break;
            case wp::SweepEvent::Kind::kDeleteFailed:
                ++failed;
                print_message("job '" + jobid + "': deleting it failed (" + what_of(e.error) + ")");
                break;
        }
    };
    // One job's failure does not stop the sweep: the library goes on with the others and throws the
    // first error at the end, which main() reports and turns into the exit code.
    wp::SweepResult result;
    try {
        result = wp::sweep(*backend, options);
    } catch (...) {
        if (failed > 0) {
            print_message("sent " + std::to_string(sent) + " lost reduce" + (sent == 1 ? "" : "s") + "; " +
                          std::to_string(failed) + " job" + (failed == 1 ? "" : "s") + " failed (above); the first error:");
        }
        throw;
    }
    if (opt.dry_run) return;
    print_message("sent " + std::to_string(result.sent) + " lost reduce" + (result.sent == 1 ? "" : "s") + " (" +
                  std::to_string(result.lost) + " found)" +
                  (result.left_alone == 0 ? std::string()
                                          : "; left alone " + std::to_string(result.left_alone) + " complete job" +
                                                (result.left_alone == 1 ? "" : "s") + " of other tools"));
    if (options.delete_finished_after) {
        print_message("deleted " + std::to_string(result.deleted) + " finished job" + (result.deleted == 1 ? "" : "s"));
    }
}

}  // namespace

void setup_sweep(CLI::App& app, Context& ctx) {
    auto opt = std::make_shared<SweepOptions>();
    auto* sub = app.add_subcommand("sweep", "Send the reduce of complete jobs whose reduce was lost");
    sub->add_option("jobid", opt->jobids, "Only these jobs (default: every job in the database)")->type_name("JOBID...");
    add_database_option(*sub, ctx);
    sub->add_option("--older-than", opt->older_than,
                    "Take over reduce claims left unconfirmed at least this long (e.g. 300, 5m, 1h). Default: 5m")
        ->type_name("DURATION");
    sub->add_option("--topic", opt->topic, "Where reduce messages go (SNS topic ARN or sqlite:///queue.db). Default: WorkTopic")
        ->type_name("URI");
    sub->add_option("--delete-finished-after", opt->delete_finished_after,
                    "Also delete jobs finished (failed, or reduce sent) and unchanged for this long (e.g. 7d)")
        ->type_name("DURATION");
    sub->add_flag("--dry-run", opt->dry_run, "List the jobs whose reduce would be sent; change nothing");
    sub->add_flag("--include-other-tools", opt->include_other_tools,
                  "Also send the reduce of complete, never-claimed jobs written only by the Python or Node tools");
    sub->footer(
        "A complete job's reduce is lost when the worker that claimed it crashed before confirming it sent,\n"
        "or when sending failed, the claim was given back and the message was never delivered again. sweep\n"
        "finds those jobs (complete, not failed; claim unconfirmed for --older-than, or never claimed),\n"
        "takes the claim over atomically (so two sweeps, or a sweep and a worker, send it once), sends the\n"
        "reduce message and confirms it. Prints the job ids whose reduce it sent, one per line. A job whose\n"
        "reduce cannot be sent or confirmed (or that cannot be deleted) is reported and the sweep goes on\n"
        "with the others; it then exits non-zero, with the code of the first error.\n\n"
        "Jobs of the Python and Node tools: a reduce they sent (reduceSent, or the Python tool's\n"
        "metadata.reduce_message_sent) counts as sent, and their claims record no time, so they are never\n"
        "taken over. A complete job that nobody claimed is a lost reduce only when this library created or\n"
        "worked it (it records a change time); one written only by another tool proves nothing (the Node\n"
        "tool's users send the reduce themselves and mark it later), so sweep leaves it alone and says so,\n"
        "unless it is named (sweep JOBID) or --include-other-tools is given.\n\n"
        "--delete-finished-after expires old jobs where the backend has no expiry of its own (SQLite; Redis\n"
        "and DynamoDB can expire finished jobs themselves: RedisOptions::delete_when_done,\n"
        "DynamoDbOptions::done_ttl). Jobs written by tools that record no change time are kept.\n\n"
        "Run it on a schedule, with --older-than longer than sending a reduce can take: a claimer still\n"
        "sending after that long would send a second reduce.\n\n"
        "Example:\n"
        "  watchbot-progress-cpp sweep -d redis://localhost:6379/0 --topic arn:aws:sns:us-east-1:123456789012:work\n"
        "  watchbot-progress-cpp sweep my-job --dry-run -d sqlite:///var/lib/jobs.db");
    sub->callback([opt, &ctx] { run_sweep(*opt, ctx); });
}

}  // namespace wpcli
