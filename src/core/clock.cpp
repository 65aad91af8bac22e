#include "core/clock.hpp"

#include <chrono>

#include "watchbot_progress/backend.hpp"

namespace watchbot_progress {

std::int64_t detail::now_ms() noexcept {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// The public spelling of the same clock (backend.hpp).
std::int64_t system_time_ms() { return detail::now_ms(); }

}  // namespace watchbot_progress
