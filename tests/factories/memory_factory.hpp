#pragma once
#include <memory>

#include "watchbot_progress/memory_backend.hpp"

namespace wp_test {
struct MemoryFactory {
    static constexpr const char* name = "Memory";
    static constexpr int kStressParts = 2000;
    static std::shared_ptr<watchbot_progress::Backend> make() { return std::make_shared<watchbot_progress::MemoryBackend>(); }
};
}  // namespace wp_test
