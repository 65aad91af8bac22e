// The URL parser and encoders of the AWS layer (src/aws/url). Invariants:
//   - parse_url throws only InvalidInput, with a one-line message that never shows the URL's
//     user-info; an accepted URL written back from its parts parses to the same parts;
//   - redact_url never throws and removes the user-info;
//   - uri_encode writes only unreserved characters and %XX, and decodes back to its input.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "aws/url.hpp"
#include "fuzz_check.hpp"
#include "watchbot_progress/errors.hpp"

namespace aws = watchbot_progress::aws;
using watchbot_progress::InvalidInput;

namespace {

int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string decode(std::string_view encoded) {
    std::string out;
    for (std::size_t i = 0; i < encoded.size(); ++i) {
        if (encoded[i] != '%') {
            out.push_back(encoded[i]);
            continue;
        }
        FUZZ_CHECK(i + 2 < encoded.size());
        const int hi = hex(encoded[i + 1]);
        const int lo = hex(encoded[i + 2]);
        FUZZ_CHECK(hi >= 0 && lo >= 0);
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    return out;
}

void check_encoding(std::string_view text, bool keep_slash) {
    const std::string encoded = aws::uri_encode(text, keep_slash);
    for (char c : encoded) {
        const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                                c == '_' || c == '.' || c == '~';
        FUZZ_CHECK(unreserved || c == '%' || (keep_slash && c == '/'));
    }
    FUZZ_CHECK(decode(encoded) == text);
}

// The user-info of a URL as parse_url sees it: the authority's text before its last '@'.
std::string_view user_info(std::string_view url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return {};
    std::string_view rest = url.substr(scheme_end + 3);
    rest = rest.substr(0, rest.find('#'));
    const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
    const auto at = authority.rfind('@');
    return at == std::string_view::npos ? std::string_view{} : authority.substr(0, at);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    aws::ParsedUrl url;
    try {
        url = aws::parse_url(text);
        FUZZ_CHECK(!url.scheme.empty() && !url.host.empty());
        FUZZ_CHECK(!url.port || (*url.port >= 0 && *url.port <= 65535));
        const std::string rebuilt = url.scheme + "://" + (url.ipv6 ? "[" + url.host + "]" : url.host) +
                                    (url.port ? ":" + std::to_string(*url.port) : "") + url.path +
                                    (url.query.empty() ? "" : "?" + url.query);
        aws::ParsedUrl again;
        FUZZ_CHECK(wp_fuzz::expect_errors<>("parse_url of a rebuilt URL", [&] { again = aws::parse_url(rebuilt); }));
        FUZZ_CHECK(again.scheme == url.scheme && again.host == url.host && again.ipv6 == url.ipv6 && again.port == url.port &&
                   again.path == url.path && again.query == url.query);
        FUZZ_CHECK(wp_fuzz::expect_errors<>("host_header_value", [&] { (void)aws::host_header_value(url); }));
    } catch (const InvalidInput& e) {
        wp_fuzz::check_message(e.what());
    } catch (const std::exception& e) {
        wp_fuzz::unexpected("parse_url", e);
    }
    // The user-info (it may hold a password) never appears in an error: replaced by a marker that
    // no message text contains, it must not show.
    if (const std::string_view info = user_info(text); !info.empty() && text.find("UiMarker4Qz8") == std::string_view::npos) {
        const std::size_t start = text.find("://") + 3;
        const std::string marked =
            std::string(text.substr(0, start)) + "user:UiMarker4Qz8" + std::string(text.substr(start + info.size()));
        try {
            (void)aws::parse_url(marked);
        } catch (const InvalidInput& e) {
            FUZZ_CHECK(std::string_view(e.what()).find("UiMarker4Qz8") == std::string_view::npos);
        }
    }

    std::string redacted;
    FUZZ_CHECK(wp_fuzz::expect_errors<>("redact_url", [&] { redacted = aws::redact_url(text); }));
    FUZZ_CHECK(user_info(redacted).empty());

    check_encoding(text, false);
    check_encoding(text, true);
    return 0;
}
