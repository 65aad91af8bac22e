#pragma once
// Hashes for request signing and response checking (OpenSSL underneath).
// All functions are pure and thread-safe; they throw std::runtime_error only if OpenSSL itself fails.

#include <cstdint>
#include <string>
#include <string_view>

namespace watchbot_progress::aws {

// Lowercase hex of the bytes.
std::string to_hex(std::string_view bytes);

// Raw 32-byte SHA-256 digest and its lowercase hex form.
std::string sha256(std::string_view data);
std::string sha256_hex(std::string_view data);

// Lowercase hex SHA-1 of the data: only to name files as the AWS CLI does (its SSO token cache,
// ~/.aws/sso/cache/<sha1>.json), never for security.
std::string sha1_hex(std::string_view data);

// Raw 32-byte HMAC-SHA256 of `data` under `key`.
std::string hmac_sha256(std::string_view key, std::string_view data);

// CRC-32 (IEEE 802.3, as zlib computes it), used to check DynamoDB's X-Amz-Crc32 header.
std::uint32_t crc32(std::string_view data);

}  // namespace watchbot_progress::aws
