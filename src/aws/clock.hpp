#pragma once
// Time for the AWS layer: an injectable clock and the two timestamp formats AWS uses.
// Pure functions, thread-safe.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace watchbot_progress::aws {

using TimePoint = std::chrono::system_clock::time_point;

// Returns "now". Tests pass a fake; production uses system_clock_now.
using Clock = std::function<TimePoint()>;
TimePoint system_clock_now();

// "YYYYMMDDTHHMMSSZ" (UTC), the X-Amz-Date format. Sub-second parts are dropped.
std::string format_amz_date(TimePoint t);
// Parses "YYYYMMDDTHHMMSSZ". Throws InvalidInput when malformed.
TimePoint parse_amz_date(std::string_view text);

// Parses ISO 8601 / RFC 3339 date-times as credential services write them:
// "2026-11-27T21:15:01Z", optional fractional seconds, "Z" or a "+HH:MM"/"-HH:MM" offset.
// Throws InvalidInput when malformed.
TimePoint parse_iso8601(std::string_view text);
// "YYYY-MM-DDTHH:MM:SSZ" (UTC).
std::string format_iso8601(TimePoint t);

}  // namespace watchbot_progress::aws
