#pragma once
namespace watchbot_progress {
// The library's version, "MAJOR.MINOR.PATCH".
const char* version() noexcept;
}  // namespace watchbot_progress
