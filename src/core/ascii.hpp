#pragma once
// ASCII case folding for protocol text (HTTP header names, host names, URL schemes, configuration
// keys and booleans): only A–Z change, whatever the process's locale, and bytes above 0x7F pass
// through unchanged (std::tolower depends on the C locale).

#include <string>
#include <string_view>

namespace watchbot_progress::detail {

inline char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

inline std::string ascii_lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = ascii_lower(c);
    return out;
}

}  // namespace watchbot_progress::detail
