#include "aws/url.hpp"

#include <algorithm>
#include <cctype>

#include "core/ascii.hpp"
#include "core/excerpt.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress::aws {
namespace {

bool is_unreserved(unsigned char c) {
    return std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~';
}

[[noreturn]] void bad_url(std::string_view url, const std::string& why) {
    // The URL without user-info, at most 300 bytes, on one line.
    throw InvalidInput("invalid URL '" + detail::excerpt(redact_url(url), 300) + "': " + why +
                       "; expected something like https://host[:port]/path");
}

}  // namespace

ParsedUrl parse_url(std::string_view url) {
    for (unsigned char c : url) {
        if (c <= 0x20 || c == 0x7f) bad_url(url, "it contains whitespace or control characters");
    }
    ParsedUrl out;
    auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos || scheme_end == 0) bad_url(url, "it has no scheme");
    for (std::size_t i = 0; i < scheme_end; ++i) {
        unsigned char c = url[i];
        if (std::isalnum(c) == 0 && c != '+' && c != '-' && c != '.') bad_url(url, "its scheme is malformed");
    }
    out.scheme = watchbot_progress::detail::ascii_lower(url.substr(0, scheme_end));
    std::string_view rest = url.substr(scheme_end + 3);

    auto fragment = rest.find('#');
    if (fragment != std::string_view::npos) rest = rest.substr(0, fragment);
    auto authority_end = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, authority_end);
    std::string_view after = authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);

    auto at = authority.rfind('@');
    if (at != std::string_view::npos) authority = authority.substr(at + 1);
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string_view::npos) bad_url(url, "an IPv6 host is missing its ']'");
        out.host = watchbot_progress::detail::ascii_lower(authority.substr(1, close - 1));
        out.ipv6 = true;
        std::string_view tail = authority.substr(close + 1);
        if (!tail.empty()) {
            if (tail.front() != ':') bad_url(url, "unexpected text after the IPv6 host");
            port_text = tail.substr(1);
        }
    } else {
        auto colon = authority.find(':');
        out.host = watchbot_progress::detail::ascii_lower(authority.substr(0, colon));
        if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    }
    if (out.host.empty()) bad_url(url, "it has no host");
    if (!port_text.empty()) {
        if (port_text.size() > 5 || !std::all_of(port_text.begin(), port_text.end(),
                                                 [](unsigned char c) { return std::isdigit(c) != 0; })) {
            bad_url(url, "its port is not a number");
        }
        int port = std::stoi(std::string(port_text));
        if (port > 65535) bad_url(url, "its port is out of range");
        out.port = port;
    }

    auto question = after.find('?');
    out.path = std::string(after.substr(0, question));
    if (question != std::string_view::npos) out.query = std::string(after.substr(question + 1));
    return out;
}

std::string host_header_value(const ParsedUrl& url) {
    std::string host = url.ipv6 ? "[" + url.host + "]" : url.host;
    if (url.port) {
        int default_port = url.scheme == "http" ? 80 : url.scheme == "https" ? 443 : -1;
        if (*url.port != default_port) host += ":" + std::to_string(*url.port);
    }
    return host;
}

std::string uri_encode(std::string_view text, bool keep_slash) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0x0f]);
        }
    }
    return out;
}

std::string form_encode(const QueryParams& params) {
    std::string out;
    for (const auto& [name, value] : params) {
        if (!out.empty()) out.push_back('&');
        out += uri_encode(name);
        out.push_back('=');
        out += uri_encode(value);
    }
    return out;
}

std::string redact_url(std::string_view url) {
    auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) {
        // Not a URL we can split: hide anything that might be user-info.
        auto at = url.rfind('@');
        return at == std::string_view::npos ? std::string(url) : "[redacted]@" + std::string(url.substr(at + 1));
    }
    std::size_t start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
    auto authority_end = url.find_first_of("/?#", start);
    auto at = url.substr(0, authority_end).rfind('@');
    if (at == std::string_view::npos || at < start) return std::string(url);
    return std::string(url.substr(0, start)) + std::string(url.substr(at + 1));
}

}  // namespace watchbot_progress::aws
