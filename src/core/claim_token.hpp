#pragma once
// Random reduce-claim tokens (ClaimToken, backend.hpp) for the backends that make their own: 32
// lower-case hex digits (128 random bits). Thread-safe and fork-safe: each thread has its own
// generator, seeded from the OS entropy source when first used in a thread and again after fork().

#include <string>

namespace watchbot_progress::detail {

std::string new_claim_token();

}  // namespace watchbot_progress::detail
