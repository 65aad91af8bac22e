#include "core/claim_token.hpp"

#include "core/secure_random.hpp"

namespace watchbot_progress::detail {

std::string new_claim_token() { return secure_random_hex(16); }

}  // namespace watchbot_progress::detail
