#include "watchbot_progress/reduce.hpp"

#include <cstdio>
#include <exception>

#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/messages.hpp"

namespace watchbot_progress {

SentReduce send_claimed_reduce(Backend& backend, const std::string& jobid, const ClaimToken& claim,
                               const ReduceSink& sink) {
    if (!sink.on_reduce && !sink.notifier) {
        throw InvalidInput("job '" + jobid + "': the reduce has nowhere to go: give a notifier or on_reduce");
    }
    try {
        const JobStatus status = backend.status(jobid);
        if (sink.on_reduce) {
            sink.on_reduce(jobid, status.metadata);
        } else {
            sink.notifier->publish(kReduceSubject, reduce_message_body(jobid, status.metadata));
        }
    } catch (...) {
        // Give the claim back so that a redelivery (or sweep) sends the reduce; then let the error
        // reach the caller (a worker's message is retried by watchbot).
        try {
            backend.release_reduce(jobid, claim);
        } catch (const std::exception& e) {
            std::fprintf(stderr,
                         "watchbot-progress: job %s: sending the reduce failed and its claim could not be released "
                         "(%s): a later delivery takes the claim over once its lease ends, or run "
                         "`watchbot-progress-cpp sweep`\n",
                         jobid.c_str(), e.what());
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
