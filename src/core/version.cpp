#include "watchbot_progress/version.hpp"

#include "watchbot_progress/config.hpp"

namespace watchbot_progress {
const char* version() noexcept { return WATCHBOT_PROGRESS_VERSION; }
}  // namespace watchbot_progress
