#pragma once
// The library's one source of random identifiers: job ids, reduce-claim tokens, the local queue's
// message ids and receipt handles. Bytes come from the kernel's CSPRNG (getrandom(2)), so they are
// unpredictable, never repeat across threads or fork()ed processes, and need no seeding.
//
// Thread-safe. Throws BackendError (code error_code::kRandomUnavailable) in the unlikely case the kernel refuses
// (getrandom failing with anything but EINTR, e.g. ENOSYS on a kernel older than 3.17).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace watchbot_progress::detail {

// Fills `out` with random bytes.
void secure_random_bytes(std::span<std::uint8_t> out);

// `bytes` random bytes as 2 * `bytes` lower-case hex digits.
std::string secure_random_hex(std::size_t bytes);

// A random UUID v4, lower-case ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx").
std::string secure_random_uuid();

}  // namespace watchbot_progress::detail
