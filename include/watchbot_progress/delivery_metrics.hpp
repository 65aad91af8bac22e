#pragma once
// Delivery metrics: one CloudWatch Embedded Metric Format (EMF) JSON line per delivery of a part, on
// stdout, when the environment variable WATCHBOT_PROGRESS_METRICS is `emf`. The Part guard writes it
// (so do the Python package's Part, which runs the same guard, and the CLI's `worker`); CloudWatch
// Logs (the awslogs driver of an ECS task) turns each line into metrics without any API call.
//
// The line (docs/operations.md, "Metrics"):
//   {"_aws": {"Timestamp": <ms since the epoch>, "CloudWatchMetrics": [{"Namespace": "WatchbotProgress",
//     "Dimensions": [["Outcome"], ["ClaimOutcome"]], "Metrics": [{"Name": "PartDuration", "Unit":
//     "Milliseconds"}, {"Name": "Deliveries", "Unit": "Count"}, {"Name": "ReducesSent", "Unit": "Count"}]}]},
//    "Outcome": "completed", "ClaimOutcome": "sent", "PartDuration": 1234.5, "Deliveries": 1,
//    "ReducesSent": 1, "jobid": "...", "partid": 7}
// The job and part ids are properties, never dimensions: a dimension's every value is a metric of
// its own, and the outcomes are few.
//
// WATCHBOT_PROGRESS_METRICS unset or empty: nothing is written. Any value but `emf`: nothing is
// written, and a warning saying so goes to stderr once per process (a metric never changes a
// delivery's outcome, so a typo there must not fail work).

#include <cstdint>
#include <string>

#include "watchbot_progress/backend.hpp"
#include "watchbot_progress/export.hpp"

namespace watchbot_progress {

// What a delivery came to (the `Outcome` dimension).
enum class DeliveryOutcome {
    kCompleted,         // "completed": the part is complete; the delivery succeeded
    kFailed,            // "failed": the work threw (or the command failed); the job goes on, the message is retried
    kPartDead,          // "part-dead": failed on its last delivery and tolerated (failure tolerance)
    kJobFailed,         // "job-failed": this delivery's failure failed the job
    kJobAlreadyFailed,  // "job-already-failed": the job had failed before; the work did not run
    kError,             // "error": the guard's own step failed (the store, sending the reduce, or
                        // another delivery's reduce claim still pending): the message is retried
    kInterrupted,       // "interrupted": the worker's command was stopped by a signal from outside
};

// What the delivery did about the job's one reduce (the `ClaimOutcome` dimension).
enum class ClaimOutcome {
    kNone,         // "none": the job was not complete after this delivery (or the part not completed)
    kSent,         // "sent": this delivery won the claim and sent the reduce
    kTakenOver,    // "taken-over": this delivery took over a claim older than the lease and sent the reduce
    kAlreadySent,  // "already-sent": the job was complete and its reduce already out (or the job failed)
    kPending,      // "pending": another delivery's claim is unconfirmed and within its lease (ReducePending)
    kSendFailed,   // "send-failed": this delivery won the claim and sending the reduce failed
};

WATCHBOT_PROGRESS_EXPORT std::string to_string(DeliveryOutcome outcome);
WATCHBOT_PROGRESS_EXPORT std::string to_string(ClaimOutcome outcome);

// One delivery's metrics.
struct DeliveryMetrics {
    std::string jobid;
    PartId partid = 0;
    DeliveryOutcome outcome = DeliveryOutcome::kCompleted;
    ClaimOutcome claim = ClaimOutcome::kNone;
    double duration_ms = 0.0;     // from the delivery's start (the guard's begin) to its outcome
    std::int64_t timestamp_ms = 0;  // when it ended, ms since the Unix epoch (EMF's Timestamp)
};

// The EMF namespace of every line.
inline constexpr const char* kMetricsNamespace = "WatchbotProgress";

// The EMF JSON text of `metrics`, on one line, without the newline.
WATCHBOT_PROGRESS_EXPORT std::string emf_line(const DeliveryMetrics& metrics);

// Whether WATCHBOT_PROGRESS_METRICS asks for EMF lines (read on every call: cheap). A value other than
// `emf` (and not empty) reads as false, with the warning on stderr once per process.
WATCHBOT_PROGRESS_EXPORT bool delivery_metrics_enabled();

// When delivery_metrics_enabled(): writes emf_line(metrics) and a newline to stdout (file
// descriptor 1) with one write(2), after flushing stdout's C and C++ buffers, so that the line is
// never cut by, nor cuts, another line this process prints whole. Never throws: a failed write is
// said on stderr.
WATCHBOT_PROGRESS_EXPORT void write_delivery_metrics(const DeliveryMetrics& metrics) noexcept;

}  // namespace watchbot_progress
