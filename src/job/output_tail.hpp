#pragma once
// The end of what a command wrote to a stream, bounded: what a failed command's reason quotes (the
// last lines of its stderr) without keeping everything it wrote.

#include <cstddef>
#include <string>
#include <string_view>

namespace watchbot_progress::detail {

class OutputTail {
public:
    // Keeps the last `limit` bytes appended (0 keeps nothing).
    explicit OutputTail(std::size_t limit) : limit_(limit) {}

    void append(std::string_view bytes);

    // The kept bytes as text: when earlier bytes were dropped, it starts after the first line break
    // of the window (no half line) and with the line "[...]"; invalid UTF-8 is replaced by U+FFFD,
    // trailing line breaks are removed. At most limit_ + 6 bytes before the replacements (each
    // replacement is 3 bytes for 1 to 3 invalid ones). Empty when nothing was written.
    std::string text() const;

private:
    std::size_t limit_;
    std::string kept_;       // at most 2 * limit_ bytes; the window is its last limit_ bytes
    bool dropped_ = false;   // bytes before the window were dropped
};

}  // namespace watchbot_progress::detail
