#pragma once
// What every fuzz target checks besides "no crash, no sanitizer report": the library's contract for
// errors. FUZZ_CHECK(cond) aborts (a finding libFuzzer records) when cond is false. expect_errors
// runs a call and lets only the named watchbot_progress exception types escape: any other
// exception is a bug, and so is an error message that is not one bounded line.

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <typeinfo>

#define FUZZ_CHECK(cond)                                                                          \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            std::fprintf(stderr, "FUZZ_CHECK failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);   \
            std::abort();                                                                         \
        }                                                                                         \
    } while (0)

namespace wp_fuzz {

[[noreturn]] inline void unexpected(const char* what, const std::exception& e) {
    std::fprintf(stderr, "%s: unexpected %s: %s\n", what, typeid(e).name(), e.what());
    std::abort();
}

// A user-facing message: not empty, one line, bounded (inputs are quoted in excerpts, not whole).
inline void check_message(std::string_view what, std::size_t max_bytes = 2000) {
    FUZZ_CHECK(!what.empty());
    FUZZ_CHECK(what.find('\n') == std::string_view::npos);
    FUZZ_CHECK(what.find('\r') == std::string_view::npos);
    FUZZ_CHECK(what.size() <= max_bytes);
}

// Runs fn; returns true when it returned, false when it threw one of Allowed (whose message passes
// check_message). Anything else aborts.
template <class... Allowed, class Fn>
bool expect_errors(const char* what, Fn&& fn) {
    try {
        fn();
        return true;
    } catch (const std::exception& e) {
        if ((... || (dynamic_cast<const Allowed*>(&e) != nullptr))) {
            check_message(e.what());
            return false;
        }
        unexpected(what, e);
    }
}

}  // namespace wp_fuzz
