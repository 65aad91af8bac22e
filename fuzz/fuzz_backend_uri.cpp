// The URIs of backends and topics: open_backend / open_notifier (src/open_backend.cpp), the Redis
// URI parser (src/backends/redis/redis_uri.cpp) and the SQLite one (src/sqlite/sqlite_uri.cpp).
// Invariants:
//   - the parsers throw only InvalidInput, with one bounded line that never holds the Redis password;
//   - an accepted Redis URI written back from its options (user-info percent-encoded) parses to
//     the same options; so does an accepted SQLite URI written back with sqlite_uri();
//   - open_backend / open_notifier throw only InvalidInput for any text (the environment below is
//     complete, so nothing is a configuration error); they open no file and send no request, so
//     sqlite:// and memory:// texts only go to the parsers.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "watchbot_progress/config.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/open_backend.hpp"
#if WP_WITH_REDIS
#include "watchbot_progress/redis_backend.hpp"
#endif
#if WP_WITH_SQLITE
#include "watchbot_progress/sqlite_backend.hpp"
#endif

namespace wp = watchbot_progress;

namespace {

std::string percent_encoded(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        out += '%';
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
    return out;
}

#if WP_WITH_REDIS
// The text with its password (after the first ':' of the user-info, which ends at the last '@'
// after "://") replaced by a marker no message text contains; empty when it has none.
constexpr std::string_view kPasswordMarker = "PwMarker7Zq3Kx";

std::string with_marked_password(std::string_view text) {
    const auto scheme = text.find("://");
    const auto at = text.rfind('@');
    if (scheme == std::string_view::npos || at == std::string_view::npos || at <= scheme) return {};
    const auto colon = text.substr(scheme + 3, at - scheme - 3).find(':');
    if (colon == std::string_view::npos) return {};
    return std::string(text.substr(0, scheme + 3 + colon + 1)) + std::string(kPasswordMarker) + std::string(text.substr(at));
}

void fuzz_redis(std::string_view text) {
    // Whatever is wrong with a URI, its error never shows the password.
    const std::string marked = text.find(kPasswordMarker) == std::string_view::npos ? with_marked_password(text) : "";
    if (!marked.empty()) {
        try {
            (void)wp::RedisBackend::parse_uri(marked);
        } catch (const wp::InvalidInput& e) {
            FUZZ_CHECK(std::string_view(e.what()).find(kPasswordMarker) == std::string_view::npos);
        }
    }
    wp::RedisOptions options;
    try {
        options = wp::RedisBackend::parse_uri(text);
    } catch (const wp::InvalidInput& e) {
        wp_fuzz::check_message(e.what());
        return;
    } catch (const std::exception& e) {
        wp_fuzz::unexpected("RedisBackend::parse_uri", e);
    }
    FUZZ_CHECK(options.port >= 1 && options.port <= 65535);
    FUZZ_CHECK(options.db >= 0);
    FUZZ_CHECK(!options.host.empty());
    std::string uri = "redis://";
    if (options.username || options.password) {
        uri += percent_encoded(options.username.value_or("")) + ":" + percent_encoded(options.password.value_or("")) + "@";
    }
    const bool bracketed = options.host.find(':') != std::string::npos || options.host.front() == '[';
    uri += bracketed ? "[" + options.host + "]" : options.host;
    uri += ":" + std::to_string(options.port) + "/" + std::to_string(options.db);
    wp::RedisOptions again;
    FUZZ_CHECK(wp_fuzz::expect_errors<>("parse_uri of a written URI", [&] { again = wp::RedisBackend::parse_uri(uri); }));
    FUZZ_CHECK(again.host == options.host && again.port == options.port && again.db == options.db);
    FUZZ_CHECK(again.password == options.password);
    // A user name alone is kept (and ignored when connecting); written back it comes with ":@".
    FUZZ_CHECK(again.username == options.username);
}
#endif

#if WP_WITH_SQLITE
void fuzz_sqlite(std::string_view text) {
    wp::SqliteOptions options;
    if (!wp_fuzz::expect_errors<wp::InvalidInput>("parse_sqlite_uri", [&] { options = wp::parse_sqlite_uri(text); })) return;
    FUZZ_CHECK(!options.path.empty() && options.path.find('\0') == std::string::npos);
    const char* synchronous = options.synchronous == wp::SqliteSynchronous::kOff      ? "off"
                              : options.synchronous == wp::SqliteSynchronous::kNormal ? "normal"
                                                                                     : "full";
    const std::string uri = wp::sqlite_uri(options.path) + "?busy_timeout_ms=" + std::to_string(options.busy_timeout.count()) +
                            "&retry_timeout_ms=" + std::to_string(options.retry_timeout.count()) + "&synchronous=" + synchronous;
    wp::SqliteOptions again;
    FUZZ_CHECK(wp_fuzz::expect_errors<>("parse_sqlite_uri of a written URI", [&] { again = wp::parse_sqlite_uri(uri); }));
    FUZZ_CHECK(again.path == options.path);
    FUZZ_CHECK(again.busy_timeout == options.busy_timeout && again.retry_timeout == options.retry_timeout);
    FUZZ_CHECK(again.synchronous == options.synchronous);
}
#endif

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    // Everything an ARN-named backend or topic needs, so that only the text can be wrong; the
    // endpoints are never contacted (opening sends no request).
    ::setenv("AWS_REGION", "us-east-1", 1);
    ::setenv("AWS_ACCESS_KEY_ID", "AKIDFUZZ000000000003", 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", "fuzzUriSecret/0123456789", 1);
    ::setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1", 1);
    ::setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    ::unsetenv("AWS_ENDPOINT_URL_DYNAMODB");
    ::unsetenv("AWS_ENDPOINT_URL_SNS");
    ::unsetenv("DynamoDbEndpoint");
    ::unsetenv("AWS_MAX_ATTEMPTS");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
#if WP_WITH_REDIS
    fuzz_redis(text);
#endif
#if WP_WITH_SQLITE
    fuzz_sqlite(text);
#endif
    if (text.starts_with("sqlite://") || text.starts_with("memory://")) return 0;  // would open a file / a named store
    wp_fuzz::expect_errors<wp::InvalidInput>("open_backend", [&] { (void)wp::open_backend(text); });
    wp_fuzz::expect_errors<wp::InvalidInput>("open_notifier", [&] { (void)wp::open_notifier(text); });
    return 0;
}
