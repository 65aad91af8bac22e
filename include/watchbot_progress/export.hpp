#pragma once

// WATCHBOT_PROGRESS_EXPORT marks the public API: the classes (their member functions, vtables and
// typeinfo, so that catch and dynamic_cast work across the library's boundary) and free functions
// declared in include/watchbot_progress/. The library is compiled with hidden visibility
// (docs/architecture.md, "The library's ABI"): what is not marked is not exported by
// libwatchbot_progress.so. The same attribute is right for the static library (it changes nothing
// there) and for a program that uses the library, so the macro depends on no definition at build time.
//
// WATCHBOT_PROGRESS_NO_EXPORT marks what an exported class declares but keeps to the library: its
// implementation's type (struct Impl), which would otherwise take the class's visibility, and a
// member that takes a private type (DynamoDbBackend's constructor over the library's own client).
#if defined(__GNUC__) || defined(__clang__)
#define WATCHBOT_PROGRESS_EXPORT __attribute__((visibility("default")))
#define WATCHBOT_PROGRESS_NO_EXPORT __attribute__((visibility("hidden")))
#else
#define WATCHBOT_PROGRESS_EXPORT
#define WATCHBOT_PROGRESS_NO_EXPORT
#endif
