#include "watchbot_progress/command_part.hpp"

#include <algorithm>
#include <chrono>
#include <exception>

#include "job/signal_forwarding.hpp"
#include "watchbot_progress/delivery_metrics.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/open_backend.hpp"

namespace watchbot_progress {

namespace {

// What the command's failure is to the Part guard: the exception it hands to Part::fail().
// CommandFailsJob matches fail_job_on; CommandFailed does not (failure tolerance may count it).
class CommandFailed : public Error {
public:
    using Error::Error;
};
class CommandFailsJob : public Error {
public:
    using Error::Error;
};

std::string describe_failure(const CommandResult& r) {
    std::string text;
    if (!r.start_error.empty()) {
        text = r.start_error + " (exit " + std::to_string(r.exit_code) + ")";
    } else if (r.signal != 0) {
        text = "the command was killed by signal " + std::to_string(r.signal) + " (exit " +
               std::to_string(r.exit_code) + ")";
    } else {
        text = "the command exited with code " + std::to_string(r.exit_code);
    }
    if (!r.stderr_tail.empty()) text += "; the end of its stderr:\n" + r.stderr_tail;
    return text;
}

// The metrics line of a delivery that ended before the Part guard's steps (which write their own).
void write_metrics(const MapMessage& message, DeliveryOutcome outcome, std::chrono::steady_clock::time_point started) {
    if (!delivery_metrics_enabled()) return;
    DeliveryMetrics metrics;
    metrics.jobid = message.jobid;
    metrics.partid = message.partid;
    metrics.outcome = outcome;
    metrics.duration_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    metrics.timestamp_ms = system_time_ms();
    write_delivery_metrics(metrics);
}

}  // namespace

CommandPartResult run_part_command(const MapMessage& message, const std::vector<std::string>& argv,
                                   CommandPartOptions options) {
    for (const int code : options.fail_job_on_exit) {
        if (code < 1 || code > 255) {
            throw InvalidInput("exit code " + std::to_string(code) +
                               " cannot fail a job: give exit codes from 1 to 255 (0 is success)");
        }
    }
    if (argv.empty()) throw InvalidInput("no command given: name the program to run and its arguments");
    const auto started = std::chrono::steady_clock::now();  // the delivery's PartDuration counts from here
    const bool may_fail_job = !options.fail_job_on_exit.empty() || options.part.failure_tolerance.has_value();
    options.part.fail_job_on = may_fail_job ? fail_on<CommandFailsJob>() : ExceptionMatcher{};
    if (!options.part.backend) options.part.backend = default_backend();
    const std::shared_ptr<Backend> backend = options.part.backend;

    // From here to the return, a stop signal does not stop this process: while the command runs it
    // is forwarded to it (one received before it started, as soon as it starts); once the command
    // has exited it waits until the outcome is recorded (the part completed, the reduce claimed,
    // sent and confirmed; the job failed), so that an ECS stop cannot cut those steps in two.
    // Before the command runs: the job exists (else JobDoesNotExist), the part is within it (else
    // InvalidInput) and whether the job failed, so a message for no part, or for a failed job's
    // part, does no work. One read (Backend::check_part), which also tells a DynamoDB backend the
    // job's layout, so that the completion after the command is its one write; none when the
    // host checked the job less than the facts cache's interval ago (check_part_cached). A stop
    // signal during the read is forwarded to the command as it starts.
    detail::SignalDeferral deferral;
    const std::optional<std::string> failed =
        check_part_cached(*backend, options.facts_cache.get(), message.jobid, message.partid);
    CommandPartResult result;
    Part part(message, std::move(options.part));
    part.started_at(started);
    // What part.begin() does, from the read above: begin() would read the job's failure again.
    if (failed && may_fail_job) {
        result.outcome = CommandPartResult::Outcome::kJobAlreadyFailed;
        result.failure_reason = failed->empty() ? "no reason recorded" : *failed;
        write_metrics(message, DeliveryOutcome::kJobAlreadyFailed, started);
        return result;
    }

    CommandOptions run;
    run.argv = argv;
    run.environment = {{"WATCHBOT_PROGRESS_JOBID", message.jobid},
                       {"WATCHBOT_PROGRESS_PARTID", std::to_string(message.partid)}};
    run.input = message.body.dump() + "\n";
    // Kept for every failure's record (Backend::record_part_failure), and for a failed job's reason.
    run.stderr_tail_bytes = options.stderr_tail_bytes;
    result.command = run_command(run);
    const CommandResult& r = result.command;
    const int received_while_running = deferral.received();
    const auto deferred = [&] {
        return deferral.received() != received_while_running ? deferral.last_signal() : 0;
    };

    if (r.succeeded()) {
        // The check above is the read before the command; the job may have gone since (deleted, or
        // replaced by a job without this part, which cached facts cannot tell).
        try {
            part.succeed();
        } catch (const JobDoesNotExist& e) {
            result.outcome = CommandPartResult::Outcome::kJobGone;
            result.job_gone_reason = e.what();
        } catch (const InvalidInput& e) {
            result.outcome = CommandPartResult::Outcome::kJobGone;
            result.job_gone_reason = e.what();
        }
        if (result.outcome == CommandPartResult::Outcome::kJobGone) {
            result.deferred_signal = deferred();
            return result;
        }
        result.outcome = CommandPartResult::Outcome::kCompleted;
        result.deferred_signal = deferred();
        return result;
    }
    if (r.forwarded_signal != 0) {
        // Stopped from outside (ECS stops the task): not the part's failure.
        result.outcome = CommandPartResult::Outcome::kInterrupted;
        result.deferred_signal = deferred();
        write_metrics(message, DeliveryOutcome::kInterrupted, started);
        return result;
    }
    const bool fails_job = r.start_error.empty() && r.signal == 0 &&
                           std::find(options.fail_job_on_exit.begin(), options.fail_job_on_exit.end(),
                                     r.exit_code) != options.fail_job_on_exit.end();
    if (!fails_job) {
        part.fail(std::make_exception_ptr(CommandFailed(describe_failure(r))), r.exit_code);
        result.outcome = CommandPartResult::Outcome::kCommandFailed;
        result.deferred_signal = deferred();
        return result;
    }
    part.fail(std::make_exception_ptr(CommandFailsJob(describe_failure(r))), r.exit_code);
    // Part::fail() never throws: when marking the job failed did not work it said so on stderr and
    // left the job as it was. Only a job that reads failed lets the message go.
    bool recorded = false;
    try {
        recorded = backend->failure_reason(message.jobid).has_value();
    } catch (const std::exception&) {
        recorded = false;
    }
    // The host's later deliveries of the job read it again rather than trust facts kept before.
    if (recorded && options.facts_cache) {
        options.facts_cache->record_failure(backend->describe(), message.jobid, describe_failure(r));
    }
    result.outcome = recorded ? CommandPartResult::Outcome::kJobFailed
                              : CommandPartResult::Outcome::kJobFailedUnrecorded;
    result.deferred_signal = deferred();
    return result;
}

}  // namespace watchbot_progress
