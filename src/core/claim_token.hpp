#pragma once
// Random reduce-claim tokens (ClaimToken, backend.hpp) for the backends that make their own: 32
// lower-case hex digits (128 random bits from secure_random.hpp). Thread-safe and fork-safe.

#include <string>

namespace watchbot_progress::detail {

std::string new_claim_token();

}  // namespace watchbot_progress::detail
