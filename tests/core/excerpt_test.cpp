// The excerpt of outside text that error messages quote (core/excerpt.hpp): bounded, one line,
// control characters visible, never a UTF-8 character split.

#include <string>

#include <gtest/gtest.h>

#include "core/excerpt.hpp"

namespace detail = watchbot_progress::detail;

TEST(Excerpt, ShortTextIsKeptWhole) {
    EXPECT_EQ(detail::excerpt("", 10), "");
    EXPECT_EQ(detail::excerpt("abc", 10), "abc");
    EXPECT_EQ(detail::excerpt("0123456789", 10), "0123456789");  // exactly the bound: no cut
    EXPECT_EQ(detail::quoted_excerpt("abc", 10), "'abc'");
}

TEST(Excerpt, LongTextIsCutAtTheBoundAndTheCutMarked) {
    EXPECT_EQ(detail::excerpt("0123456789a", 10), "0123456789...");
    EXPECT_EQ(detail::quoted_excerpt("0123456789a", 10), "'0123456789...'");
    const std::string huge(100000, 'x');
    EXPECT_EQ(detail::excerpt(huge, 300), std::string(300, 'x') + "...");
    EXPECT_EQ(detail::excerpt("abc", 0), "...");
}

TEST(Excerpt, ControlCharactersAreShownAsQuestionMarks) {
    EXPECT_EQ(detail::excerpt("a\nb\rc\td\x01" "e\x1f" "f\x7f" "g", 100), "a?b?c?d?e?f?g");
    EXPECT_EQ(detail::excerpt(std::string("nul\0x", 5), 100), "nul?x");
    // Nothing else changes: spaces, quotes, non-ASCII.
    EXPECT_EQ(detail::excerpt("a b 'c' Zoé 🚀", 100), "a b 'c' Zoé 🚀");
    // One line, however long and whatever it holds.
    std::string hostile;
    for (int i = 0; i < 2000; ++i) hostile += static_cast<char>(i % 256);
    const std::string shown = detail::excerpt(hostile, 200);
    EXPECT_LE(shown.size(), 203u);
    for (char c : shown) {
        EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20 || c == 0x7F) << static_cast<int>(c);
    }
}

TEST(Excerpt, NeverSplitsAUtf8Character) {
    // "é" is 2 bytes, "🚀" 4: a bound inside one cuts before it.
    EXPECT_EQ(detail::excerpt("abé", 3), "ab...");
    EXPECT_EQ(detail::excerpt("abé", 4), "abé");
    EXPECT_EQ(detail::excerpt("a🚀b", 2), "a...");
    EXPECT_EQ(detail::excerpt("a🚀b", 4), "a...");
    EXPECT_EQ(detail::excerpt("a🚀b", 5), "a🚀...");
    // Bytes that are not UTF-8 are cut at the bound.
    EXPECT_EQ(detail::excerpt("\x80\x80\x80\x80\x80\x80", 5), "\x80\x80\x80\x80\x80...");
}

TEST(Excerpt, PrintableBoundsWithoutMarkingTheCut) {
    EXPECT_EQ(detail::printable("a\nb"), "a?b");
    EXPECT_EQ(detail::printable("0123456789", 4), "0123");
    EXPECT_EQ(detail::printable("abé", 3), "ab");
    // Applying it again changes nothing (values kept, such as error codes, stay stable).
    const std::string once = detail::printable("code\x01with a long tail", 8);
    EXPECT_EQ(detail::printable(once, 8), once);
}
