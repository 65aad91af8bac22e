#pragma once
// A job's reduce claim as its JobStatus records it: Backend::reduce_claim_state's default, and the
// backends that read the claim's attributes into a JobStatus of their own (DynamoDB's job item).

#include "watchbot_progress/backend.hpp"

namespace watchbot_progress::detail {

inline ReduceClaimState reduce_claim_state_of(const JobStatus& status) {
    ReduceClaimState state;
    state.failed = status.failed;
    state.claimed = status.reduce_sent;
    state.confirmed = status.reduce_confirmed;
    state.claimed_at_ms = status.reduce_claimed_at_ms;
    return state;
}

}  // namespace watchbot_progress::detail
