#include "aws/sigv4.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "core/ascii.hpp"
#include "aws/crypto.hpp"
#include "aws/url.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress::aws {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

bool is_space(unsigned char c) {
    // What Python's str.split() treats as whitespace in the ASCII range.
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || (c >= 0x1c && c <= 0x1f);
}

bool skipped_header(const std::string& lname, bool has_token) {
    return lname == "authorization" || lname == "user-agent" || lname == "expect" || lname == "x-amzn-trace-id" ||
           lname == "x-amz-date" || (has_token && lname == "x-amz-security-token");
}

}  // namespace

std::string canonical_uri_path(std::string_view raw_path) {
    if (raw_path.empty()) return "/";
    // RFC 3986 remove_dot_segments, also dropping empty segments (AWS collapses "//").
    std::vector<std::string_view> segments;
    std::size_t start = 0;
    while (start <= raw_path.size()) {
        auto end = raw_path.find('/', start);
        if (end == std::string_view::npos) end = raw_path.size();
        std::string_view segment = raw_path.substr(start, end - start);
        if (segment == "..") {
            if (!segments.empty()) segments.pop_back();
        } else if (!segment.empty() && segment != ".") {
            segments.push_back(segment);
        }
        start = end + 1;
    }
    std::string path;
    if (raw_path.front() == '/') path.push_back('/');
    for (std::size_t i = 0; i < segments.size(); ++i) {
        if (i > 0) path.push_back('/');
        path.append(segments[i]);
    }
    if (raw_path.back() == '/' && !segments.empty()) path.push_back('/');
    return uri_encode(path, /*keep_slash=*/true);
}

std::string canonical_query_string(std::string_view raw_query) {
    if (raw_query.empty()) return "";
    std::vector<std::pair<std::string_view, std::string_view>> pairs;
    std::size_t start = 0;
    while (start <= raw_query.size()) {
        auto end = raw_query.find('&', start);
        if (end == std::string_view::npos) end = raw_query.size();
        std::string_view pair = raw_query.substr(start, end - start);
        auto eq = pair.find('=');
        if (eq == std::string_view::npos) {
            pairs.emplace_back(pair, std::string_view{});
        } else {
            pairs.emplace_back(pair.substr(0, eq), pair.substr(eq + 1));
        }
        start = end + 1;
    }
    std::sort(pairs.begin(), pairs.end());
    std::string out;
    for (const auto& [name, value] : pairs) {
        if (!out.empty()) out.push_back('&');
        out.append(name);
        out.push_back('=');
        out.append(value);
    }
    return out;
}

std::string trim_header_value(std::string_view value) {
    std::string out;
    std::size_t i = 0;
    while (i < value.size()) {
        while (i < value.size() && is_space(static_cast<unsigned char>(value[i]))) ++i;
        std::size_t start = i;
        while (i < value.size() && !is_space(static_cast<unsigned char>(value[i]))) ++i;
        if (i > start) {
            if (!out.empty()) out.push_back(' ');
            out.append(value.substr(start, i - start));
        }
    }
    return out;
}

SigningResult sign_request(const SigningRequest& request, const SigningParams& params) {
    const Credentials& creds = params.credentials;
    if (creds.access_key_id.empty() || creds.secret_access_key.empty()) {
        throw InvalidInput("cannot sign an AWS request without an access key id and a secret access key");
    }
    if (params.service.empty() || params.region.empty()) {
        throw InvalidInput("cannot sign an AWS request without a service name and a region");
    }
    const ParsedUrl url = parse_url(request.url);
    const bool has_token = creds.session_token.has_value() && !creds.session_token->empty();
    const std::string amz_date = format_amz_date(params.time);
    const std::string date = amz_date.substr(0, 8);

    SigningResult result;
    result.headers_to_add.emplace_back("X-Amz-Date", amz_date);
    if (has_token) result.headers_to_add.emplace_back("X-Amz-Security-Token", *creds.session_token);

    // Lowercased name -> values in order.
    std::map<std::string, std::vector<std::string>> headers;
    std::string payload_hash;
    for (const auto& [name, value] : request.headers) {
        std::string lname = watchbot_progress::detail::ascii_lower(name);
        if (skipped_header(lname, has_token)) continue;
        if (lname == "x-amz-content-sha256") payload_hash = value;
        headers[lname].push_back(trim_header_value(value));
    }
    if (headers.find("host") == headers.end()) headers["host"].push_back(host_header_value(url));
    for (const auto& [name, value] : result.headers_to_add) {
        headers[watchbot_progress::detail::ascii_lower(name)] = {trim_header_value(value)};
    }
    if (payload_hash.empty()) payload_hash = sha256_hex(request.body);

    std::string canonical_headers;
    for (const auto& [name, values] : headers) {
        if (!result.signed_headers.empty()) result.signed_headers.push_back(';');
        result.signed_headers += name;
        canonical_headers += name;
        canonical_headers.push_back(':');
        for (std::size_t i = 0; i < values.size(); ++i) {
            if (i > 0) canonical_headers.push_back(',');
            canonical_headers += values[i];
        }
        canonical_headers.push_back('\n');
    }

    std::string method = request.method;
    std::transform(method.begin(), method.end(), method.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    result.canonical_request = method + "\n" + canonical_uri_path(url.path) + "\n" +
                               canonical_query_string(url.query) + "\n" + canonical_headers + "\n" +
                               result.signed_headers + "\n" + payload_hash;

    const std::string scope = date + "/" + params.region + "/" + params.service + "/aws4_request";
    result.string_to_sign = std::string(kAlgorithm) + "\n" + amz_date + "\n" + scope + "\n" +
                            sha256_hex(result.canonical_request);

    std::string key = hmac_sha256("AWS4" + creds.secret_access_key, date);
    key = hmac_sha256(key, params.region);
    key = hmac_sha256(key, params.service);
    key = hmac_sha256(key, "aws4_request");
    result.signature = to_hex(hmac_sha256(key, result.string_to_sign));

    result.authorization = std::string(kAlgorithm) + " Credential=" + creds.access_key_id + "/" + scope +
                           ", SignedHeaders=" + result.signed_headers + ", Signature=" + result.signature;
    result.headers_to_add.emplace_back("Authorization", result.authorization);
    return result;
}

}  // namespace watchbot_progress::aws
