#pragma once
// Durations on the command line: a number with an optional unit, e.g. 90 (seconds), 90s, 15m, 2h,
// 7d, 1.5h, 250ms.

#include <chrono>
#include <string>

namespace wpcli {

// Parses `text` as a non-negative duration. InvalidInput naming `option` when it is not one.
std::chrono::milliseconds parse_duration(const std::string& text, const char* option);

// A duration for humans: "3d 4h", "12m 5s", "850ms".
std::string describe_duration(std::chrono::milliseconds duration);

}  // namespace wpcli
