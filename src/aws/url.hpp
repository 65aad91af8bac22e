#pragma once
// URL splitting and AWS percent-encoding.
//
// Pure functions, thread-safe. parse_url throws watchbot_progress::InvalidInput for a URL it cannot
// use (no scheme or host, bad port, whitespace or control characters); the message never repeats the
// URL's user-info part.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace watchbot_progress::aws {

struct ParsedUrl {
    std::string scheme;          // lowercase, e.g. "https"
    std::string host;            // lowercase; an IPv6 literal without its brackets
    bool ipv6 = false;           // host was written as [v6-literal]
    std::optional<int> port;     // as written in the URL, if any
    std::string path;            // raw, as written ("" when the URL has none)
    std::string query;           // raw, without the '?', fragment removed
};

// Splits an absolute http(s) URL (other schemes are accepted too; callers decide).
ParsedUrl parse_url(std::string_view url);

// The value of a Host header for the URL: host, bracketed when IPv6, plus ":port" only when the
// port is not the scheme's default (80 for http, 443 for https).
std::string host_header_value(const ParsedUrl& url);

// Percent-encodes the UTF-8 bytes of `text` the way AWS wants it: unreserved characters
// (A-Z a-z 0-9 - _ . ~) as they are, every other byte as %XX with uppercase hex; '/' is kept when
// keep_slash is true. A space becomes %20, never '+'.
std::string uri_encode(std::string_view text, bool keep_slash = false);

// Builds an application/x-www-form-urlencoded body: name=value pairs, each side uri_encode()d,
// joined with '&', in the given order.
using QueryParams = std::vector<std::pair<std::string, std::string>>;
std::string form_encode(const QueryParams& params);

// The URL with any user-info ("user:password@") removed, for messages. Never throws.
std::string redact_url(std::string_view url);

}  // namespace watchbot_progress::aws
