#include "output.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <string_view>

#include "watchbot_progress/errors.hpp"

namespace wp = watchbot_progress;

namespace wpcli {

namespace {

template <class Json>
void append_python(const Json& value, std::string& out) {
    constexpr auto replace = Json::error_handler_t::replace;
    if (value.is_object()) {
        out += '{';
        bool first = true;
        for (auto it = value.begin(); it != value.end(); ++it) {
            if (!first) out += ", ";
            first = false;
            out += Json(it.key()).dump(-1, ' ', true, replace);
            out += ": ";
            append_python(it.value(), out);
        }
        out += '}';
    } else if (value.is_array()) {
        out += '[';
        bool first = true;
        for (const auto& item : value) {
            if (!first) out += ", ";
            first = false;
            append_python(item, out);
        }
        out += ']';
    } else {
        out += value.dump(-1, ' ', true, replace);
    }
}

std::string one_line(std::string text) {
    for (char& c : text) {
        if (c == '\n' || c == '\r') c = ' ';
    }
    return text;
}

}  // namespace

std::string python_dumps(const nlohmann::json& value) {
    std::string out;
    append_python(value, out);
    return out;
}

std::string python_dumps(const ordered_json& value) {
    std::string out;
    append_python(value, out);
    return out;
}

std::string node_stringify(const ordered_json& value) {
    return value.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

ordered_json info_json(const wp::JobStatus& status) {
    ordered_json out = ordered_json::object();
    out["metadata"] = ordered_json(status.metadata);
    out["jobid"] = status.jobid;
    out["progress"] = status.total > 0
                          ? static_cast<double>(status.total - status.remaining) / static_cast<double>(status.total)
                          : 0.0;
    out["total"] = status.total;
    out["remaining"] = status.remaining;
    out["failed"] = status.failed;
    if (status.failed) out["error"] = status.reason.value_or("");
    out["reduceSent"] = status.reduce_sent;
    return out;
}

ordered_json node_status_json(const wp::JobStatus& status, std::optional<bool> part_complete) {
    ordered_json out = ordered_json::object();
    // Whole percent, rounded down (exact integer arithmetic, unlike the Node tool's floating point).
    long long percent = 0;
    if (status.total > 0) {
        const long double done = static_cast<long double>(status.total - status.remaining);
        percent = static_cast<long long>(std::floor(done * 100.0L / static_cast<long double>(status.total)));
    }
    // Whole values print as integers (0, 1), as JSON.stringify does.
    if (percent <= 0) {
        out["progress"] = 0;
    } else if (percent >= 100 && status.remaining == 0) {
        out["progress"] = 1;
    } else if (percent >= 100) {
        out["progress"] = 0.99;
    } else {
        out["progress"] = static_cast<double>(percent) / 100.0;
    }
    if (status.failed) out["failed"] = status.reason.value_or("");
    out["metadata"] = ordered_json(status.metadata);
    if (part_complete) out["partComplete"] = *part_complete;
    out["reduceSent"] = status.reduce_sent;
    out["total"] = status.total;
    out["remaining"] = status.remaining;
    return out;
}

std::string describe_json_error(const std::exception& e) {
    std::string_view text = e.what();
    if (text.substr(0, 16) == "[json.exception.") {
        const auto end = text.find("] ");
        if (end != std::string_view::npos) text.remove_prefix(end + 2);
    }
    return std::string(text);
}

nlohmann::json parse_json_argument(const std::string& text, const std::string& what) {
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        throw wp::InvalidInput(what + " is not valid JSON: " + describe_json_error(e));
    }
}

std::string counted(std::uint64_t n, const std::string& singular, const std::string& plural) {
    return std::to_string(n) + " " + (n == 1 ? singular : plural.empty() ? singular + "s" : plural);
}

void print_line(const std::string& line) {
    std::cout << line << '\n';
}

void print_message(const std::string& text) {
    std::cout.flush();
    std::cerr << "watchbot-progress-cpp: " << one_line(text) << std::endl;
}

void print_error(const std::string& text) {
    // A list in the message ("...:\n  - a: why\n  - b: why", as the AWS credentials chain says what it
    // tried) is printed one item per line; anything else stays on one line.
    constexpr std::string_view kItem = "\n  - ";
    std::size_t at = text.find(kItem);
    print_message("error: " + text.substr(0, at));
    while (at != std::string::npos) {
        const std::size_t next = text.find(kItem, at + kItem.size());
        print_message("  - " + text.substr(at + kItem.size(), next == std::string::npos ? std::string::npos
                                                                                        : next - at - kItem.size()));
        at = next;
    }
}

std::string iso_time(std::chrono::system_clock::time_point t) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    ::gmtime_r(&seconds, &tm);
    char buf[96];  // room for any int the format could print (-Wformat-truncation)
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
    return buf;
}

}  // namespace wpcli
