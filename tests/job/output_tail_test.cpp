// The bounded tail of a command's output that failure reasons quote (src/job/output_tail.hpp).

#include <gtest/gtest.h>

#include "job/output_tail.hpp"

namespace {

using watchbot_progress::detail::OutputTail;

TEST(OutputTail, KeepsEverythingUnderTheLimitWithoutTrailingLineBreaks) {
    OutputTail tail(100);
    EXPECT_EQ(tail.text(), "");
    tail.append("first line\n");
    tail.append("second line\r\n\n");
    EXPECT_EQ(tail.text(), "first line\nsecond line");
}

TEST(OutputTail, KeepsOnlyTheLastWholeLinesOverTheLimit) {
    OutputTail tail(20);
    for (int i = 1; i <= 50; ++i) tail.append("line " + std::to_string(i) + "\n");
    // The last 20 bytes are "e 48\nline 49\nline 50\n": the half line goes.
    EXPECT_EQ(tail.text(), "[...]\nline 49\nline 50");
}

TEST(OutputTail, OneLongAppendIsCutToo) {
    OutputTail tail(8);
    tail.append(std::string(1000, 'x') + "\nabc");
    EXPECT_EQ(tail.text(), "[...]\nabc");
    OutputTail no_break(8);
    no_break.append(std::string(1000, 'y'));
    EXPECT_EQ(no_break.text(), "[...]\nyyyyyyyy");  // no line break in the window: the window as it is
}

TEST(OutputTail, InvalidUtf8IsReplaced) {
    OutputTail tail(100);
    tail.append("bad \xff\xfe byte, good \xc3\xa9\n");
    const std::string text = tail.text();
    EXPECT_EQ(text.rfind("bad \xef\xbf\xbd", 0), 0u) << text;  // U+FFFD for what is not UTF-8
    EXPECT_NE(text.find(" byte, good \xc3\xa9"), std::string::npos) << text;
    EXPECT_EQ(text.find('\xff'), std::string::npos) << text;
}

TEST(OutputTail, ZeroLimitKeepsNothing) {
    OutputTail tail(0);
    EXPECT_EQ(tail.text(), "");
    tail.append("something\n");
    EXPECT_EQ(tail.text(), "[...]");
}

}  // namespace
