// The benchmarks' call counter (core/counting_backend.hpp): each call that reaches the backend
// counts once, whatever it answers.

#include <memory>

#include <gtest/gtest.h>

#include "core/counting_backend.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace wp = watchbot_progress;

TEST(CountingBackend, CountsEachCallToTheTarget) {
    auto counting = std::make_shared<wp::detail::CountingBackend>(std::make_shared<wp::MemoryBackend>());
    wp::Backend& backend = *counting;
    backend.set_total("job", 2);
    backend.set_metadata("job", {{"k", "v"}});
    EXPECT_FALSE(backend.complete_part_and_claim_reduce("job", 0).job_complete);
    const auto won = backend.complete_part_and_claim_reduce("job", 1);
    ASSERT_TRUE(won.reduce_claimed());
    EXPECT_TRUE(backend.confirm_reduce("job", *won.reduce_claim));
    EXPECT_TRUE(backend.status("job").complete());
    EXPECT_EQ(counting->calls.load(), 6u);
    EXPECT_THROW(backend.status(""), wp::InvalidInput);  // refused before the target: not a call
    EXPECT_EQ(counting->calls.load(), 6u);
    EXPECT_TRUE(backend.delete_job("job"));
    EXPECT_EQ(counting->calls.load(), 7u);
}

TEST(CountingBackend, CountsTheAlertMarks) {
    auto counting = std::make_shared<wp::detail::CountingBackend>(std::make_shared<wp::MemoryBackend>());
    wp::Backend& backend = *counting;
    backend.set_total("job", 1);
    EXPECT_TRUE(backend.claim_alert("job", wp::AlertState::kStalled));
    EXPECT_FALSE(backend.claim_alert("job", wp::AlertState::kStalled));
    backend.release_alert("job", wp::AlertState::kStalled);
    EXPECT_TRUE(backend.claim_alert("job", wp::AlertState::kStalled));
    EXPECT_EQ(counting->calls.load(), 5u);
}
