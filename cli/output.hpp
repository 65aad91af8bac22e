#pragma once
// Output formats. stdout carries data only (JSON, job ids, part ids); messages go to stderr.
//
// Two JSON styles, each compatible with the tool that first had the command:
//   python style (info, ls, pending --array, watch): Python's json.dumps defaults — ", " between
//     items, ": " after keys, non-ASCII characters escaped as \uXXXX. E.g. [2, 0, 1].
//   node style (status, complete-part): JSON.stringify — compact, UTF-8 as is. E.g. {"progress":0.5}.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "watchbot_progress/backend.hpp"

namespace wpcli {

using ordered_json = nlohmann::ordered_json;

std::string python_dumps(const nlohmann::json& value);
std::string python_dumps(const ordered_json& value);
std::string node_stringify(const ordered_json& value);

// The Python tool's status object (info, ls, watch), keys in the Python tool's order:
// {"metadata", "jobid", "progress", "total", "remaining", "failed", "error" (only when failed),
//  "reduceSent"}. progress is the exact fraction (total - remaining) / total.
ordered_json info_json(const watchbot_progress::JobStatus& status);

// The Node tool's status object (status): {"progress", "failed" (the reason, only when failed),
// "metadata", "partComplete" (only with a part), "reduceSent", "total", "remaining"}. progress is
// rounded down to 2 decimals, as the Node tool does, so it reads 1 only when every part is done.
ordered_json node_status_json(const watchbot_progress::JobStatus& status, std::optional<bool> part_complete);

// Parses JSON given on the command line; InvalidInput naming `what` when it is not valid JSON.
nlohmann::json parse_json_argument(const std::string& text, const std::string& what);

// nlohmann's parse error text without its "[json.exception.parse_error.101] " prefix.
std::string describe_json_error(const std::exception& e);

// "1 message", "2 messages", "0 messages": the count and the noun in the number it needs.
// `plural` defaults to singular + "s".
// A time as UTC ISO 8601 with milliseconds: "2026-12-05T08:01:02.345Z".
std::string iso_time(std::chrono::system_clock::time_point t);

std::string counted(std::uint64_t n, const std::string& singular, const std::string& plural = "");

// Writes `line` and a newline to stdout.
void print_line(const std::string& line);

// Messages on stderr, one line each: "watchbot-progress-cpp: <text>". Newlines in text become spaces.
void print_message(const std::string& text);
// "watchbot-progress-cpp: error: <text>", on one line, except that a list in it ("\n  - " items, as
// the AWS credentials chain gives what it tried) gets one line per item.
void print_error(const std::string& text);

}  // namespace wpcli
