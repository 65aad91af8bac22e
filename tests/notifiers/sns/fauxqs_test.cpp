// The SNS notifier end to end against fauxqs (WP_TEST_FAUXQS_ENDPOINT, started by tools/services.sh):
// create_job publishes every map message exactly once through PublishBatch, a queue subscribed to
// the topic receives the usual SNS envelopes, and the Part guard sends exactly one reduce message.
// These tests fail (never skip) when WP_TEST_FAUXQS_ENDPOINT is unset.

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "aws/fauxqs_test_util.hpp"
#include "notifiers/sns/sns_notifier_access.hpp"
#include "fault_delivery.hpp"
#include "test_env.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/job.hpp"
#include "watchbot_progress/memory_backend.hpp"
#include "watchbot_progress/open_backend.hpp"
#include "watchbot_progress/part.hpp"
#include "watchbot_progress/sns_notifier.hpp"

namespace wp = watchbot_progress;
namespace sns = watchbot_progress::detail::sns;
using wp_test::Fauxqs;
using wp_test::SnsEnvelope;

namespace {

// A notifier for the topic configured only through explicit options and fixed fake credentials,
// independent of the process environment (ConfiguredFromTheEnvironmentLikeAWorker covers that path).
std::shared_ptr<wp::SnsNotifier> notifier_for(const Fauxqs& fauxqs, const std::string& topic_arn) {
    return sns::make_sns_notifier(
        wp::SnsOptions{.topic_arn = topic_arn, .aws = {.endpoint = fauxqs.endpoint()}},
        [](watchbot_progress::aws::AwsClientConfig& c) {
            c.credentials = std::make_shared<watchbot_progress::aws::StaticCredentialsProvider>(watchbot_progress::aws::Credentials{
                wp_test::kFauxqsAccessKeyId, wp_test::kFauxqsSecretKey, std::nullopt, std::nullopt});
        },
        watchbot_progress::aws::map_env({}));
}

nlohmann::json test_metadata() { return {{"region", "us-east-1"}, {"zoom", 12}, {"tags", {"a", "b"}}, {"name", "jöb"}}; }

// Checks that `got` holds exactly one map message per part 0..n-1, with the right fields.
void expect_each_part_once(const std::vector<SnsEnvelope>& got, const std::string& topic_arn, const std::string& jobid,
                           std::int64_t n, const nlohmann::json& metadata) {
    ASSERT_EQ(got.size(), static_cast<std::size_t>(n)) << "every part exactly once";
    std::vector<int> seen(static_cast<std::size_t>(n), 0);
    for (const SnsEnvelope& e : got) {
        EXPECT_EQ(e.type, "Notification");
        EXPECT_EQ(e.topic_arn, topic_arn);
        ASSERT_TRUE(e.subject.has_value());
        EXPECT_EQ(*e.subject, "map");
        nlohmann::json m = nlohmann::json::parse(e.message);
        EXPECT_EQ(m["jobid"], jobid);
        ASSERT_TRUE(m["partid"].is_number_integer()) << e.message;
        const auto partid = m["partid"].get<std::int64_t>();
        ASSERT_GE(partid, 0);
        ASSERT_LT(partid, n);
        ++seen[static_cast<std::size_t>(partid)];
        EXPECT_EQ(m["metadata"], metadata);
        EXPECT_EQ(m["url"], "s3://bucket/tile-" + std::to_string(partid) + ".tif");
        EXPECT_EQ(m["index"], partid);
        EXPECT_EQ(m.size(), 5U) << e.message;
    }
    for (std::int64_t p = 0; p < n; ++p) EXPECT_EQ(seen[static_cast<std::size_t>(p)], 1) << "part " << p;
}

std::vector<nlohmann::json> make_parts(std::int64_t n) {
    std::vector<nlohmann::json> parts;
    parts.reserve(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) parts.push_back({{"url", "s3://bucket/tile-" + std::to_string(i) + ".tif"}, {"index", i}});
    return parts;
}

}  // namespace

class SnsFauxqsCreateJob : public ::testing::TestWithParam<std::int64_t> {};

TEST_P(SnsFauxqsCreateJob, PublishesEveryPartExactlyOnce) {
    const std::int64_t n = GetParam();
    Fauxqs fauxqs = Fauxqs::from_env();
    auto sink = fauxqs.create_topic_with_queue("wp-create-" + std::to_string(n));
    auto notifier = notifier_for(fauxqs, sink.topic_arn);
    auto backend = std::make_shared<wp::MemoryBackend>();

    std::atomic<std::uint64_t> last_progress{0};
    const std::string jobid = wp::create_job(make_parts(n), {.backend = backend,
                                                             .notifier = notifier,
                                                             .metadata = test_metadata(),
                                                             .on_progress = [&](std::uint64_t done, std::uint64_t total) {
                                                                 EXPECT_EQ(total, static_cast<std::uint64_t>(n));
                                                                 std::uint64_t seen = last_progress.load();
                                                                 while (done > seen && !last_progress.compare_exchange_weak(seen, done)) {
                                                                 }
                                                             }});
    EXPECT_EQ(last_progress.load(), static_cast<std::uint64_t>(n));

    expect_each_part_once(fauxqs.receive_all(sink.queue_url), sink.topic_arn, jobid, n, test_metadata());

    const wp::SnsStats stats = notifier->stats();
    EXPECT_EQ(stats.requests, static_cast<std::uint64_t>((n + 9) / 10)) << "PublishBatch, 10 messages per request";
    EXPECT_EQ(stats.messages_published, static_cast<std::uint64_t>(n));
    EXPECT_EQ(stats.messages_failed, 0U);
    EXPECT_EQ(stats.entries_retried, 0U);
    EXPECT_GT(stats.bytes_sent, 0U);
    EXPECT_GT(stats.bytes_received, 0U);

    const wp::JobStatus status = backend->status(jobid);
    EXPECT_EQ(status.total, n);
    EXPECT_EQ(status.remaining, n);
    EXPECT_EQ(status.metadata, test_metadata());
}

// One message, one batch, a batch and one, many batches over several connections (a tenth under the
// sanitizers: "N500").
INSTANTIATE_TEST_SUITE_P(SnsParts, SnsFauxqsCreateJob, ::testing::Values(1, 10, 11, wp_test::scaled(5000, 500)),
                         [](const ::testing::TestParamInfo<std::int64_t>& info) { return "N" + std::to_string(info.param); });

TEST(SnsFauxqsTest, ReduceMessageArrivesExactlyOnce) {
    Fauxqs fauxqs = Fauxqs::from_env();
    auto sink = fauxqs.create_topic_with_queue("wp-reduce");
    auto notifier = notifier_for(fauxqs, sink.topic_arn);
    auto backend = std::make_shared<wp::MemoryBackend>();
    const std::int64_t n = 40;
    const nlohmann::json metadata = test_metadata();
    const std::string jobid = wp::create_job(make_parts(n), {.backend = backend, .notifier = notifier, .metadata = metadata});

    // The workers' side: every map message from the queue, some delivered twice, from 8 threads.
    std::vector<SnsEnvelope> maps = fauxqs.receive_all(sink.queue_url);
    ASSERT_EQ(maps.size(), static_cast<std::size_t>(n));
    std::vector<std::string> deliveries;
    for (const auto& e : maps) deliveries.push_back(e.message);
    for (std::size_t i = 0; i < maps.size(); i += 3) deliveries.push_back(maps[i].message);
    std::atomic<std::size_t> next{0};
    std::atomic<int> ran{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (std::size_t i = next++; i < deliveries.size(); i = next++) {
                // A delivery that meets another's unconfirmed reduce claim fails (ReducePending)
                // and is delivered again, as watchbot does.
                wp_test::redeliver_until_done([&] {
                    wp::Part(wp::parse_map_message(deliveries[i]), {.backend = backend, .notifier = notifier})
                        .run([] {});
                });
                ++ran;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(ran.load(), static_cast<int>(deliveries.size()));

    std::vector<SnsEnvelope> after = fauxqs.receive_all(sink.queue_url);
    ASSERT_EQ(after.size(), 1U) << "exactly one reduce message";
    ASSERT_TRUE(after[0].subject.has_value());
    EXPECT_EQ(*after[0].subject, "reduce");
    EXPECT_EQ(nlohmann::json::parse(after[0].message), (nlohmann::json{{"jobid", jobid}, {"metadata", metadata}}));
    EXPECT_TRUE(backend->status(jobid).reduce_sent);
    EXPECT_EQ(backend->status(jobid).remaining, 0);

    // A late duplicate after the reduce: no second reduce message.
    wp::Part(wp::parse_map_message(maps[0].message), {.backend = backend, .notifier = notifier}).run([] {});
    EXPECT_TRUE(fauxqs.receive_all(sink.queue_url).empty());
}

TEST(SnsFauxqsTest, OversizeMessageIsInvalidInputBeforeTheJobIsWritten) {
    Fauxqs fauxqs = Fauxqs::from_env();
    auto sink = fauxqs.create_topic_with_queue("wp-oversize");
    auto notifier = notifier_for(fauxqs, sink.topic_arn);
    auto backend = std::make_shared<wp::MemoryBackend>();
    std::vector<nlohmann::json> parts = make_parts(5);
    parts[3]["blob"] = std::string(wp::SnsNotifier::kMaxMessageBytes, 'x');
    try {
        wp::create_job(parts, {.backend = backend, .notifier = notifier, .jobid = "oversize-job"});
        ADD_FAILURE() << "expected InvalidInput";
    } catch (const wp::InvalidInput& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("part 3"), std::string::npos) << what;
        EXPECT_NE(what.find("over the notifier's limit of 262144 bytes"), std::string::npos) << what;
    }
    EXPECT_THROW(backend->status("oversize-job"), wp::JobDoesNotExist) << "the backend has no job";
    EXPECT_EQ(notifier->stats().requests, 0U);
    EXPECT_TRUE(fauxqs.receive_all(sink.queue_url).empty());

    // The notifier refuses such a message on its own too.
    EXPECT_THROW(notifier->publish("map", std::string(wp::SnsNotifier::kMaxMessageBytes + 1, 'x')), wp::InvalidInput);
    // Exactly at the limit is accepted by SNS (fauxqs checks the same limit).
    const std::string at_limit = "\"" + std::string(wp::SnsNotifier::kMaxMessageBytes - 2, 'y') + "\"";
    notifier->publish("map", at_limit);
    auto got = fauxqs.receive_all(sink.queue_url);
    ASSERT_EQ(got.size(), 1U);
    EXPECT_EQ(got[0].message, at_limit);
}

TEST(SnsFauxqsTest, ConfiguredFromTheEnvironmentLikeAWorker) {
    Fauxqs fauxqs = Fauxqs::from_env();
    auto sink = fauxqs.create_topic_with_queue("wp-env");
    wp_test::ScopedEnv env = fauxqs.client_env();
    env.set("WorkTopic", sink.topic_arn);
    env.set("ProgressTable", std::string("memory://sns-fauxqs-env"));

    // create_job and the Part guard with no backend or notifier given: ProgressTable and WorkTopic.
    const std::string jobid = wp::create_job(make_parts(3), {.metadata = {{"k", "v"}}});
    auto maps = fauxqs.receive_all(sink.queue_url);
    ASSERT_EQ(maps.size(), 3U);
    for (const auto& e : maps) wp::Part(wp::parse_map_message(e.message)).run([] {});
    auto reduce = fauxqs.receive_all(sink.queue_url);
    ASSERT_EQ(reduce.size(), 1U);
    EXPECT_EQ(reduce[0].subject, std::optional<std::string>("reduce"));
    EXPECT_EQ(nlohmann::json::parse(reduce[0].message)["jobid"], jobid);

    auto notifier = wp::SnsNotifier::from_env();
    EXPECT_EQ(notifier->describe(), sink.topic_arn);
    notifier->publish("start", "plain");
    auto plain = fauxqs.receive_all(sink.queue_url);
    ASSERT_EQ(plain.size(), 1U);
    EXPECT_EQ(plain[0].subject, std::optional<std::string>("start"));
    EXPECT_EQ(plain[0].message, "plain");
    wp::open_backend("memory://sns-fauxqs-env")->delete_job(jobid);
}

TEST(SnsFauxqsTest, UnknownTopicIsANotRetryableError) {
    Fauxqs fauxqs = Fauxqs::from_env();
    auto notifier = notifier_for(fauxqs, "arn:aws:sns:us-east-1:000000000000:" + Fauxqs::unique_name("wp-missing"));
    try {
        notifier->publish("map", "x");
        ADD_FAILURE() << "expected BackendError";
    } catch (const wp::BackendError& e) {
        EXPECT_EQ(e.code(), "NotFound");
        EXPECT_FALSE(e.retryable());
    }
    const std::vector<wp::OutgoingMessage> batch{{"map", "a"}, {"map", "b"}};
    try {
        notifier->publish_batch(batch);
        ADD_FAILURE() << "expected PublishError";
    } catch (const wp::PublishError& e) {
        EXPECT_EQ(e.code(), "NotFound");
        EXPECT_EQ(e.failed_indexes(), (std::vector<std::size_t>{0, 1}));
    }
    EXPECT_EQ(notifier->stats().requests, 2U) << "NotFound is not retried";
}

TEST(SnsFauxqsTest, RequiresTheFauxqsEndpoint) {
    // The helpers fail, never skip, without the variable.
    wp_test::ScopedEnv env({{"WP_TEST_FAUXQS_ENDPOINT", std::nullopt}});
    EXPECT_THROW(Fauxqs::from_env(), std::runtime_error);
}
