// End to end on the emulators: create_job on DynamoDB (dynalite) with map messages through SNS into
// an SQS queue (fauxqs); 25 worker threads then run every map message read back from the queue,
// each delivered twice in random order, through the Part guard; exactly one reduce message must
// arrive in the queue. Run on both DynamoDB layouts.

#include "watchbot_progress/config.hpp"
#if WP_WITH_AWS  // the DynamoDB backend is part of the AWS layer

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "aws/fauxqs_test_util.hpp"
#include "dynamodb_test_util.hpp"
#include "fault_delivery.hpp"
#include "watchbot_progress/sns_notifier.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace wp = watchbot_progress;
using nlohmann::json;

namespace {

class DynamoDbEndToEnd : public ::testing::TestWithParam<wp::DynamoDbLayout> {};

TEST_P(DynamoDbEndToEnd, DuplicatedDeliveriesFrom25WorkersSendExactlyOneReduce) {
    constexpr int kParts = 400;
    const wp_test::Fauxqs fauxqs = wp_test::Fauxqs::from_env();
    const auto sink = fauxqs.create_topic_with_queue("wp-dynamodb-e2e");
    const wp_test::ScopedEnv env = fauxqs.client_env();  // credentials for the SNS notifier, as a worker has
    auto notifier = std::make_shared<wp::SnsNotifier>(wp::SnsOptions{.topic_arn = sink.topic_arn, .aws = {.endpoint = fauxqs.endpoint()}});

    wp::DynamoDbOptions options = wp_test::dynamodb_test_options("wp-test-e2e");
    options.layout = GetParam();
    options.shard_size = 16;  // sharded: 25 shards under 2 index items
    auto backend = std::make_shared<wp::DynamoDbBackend>(options);

    json parts = json::array();
    for (int i = 0; i < kParts; ++i) parts.push_back({{"tile", "s3://bucket/" + std::to_string(i) + ".tif"}});
    const json metadata = {{"project", "e2e"}, {"zoom", 14}};
    const std::string jobid = wp::create_job(parts, {.backend = backend, .notifier = notifier, .metadata = metadata});
    EXPECT_EQ(backend->status(jobid).remaining, kParts);

    // Watchbot's side: read every map message back from the queue.
    std::vector<wp::MapMessage> maps;
    for (const auto& envelope : fauxqs.receive_all(sink.queue_url)) {
        ASSERT_EQ(envelope.subject.value_or(""), "map");
        maps.push_back(wp::parse_map_message(envelope.message));
        EXPECT_EQ(maps.back().jobid, jobid);
        EXPECT_EQ(maps.back().metadata, metadata);
    }
    ASSERT_EQ(maps.size(), static_cast<std::size_t>(kParts));

    // Every message delivered twice, shuffled, to 25 workers.
    std::vector<std::size_t> deliveries;
    for (int copy = 0; copy < 2; ++copy) {
        for (std::size_t i = 0; i < maps.size(); ++i) deliveries.push_back(i);
    }
    std::shuffle(deliveries.begin(), deliveries.end(), std::mt19937(2024));
    std::atomic<std::size_t> next{0};
    std::atomic<int> processed{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < 25; ++t) {
        workers.emplace_back([&] {
            for (std::size_t i = next++; i < deliveries.size(); i = next++) {
                const wp::MapMessage& message = maps[deliveries[i]];
                // A delivery that meets another's unconfirmed reduce claim fails (ReducePending)
                // and is delivered again, as watchbot does.
                wp_test::redeliver_until_done([&] {
                    wp::Part(message, {.backend = backend, .notifier = notifier}).run([&] {
                        EXPECT_TRUE(message.body.contains("tile"));
                    });
                });
                ++processed;
            }
        });
    }
    for (auto& w : workers) w.join();
    EXPECT_EQ(processed.load(), 2 * kParts);

    const auto reduces = fauxqs.receive_all(sink.queue_url);
    ASSERT_EQ(reduces.size(), 1u) << "exactly one reduce message";
    EXPECT_EQ(reduces[0].subject.value_or(""), "reduce");
    EXPECT_EQ(json::parse(reduces[0].message), (json{{"jobid", jobid}, {"metadata", metadata}}));
    const auto s = backend->status(jobid);
    EXPECT_TRUE(s.complete());
    EXPECT_TRUE(s.reduce_sent);
    EXPECT_TRUE(backend->delete_job(jobid));
}

INSTANTIATE_TEST_SUITE_P(Layouts, DynamoDbEndToEnd,
                         ::testing::Values(wp::DynamoDbLayout::kCompatible, wp::DynamoDbLayout::kSharded),
                         [](const ::testing::TestParamInfo<wp::DynamoDbLayout>& info) {
                             return info.param == wp::DynamoDbLayout::kSharded ? std::string("Sharded")
                                                                               : std::string("Compatible");
                         });

}  // namespace

#endif  // WP_WITH_AWS
