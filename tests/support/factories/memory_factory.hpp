#pragma once
#include <memory>
#include <utility>

#include "watchbot_progress/memory_backend.hpp"

namespace wp_test {
struct MemoryFactory {
    static constexpr const char* name = "Memory";
    static constexpr int kStressParts = 2000;
    static std::shared_ptr<watchbot_progress::Backend> make(watchbot_progress::WallClock clock = {}) {
        return std::make_shared<watchbot_progress::MemoryBackend>(std::move(clock));
    }
};
}  // namespace wp_test
