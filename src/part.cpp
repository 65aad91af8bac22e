#include "watchbot_progress/part.hpp"

#include <cstdio>

#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/open_backend.hpp"

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
    if (!options_.backend) options_.backend = default_backend();
    if (!options_.notifier && !options_.on_reduce) options_.notifier = default_notifier();
}

Part::Part(const MapMessage& message, PartOptions options) : Part(message.jobid, message.partid, std::move(options)) {}

void Part::before() {
    if (options_.fail_job_on.empty()) return;
    const JobStatus status = options_.backend->status(jobid_);
    if (status.failed) throw JobFailed(jobid_, status.reason.value_or("no reason recorded"));
}

void Part::on_success() {
    const CompletionResult result = options_.backend->complete_part_and_claim_reduce(jobid_, partid_);
    if (!result.reduce_claimed) return;
    try {
        const JobStatus status = options_.backend->status(jobid_);
        if (options_.on_reduce) {
            options_.on_reduce(jobid_, status.metadata);
        } else {
            options_.notifier->publish(kReduceSubject, reduce_message_body(jobid_, status.metadata));
        }
    } catch (...) {
        // Give the claim back so that a redelivery of this message sends the reduce; then let the
        // error reach the worker so watchbot retries the message.
        try {
            options_.backend->release_reduce(jobid_);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "watchbot-progress: job %s: sending the reduce failed and its claim could not be released: %s\n",
                         jobid_.c_str(), e.what());
        }
        throw;
    }
}

void Part::on_failure(const std::exception_ptr& error) noexcept {
    if (options_.fail_job_on.empty() || !options_.fail_job_on.matches(error)) return;
    const std::string reason = "part " + std::to_string(partid_) + " failed: " + describe_exception(error);
    try {
        options_.backend->fail_job(jobid_, reason);
    } catch (const std::exception& e) {
        // The worker's own exception is what propagates; the job stays unfailed, so the message's
        // redelivery will try again.
        std::fprintf(stderr, "watchbot-progress: job %s: could not mark the job failed (%s): %s\n", jobid_.c_str(),
                     reason.c_str(), e.what());
    }
}

}  // namespace watchbot_progress
