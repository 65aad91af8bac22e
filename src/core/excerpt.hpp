#pragma once
// Text from outside (user input, a URI, a service's answer) shown in a message: bounded, and on one
// line. Every error message that quotes such text goes through these, so that no input can make a
// message huge, break it over lines, or forge a line of a log.

#include <cstddef>
#include <string>
#include <string_view>

namespace watchbot_progress::detail {

// Where to cut `text` to keep at most `max` bytes: `max`, moved back to the start of a UTF-8
// character it would split (at most 3 bytes back; text that is not UTF-8 is cut at `max`); the
// whole text when it is not longer than `max`.
inline std::size_t utf8_cut(std::string_view text, std::size_t max) {
    if (text.size() <= max) return text.size();
    const auto continuation = [&](std::size_t i) { return (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80; };
    std::size_t cut = max;
    while (cut > 0 && max - cut < 3 && continuation(cut)) --cut;
    return continuation(cut) ? max : cut;
}

// `text` (at most its first `max` bytes, cut before a UTF-8 character rather than inside it), each
// control character (bytes below 0x20, and DEL 0x7F) replaced by '?'. The cut is not marked: for
// values kept and compared (an error code, a request id) as much as for messages.
inline std::string printable(std::string_view text, std::size_t max = std::string_view::npos) {
    std::string out(text.substr(0, utf8_cut(text, max)));
    for (char& c : out) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
    }
    return out;
}

// An excerpt for a message: printable(text, max), followed by "..." when `text` was cut.
inline std::string excerpt(std::string_view text, std::size_t max) {
    std::string out = printable(text, max);
    if (out.size() < text.size()) out += "...";
    return out;
}

// The excerpt in single quotes: 'text' or 'text...'.
inline std::string quoted_excerpt(std::string_view text, std::size_t max) { return "'" + excerpt(text, max) + "'"; }

}  // namespace watchbot_progress::detail
