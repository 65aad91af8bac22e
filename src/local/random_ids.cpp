#include "local/random_ids.hpp"

#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <random>

namespace watchbot_progress::local_detail {

namespace {

std::array<std::uint8_t, 16> random_bytes() {
    thread_local pid_t seeded_pid = 0;
    thread_local std::mt19937_64 generator;
    if (seeded_pid != ::getpid()) {
        seeded_pid = ::getpid();
        std::random_device device;
        std::seed_seq seed{device(), device(), device(), device(), device(), device(), device(), device()};
        generator.seed(seed);
    }
    std::array<std::uint8_t, 16> bytes{};
    for (std::size_t i = 0; i < bytes.size(); i += 8) {
        const std::uint64_t r = generator();
        for (std::size_t k = 0; k < 8; ++k) bytes[i + k] = static_cast<std::uint8_t>(r >> (8 * k));
    }
    return bytes;
}

std::string hex(const std::array<std::uint8_t, 16>& bytes, bool dashes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(36);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (dashes && (i == 4 || i == 6 || i == 8 || i == 10)) out += '-';
        out += kHex[bytes[i] >> 4];
        out += kHex[bytes[i] & 0x0F];
    }
    return out;
}

}  // namespace

std::string random_uuid() {
    auto bytes = random_bytes();
    bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0F) | 0x40);  // version 4
    bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
    return hex(bytes, true);
}

std::string random_token() { return hex(random_bytes(), false); }

}  // namespace watchbot_progress::local_detail
