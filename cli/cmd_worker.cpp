// worker [options] -- CMD [ARGS...]: the container command of a reduce-mode watchbot service, for
// workers in any language. One process per message, with watchbot's environment (Subject, Message,
// ApproximateReceiveCount, ...). A `map` message's part is worked by CMD inside the Part guard (the
// library's run_part_command, watchbot_progress/command_part.hpp); any other subject runs CMD as it
// is. This file reads the options and turns outcomes into exit codes; the exit codes watchbot
// reads (0 done, 3 reject: delete, 4 no-op: return, other: retry) decide what happens to the
// message, so errors of the database or topic become kExitWorkerRetry here rather than main()'s 3
// and 4, and no map delivery ends with 3 unless the job is recorded failed: a command's own 3 fails
// the job (it is always one of the fail-job codes), and a 3 from a command stopped by a forwarded
// signal becomes kExitWorkerRetry.
#include <signal.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "duration.hpp"
#include "exit_codes.hpp"
#include "output.hpp"
#include "watchbot_progress/command.hpp"
#include "watchbot_progress/command_part.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/job_facts_cache.hpp"
#include "watchbot_progress/messages.hpp"

namespace wp = watchbot_progress;

namespace wpcli {

namespace {

struct WorkerOptions {
    std::string topic;
    std::string alert_topic;        // empty: AlertTopic (unset: no alerts)
    std::string fail_job_on_exit;   // comma-separated exit codes; empty: none
    std::string failure_tolerance;  // empty: none
    int max_receive_count = 10;
    std::string reduce_lease = "3m";
    std::string check_interval;  // empty: WATCHBOT_PROGRESS_CHECK_INTERVAL, else the cache's default
    std::vector<std::string> command;
};

// The variable's value; nullptr when it is unset.
const char* env_value(const char* name) { return std::getenv(name); }

// --fail-job-on-exit: exit codes 1 to 255, comma-separated ("3,4"); empty: none. Throws InvalidInput
// naming the option and the bad code. (One string rather than CLI11's list option, which would take
// the `--` that ends worker's options as a value when the option comes right before it.)
std::vector<int> parse_exit_codes(const std::string& text) {
    std::vector<int> codes;
    std::size_t start = 0;
    while (start <= text.size() && !text.empty()) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        const std::string item = text.substr(start, comma - start);
        int code = 0;
        const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), code);
        if (item.empty() || ec != std::errc() || end != item.data() + item.size() || code < 1 || code > 255) {
            throw wp::InvalidInput("--fail-job-on-exit '" + text.substr(0, 60) + "': '" + item.substr(0, 20) +
                                   "' is not an exit code from 1 to 255 (expected e.g. 3 or 3,4)");
        }
        codes.push_back(code);
        start = comma + 1;
    }
    return codes;
}

// --failure-tolerance: a number of parts (3) or a fraction of them (0.05 or 5%).
wp::FailureTolerance parse_failure_tolerance(const std::string& text, int max_receive_count) {
    wp::FailureTolerance tolerance;
    tolerance.max_receive_count = max_receive_count;
    const auto bad = [&] {
        return wp::InvalidInput("--failure-tolerance '" + text +
                                "' is not a number of parts (e.g. 3) or a fraction of them (0.05 or 5%)");
    };
    if (text.empty()) throw bad();
    std::size_t used = 0;
    try {
        if (text.back() == '%') {
            const double percent = std::stod(text.substr(0, text.size() - 1), &used);
            if (used != text.size() - 1 || percent < 0 || percent > 100) throw bad();
            tolerance.max_failed_fraction = percent / 100.0;
        } else if (text.find_first_of(".eE") != std::string::npos) {
            const double fraction = std::stod(text, &used);
            if (used != text.size() || fraction < 0 || fraction > 1) throw bad();
            tolerance.max_failed_fraction = fraction;
        } else {
            const long long parts = std::stoll(text, &used);
            if (used != text.size() || parts < 0) throw bad();
            tolerance.max_failed_parts = parts;
        }
    } catch (const std::logic_error&) {  // stod/stoll: not a number, out of range
        throw bad();
    }
    return tolerance;
}

// A library error while working the part, as the exit code that makes watchbot retry the message.
[[noreturn]] void retry_later(const std::exception& e) { throw ExitError(kExitWorkerRetry, e.what()); }

std::string signal_name(int signal) {
    switch (signal) {
        case SIGTERM: return "SIGTERM";
        case SIGINT: return "SIGINT";
        case SIGHUP: return "SIGHUP";
        case SIGQUIT: return "SIGQUIT";
        case SIGUSR1: return "SIGUSR1";
        case SIGUSR2: return "SIGUSR2";
        default: return "signal " + std::to_string(signal);
    }
}

void run_map(const WorkerOptions& opt, Context& ctx) {
    const char* body = env_value("Message");
    if (body == nullptr) {
        throw ExitError(kExitUsage, "Subject is map but Message is not set: run worker as watchbot's container command");
    }
    wp::MapMessage message;
    try {
        message = wp::parse_map_message(body);
    } catch (const wp::InvalidInput& e) {
        throw ExitError(kExitUsage, std::string("the Message environment variable: ") + e.what() +
                                        " (the message was left alone; nothing was written)");
    }
    wp::CommandPartOptions options;
    options.fail_job_on_exit = parse_exit_codes(opt.fail_job_on_exit);
    // A command's 3 asks watchbot to reject (delete) the message: the part would never complete, so
    // the job fails, as if 3 were listed.
    const bool reject_listed = std::find(options.fail_job_on_exit.begin(), options.fail_job_on_exit.end(),
                                         kExitWorkerReject) != options.fail_job_on_exit.end();
    if (!reject_listed) options.fail_job_on_exit.push_back(kExitWorkerReject);
    options.part.reduce_lease = parse_duration(opt.reduce_lease, "--reduce-lease");
    if (!opt.failure_tolerance.empty()) {
        options.part.failure_tolerance = parse_failure_tolerance(opt.failure_tolerance, opt.max_receive_count);
    }
    // The check before the command, shared by the host's worker processes (job_facts_cache.hpp).
    wp::JobFactsCacheOptions cache_options;
    try {
        cache_options = wp::job_facts_cache_options_from_env();
    } catch (const wp::ConfigError& e) {
        throw ExitError(kExitUsage, e.what());
    }
    if (!opt.check_interval.empty()) cache_options.interval = wp::parse_check_interval(opt.check_interval, "--check-interval");
    options.facts_cache = std::make_shared<wp::JobFactsCache>(std::move(cache_options));
    const std::string part_name = "job '" + message.jobid + "' part " + std::to_string(message.partid);
    const auto why_fails = [&](int code) -> std::string {
        if (code == kExitWorkerReject && !reject_listed) return "watchbot's reject: a rejected part fails the job";
        return "--fail-job-on-exit";
    };

    wp::CommandPartResult result;
    try {
        try {
            options.part.backend = ctx.open_backend();
        } catch (const ExitError& e) {
            // A sqlite:// file that does not exist: a configuration to fix, not a job to give up on. The
            // message is retried (and dead-lettered by watchbot in the end), never deleted.
            throw ExitError(kExitWorkerRetry, std::string(e.what()) + "; the message is retried");
        }
        options.part.notifier = ctx.open_notifier(opt.topic);
        // --alert-topic, else the guard reads AlertTopic (unset: no alerts).
        if (!opt.alert_topic.empty()) options.part.alerts = ctx.open_notifier(opt.alert_topic);
        result = wp::run_part_command(message, opt.command, std::move(options));
    } catch (const wp::JobDoesNotExist&) {
        throw ExitError(kExitWorkerReject, part_name + ": the job does not exist (deleted?) in " +
                                               ctx.backend_description + ": the message is rejected (the command did not run)");
    } catch (const wp::InvalidInput& e) {
        throw ExitError(kExitUsage, part_name + ": " + e.what() + " (the command did not run; nothing was written)");
    } catch (const wp::ReducePending&) {
        throw ExitError(kExitWorkerRetry,
                        part_name + ": the job is complete but another delivery's reduce claim is unconfirmed and "
                                    "younger than --reduce-lease: the message is retried, so that a delivery after "
                                    "the lease sends the reduce should that claimer have died");
    } catch (const wp::BackendError& e) {
        retry_later(e);
    } catch (const wp::ConfigError& e) {
        retry_later(e);
    }

    using Outcome = wp::CommandPartResult::Outcome;
    const wp::CommandResult& command = result.command;
    if (!command.start_error.empty()) print_error(command.start_error);
    if (result.deferred_signal != 0) {
        print_message(part_name + ": received " + signal_name(result.deferred_signal) +
                      " after the command exited: recorded the part's outcome first");
    }
    switch (result.outcome) {
        case Outcome::kCompleted:
            ctx.exit_code = kExitOk;
            return;
        case Outcome::kJobAlreadyFailed:
            throw ExitError(kExitWorkerReject, part_name + " not run: the job failed (" + result.failure_reason +
                                                   "); the message is rejected");
        case Outcome::kJobGone:
            throw ExitError(kExitWorkerReject, part_name + ": the command exited 0, but the job was deleted or replaced by a "
                                                   "job without this part while it ran (" + result.job_gone_reason +
                                                   "): the part is complete in no job; the message is rejected");
        case Outcome::kJobFailed:
            throw ExitError(kExitWorkerReject, part_name + ": the command exited with code " +
                                                   std::to_string(command.exit_code) + " (" + why_fails(command.exit_code) +
                                                   "): the job is marked failed");
        case Outcome::kJobFailedUnrecorded:
            throw ExitError(kExitWorkerRetry, part_name + ": the command exited with code " +
                                                  std::to_string(command.exit_code) + " (" +
                                                  why_fails(command.exit_code) +
                                                  ") but the job could not be marked failed: retry the message");
        case Outcome::kCommandFailed:
            // The command's own code (never 3: it fails the job; 128+N for signal N): watchbot retries
            // the message (4: returns it without counting a failure).
            ctx.exit_code = command.exit_code;
            return;
        case Outcome::kInterrupted:
            // Stopped by a forwarded signal: nothing recorded, so the message must come back. A 3
            // (reject) would delete it, and a 0 here is impossible (a 0 completes the part).
            if (command.exit_code == kExitWorkerReject) {
                throw ExitError(kExitWorkerRetry, part_name + ": the command exited with code 3 after a " +
                                                      signal_name(command.forwarded_signal) +
                                                      " it was sent: nothing was recorded and the message is retried");
            }
            ctx.exit_code = command.exit_code;
            return;
    }
}

void run_other(const WorkerOptions& opt, Context& ctx) {
    wp::CommandOptions run;
    run.argv = opt.command;
    const wp::CommandResult result = wp::run_command(run);
    if (!result.start_error.empty()) print_error(result.start_error);
    ctx.exit_code = result.exit_code;
}

void run_worker(const WorkerOptions& opt, Context& ctx) {
    const char* subject = env_value("Subject");
    if (subject == nullptr) {
        throw ExitError(kExitUsage,
                        "the Subject environment variable is not set: run worker as watchbot's container command "
                        "(watchbot sets Subject and Message), or under `watchbot-progress-cpp run`");
    }
    if (std::string(subject) == wp::kMapSubject) {
        run_map(opt, ctx);
    } else {
        run_other(opt, ctx);
    }
}

}  // namespace

void setup_worker(CLI::App& app, Context& ctx) {
    auto opt = std::make_shared<WorkerOptions>();
    auto* sub = app.add_subcommand(
        "worker", "Run a watchbot worker command for one message, inside the Part guard for map messages");
    add_database_option(*sub, ctx);
    sub->add_option("--topic", opt->topic,
                    "Where the job's reduce message goes: an SNS topic ARN, sqlite:///path/queue.db or memory://. "
                    "Default: the WorkTopic environment variable")
        ->type_name("URI");
    sub->add_option("--alert-topic", opt->alert_topic,
                    "Where alerts go (the job failed, a part failed for good): an SNS topic ARN or "
                    "sqlite:///path/alerts.db, never the work topic. Default: the AlertTopic environment variable; "
                    "unset: no alerts")
        ->type_name("URI");
    sub->add_option("--fail-job-on-exit", opt->fail_job_on_exit,
                    "The command's exit codes that fail the whole job, comma-separated (e.g. 3,4), each 1 to 255; 3 "
                    "(watchbot's reject) always does")
        ->type_name("CODES")
        ->check(CLI::Validator(
            [](std::string& text) -> std::string {
                try {
                    parse_exit_codes(text);
                } catch (const wp::InvalidInput& e) {
                    return e.what();
                }
                return {};
            },
            ""));
    sub->add_option("--failure-tolerance", opt->failure_tolerance,
                    "Record parts that fail on their last delivery (ApproximateReceiveCount reaching "
                    "--max-receive-count) and fail the job only when more than this many did: a number of parts "
                    "(3) or a fraction of them (0.05 or 5%). Default: a part that never succeeds leaves the job "
                    "incomplete")
        ->type_name("N|FRACTION");
    sub->add_option("--max-receive-count", opt->max_receive_count,
                    "The queue's dead-letter threshold (watchbot's maxReceiveCount), for --failure-tolerance")
        ->check(CLI::Range(1, 1000).description(""))
        ->capture_default_str();
    sub->add_option("--reduce-lease", opt->reduce_lease,
                    "How long a reduce claim may stay unconfirmed before a delivery of the job's parts takes it "
                    "over (a worker crashed after claiming)")
        ->type_name("DURATION")
        ->capture_default_str();
    sub->add_option("--check-interval", opt->check_interval,
                    "How long the check of a job before the command (the job exists, the part is one of its parts, "
                    "the job has not failed) holds for the host's later deliveries of the job: they skip its read "
                    "(one request per delivery on DynamoDB). A failure recorded on another host is seen at most this "
                    "long after; one recorded on this host at once. 0: every delivery reads. Units ms, s, m, h. "
                    "Default: WATCHBOT_PROGRESS_CHECK_INTERVAL, else 5s; the cache lives in "
                    "WATCHBOT_PROGRESS_CACHE_DIR, else $TMPDIR/watchbot-progress-UID")
        ->type_name("DURATION")
        ->check(CLI::Validator(
            [](std::string& text) -> std::string {
                try {
                    wp::parse_check_interval(text, "--check-interval");
                } catch (const wp::InvalidInput& e) {
                    return e.what();
                }
                return {};
            },
            ""));
    sub->add_option("command", opt->command, "The worker command and its arguments, after --")->required()->expected(-1);
    sub->footer(
        "Subject=map: the map message in Message is parsed (a malformed one: exit 2, nothing written) and the\n"
        "command runs with WATCHBOT_PROGRESS_JOBID and WATCHBOT_PROGRESS_PARTID added to its environment and\n"
        "the message's JSON on its stdin. Exit 0 completes the part; the delivery that completes the job\n"
        "sends its one reduce message. An exit code of --fail-job-on-exit fails the job (the reason quotes\n"
        "the end of the command's stderr) and later deliveries of its parts exit 3 without running the\n"
        "command. Exit 3 (watchbot's reject) always does so: a deleted message would leave its part pending\n"
        "for good. Other codes are passed through: watchbot retries the message (4: returns it, no failure\n"
        "counted); under --failure-tolerance the last delivery's failure is counted.\n"
        "Alerts (--alert-topic or AlertTopic): the delivery that fails the job sends one `failed` alert, and\n"
        "under --failure-tolerance the first part that fails for good one `part-dead` alert, each at most once\n"
        "per job; an alert that cannot be sent is reported on stderr and never changes the exit code.\n"
        "Any other subject: the command runs as it is and its exit code is passed through.\n"
        "SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are forwarded to the command; a command killed\n"
        "by signal N exits 128+N and records nothing. A signal that arrives after the command exited waits\n"
        "until the part's outcome is recorded (the part completed, the reduce sent and confirmed).\n\n"
        "Exit codes of a map message:\n"
        "  0        the part is complete (and the reduce sent, when this delivery completed the job)\n"
        "  2        a malformed message or bad options; nothing was written\n"
        "  3        the job is failed (the command exited 3 or a --fail-job-on-exit code, or it had failed\n"
        "           before) or does not exist (also when it was deleted, or replaced by a job without\n"
        "           this part, while the command ran): watchbot deletes the message\n"
        "  9        retry: the database or topic failed, the job's reduce waits on another delivery's\n"
        "           unconfirmed claim, or a command stopped by a forwarded signal exited 3\n"
        "  126/127  the command cannot be executed / was not found\n"
        "  128+N    the command was killed by signal N\n"
        "  other    the command's own code: watchbot retries the message (4: returns it)\n\n"
        "Example (the container command of a watchbot service; ProgressTable and WorkTopic set):\n"
        "  watchbot-progress-cpp worker --fail-job-on-exit 3,4 -- python3 process.py");
    sub->callback([opt, &ctx] { run_worker(*opt, ctx); });
}

}  // namespace wpcli
