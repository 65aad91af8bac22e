#pragma once
// Shared test helpers: server addresses from the environment scripts/test sets up. A test that needs
// a server fails (never skips) when its variable is missing.

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace wp_test {

// Whether this build runs under a sanitizer (scripts/test-sanitizers): code runs several times
// slower and processes start slower, so tests whose timing assumes an ordinary build adjust.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
#else
inline constexpr bool kSanitized = false;
#endif

// The size of a test that scales (parts of a job, deliveries, rounds): `full` in an ordinary build,
// a tenth of it (at least `floor`) under the sanitizers. Memory errors, undefined behaviour and data
// races show at any size once the same code runs on the same threads; what a sanitized run spends
// its time on is the requests to the test servers, which scale with the size. A test whose check
// needs the size (a bound on a file's growth, a million-part run) keeps its full size instead.
template <class T>
constexpr T scaled(T full, T floor = 1) {
    if (!kSanitized) return full;
    return full / 10 > floor ? full / 10 : (full < floor ? full : floor);
}

inline std::string require_env(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
        throw std::runtime_error(std::string(name) +
                                 " is not set: this test needs a server started by scripts/test (tools/services.sh)");
    }
    return value;
}

}  // namespace wp_test
