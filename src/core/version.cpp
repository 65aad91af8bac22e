#include "watchbot_progress/version.hpp"


namespace watchbot_progress {
const char* version() noexcept { return WATCHBOT_PROGRESS_VERSION; }
}  // namespace watchbot_progress
