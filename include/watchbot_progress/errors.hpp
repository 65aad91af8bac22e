#pragma once
// The library's one exception hierarchy. Every error the library throws derives from
// watchbot_progress::Error, which derives from std::runtime_error. Messages say what was
// wrong and what to do; they never contain credentials, signatures or tokens.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "watchbot_progress/export.hpp"

namespace watchbot_progress {

class WATCHBOT_PROGRESS_EXPORT Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The job has no record in the backend (never created, or deleted).
class WATCHBOT_PROGRESS_EXPORT JobDoesNotExist : public Error {
public:
    explicit JobDoesNotExist(std::string jobid);
    const std::string& jobid() const noexcept { return jobid_; }

private:
    std::string jobid_;
};

// The job was marked failed; thrown by a Part guard (with fail_job_on set) before its block runs.
class WATCHBOT_PROGRESS_EXPORT JobFailed : public Error {
public:
    JobFailed(std::string jobid, std::string reason);
    const std::string& jobid() const noexcept { return jobid_; }
    const std::string& reason() const noexcept { return reason_; }

private:
    std::string jobid_;
    std::string reason_;
};

// Bad input from the caller: parts, job or part ids, URIs, ARNs, messages over service limits.
// Thrown before anything is written.
class WATCHBOT_PROGRESS_EXPORT InvalidInput : public Error {
public:
    using Error::Error;
};

// set_total (and so create_job) without overwrite on a job that already exists. An InvalidInput,
// so code catching that still does; jobid() lets a caller name its own way to overwrite (the CLI
// names --overwrite).
class WATCHBOT_PROGRESS_EXPORT JobAlreadyExists : public InvalidInput {
public:
    explicit JobAlreadyExists(std::string jobid);
    const std::string& jobid() const noexcept { return jobid_; }

private:
    std::string jobid_;
};

// A backend or AWS service failed. code() is the service's error code (e.g. "ThrottlingException",
// "NOSCRIPT", "ConnectionError"); retryable() tells whether trying again may succeed.
class WATCHBOT_PROGRESS_EXPORT BackendError : public Error {
public:
    BackendError(const std::string& message, std::string code, bool retryable);
    const std::string& code() const noexcept { return code_; }
    bool retryable() const noexcept { return retryable_; }

private:
    std::string code_;
    bool retryable_;
};

// A delivery completed the last part (or found the job complete) while another delivery holds the
// job's reduce claim unconfirmed, and that claim is younger than the lease (PartOptions::reduce_lease).
// This delivery cannot prove that the reduce is or will be sent: the claimer may have died after
// claiming. The work itself is done and recorded; report the delivery as failed so that the queue
// delivers the message again (watchbot retries a message whose worker fails), and a delivery after
// the lease takes the claim over and sends the reduce. Never report it as success: a queue deletes
// a message after a success, and with it the last chance of the reduce. Retryable, code
// "ReducePending"; retry_after_ms() is how long the claim's lease still runs (0 when unknown).
class WATCHBOT_PROGRESS_EXPORT ReducePending : public BackendError {
public:
    ReducePending(std::string jobid, std::int64_t retry_after_ms);
    const std::string& jobid() const noexcept { return jobid_; }
    std::int64_t retry_after_ms() const noexcept { return retry_after_ms_; }

private:
    std::string jobid_;
    std::int64_t retry_after_ms_;
};

// Some messages could not be published even after retries. failed_indexes() are the indexes,
// in the batch handed to the notifier, of the messages that were not published; create_job
// reports them as part ids.
class WATCHBOT_PROGRESS_EXPORT PublishError : public BackendError {
public:
    PublishError(const std::string& message, std::string code, bool retryable,
                 std::vector<std::size_t> failed_indexes);
    const std::vector<std::size_t>& failed_indexes() const noexcept { return failed_indexes_; }

private:
    std::vector<std::size_t> failed_indexes_;
};

// Missing or malformed configuration: an environment variable, an ARN, an option.
class WATCHBOT_PROGRESS_EXPORT ConfigError : public Error {
public:
    using Error::Error;
};

// The SQLite database file a URI names does not exist, and the caller asked not to create it
// (OpenBackendOptions::must_exist, open_local_queue). path(): the file, as the URI gives it.
class WATCHBOT_PROGRESS_EXPORT DatabaseDoesNotExist : public ConfigError {
public:
    DatabaseDoesNotExist(std::string path, const std::string& message) : ConfigError(message), path_(std::move(path)) {}
    const std::string& path() const noexcept { return path_; }

private:
    std::string path_;
};

}  // namespace watchbot_progress
