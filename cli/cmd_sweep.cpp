// sweep: sends the reduce of complete jobs whose reduce was lost — claimed by a worker that never
// confirmed sending it (it crashed) at least --older-than ago, or never claimed (given back after a
// failed send and never claimed again) on a job this library created or worked. A complete,
// unclaimed job without that record (written by the Python or Node tool, whose users may send the
// reduce themselves and mark it later) is left alone unless named or --include-other-tools.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "duration.hpp"
#include "output.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/messages.hpp"

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

// Whether the job carries this library's record (a change time): it was created or worked by this
// library, whose Part guard claims the reduce of every job it completes.
bool written_by_this_library(const wp::JobStatus& s) { return s.updated_at_ms.has_value(); }

// A complete job that nobody claimed, without this library's record: another tool's, whose reduce
// its users may have sent themselves (the Node tool's users mark it afterwards) — no proof of a
// lost reduce.
bool unclaimed_job_of_another_tool(const wp::JobStatus& s) {
    return !s.failed && s.complete() && !s.reduce_sent && !written_by_this_library(s);
}

// Why the job's reduce needs sending, or empty when it does not. `named`: the user named the job.
std::string lost_reduce(const wp::JobStatus& s, std::chrono::milliseconds older_than, std::int64_t now, bool named,
                        bool include_other_tools) {
    if (s.failed || !s.complete()) return {};
    if (!s.reduce_sent) {
        if (written_by_this_library(s)) return "complete, reduce never claimed";
        if (named) return "complete, reduce never claimed (written by another tool; sent because it was named)";
        if (include_other_tools) return "complete, reduce never claimed (written by another tool; --include-other-tools)";
        return {};
    }
    if (s.reduce_confirmed || !s.reduce_claimed_at_ms) return {};
    const std::chrono::milliseconds age(now - *s.reduce_claimed_at_ms);
    if (age < older_than) return {};
    return "reduce claimed " + describe_duration(age) + " ago and never confirmed sent";
}

// Finished: failed, or complete with its reduce sent (confirmed, or claimed by a tool that records
// no confirmation), and unchanged for at least `after`.
bool expired(const wp::JobStatus& s, std::chrono::milliseconds after, std::int64_t now) {
    if (!s.updated_at_ms || now - *s.updated_at_ms < after.count()) return false;
    if (s.failed) return true;
    return s.complete() && s.reduce_sent && (s.reduce_confirmed || !s.reduce_claimed_at_ms);
}

void run_sweep(const SweepOptions& opt, Context& ctx) {
    const std::chrono::milliseconds older_than = parse_duration(opt.older_than, "--older-than");
    std::optional<std::chrono::milliseconds> delete_after;
    if (!opt.delete_finished_after.empty()) {
        delete_after = parse_duration(opt.delete_finished_after, "--delete-finished-after");
    }
    const auto backend = ctx.open_backend();
    std::shared_ptr<wp::Notifier> notifier;  // opened before the first claim: a bad topic claims nothing

    std::vector<std::pair<std::string, std::string>> candidates;  // jobid, why
    std::vector<std::string> finished;
    std::vector<std::string> left_alone;  // complete, unclaimed jobs of other tools
    const std::int64_t now = wp::system_time_ms();
    const bool named = !opt.jobids.empty();
    const auto consider = [&](const wp::JobStatus& s) {
        std::string why = lost_reduce(s, older_than, now, named, opt.include_other_tools);
        if (!why.empty()) {
            candidates.emplace_back(s.jobid, std::move(why));
        } else if (unclaimed_job_of_another_tool(s)) {
            left_alone.push_back(s.jobid);
        }
        if (delete_after && expired(s, *delete_after, now)) finished.push_back(s.jobid);
    };
    if (opt.jobids.empty()) {
        backend->list_jobs(consider);
    } else {
        for (const auto& jobid : opt.jobids) consider(backend->status(jobid));  // unknown job: exit 1
    }
    for (const auto& jobid : left_alone) {
        print_message("job '" + jobid +
                      "': complete and its reduce never claimed, but written by another tool (no record of this "
                      "library's guard), whose users may send the reduce themselves: left alone; to send it, name it "
                      "(sweep " + jobid + ") or pass --include-other-tools");
    }

    std::size_t sent = 0;
    for (const auto& [jobid, why] : candidates) {
        if (opt.dry_run) {
            print_line(jobid);
            print_message("job '" + jobid + "': " + why + ": would send its reduce");
            continue;
        }
        if (!notifier) notifier = ctx.open_notifier(opt.topic);
        // The claim decides: a worker or another sweep may have sent it since the listing.
        const wp::JobStatus before = backend->status(jobid);
        const std::optional<wp::ClaimToken> claim =
            before.reduce_sent ? backend->reclaim_reduce(jobid, older_than) : backend->claim_reduce(jobid);
        if (!claim) continue;
        try {
            const wp::JobStatus status = backend->status(jobid);
            notifier->publish(wp::kReduceSubject, wp::reduce_message_body(jobid, status.metadata));
        } catch (...) {
            try {
                backend->release_reduce(jobid, *claim);
            } catch (const std::exception& e) {
                print_message("job '" + jobid + "': could not release the reduce claim: " + e.what());
            }
            throw;
        }
        if (!backend->confirm_reduce(jobid, *claim)) {
            print_message("job '" + jobid +
                          "': its reduce was sent, but the claim was taken over meanwhile: it may be sent twice");
        }
        print_line(jobid);
        print_message("job '" + jobid + "': " + why + ": sent its reduce");
        ++sent;
    }
    if (!opt.dry_run) {
        print_message("sent " + std::to_string(sent) + " lost reduce" + (sent == 1 ? "" : "s") + " (" +
                      std::to_string(candidates.size()) + " found)" +
                      (left_alone.empty() ? std::string()
                                          : "; left alone " + std::to_string(left_alone.size()) +
                                                " complete job" + (left_alone.size() == 1 ? "" : "s") +
                                                " of other tools"));
    }
    if (!delete_after) return;
    std::size_t deleted = 0;
    for (const auto& jobid : finished) {
        if (opt.dry_run) {
            print_message("job '" + jobid + "': finished " + describe_duration(*delete_after) +
                          " ago or more: would delete it");
            continue;
        }
        // Read again: the job may have been overwritten (set-total --overwrite) since the listing.
        try {
            if (!expired(backend->status(jobid), *delete_after, wp::system_time_ms())) continue;
        } catch (const wp::JobDoesNotExist&) {
            continue;
        }
        if (backend->delete_job(jobid)) ++deleted;
    }
    if (!opt.dry_run) {
        print_message("deleted " + std::to_string(deleted) + " finished job" + (deleted == 1 ? "" : "s"));
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
        "reduce message and confirms it. Prints the job ids whose reduce it sent, one per line.\n\n"
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
