#pragma once
// The library's one wall clock. Everything that stamps or compares times (backends' claim times and
// updated_at, the local queue's visibility, sweep's ages) reads it here, through read_clock
// (backend.hpp) when a caller may inject a WallClock for tests.

#include <cstdint>

namespace watchbot_progress::detail {

// The system clock, in milliseconds since the Unix epoch. Thread-safe; never throws.
std::int64_t now_ms() noexcept;

}  // namespace watchbot_progress::detail
