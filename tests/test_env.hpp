#pragma once
// Shared test helpers: server addresses from the environment scripts/test sets up. A test that needs
// a server fails (never skips) when its variable is missing.

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace wp_test {

inline std::string require_env(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
        throw std::runtime_error(std::string(name) +
                                 " is not set: this test needs a server started by scripts/test (tools/services.sh)");
    }
    return value;
}

}  // namespace wp_test
