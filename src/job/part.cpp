#include "watchbot_progress/part.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "job/alert_sender.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/open_backend.hpp"
#include "watchbot_progress/reduce.hpp"

namespace watchbot_progress {

bool ExceptionMatcher::matches(const std::exception_ptr& error) const {
    for (Predicate predicate : predicates_) {
        if (predicate(error)) return true;
    }
    return false;
}

namespace {

std::string describe_exception(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "an exception not derived from std::exception";
    }
}

}  // namespace

Part::Part(std::string jobid, PartId partid, PartOptions options)
    : jobid_(std::move(jobid)), partid_(partid), options_(std::move(options)) {
    validate_jobid(jobid_);
    if (partid_ < 0) throw InvalidInput("part id " + std::to_string(partid_) + " is negative: part ids start at 0");
    if (const auto& t = options_.failure_tolerance) {
        if (t->max_failed_parts < 0) throw InvalidInput("FailureTolerance::max_failed_parts must not be negative");
        if (t->max_failed_fraction > 1.0) {
            throw InvalidInput("FailureTolerance::max_failed_fraction is a fraction of the parts: at most 1, not " +
                               std::to_string(t->max_failed_fraction));
        }
        if (t->max_receive_count < 1) throw InvalidInput("FailureTolerance::max_receive_count must be at least 1");
        if (t->receive_count < 0) throw InvalidInput("FailureTolerance::receive_count must not be negative");
    }
    if (!options_.backend) options_.backend = default_backend();
    if (!options_.notifier && !options_.on_reduce) options_.notifier = default_notifier();
    if (!options_.alerts) options_.alerts = default_alert_notifier();
}

Part::Part(const MapMessage& message, PartOptions options) : Part(message.jobid, message.partid, std::move(options)) {}

void Part::before() {
    if (options_.fail_job_on.empty()) return;
    std::optional<std::string> reason;
    try {
        reason = options_.backend->failure_reason(jobid_);
    } catch (...) {
        write_metrics(DeliveryOutcome::kError);
        throw;
    }
    if (reason) {
        write_metrics(DeliveryOutcome::kJobAlreadyFailed);
        throw JobFailed(jobid_, reason->empty() ? "no reason recorded" : *reason);
    }
}

void Part::on_success() {
    try {
        const CompletionResult result = options_.backend->complete_part_and_claim_reduce(jobid_, partid_);
        if (result.reduce_claim) {
            send_claimed_reduce(*result.reduce_claim);
        } else if (result.job_complete) {
            settle_complete_job();
        }
    } catch (const ReducePending&) {
        claim_ = ClaimOutcome::kPending;
        write_metrics(DeliveryOutcome::kError);
        throw;
    } catch (...) {
        write_metrics(DeliveryOutcome::kError);
        throw;
    }
    write_metrics(DeliveryOutcome::kCompleted);
}

void Part::write_metrics(DeliveryOutcome outcome) const noexcept {
    if (!delivery_metrics_enabled()) return;  // the common case: no clock read, no allocation
    DeliveryMetrics metrics;
    try {
        metrics.jobid = jobid_;
    } catch (...) {
        return;  // out of memory: no line
    }
    metrics.partid = partid_;
    metrics.outcome = outcome;
    metrics.claim = claim_;
    metrics.duration_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count();
    metrics.timestamp_ms = system_time_ms();
    write_delivery_metrics(metrics);
}

void Part::settle_complete_job() {
    // A few rounds, because the state can move between the read and the conditional write that
    // follows it (another delivery claims, confirms or takes over meanwhile); each round either
    // returns, sends, or reads again. Throwing ReducePending is always safe: the message comes back.
    constexpr int kRounds = 3;
    bool claim_refused = false;
    for (int round = 0; round < kRounds; ++round) {
        const ReduceClaimState state = options_.backend->reduce_claim_state(jobid_);
        claim_ = ClaimOutcome::kAlreadySent;
        if (state.failed) return;                            // a failed job gets no reduce
        if (state.claimed && state.confirmed) return;        // the reduce is out
        if (state.claimed && !state.claimed_at_ms) return;   // another tool's mark: it has sent it
        if (!state.claimed) {
            // A backend that refused the claim and still reads unclaimed does not report its claims
            // (a user's backend whose status() leaves reduce_sent out): it cannot tell a crashed
            // claimer from a finished one either, so the delivery succeeds, as it always did there.
            if (claim_refused) return;
            // Complete and unclaimed: the claimer gave the claim back (its send was refused), or the
            // completion was written by a delivery that died before claiming. Claim it now.
            if (auto claim = options_.backend->claim_reduce(jobid_)) {
                send_claimed_reduce(*claim);
                return;
            }
            claim_refused = true;
            continue;
        }
        // Claimed by another delivery, not confirmed: it is sending, or it died.
        if (options_.reduce_lease.count() < 0) return;  // takeovers left to sweep (PartOptions::reduce_lease)
        if (auto claim = options_.backend->reclaim_reduce(jobid_, options_.reduce_lease)) {
            send_claimed_reduce(*claim, true);
            return;
        }
        const std::int64_t age = system_time_ms() - *state.claimed_at_ms;
        const std::int64_t lease = options_.reduce_lease.count();
        if (age < lease) throw ReducePending(jobid_, lease - age);
        // Older than the lease by this machine's clock, yet not taken over: another delivery took
        // it over (or confirmed it) just now, or the clocks disagree. Read again.
    }
    throw ReducePending(jobid_, 0);
}

void Part::send_claimed_reduce(const ClaimToken& claim, bool taken_over) {
    claim_ = ClaimOutcome::kSendFailed;  // until the send returns
    const SentReduce sent =
        watchbot_progress::send_claimed_reduce(*options_.backend, jobid_, claim,
                                               {options_.notifier, options_.on_reduce, options_.failure_tolerance.has_value()});
    claim_ = taken_over ? ClaimOutcome::kTakenOver : ClaimOutcome::kSent;
    if (sent.confirmation == ReduceConfirmation::kTakenOver) {
        // The lease passed while this guard was sending: another delivery or `sweep` took the claim
        // over and may send the reduce too.
        std::fprintf(stderr,
                     "watchbot-progress: job %s: the reduce was sent, but its claim had been taken over by then "
                     "(sending outlasted PartOptions::reduce_lease): the new holder may send it again; choose a "
                     "longer reduce_lease\n",
                     jobid_.c_str());
    } else if (sent.confirmation == ReduceConfirmation::kUnconfirmed) {
        // The reduce is out; the work succeeded. Only `sweep` (or a delivery after the lease) could
        // send it a second time.
        std::fprintf(stderr,
                     "watchbot-progress: job %s: the reduce was sent but could not be confirmed (%s); it may be sent "
                     "again after the claim's lease\n",
                     jobid_.c_str(), describe_exception(sent.confirm_error).c_str());
    }
}

namespace {

// This delivery's receive count from watchbot's ApproximateReceiveCount variable; 0 when unset.
int receive_count_from_env() {
    const char* value = std::getenv("ApproximateReceiveCount");
    if (value == nullptr || *value == '\0') return 0;
    char* end = nullptr;
    const long n = std::strtol(value, &end, 10);
    if (*end != '\0' || n < 0 || n > 1'000'000) return 0;
    return static_cast<int>(n);
}

}  // namespace

int Part::receive_count() const {
    if (options_.failure_tolerance && options_.failure_tolerance->receive_count > 0) return options_.failure_tolerance->receive_count;
    return receive_count_from_env();
}

void Part::record_failure(const std::exception_ptr& error, std::optional<int> exit_code) noexcept {
    try {
        PartFailure failure;
        failure.partid = partid_;
        failure.exit_code = exit_code;
        failure.attempts = receive_count();
        failure.time_ms = system_time_ms();
        failure.text = describe_exception(error);
        options_.backend->record_part_failure(jobid_, failure);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "watchbot-progress: job %s part %lld: could not record what the failure said: %s\n",
                     jobid_.c_str(), static_cast<long long>(partid_), e.what());
    } catch (...) {
        std::fprintf(stderr, "watchbot-progress: job %s part %lld: could not record what the failure said\n",
                     jobid_.c_str(), static_cast<long long>(partid_));
    }
}

DeliveryOutcome Part::tolerate_failure(const std::exception_ptr& error) {
    const FailureTolerance& tolerance = *options_.failure_tolerance;
    const int receive_count = this->receive_count();
    if (receive_count == 0) {
        std::fprintf(stderr,
                     "watchbot-progress: job %s part %lld: failure tolerance is on but this delivery's receive count "
                     "is unknown (ApproximateReceiveCount unset): the failure is not counted\n",
                     jobid_.c_str(), static_cast<long long>(partid_));
        return DeliveryOutcome::kFailed;
    }
    if (receive_count < tolerance.max_receive_count) return DeliveryOutcome::kFailed;  // watchbot delivers it again

    const std::int64_t failed = options_.backend->record_failed_part(jobid_, partid_);
    const JobStatus status = options_.backend->status(jobid_);
    const std::int64_t limit =
        tolerance.max_failed_fraction >= 0
            ? static_cast<std::int64_t>(std::floor(tolerance.max_failed_fraction * static_cast<double>(status.total)))
            : tolerance.max_failed_parts;
    if (failed > limit) {
        const std::string reason = std::to_string(failed) + " of " + std::to_string(status.total) +
                                   " parts failed for good, more than the " + std::to_string(limit) +
                                   " tolerated; the last: part " + std::to_string(partid_) + ": " +
                                   describe_exception(error);
        options_.backend->fail_job(jobid_, reason);
        raise_alert(AlertState::kFailed, reason);
        return DeliveryOutcome::kJobFailed;
    }
    raise_alert(AlertState::kPartDead, "part " + std::to_string(partid_) + " failed on its last delivery (" +
                                           std::to_string(failed) + " of " + std::to_string(status.total) +
                                           " parts failed for good, " + std::to_string(limit) +
                                           " tolerated): " + describe_exception(error));
    // Tolerated: the part counts as done, so the job can finish.
    const CompletionResult result = options_.backend->complete_part_and_claim_reduce(jobid_, partid_);
    if (result.reduce_claim) send_claimed_reduce(*result.reduce_claim);
    return DeliveryOutcome::kPartDead;
}

void Part::on_failure(const std::exception_ptr& error, std::optional<int> exit_code) noexcept {
    record_failure(error, exit_code);
    if (options_.fail_job_on.empty() || !options_.fail_job_on.matches(error)) {
        DeliveryOutcome outcome = DeliveryOutcome::kFailed;
        if (!options_.failure_tolerance) {
            write_metrics(outcome);
            return;
        }
        try {
            outcome = tolerate_failure(error);
        } catch (const std::exception& e) {
            // The worker's own exception is what propagates; the message's next delivery (if any)
            // or `sweep` picks up from here.
            std::fprintf(stderr, "watchbot-progress: job %s part %lld: could not record the part's failure: %s\n",
                         jobid_.c_str(), static_cast<long long>(partid_), e.what());
        } catch (...) {
            std::fprintf(stderr, "watchbot-progress: job %s part %lld: could not record the part's failure\n",
                         jobid_.c_str(), static_cast<long long>(partid_));
        }
        write_metrics(outcome);
        return;
    }
    const std::string reason = "part " + std::to_string(partid_) + " failed: " + describe_exception(error);
    try {
        options_.backend->fail_job(jobid_, reason);
    } catch (const std::exception& e) {
        // The worker's own exception is what propagates; the job stays unfailed, so the message's
        // redelivery will try again.
        std::fprintf(stderr, "watchbot-progress: job %s: could not mark the job failed (%s): %s\n", jobid_.c_str(),
                     reason.c_str(), e.what());
        write_metrics(DeliveryOutcome::kFailed);
        return;
    }
    raise_alert(AlertState::kFailed, reason);
    write_metrics(DeliveryOutcome::kJobFailed);
}

void Part::raise_alert(AlertState state, const std::string& reason) noexcept {
    const bool hook = state == AlertState::kFailed && options_.on_failed;
    if (!options_.alerts && !hook) return;  // nowhere to send: no request
    try {
        detail::send_alert_once(*options_.backend, options_.alerts.get(), jobid_, state, reason, system_time_ms(),
                                hook ? options_.on_failed : std::function<void(const Alert&)>());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "watchbot-progress: job %s: could not send the %s alert: %s\n", jobid_.c_str(),
                     to_string(state).c_str(), e.what());
    } catch (...) {
        std::fprintf(stderr, "watchbot-progress: job %s: could not send the %s alert\n", jobid_.c_str(),
                     to_string(state).c_str());
    }
}

}  // namespace watchbot_progress
