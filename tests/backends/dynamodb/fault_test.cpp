// Fault injection between the DynamoDB backend and dynalite: every request of the job's backend
// goes through a FaultProxy (tests/support/aws/fault_proxy.hpp) that drops connections before or after
// forwarding, answers 500 InternalServerError or throttling errors, or holds answers past the
// client's timeout, at a fixed rate with a fixed seed (and one aimed case: the answer of the job's
// creation lost). For each fault kind a 2,000-part job (in the compatible layout; one case in the
// sharded layout) is created with create_job, every part is delivered two or three times from 16 threads through the
// Part guard, and every delivery whose guard threw is delivered again (like SQS) until it succeeds.
// The job must end complete (as read directly from dynalite: remaining 0, no pending part, the
// reduce claimed) and exactly one reduce message must reach the SNS topic (published directly to
// fauxqs, without faults, so every reduce the guard sends is seen once). The counts of requests,
// faults, library retries and guard failures are printed and recorded as test properties.

#include "watchbot_progress/config.hpp"
#if WP_WITH_AWS  // the DynamoDB backend is part of the AWS layer

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "backends/dynamodb/dynamodb_client.hpp"
#include "aws/fault_proxy.hpp"
#include "aws/fauxqs_test_util.hpp"
#include "dynamodb_fault_util.hpp"
#include "dynamodb_test_util.hpp"
#include "fault_delivery.hpp"
#include "test_env.hpp"
#include "watchbot_progress/sns_notifier.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace wp = watchbot_progress;
namespace aws = watchbot_progress::aws;
using nlohmann::json;
using std::chrono::milliseconds;
using wp_test::FaultKind;

namespace {

constexpr const char* kTable = "wp-test-faults";
constexpr int kParts = wp_test::scaled(2000, 200);  // 200 under the sanitizers: the same faults, a tenth of the requests

struct FaultCase {
    const char* name;
    std::vector<FaultKind> kinds;
    double rate;
    std::string match;  // aimed faults: only requests containing this text (FaultProxyOptions::match)
    std::uint64_t max_faults = 0;
    bool sharded = false;  // the job in the sharded layout (20 parts per shard: two levels of items)
};

std::ostream& operator<<(std::ostream& out, const FaultCase& c) { return out << c.name; }

class DynamoDbFaults : public ::testing::TestWithParam<FaultCase> {};

TEST_P(DynamoDbFaults, A2000PartJobWithDuplicateDeliveriesCompletesOnceWithOneReduce) {
    const FaultCase& fault = GetParam();
    const auto started = std::chrono::steady_clock::now();

    // The truth, read without faults.
    wp::DynamoDbOptions direct_options = wp_test::dynamodb_test_options(kTable);
    if (fault.sharded) {
        direct_options.layout = wp::DynamoDbLayout::kSharded;
        direct_options.shard_size = 20;
    } else {
        direct_options.layout = wp::DynamoDbLayout::kCompatible;
    }
    auto direct = std::make_shared<wp::DynamoDbBackend>(direct_options);

    // The backend under test: every request through the proxy.
    wp_test::FaultProxy proxy(wp_test::proxy_to_dynalite(fault.kinds, fault.rate, fault.match, fault.max_faults));
    std::atomic<std::uint64_t> retries{0};
    auto backend = wp_test::proxied_backend(proxy, kTable, direct_options, retries);

    // The reduce goes straight to fauxqs; the map messages are kept in memory.
    const wp_test::Fauxqs fauxqs = wp_test::Fauxqs::from_env();
    const auto sink = fauxqs.create_topic_with_queue("wp-dynamodb-faults");
    const wp_test::ScopedEnv env = fauxqs.client_env();
    auto reduce_topic =
        std::make_shared<wp::SnsNotifier>(wp::SnsOptions{.topic_arn = sink.topic_arn, .aws = {.endpoint = fauxqs.endpoint()}});
    auto maps = std::make_shared<wp_test::CountingNotifier>();

    // The start worker. One whose create_job failed (retries exhausted) is run again by watchbot;
    // it owns its job id, so the rerun overwrites what the failed run wrote.
    json parts = json::array();
    for (int i = 0; i < kParts; ++i) parts.push_back({{"tile", i}});
    const json metadata = {{"test", "dynamodb-faults"}, {"faults", fault.name}};
    const std::string jobid = wp_test::Fauxqs::unique_name(std::string("faults-") + fault.name);
    int create_runs = 0;
    for (;;) {
        ++create_runs;
        try {
            wp::create_job(parts, {.backend = backend, .notifier = maps, .metadata = metadata, .jobid = jobid,
                                   .overwrite = create_runs > 1});
            break;
        } catch (const wp::BackendError& e) {
            ASSERT_TRUE(e.retryable()) << e.what();
            ASSERT_LT(create_runs, 5) << "create_job kept failing: " << e.what();
        }
    }
    const auto created = std::chrono::steady_clock::now();

    std::vector<wp::MapMessage> messages;
    std::set<wp::PartId> partids;
    for (const std::string& body : maps->messages("map")) {
        messages.push_back(wp::parse_map_message(body));
        partids.insert(messages.back().partid);
    }
    ASSERT_EQ(partids.size(), static_cast<std::size_t>(kParts));

    std::vector<std::atomic<int>> runs(kParts);
    const wp_test::DeliveryReport report =
        wp_test::deliver_with_redelivery(messages, {.seed = 2024}, [&](const wp::MapMessage& message) {
            wp::Part(message, {.backend = backend, .notifier = reduce_topic}).run([&] { ++runs.at(message.partid); });
        });
    const auto delivered = std::chrono::steady_clock::now();

    // What the proxy, the library and the workers saw.
    const wp_test::FaultCounts counts = proxy.counts();
    const auto seconds = [](auto d) { return std::chrono::duration<double>(d).count(); };
    std::cout << "[faults " << fault.name << " rate " << fault.rate << "] proxy: " << counts.to_string() << "\n"
              << "[faults " << fault.name << "] library: http_requests=" << backend->stats().requests
              << " retries=" << retries.load() << " create_job_runs=" << create_runs << "\n"
              << "[faults " << fault.name << "] workers: " << report.to_string() << "\n"
              << "[faults " << fault.name << "] time: create_job " << seconds(created - started) << " s, deliveries "
              << seconds(delivered - created) << " s" << std::endl;
    RecordProperty("proxy_requests", std::to_string(counts.requests));
    RecordProperty("faults_injected", std::to_string(counts.total_faults()));
    RecordProperty("library_retries", std::to_string(retries.load()));
    RecordProperty("guard_failures", std::to_string(report.failed));
    RecordProperty("rounds", std::to_string(report.rounds));

    EXPECT_GT(counts.total_faults(), 0u);
    EXPECT_EQ(counts.upstream_errors, 0u);
    EXPECT_TRUE(report.unexpected.empty()) << ::testing::PrintToString(report.unexpected);
    EXPECT_EQ(report.undelivered, 0u) << "deliveries still failing after " << report.rounds << " rounds";
    for (int p = 0; p < kParts; ++p) ASSERT_GE(runs[p].load(), 2) << "part " << p;

    // Every part counted once: the job is complete, nothing pending, the reduce claimed.
    const wp::JobStatus status = direct->status(jobid);
    EXPECT_EQ(status.total, kParts);
    EXPECT_EQ(status.remaining, 0);
    EXPECT_DOUBLE_EQ(status.progress, 1.0);
    EXPECT_FALSE(status.failed);
    EXPECT_TRUE(status.reduce_sent);
    EXPECT_EQ(status.metadata, metadata);
    EXPECT_TRUE(direct->list_pending_parts(jobid).empty());

    // The reduce was sent, once.
    const auto received = fauxqs.receive_all(sink.queue_url);
    std::size_t reduces = 0;
    for (const auto& envelope : received) {
        ASSERT_EQ(envelope.subject.value_or(""), "reduce");
        EXPECT_EQ(json::parse(envelope.message), (json{{"jobid", jobid}, {"metadata", metadata}}));
        ++reduces;
    }
    std::cout << "[faults " << fault.name << "] reduce messages received: " << reduces << std::endl;
    RecordProperty("reduces", std::to_string(reduces));
    EXPECT_EQ(reduces, 1u);

    EXPECT_TRUE(direct->delete_job(jobid));
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, DynamoDbFaults,
    ::testing::Values(FaultCase{"DropBeforeForward", {FaultKind::kDropBeforeForward}, 0.15},
                      FaultCase{"DropAfterForward", {FaultKind::kDropAfterForward}, 0.15},
                      FaultCase{"TruncateAfterForward", {FaultKind::kTruncateAfterForward}, 0.15},
                      FaultCase{"ServerError", {FaultKind::kServerError}, 0.15},
                      FaultCase{"Throttle", {FaultKind::kThrottle}, 0.15},
                      FaultCase{"Delay", {FaultKind::kDelay}, 0.05},
                      FaultCase{"Mixed",
                                {FaultKind::kDropBeforeForward, FaultKind::kDropAfterForward, FaultKind::kTruncateAfterForward,
                                 FaultKind::kServerError, FaultKind::kThrottle, FaultKind::kDelay},
                                0.2},
                      FaultCase{"ShardedMixed",
                                {FaultKind::kDropBeforeForward, FaultKind::kDropAfterForward, FaultKind::kTruncateAfterForward,
                                 FaultKind::kServerError, FaultKind::kThrottle, FaultKind::kDelay},
                                0.2, "", 0, true},
                      // Aimed: the answer of the job's creation (a conditional PutItem) is lost
                      // after dynalite wrote it; the retry must not take the job for another's.
                      FaultCase{"CreationAnswerLost", {FaultKind::kDropAfterForward}, 1.0, "DynamoDB_20120810.PutItem", 1}),
    [](const ::testing::TestParamInfo<FaultCase>& info) { return std::string(info.param.name); });

// ---- aimed faults, on small jobs ----------------------------------------------------------------

// Every answer to the first reduce claim is cut off after dynalite applied it, as often as the AWS
// layer tries (3 attempts): the claim is made, with a token its caller never hears confirmed. The
// caller must still recognise its claim (or the claim must be given back): a claim held by nobody
// means the job never gets its reduce, however often its parts are delivered again.
TEST(DynamoDbAimedFaults, EveryAnswerToTheReduceClaimLostStillSendsOneReduce) {
    wp::DynamoDbOptions options = wp_test::dynamodb_test_options(kTable);
    options.layout = wp::DynamoDbLayout::kCompatible;
    auto direct = std::make_shared<wp::DynamoDbBackend>(options);
    wp_test::FaultProxy proxy(wp_test::proxy_to_dynalite({FaultKind::kTruncateAfterForward}, 1.0, "#reduceClaim = :token", 3));
    std::atomic<std::uint64_t> retries{0};
    auto backend = wp_test::proxied_backend(proxy, kTable, options, retries);
    auto notifier = std::make_shared<wp_test::CountingNotifier>();
    const json parts = {{{"n", 0}}, {{"n", 1}}, {{"n", 2}}};
    const std::string jobid = wp::create_job(parts, {.backend = backend, .notifier = notifier});
    std::vector<wp::MapMessage> messages;
    for (const std::string& body : notifier->messages("map")) messages.push_back(wp::parse_map_message(body));
    ASSERT_EQ(messages.size(), 3u);

    // Parts 0 and 1, then the last part alone: its claim meets the three faults.
    wp::Part(messages[0], {.backend = backend, .notifier = notifier}).run([] {});
    wp::Part(messages[1], {.backend = backend, .notifier = notifier}).run([] {});
    std::string first_error;
    try {
        wp::Part(messages[2], {.backend = backend, .notifier = notifier}).run([] {});
    } catch (const wp::BackendError& e) {
        first_error = e.code();
    }
    EXPECT_EQ(proxy.counts().faults[static_cast<std::size_t>(FaultKind::kTruncateAfterForward)], 3u);
    // Then every part again, twice, with redelivery of failures.
    const wp_test::DeliveryReport report = wp_test::deliver_with_redelivery(messages, {.threads = 4}, [&](const wp::MapMessage& m) {
        wp::Part(m, {.backend = backend, .notifier = notifier}).run([] {});
    });
    std::cout << "[aimed claim] first delivery of the last part: " << (first_error.empty() ? "returned" : first_error)
              << "; proxy: " << proxy.counts().to_string() << "; retries=" << retries.load() << "; "
              << report.to_string() << std::endl;
    EXPECT_TRUE(report.unexpected.empty()) << ::testing::PrintToString(report.unexpected);
    EXPECT_EQ(report.undelivered, 0u);
    const wp::JobStatus status = direct->status(jobid);
    EXPECT_EQ(status.remaining, 0);
    EXPECT_TRUE(status.reduce_sent);
    EXPECT_EQ(notifier->messages("reduce").size(), 1u) << "the claim was made but its reduce never sent";
    EXPECT_TRUE(direct->delete_job(jobid));
}

// The answer of a sharded job's creation (the job item's conditional PutItem, written after its
// shard items) is lost after dynalite wrote it: the retry finds the job it wrote. It must neither
// report the job as another's nor delete the shard items the job now refers to.
TEST(DynamoDbAimedFaults, TheLostAnswerOfAShardedJobsCreationNeitherFailsNorDamagesIt) {
    wp::DynamoDbOptions options = wp_test::dynamodb_test_options(kTable);
    options.layout = wp::DynamoDbLayout::kSharded;
    options.shard_size = 10;
    auto direct = std::make_shared<wp::DynamoDbBackend>(options);
    wp_test::FaultProxy proxy(wp_test::proxy_to_dynalite({FaultKind::kTruncateAfterForward}, 1.0, "DynamoDB_20120810.PutItem", 1));
    std::atomic<std::uint64_t> retries{0};
    auto backend = wp_test::proxied_backend(proxy, kTable, options, retries);
    auto notifier = std::make_shared<wp_test::CountingNotifier>();
    json parts = json::array();
    for (int i = 0; i < 100; ++i) parts.push_back({{"n", i}});
    const std::string jobid = wp::create_job(parts, {.backend = backend, .notifier = notifier});
    EXPECT_EQ(proxy.counts().total_faults(), 1u);
    EXPECT_EQ(direct->status(jobid).remaining, 100);

    std::vector<wp::MapMessage> messages;
    for (const std::string& body : notifier->messages("map")) messages.push_back(wp::parse_map_message(body));
    const wp_test::DeliveryReport report = wp_test::deliver_with_redelivery(messages, {.threads = 4}, [&](const wp::MapMessage& m) {
        wp::Part(m, {.backend = backend, .notifier = notifier}).run([] {});
    });
    EXPECT_TRUE(report.unexpected.empty()) << ::testing::PrintToString(report.unexpected);
    EXPECT_EQ(report.undelivered, 0u);
    const wp::JobStatus status = direct->status(jobid);
    EXPECT_EQ(status.remaining, 0);
    EXPECT_TRUE(status.reduce_sent);
    EXPECT_EQ(notifier->messages("reduce").size(), 1u);
    EXPECT_TRUE(direct->delete_job(jobid));
}

}  // namespace

#endif  // WP_WITH_AWS
