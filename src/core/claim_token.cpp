#include "core/claim_token.hpp"

#include <unistd.h>

#include <cstdint>
#include <random>

namespace watchbot_progress::detail {

std::string new_claim_token() {
    thread_local pid_t seeded_pid = 0;
    thread_local std::mt19937_64 generator;
    if (seeded_pid != ::getpid()) {
        seeded_pid = ::getpid();
        std::random_device device;
        std::seed_seq seed{device(), device(), device(), device(), device(), device(), device(), device()};
        generator.seed(seed);
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(32);
    for (int word = 0; word < 2; ++word) {
        std::uint64_t r = generator();
        for (int i = 0; i < 16; ++i, r >>= 4) out.push_back(kHex[r & 0xF]);
    }
    return out;
}

}  // namespace watchbot_progress::detail
