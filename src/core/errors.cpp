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

PublishError::PublishError(const std::string& message, std::string code, bool retryable,
                           std::vector<std::size_t> failed_indexes)
    : BackendError(message, std::move(code), retryable), failed_indexes_(std::move(failed_indexes)) {}

}  // namespace watchbot_progress
