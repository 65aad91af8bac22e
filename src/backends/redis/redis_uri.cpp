// RedisBackend::parse_uri: redis[s]://[[username]:password@]host[:port][/db][?db=N][&cacert=PATH][&cert=PATH][&key=PATH].
// No message may contain the password: errors name the part that is wrong (scheme, port, db,
// parameter name) and never quote the user info.

#include <charconv>
#include <limits>
#include <optional>

#include "core/ascii.hpp"
#include "core/excerpt.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/redis_backend.hpp"

namespace watchbot_progress {

namespace {

constexpr const char* kForm =
    "expected redis://[[username]:password@]host[:port][/db][?db=N], or rediss:// (TLS) with optional "
    "&cacert=PATH&cert=PATH&key=PATH";

[[noreturn]] void bad_uri(const std::string& what) { throw InvalidInput("invalid Redis URI: " + what + " (" + kForm + ")"); }

// A short, harmless excerpt of a URI part for messages (the part never holds the user info).
std::string excerpt(std::string_view s) { return detail::quoted_excerpt(s, 40); }

std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out.push_back(s[i]);
            continue;
        }
        if (i + 2 >= s.size()) return std::nullopt;
        unsigned value = 0;
        const auto* first = s.data() + i + 1;
        auto [ptr, ec] = std::from_chars(first, first + 2, value, 16);
        if (ec != std::errc() || ptr != first + 2) return std::nullopt;
        out.push_back(static_cast<char>(value));
        i += 2;
    }
    return out;
}

bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
    }
    return true;
}

int parse_port(std::string_view text) {
    int port = 0;
    if (all_digits(text) && text.size() <= 5) {
        std::from_chars(text.data(), text.data() + text.size(), port);
    }
    if (port < 1 || port > 65535) bad_uri("port " + excerpt(text) + " is not a number from 1 to 65535");
    return port;
}

int parse_db(std::string_view text, std::string_view where) {
    int db = -1;
    if (all_digits(text)) {
        auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), db);
        if (ec != std::errc() || ptr != text.data() + text.size()) db = -1;
    }
    if (db < 0) bad_uri("database " + std::string(where) + " " + excerpt(text) + " is not a non-negative integer");
    return db;
}

}  // namespace

RedisOptions RedisBackend::parse_uri(std::string_view uri) {
    const std::size_t sep = uri.find("://");
    if (sep == std::string_view::npos) bad_uri("it does not start with redis://");
    std::string scheme(uri.substr(0, sep));
    scheme = watchbot_progress::detail::ascii_lower(scheme);
    // The scheme is not quoted: a mangled URI may have the password in it.
    if (scheme != "redis" && scheme != "rediss") bad_uri("the scheme is not redis:// or rediss://");

    RedisOptions options;
    options.tls.enabled = scheme == "rediss";
    std::string_view rest = uri.substr(sep + 3);

    // User info: everything before the last '@', so that an unencoded '@', '/' or '?' in a password
    // still parses. user:password, :password, or user alone (ignored: AUTH needs a password).
    if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos) {
        const std::string_view userinfo = rest.substr(0, at);
        rest = rest.substr(at + 1);
        const std::size_t colon = userinfo.find(':');
        auto user = percent_decode(userinfo.substr(0, colon));
        if (!user) bad_uri("malformed percent-encoding in the user name");
        if (!user->empty()) options.username = *user;
        if (colon != std::string_view::npos) {
            auto password = percent_decode(userinfo.substr(colon + 1));
            if (!password) bad_uri("malformed percent-encoding in the password");
            if (!password->empty()) options.password = *password;
        }
    }

    std::string_view query;
    if (const std::size_t q = rest.find('?'); q != std::string_view::npos) {
        query = rest.substr(q + 1);
        rest = rest.substr(0, q);
    }
    std::string_view path;
    if (const std::size_t slash = rest.find('/'); slash != std::string_view::npos) {
        path = rest.substr(slash);
        rest = rest.substr(0, slash);
    }

    // host[:port], host being a name, an IPv4 address or a bracketed IPv6 address.
    std::string_view host = rest;
    std::optional<std::string_view> port;
    if (!rest.empty() && rest.front() == '[') {
        const std::size_t close = rest.find(']');
        if (close == std::string_view::npos) bad_uri("unterminated '[' in the host");
        host = rest.substr(1, close - 1);
        const std::string_view after = rest.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') bad_uri("unexpected " + excerpt(after) + " after the IPv6 address");
            port = after.substr(1);
        }
        if (host.empty()) bad_uri("empty IPv6 address");
    } else if (const std::size_t colon = rest.find(':'); colon != std::string_view::npos) {
        if (rest.find(':', colon + 1) != std::string_view::npos) bad_uri("write an IPv6 host in brackets, as [::1]:6379");
        host = rest.substr(0, colon);
        port = rest.substr(colon + 1);
    }
    for (char c : host) {
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F || c == '#' || c == '%') bad_uri("the host " + excerpt(host) + " is not a host name or address");
    }
    if (!host.empty()) options.host = std::string(host);
    if (port) options.port = parse_port(*port);

    std::optional<int> db;
    if (path.size() > 1) db = parse_db(path.substr(1), "path");

    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view param = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (param.empty()) continue;
        const std::size_t eq = param.find('=');
        const std::string_view name = param.substr(0, eq);
        const std::string_view value = eq == std::string_view::npos ? std::string_view() : param.substr(eq + 1);
        if (name == "db") {
            const int from_query = parse_db(value, "parameter");
            if (db && *db != from_query) bad_uri("the path and the db parameter name different databases");
            db = from_query;
        } else if (name == "cacert" || name == "cert" || name == "key") {
            if (!options.tls.enabled) bad_uri("the parameter " + std::string(name) + " is for TLS: use rediss://");
            auto path = percent_decode(value);
            if (!path) bad_uri("malformed percent-encoding in the " + std::string(name) + " parameter");
            if (path->empty()) bad_uri("the " + std::string(name) + " parameter needs a file path");
            (name == "cacert" ? options.tls.ca_file : name == "cert" ? options.tls.cert_file : options.tls.key_file) = *path;
        } else {
            bad_uri("unknown parameter " + excerpt(name) + " (supported: db, and with rediss:// cacert, cert, key)");
        }
    }
    if (db) options.db = *db;
    return options;
}

std::shared_ptr<RedisBackend> RedisBackend::from_uri(std::string_view uri) {
    return std::make_shared<RedisBackend>(parse_uri(uri));
}

}  // namespace watchbot_progress
