#include "core/secure_random.hpp"

#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "watchbot_progress/error_codes.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress::detail {

namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

void append_hex(std::string& out, std::uint8_t byte) {
    out += kHexDigits[byte >> 4];
    out += kHexDigits[byte & 0x0F];
}

}  // namespace

void secure_random_bytes(std::span<std::uint8_t> out) {
    std::size_t filled = 0;
    while (filled < out.size()) {
        const ssize_t n = ::getrandom(out.data() + filled, out.size() - filled, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw BackendError(std::string("the kernel's random source (getrandom) failed: ") + std::strerror(errno) +
                                   "; run on Linux 3.17 or later",
                               std::string(error_code::kRandomUnavailable), false);
        }
        filled += static_cast<std::size_t>(n);
    }
}

std::string secure_random_hex(std::size_t bytes) {
    std::string out;
    out.reserve(2 * bytes);
    std::array<std::uint8_t, 64> chunk{};
    while (bytes > 0) {
        const std::size_t n = std::min(bytes, chunk.size());
        secure_random_bytes(std::span(chunk.data(), n));
        for (std::size_t i = 0; i < n; ++i) append_hex(out, chunk[i]);
        bytes -= n;
    }
    return out;
}

std::string secure_random_uuid() {
    std::array<std::uint8_t, 16> bytes{};
    secure_random_bytes(bytes);
    bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0F) | 0x40);  // version 4
    bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
    std::string out;
    out.reserve(36);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
        append_hex(out, bytes[i]);
    }
    return out;
}

}  // namespace watchbot_progress::detail
