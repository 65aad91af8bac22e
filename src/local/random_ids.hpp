#pragma once
// Random identifiers for the local queue: message ids and receipt-handle tokens.
// Thread-safe and fork-safe: each thread has its own generator, reseeded from the OS entropy source
// when first used in a thread and again after fork(), so parent and child never repeat each other.

#include <string>

namespace watchbot_progress::local_detail {

// A random UUID v4, lower-case ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx").
std::string random_uuid();

// 32 lower-case hex digits (128 random bits).
std::string random_token();

}  // namespace watchbot_progress::local_detail
