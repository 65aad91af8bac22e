// The Redis backend's reduce claim beyond the conformance suite: claims whose every reply was lost
// on a dropped connection (through tests/support/reply_drop_proxy.hpp, which drops the connection after
// redis-server ran the script), and jobs the Python tool reduced (written command for command as it
// writes them: tests/support/other_tools.hpp). Needs WP_TEST_REDIS_URL (tools/services.sh); fails without it.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fault_delivery.hpp"
#include "other_tools.hpp"
#include "reply_drop_proxy.hpp"
#include "test_env.hpp"
#include "watchbot_progress/redis_backend.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace wp = watchbot_progress;

namespace {

wp::RedisOptions server_options() {
    wp::RedisOptions options = wp::RedisBackend::parse_uri(wp_test::require_env("WP_TEST_REDIS_URL"));
    options.pool_size = 4;
    return options;
}

std::string new_id(const char* prefix) { return std::string("redis-claim-") + prefix + "-" + wp::new_jobid(); }

// A backend whose every connection goes through `proxy`: 3 attempts per call.
std::shared_ptr<wp::RedisBackend> through(const wp_test::ReplyDropProxy& proxy) {
    wp::RedisOptions options = server_options();
    options.host = "127.0.0.1";
    options.port = proxy.port();
    options.reconnect_attempts = 2;
    options.reconnect_backoff = std::chrono::milliseconds(1);
    return std::make_shared<wp::RedisBackend>(options);
}

std::vector<wp::MapMessage> map_messages(const std::string& jobid, int total) {
    std::vector<wp::MapMessage> messages;
    for (int p = 0; p < total; ++p) messages.push_back({jobid, p, nlohmann::json::object(), nullptr});
    return messages;
}

// The last part's completion runs its script (completion and claim) on the server, and the reply
// is lost on every attempt: the claim is made with a token the caller never hears back. The caller
// must read the claim record and recognise its claim; a claim held by nobody would leave the job
// without a reduce until the claim's lease ends, however often its parts are delivered again.
TEST(RedisClaim, EveryReplyToTheClaimScriptLostStillSendsOneReduce) {
    auto direct = std::make_shared<wp::RedisBackend>(server_options());
    const std::string jobid = new_id("lost-replies");
    direct->set_total(jobid, 3);
    direct->complete_part(jobid, 0);
    direct->complete_part(jobid, 1);

    wp_test::ReplyDropProxy proxy(server_options().port, "EVALSHA", 3);
    auto backend = through(proxy);
    auto notifier = std::make_shared<wp::MemoryNotifier>();
    const auto messages = map_messages(jobid, 3);
    std::string first;
    try {
        wp::Part(messages[2], {.backend = backend, .notifier = notifier}).run([] {});
        first = "returned";
    } catch (const wp::BackendError& e) {
        first = e.code();
    }
    EXPECT_EQ(proxy.dropped(), 3);
    EXPECT_EQ(first, "returned") << "the claim's replies were lost and the caller did not recognise its claim";
    // Then every part again, twice, with redelivery of failures.
    const wp_test::DeliveryReport report = wp_test::deliver_with_redelivery(
        messages, {.threads = 4}, [&](const wp::MapMessage& m) { wp::Part(m, {.backend = backend, .notifier = notifier}).run([] {}); });
    EXPECT_TRUE(report.unexpected.empty()) << ::testing::PrintToString(report.unexpected);
    EXPECT_EQ(report.undelivered, 0u);
    const wp::JobStatus s = direct->status(jobid);
    EXPECT_EQ(s.remaining, 0);
    EXPECT_TRUE(s.reduce_confirmed);
    EXPECT_EQ(notifier->messages("reduce").size(), 1u) << "the claim was made but its reduce never sent";
    direct->delete_job(jobid);
}

// The same for claim_reduce on its own: it returns the claim's token, which confirms the claim.
TEST(RedisClaim, AClaimWhoseRepliesWereAllLostIsStillTheCallers) {
    auto direct = std::make_shared<wp::RedisBackend>(server_options());
    const std::string jobid = new_id("lost-claim");
    direct->set_total(jobid, 1);
    direct->complete_part(jobid, 0);
    wp_test::ReplyDropProxy proxy(server_options().port, "EVALSHA", 3);
    auto backend = through(proxy);
    std::optional<wp::ClaimToken> claim;
    try {
        claim = backend->claim_reduce(jobid);
    } catch (const wp::BackendError& e) {
        ADD_FAILURE() << "claim_reduce threw " << e.code() << ": " << e.what();
    }
    EXPECT_EQ(proxy.dropped(), 3);
    ASSERT_TRUE(claim);
    EXPECT_TRUE(direct->status(jobid).reduce_sent);
    EXPECT_TRUE(direct->confirm_reduce(jobid, *claim));
    EXPECT_FALSE(direct->claim_reduce(jobid));
    direct->delete_job(jobid);
}

// A lost reply of a claim someone else holds is not taken for the caller's: the error stands.
TEST(RedisClaim, LostRepliesOfAFailedClaimAreNotTakenForAWin) {
    auto direct = std::make_shared<wp::RedisBackend>(server_options());
    const std::string jobid = new_id("lost-refusal");
    direct->set_total(jobid, 1);
    const auto holder = direct->complete_part_and_claim_reduce(jobid, 0).reduce_claim;
    ASSERT_TRUE(holder);
    wp_test::ReplyDropProxy proxy(server_options().port, "EVALSHA", 3);
    auto backend = through(proxy);
    EXPECT_THROW(backend->claim_reduce(jobid), wp::BackendError);
    EXPECT_TRUE(direct->confirm_reduce(jobid, *holder)) << "the holder lost its claim";
    direct->delete_job(jobid);
}

// The Python tool marks a reduce it published with the `reduce_message_sent` field: such a job is
// reduced for this library too, and nothing sends its reduce again.
TEST(RedisClaim, AJobThePythonToolReducedCountsAsReduced) {
    auto backend = std::make_shared<wp::RedisBackend>(server_options());
    wp_test::other_tools::PythonRedisTool python(server_options());
    const std::string jobid = new_id("python-reduced");
    python.set_total(jobid, 3);
    for (int p = 0; p < 3; ++p) python.complete_part(jobid, p);
    python.mark_reduce_sent(jobid);

    const wp::JobStatus s = backend->status(jobid);
    EXPECT_EQ(s.remaining, 0);
    EXPECT_TRUE(s.reduce_sent);
    EXPECT_FALSE(s.reduce_claimed_at_ms.has_value());
    EXPECT_FALSE(s.updated_at_ms.has_value());
    EXPECT_FALSE(s.created_at_ms.has_value()) << "the other tools record no creation time";
    EXPECT_EQ(s.to_json()["reduceSent"], true);
    EXPECT_FALSE(backend->claim_reduce(jobid));
    EXPECT_FALSE(backend->complete_part_and_claim_reduce(jobid, 1).reduce_claimed());
    EXPECT_FALSE(backend->reclaim_reduce(jobid, std::chrono::milliseconds(0)));
    auto notifier = std::make_shared<wp::MemoryNotifier>();
    const wp::PartOptions options{.backend = backend, .notifier = notifier, .reduce_lease = std::chrono::milliseconds(0)};
    for (wp::PartId p = 0; p < 3; ++p) wp::Part(jobid, p, options).run([] {});
    EXPECT_TRUE(notifier->messages("reduce").empty());
    EXPECT_TRUE(backend->delete_job(jobid));
}

}  // namespace
