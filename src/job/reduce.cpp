#include "watchbot_progress/reduce.hpp"

#include <cstdio>
#include <exception>

#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/messages.hpp"

namespace watchbot_progress {

bool publish_outcome_unknown(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const InvalidInput&) {
        return false;  // refused before anything was sent
    } catch (const ConfigError&) {
        return false;
    } catch (const BackendError& e) {
        // Not retryable: the service answered with a refusal (4xx, auth). Retryable: a timeout, a
        // dropped connection, a 5xx or throttling after the retries, any of whose attempts may have
        // been taken.
        return e.retryable();
    } catch (...) {
        return true;  // a notifier of the user's that says nothing more
    }
}

namespace {

// Gives the claim back after a failure that sent nothing; says so on stderr when that fails too.
void release_after_failure(Backend& backend, const std::string& jobid, const ClaimToken& claim) noexcept {
    try {
        backend.release_reduce(jobid, claim);
    } catch (const std::exception& e) {
        std::fprintf(stderr,
                     "watchbot-progress: job %s: sending the reduce failed and its claim could not be released "
                     "(%s): a later delivery takes the claim over once its lease ends, or run "
                     "`watchbot-progress-cpp sweep`\n",
                     jobid.c_str(), e.what());
    } catch (...) {
        std::fprintf(stderr, "watchbot-progress: job %s: sending the reduce failed and its claim could not be released\n",
                     jobid.c_str());
    }
}

}  // namespace

SentReduce send_claimed_reduce(Backend& backend, const std::string& jobid, const ClaimToken& claim,
                               const ReduceSink& sink) {
    if (!sink.on_reduce && !sink.notifier) {
        throw InvalidInput("job '" + jobid + "': the reduce has nowhere to go: give a notifier or on_reduce");
    }
    JobStatus status;
    std::int64_t failed_parts = 0;
    try {
        status = backend.status(jobid);
        if (sink.count_failed_parts && !sink.on_reduce) {
            failed_parts = static_cast<std::int64_t>(backend.list_failed_parts(jobid).size());
        }
    } catch (...) {
        release_after_failure(backend, jobid, claim);  // nothing was sent
        throw;
    }
    try {
        if (sink.on_reduce) {
            sink.on_reduce(jobid, status.metadata);
        } else {
            sink.notifier->publish(kReduceSubject, reduce_message_body(jobid, status.metadata, failed_parts));
        }
    } catch (...) {
        // A refusal gives the claim back, so that the message's redelivery sends the reduce at once.
        // An unknown outcome keeps it: the message may be out, and a delivery after the lease
        // decides (it takes the claim over and sends), which makes a second reduce no likelier
        // than the send itself was to have gone through.
        if (sink.on_reduce || !publish_outcome_unknown(std::current_exception())) {
            release_after_failure(backend, jobid, claim);
        }
        throw;
    }
    SentReduce sent;
    try {
        if (!backend.confirm_reduce(jobid, claim)) sent.confirmation = ReduceConfirmation::kTakenOver;
    } catch (...) {
        sent.confirmation = ReduceConfirmation::kUnconfirmed;
        sent.confirm_error = std::current_exception();
    }
    return sent;
}

}  // namespace watchbot_progress
