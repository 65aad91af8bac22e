#pragma once
// The Part guard: the map worker's call.
//
//   wp::Part part(jobid, partid, {.backend = backend, .fail_job_on = wp::fail_on<FatalInput>()});
//   part.run([&] { process(); });
//
// run(fn): when fail_job_on is non-empty, first throws JobFailed if the job already failed (fn does
// not run; one small read, Backend::failure_reason). Then runs fn. If fn returns, the part is marked complete; the worker that completes the
// last part and wins the reduce claim sends the one "reduce" message (or calls on_reduce). If fn
// throws, the exception is re-thrown unchanged (same object, same type); first its what() text, the
// delivery's receive count and the time are recorded for the part (Backend::record_part_failure:
// what `info --parts failed` shows), and when its type matches fail_job_on, the job is marked
// failed with a reason naming the part and the what() text.
// If sending the reduce fails for certain (a refusal), the claim is released so a redelivery of the
// message sends it; when the send's outcome is unknown (a timeout, a 5xx) the claim is kept; the
// error propagates either way (watchbot then retries the message). Once sent, the reduce is
// confirmed in the backend. A delivery that finds the job complete but another delivery's claim
// unconfirmed never reports success: it throws ReducePending (retryable) while the claim is younger
// than reduce_lease, and takes the claim over and sends the reduce once it is older, so that a
// worker killed between its claim and its confirmation never loses the reduce (docs/reliability.md).
// Each delivery's outcome is written as one metrics line on stdout when WATCHBOT_PROGRESS_METRICS is
// `emf` (delivery_metrics.hpp): by the step that ends the delivery (begin() throwing JobFailed,
// succeed(), fail()).

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "watchbot_progress/alerts.hpp"
#include "watchbot_progress/backend.hpp"
#include "watchbot_progress/delivery_metrics.hpp"
#include "watchbot_progress/export.hpp"
#include "watchbot_progress/messages.hpp"
#include "watchbot_progress/notifier.hpp"

namespace watchbot_progress {

// A set of exception types; matches an exception that is one of them or derives from one.
class WATCHBOT_PROGRESS_EXPORT ExceptionMatcher {
public:
    using Predicate = bool (*)(const std::exception_ptr&);

    ExceptionMatcher() = default;
    explicit ExceptionMatcher(std::vector<Predicate> predicates) : predicates_(std::move(predicates)) {}

    bool empty() const noexcept { return predicates_.empty(); }
    bool matches(const std::exception_ptr& error) const;

private:
    std::vector<Predicate> predicates_;
};

namespace detail {
template <class T>
bool exception_is(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const T&) {
        return true;
    } catch (...) {
        return false;
    }
}
}  // namespace detail

// fail_on<FatalInput, std::bad_alloc>(): the exception types that fail the whole job.
template <class... Types>
ExceptionMatcher fail_on() {
    return ExceptionMatcher(std::vector<ExceptionMatcher::Predicate>{&detail::exception_is<Types>...});
}

// Failure tolerance: a job fails only when too many of its parts failed for good. A part fails for
// good when its function throws on the message's last allowed delivery (its receive count reached
// the queue's dead-letter threshold); the guard then records it (Backend::record_failed_part,
// listed by `watchbot-progress-cpp failed JOBID`) and either fails the job, when more parts failed
// than tolerated, or counts the part as done so the job can still finish and send its reduce. The
// exception still propagates (the message goes to the dead-letter queue). fail_job_on is checked
// first: a matching exception fails the job at once.
struct FailureTolerance {
    // Fail the job once more than this many parts failed for good (0: the first one fails it).
    std::int64_t max_failed_parts = 0;
    // When in [0, 1]: fail the job once more than this fraction of its parts failed for good
    // (instead of max_failed_parts). Negative: not used.
    double max_failed_fraction = -1.0;
    // The queue's dead-letter threshold (maxReceiveCount; watchbot's default is 10).
    int max_receive_count = 10;
    // This delivery's receive count (SQS ApproximateReceiveCount). 0: read it from the
    // ApproximateReceiveCount environment variable, which watchbot and `watchbot-progress-cpp run`
    // set; when that is missing no part is ever counted as failed for good.
    int receive_count = 0;
};

struct PartOptions {
    // Null: default_backend() (the `ProgressTable` env var).
    std::shared_ptr<Backend> backend;
    // Where the reduce message goes. Null: default_notifier() (the `WorkTopic` env var), unless
    // on_reduce is set.
    std::shared_ptr<Notifier> notifier;
    // Exception types that mark the whole job failed.
    ExceptionMatcher fail_job_on;
    // Called instead of publishing the reduce message, once per job: (jobid, job metadata).
    std::function<void(const std::string&, const nlohmann::json&)> on_reduce;
    // How long a worker's reduce claim stands unconfirmed before a later delivery of any of the
    // job's parts takes it over and sends the reduce (Backend::reclaim_reduce): the claimer died
    // between claiming and confirming. Until then a delivery that finds the job complete and the
    // claim unconfirmed throws ReducePending, so that the queue delivers its message again.
    // Two bounds (docs/reliability.md): longer than sending the reduce can take, retries included (a
    // shorter lease risks a second reduce from a slow but live claimer), and shorter than the gaps
    // of watchbot's retries before the dead-letter queue (2, 4, ... 512 s over 10 attempts), so that
    // some delivery comes after the lease. The default, 3 minutes, is taken over by the 8th attempt
    // at the latest, when the claim was made on the 1st. Negative: never take a claim over and
    // never throw ReducePending (the old behaviour: only `watchbot-progress-cpp sweep` recovers).
    std::chrono::milliseconds reduce_lease = std::chrono::minutes(3);
    // Tolerate parts that fail for good (see FailureTolerance). Empty: any part that never
    // succeeds leaves the job incomplete (the behaviour of the Python and Node tools).
    std::optional<FailureTolerance> failure_tolerance;
    // Where alerts go (alerts.hpp): the guard sends `failed` when it marks the job failed (fail_job_on,
    // or failure tolerance exceeded) and `part-dead` when a part fails for good and is tolerated, each
    // at most once per job (Backend::claim_alert). Null: default_alert_notifier() (the `AlertTopic`
    // env var), and when that is unset no alerts and no extra request. Sending an alert never changes
    // the guard's outcome: an alert that cannot be sent is reported on stderr (and its mark given back
    // when nothing went out, so that `monitor` sends it later).
    std::shared_ptr<Notifier> alerts;
    // Called with the `failed` alert when this guard marked the job failed and won the job's
    // `failed` mark (so once per job, whatever the number of workers; like Celery's link_error),
    // before the alert is published to `alerts` (if set). Setting it alone takes the mark too: the
    // hook then stands for the job's `failed` alert, and `monitor` does not send it again. What it
    // throws is reported on stderr and changes nothing.
    std::function<void(const Alert&)> on_failed;
};

class WATCHBOT_PROGRESS_EXPORT Part {
public:
    // Throws InvalidInput for an invalid job id or a negative part id, ConfigError when a default
    // backend or notifier is needed and its env var is missing.
    Part(std::string jobid, PartId partid, PartOptions options = {});
    // From a received map message.
    Part(const MapMessage& message, PartOptions options = {});

    const std::string& jobid() const noexcept { return jobid_; }
    PartId partid() const noexcept { return partid_; }

    // Runs fn inside the guard and returns what fn returns.
    template <class Fn>
    decltype(auto) run(Fn&& fn) {
        before();
        if constexpr (std::is_void_v<std::invoke_result_t<Fn>>) {
            try {
                std::forward<Fn>(fn)();
            } catch (...) {
                on_failure(std::current_exception(), std::nullopt);
                throw;
            }
            on_success();
        } else {
            std::invoke_result_t<Fn> result = [&]() -> std::invoke_result_t<Fn> {
                try {
                    return std::forward<Fn>(fn)();
                } catch (...) {
                    on_failure(std::current_exception(), std::nullopt);
                    throw;
                }
            }();
            on_success();
            return result;
        }
    }

    // The guard's steps, for callers that cannot hand their block to run() as a function (the
    // Python binding's `with Part(...):` block). run(fn) is exactly: begin(); fn(); then succeed()
    // when fn returned, or fail(std::current_exception()) and the rethrow when fn threw. Each step
    // has the contract of that part of run(): begin() throws JobFailed when fail_job_on is set and
    // the job failed (or the backend's error); succeed() completes the part and, when this call wins
    // the reduce, sends it (throws the backend's or notifier's error, the claim released); fail()
    // fails the job when `error` matches fail_job_on (or records it under failure_tolerance) and
    // never throws. Call begin() once, then exactly one of succeed() and fail(). `exit_code`: the
    // exit code of the command that worked the part, for the failure's record (run_part_command).
    void begin() { before(); }
    void succeed() { on_success(); }
    void fail(const std::exception_ptr& error, std::optional<int> exit_code = std::nullopt) noexcept {
        on_failure(error, exit_code);
    }

    // When the delivery started, for its metrics line's PartDuration (delivery_metrics.hpp): by
    // default when this Part was made. For callers whose delivery spans several Part objects (the
    // Python binding makes one per step) or began before the Part (a worker's own checks).
    void started_at(std::chrono::steady_clock::time_point start) noexcept { started_ = start; }

private:
    void before();
    void on_success();
    void on_failure(const std::exception_ptr& error, std::optional<int> exit_code) noexcept;
    // Keeps what the failure said (Backend::record_part_failure): the exception's what(), the
    // delivery's receive count, the time, `exit_code`. Never throws: a failure to record is said on
    // stderr and changes nothing else.
    void record_failure(const std::exception_ptr& error, std::optional<int> exit_code) noexcept;
    // This delivery's receive count: FailureTolerance::receive_count when set, else the
    // ApproximateReceiveCount environment variable; 0 when unknown.
    int receive_count() const;
    // Returns kPartDead (tolerated) or kJobFailed (the job failed now), or kFailed (not the last delivery).
    DeliveryOutcome tolerate_failure(const std::exception_ptr& error);
    // This delivery completed its part and found the job complete without winning the claim:
    // returns when the reduce is out (claim confirmed, or marked by another tool) or the job failed;
    // claims or takes over the claim and sends the reduce when it may; else throws ReducePending
    // (another delivery's unconfirmed claim is younger than reduce_lease).
    void settle_complete_job();
    // Sends the reduce this guard claimed (holding `claim`; `taken_over`: by reclaim_reduce) and
    // confirms it; on a failed send releases the claim and rethrows.
    void send_claimed_reduce(const ClaimToken& claim, bool taken_over = false);
    // Sends the alert of `state` (claim, then on_failed for kFailed, then publish), when there is
    // somewhere to send it. Never throws: what fails is reported on stderr.
    void raise_alert(AlertState state, const std::string& reason) noexcept;
    // The delivery's metrics line (write_delivery_metrics), with `outcome` and claim_. Never throws.
    void write_metrics(DeliveryOutcome outcome) const noexcept;

    std::string jobid_;
    PartId partid_;
    PartOptions options_;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    ClaimOutcome claim_ = ClaimOutcome::kNone;  // what this delivery did about the reduce, so far
};

// The function form of the guard: Part(jobid, partid, options).run(fn).
template <class Fn>
decltype(auto) with_part(std::string jobid, PartId partid, PartOptions options, Fn&& fn) {
    Part part(std::move(jobid), partid, std::move(options));
    return part.run(std::forward<Fn>(fn));
}

}  // namespace watchbot_progress
