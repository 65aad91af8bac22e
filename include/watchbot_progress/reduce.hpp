#pragma once
// The reduce protocol: how the one "reduce" message of a complete job is sent, the same way by the
// Part guard, `sweep` (sweep.hpp, the CLI's sweep) and workers of your own:
//
//   claim    complete_part_and_claim_reduce, claim_reduce or reclaim_reduce (backend.hpp) gives the
//            caller a ClaimToken; at most one caller holds a job's claim;
//   read     the job's metadata (status()) and, when the sink asks, how many of its parts failed
//            for good (list_failed_parts: failure tolerance let the job finish without them);
//   send     the reduce message to the notifier, or on_reduce;
//   release  when reading failed, or sending was refused for certain (publish_outcome_unknown is
//            false, or on_reduce threw): the claim is given back, so that a later delivery (or
//            sweep) sends it; when the send's outcome is unknown the claim is kept, and a delivery
//            after its lease takes it over (Part, ReducePending);
//   confirm  confirm_reduce: nobody sends it again.
//
// send_claimed_reduce runs the steps after the claim.

#include <exception>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "watchbot_progress/backend.hpp"
#include "watchbot_progress/export.hpp"
#include "watchbot_progress/notifier.hpp"

namespace watchbot_progress {

// Where a job's reduce goes: on_reduce(jobid, metadata) when set, else the notifier (subject
// kReduceSubject, body reduce_message_body; messages.hpp). One of the two must be set.
struct ReduceSink {
    std::shared_ptr<Notifier> notifier;
    std::function<void(const std::string& jobid, const nlohmann::json& metadata)> on_reduce;
    // Read the job's parts failed for good (Backend::list_failed_parts, one more read) and say how
    // many in the message ("failedParts", reduce_message_body), when there are any. The Part guard
    // sets it under failure tolerance, `sweep` always. on_reduce gets no count: it may call
    // list_failed_parts itself.
    bool count_failed_parts = false;
};

// How a sent reduce was confirmed. The reduce message is out in every case.
enum class ReduceConfirmation {
    kConfirmed,    // the claim was still this caller's: nobody sends the reduce again
    kTakenOver,    // the claim's lease had passed and another caller took it over: it may send the reduce again
    kUnconfirmed,  // confirm_reduce threw (SentReduce::confirm_error): the reduce may be sent again after the lease
};

struct SentReduce {
    ReduceConfirmation confirmation = ReduceConfirmation::kConfirmed;
    std::exception_ptr confirm_error;  // what confirm_reduce threw, when unconfirmed
};

// Whether a notifier's publish error leaves it unknown if the message went out: true for a
// retryable BackendError (a timeout, a dropped connection, a 5xx, throttling after retries: some
// attempt may have been taken) and for exceptions outside the library's hierarchy; false for
// InvalidInput, ConfigError and a BackendError that is not retryable (the service refused it). A
// notifier of your own that knows nothing went out throws a non-retryable BackendError.
WATCHBOT_PROGRESS_EXPORT bool publish_outcome_unknown(const std::exception_ptr& error);

// Sends the reduce of `jobid`, whose claim `claim` the caller holds: reads the job's metadata, sends
// it to `sink`, confirms the claim. Throws what reading the job or sending threw (the reduce may not
// be out). Gives the claim back first when nothing can have gone out (reading failed, on_reduce
// threw, or the notifier's error is a refusal: publish_outcome_unknown false); keeps it when the
// publish's outcome is unknown. When giving it back fails, says so on stderr (a later delivery or
// sweep takes the claim over once its lease ends) and still throws the sending error.
// Throws InvalidInput when `sink` has neither a notifier nor on_reduce. Never throws once the reduce
// is out: a failed confirmation is the result's `unconfirmed`.
WATCHBOT_PROGRESS_EXPORT SentReduce send_claimed_reduce(Backend& backend, const std::string& jobid, const ClaimToken& claim,
                                                        const ReduceSink& sink);

}  // namespace watchbot_progress
