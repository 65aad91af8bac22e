#include "watchbot_progress/errors.hpp"

#include <utility>

namespace watchbot_progress {

JobDoesNotExist::JobDoesNotExist(std::string jobid)
    : Error("job '" + jobid + "' does not exist: create it first (create_job or set_total), or check the job id and the backend"),
      jobid_(std::move(jobid)) {}

JobAlreadyExists::JobAlreadyExists(std::string jobid)
    : InvalidInput("job '" + jobid + "' already exists: choose another job id, or overwrite it on purpose"),
      jobid_(std::move(jobid)) {}

JobFailed::JobFailed(std::string jobid, std::string reason)
    : Error("job '" + jobid + "' already failed: " + reason), jobid_(std::move(jobid)), reason_(std::move(reason)) {}

BackendError::BackendError(const std::string& message, std::string code, bool retryable)
    : Error(message), code_(std::move(code)), retryable_(retryable) {}

ReducePending::ReducePending(std::string jobid, std::int64_t retry_after_ms)
    : BackendError("job '" + jobid +
                       "' is complete and its reduce is claimed by another delivery that has not confirmed it yet "
                       "(it may still be sending, or it died): this delivery must be retried, and a delivery after "
                       "the claim's lease (" +
                       (retry_after_ms > 0 ? std::to_string((retry_after_ms + 999) / 1000) + " s from now"
                                           : std::string("reduce_lease")) +
                       ") takes the claim over and sends the reduce",
                   "ReducePending", true),
      jobid_(std::move(jobid)),
      retry_after_ms_(retry_after_ms) {}

PublishError::PublishError(const std::string& message, std::string code, bool retryable,
                           std::vector<std::size_t> failed_indexes)
    : BackendError(message, std::move(code), retryable), failed_indexes_(std::move(failed_indexes)) {}

}  // namespace watchbot_progress
