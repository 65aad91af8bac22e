#pragma once
#include "watchbot_progress/export.hpp"
#include "watchbot_progress/version_number.hpp"  // WATCHBOT_PROGRESS_VERSION, _MAJOR, _MINOR, _PATCH

namespace watchbot_progress {
// The library's version, "MAJOR.MINOR.PATCH".
WATCHBOT_PROGRESS_EXPORT const char* version() noexcept;
}  // namespace watchbot_progress
