// ASCII case folding for protocol text (core/ascii.hpp): only A-Z change, in every locale.
#include <gtest/gtest.h>

#include <clocale>
#include <string>

#include "core/ascii.hpp"

namespace detail = watchbot_progress::detail;

TEST(AsciiLower, FoldsOnlyTheAsciiCapitals) {
    EXPECT_EQ(detail::ascii_lower("Content-TYPE"), "content-type");
    EXPECT_EQ(detail::ascii_lower("X-Amz-Date: 20150830T123600Z"), "x-amz-date: 20150830t123600z");
    EXPECT_EQ(detail::ascii_lower("@[`{"), "@[`{");  // the neighbours of A-Z and a-z
    EXPECT_EQ(detail::ascii_lower(""), "");
}

TEST(AsciiLower, LeavesBytesAboveAsciiAsTheyAreWhateverTheLocale) {
    const std::string text = "\xC3\x89T\xC3\x89 \xC4\xB0";  // "ÉTÉ İ" in UTF-8
    const std::string expected = "\xC3\x89t\xC3\x89 \xC4\xB0";
    EXPECT_EQ(detail::ascii_lower(text), expected);
    // A Latin-1 locale's tolower would change 0xC3 (Ã) and 0xC9 (É); ASCII folding must not.
    if (std::setlocale(LC_CTYPE, "C.UTF-8") != nullptr) {
        EXPECT_EQ(detail::ascii_lower(text), expected);
    }
    std::setlocale(LC_CTYPE, "C");
    EXPECT_EQ(detail::ascii_lower(std::string("\xC9\xC3")), std::string("\xC9\xC3"));
}
