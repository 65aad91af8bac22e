// The list of part ids that create_job's and resend_parts' PublishError messages name
// (detail::part_id_list, job/batch_publisher.hpp): the first 20, then how many more.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "job/batch_publisher.hpp"

namespace wp = watchbot_progress;

TEST(PartIdList, NamesUpToTwentyIds) {
    EXPECT_EQ(wp::detail::part_id_list({}), "");
    EXPECT_EQ(wp::detail::part_id_list({7}), "7");
    EXPECT_EQ(wp::detail::part_id_list({0, 3, 9223372036854775807}), "0, 3, 9223372036854775807");
    std::vector<wp::PartId> twenty;
    for (wp::PartId i = 0; i < 20; ++i) twenty.push_back(i);
    EXPECT_EQ(wp::detail::part_id_list(twenty), "0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19");
}

TEST(PartIdList, SaysHowManyMoreBeyondTwenty) {
    std::vector<wp::PartId> many;
    for (wp::PartId i = 100; i < 100100; ++i) many.push_back(i);
    const std::string text = wp::detail::part_id_list(many);
    EXPECT_TRUE(text.starts_with("100, 101, ")) << text;
    EXPECT_TRUE(text.ends_with(", 118, 119, ... (99980 more)")) << text;
}
