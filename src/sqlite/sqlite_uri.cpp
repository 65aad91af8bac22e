// parse_sqlite_uri and sqlite_uri (declared in watchbot_progress/sqlite_options.hpp).
#include <charconv>
#include <string>

#include "core/excerpt.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/sqlite_options.hpp"

namespace watchbot_progress {

namespace {

constexpr std::string_view kScheme = "sqlite://";
constexpr const char* kForms =
    "expected sqlite:///absolute/path/file.db or sqlite://relative/path/file.db, optionally followed by "
    "?busy_timeout_ms=N&retry_timeout_ms=N&synchronous=off|normal|full";

// A part of the URI for messages: at most 200 bytes, on one line.
std::string excerpt(std::string_view text) { return detail::excerpt(text, 200); }

std::string shown(std::string_view uri) { return "'" + excerpt(uri) + "'"; }

[[noreturn]] void bad(std::string_view uri, const std::string& what) {
    throw InvalidInput("bad SQLite URI " + shown(uri) + ": " + what + "; " + kForms);
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view uri, std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        const int hi = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
        const int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
        if (hi < 0 || lo < 0) bad(uri, "'%' must start a two-digit hex escape such as %20");
        const char c = static_cast<char>(hi * 16 + lo);
        if (c == '\0') bad(uri, "the path contains %00 (a NUL byte)");
        out += c;
        i += 2;
    }
    return out;
}

std::chrono::milliseconds parse_ms(std::string_view uri, std::string_view key, std::string_view value) {
    long long n = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || end != value.data() + value.size() || n < 0) {
        bad(uri, std::string(key) + " must be a non-negative whole number of milliseconds, not '" + excerpt(value) + "'");
    }
    return std::chrono::milliseconds(n);
}

void apply_parameter(std::string_view uri, std::string_view parameter, SqliteOptions& options) {
    const auto eq = parameter.find('=');
    if (eq == std::string_view::npos) bad(uri, "query parameter '" + excerpt(parameter) + "' has no '=value'");
    const std::string_view key = parameter.substr(0, eq);
    const std::string_view value = parameter.substr(eq + 1);
    if (key == "busy_timeout_ms") {
        options.busy_timeout = parse_ms(uri, key, value);
    } else if (key == "retry_timeout_ms") {
        options.retry_timeout = parse_ms(uri, key, value);
    } else if (key == "synchronous") {
        if (value == "off") options.synchronous = SqliteSynchronous::kOff;
        else if (value == "normal") options.synchronous = SqliteSynchronous::kNormal;
        else if (value == "full") options.synchronous = SqliteSynchronous::kFull;
        else bad(uri, "synchronous must be off, normal or full, not '" + excerpt(value) + "'");
    } else {
        bad(uri, "unknown query parameter '" + excerpt(key) + "'");
    }
}

}  // namespace

SqliteOptions parse_sqlite_uri(std::string_view uri) {
    if (uri.substr(0, kScheme.size()) != kScheme) bad(uri, "it does not start with sqlite://");
    std::string_view rest = uri.substr(kScheme.size());
    if (rest.find('#') != std::string_view::npos) bad(uri, "fragments ('#') are not allowed; escape '#' in a path as %23");
    std::string_view query;
    if (const auto q = rest.find('?'); q != std::string_view::npos) {
        query = rest.substr(q + 1);
        rest = rest.substr(0, q);
    }
    for (char c : rest) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) bad(uri, "the path contains a control character");
    }
    SqliteOptions options;
    options.path = percent_decode(uri, rest);
    if (options.path.empty()) bad(uri, "the path is empty");
    if (options.path == "/") bad(uri, "the path is only '/'");
    if (options.path.back() == '/') bad(uri, "the path ends in '/', which names a directory, not a file");
    if (options.path == ":memory:") {
        bad(uri, "':memory:' databases cannot be shared between connections and processes; give a file path");
    }
    if (options.path[0] == '~') bad(uri, "'~' is not expanded; give an absolute path (sqlite:///home/me/file.db)");
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view parameter = query.substr(0, amp);
        if (!parameter.empty()) apply_parameter(uri, parameter, options);
        if (amp == std::string_view::npos) break;
        query = query.substr(amp + 1);
    }
    return options;
}

std::string sqlite_uri(const std::string& path) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out(kScheme);
    for (char c : path) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '%' || c == '?' || c == '#' || u < 0x20 || u == 0x7F) {
            out += '%';
            out += kHex[u >> 4];
            out += kHex[u & 0x0F];
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace watchbot_progress
