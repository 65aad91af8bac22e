// Fault injection between the SNS notifier and fauxqs: every Publish and PublishBatch goes through a
// FaultProxy (fault_proxy.hpp) that drops connections before or after forwarding, answers 500
// InternalFailure or 400 Throttling, or holds answers past the client's timeout, at a fixed rate
// with a fixed seed (and two cases aimed at the reduce's Publish). For each fault kind a 2,000-part job is created with create_job (its map
// messages published through the proxy; parts create_job reports in PublishError are sent again,
// as its message asks), every map message that reached the SQS queue is delivered two or three
// times from 16 threads through the Part guard (the reduce published through the proxy too), and
// every delivery whose guard threw is delivered again until it succeeds. Every part must have had
// a map message, the job must end complete, and the reduce must reach the queue: exactly once when
// no answer can be lost after SNS took the message, at least once otherwise (a Publish whose
// answer was lost is sent again, and SNS topics do not deduplicate). The backend is the memory
// backend: these tests are about the notifier. Counts are printed and recorded.

#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "aws/credentials.hpp"
#include "aws/fault_proxy.hpp"
#include "aws/fauxqs_test_util.hpp"
#include "notifiers/sns/sns_notifier_access.hpp"
#include "fault_delivery.hpp"
#include "test_env.hpp"
#include "watchbot_progress/memory_backend.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace wp = watchbot_progress;
namespace aws = watchbot_progress::aws;
namespace sns = watchbot_progress::detail::sns;
using nlohmann::json;
using std::chrono::milliseconds;
using wp_test::FaultKind;

namespace {

constexpr int kParts = wp_test::scaled(2000, 200);  // 200 under the sanitizers: the same faults, a tenth of the requests

struct FaultCase {
    const char* name;
    std::vector<FaultKind> kinds;
    double rate;
    bool answers_lost_after_delivery;  // answers lost after SNS took the messages: duplicates are expected
    std::string match = {};            // aimed faults: only requests containing this text
    std::uint64_t max_faults = 0;
    int exact_reduces = 0;             // > 0: exactly this many reduce messages must arrive
};

std::ostream& operator<<(std::ostream& out, const FaultCase& c) { return out << c.name; }

class SnsFaults : public ::testing::TestWithParam<FaultCase> {};

TEST_P(SnsFaults, A2000PartJobWithDuplicateDeliveriesCompletesAndSendsTheReduce) {
    const FaultCase& fault = GetParam();
    const auto started = std::chrono::steady_clock::now();
    const wp_test::Fauxqs fauxqs = wp_test::Fauxqs::from_env();
    const auto sink = fauxqs.create_topic_with_queue("wp-sns-faults");

    wp_test::FaultProxy proxy({.upstream_port = wp_test::loopback_endpoint_port(fauxqs.endpoint()),
                               .dialect = wp_test::FaultDialect::kSnsXml,
                               .kinds = fault.kinds,
                               .rate = fault.rate,
                               .seed = 9,
                               .delay = milliseconds(1500),
                               .match = fault.match,
                               .max_faults = fault.max_faults});
    // The notifier under test: through the proxy, short timeouts, 3 attempts, a sleep hook that
    // counts the retries (AWS-layer retries and PublishBatch rounds), fixed fake credentials.
    std::atomic<std::uint64_t> retries{0};
    const wp::SnsOptions sns_options{.topic_arn = sink.topic_arn,
                                     .aws = {.endpoint = proxy.base_url(),
                                             .max_attempts = 3,
                                             .connect_timeout = milliseconds(1000),
                                             .request_timeout = milliseconds(1000)},
                                     .retry_base_delay = milliseconds(50)};
    auto notifier = sns::make_sns_notifier(
        sns_options,
        [&retries](aws::AwsClientConfig& config) {
            config.credentials = std::make_shared<aws::StaticCredentialsProvider>(aws::Credentials{
                wp_test::kFauxqsAccessKeyId, wp_test::kFauxqsSecretKey, std::nullopt, std::nullopt});
            config.hooks.sleep = [&retries](milliseconds delay) {
                ++retries;
                std::this_thread::sleep_for(delay);
            };
        },
        aws::map_env({}));
    // The backend's clock moves a minute between redelivery rounds (watchbot's retries are 2 s, 4 s,
    // ... apart and grow): a reduce claim left by a publish of unknown outcome is taken over once its
    // lease (3 minutes) has passed, as in production.
    auto now_ms = std::make_shared<std::atomic<std::int64_t>>(wp::system_time_ms());
    auto backend = std::make_shared<wp::MemoryBackend>([now_ms] { return now_ms->load(); });

    // The start worker; the map messages create_job could not publish are sent again.
    json parts = json::array();
    for (int i = 0; i < kParts; ++i) parts.push_back({{"tile", i}});
    const json metadata = {{"test", "sns-faults"}, {"faults", fault.name}};
    const std::string jobid = wp_test::Fauxqs::unique_name(std::string("sns-faults-") + fault.name);
    std::vector<std::size_t> unsent;
    try {
        wp::create_job(parts, {.backend = backend, .notifier = notifier, .metadata = metadata, .jobid = jobid, .workers = 8});
    } catch (const wp::PublishError& e) {
        EXPECT_TRUE(e.retryable()) << e.what();
        unsent = e.failed_indexes();
    }
    const std::size_t first_unsent = unsent.size();
    int resend_rounds = 0;
    while (!unsent.empty()) {
        ASSERT_LT(++resend_rounds, 10) << unsent.size() << " map messages could still not be published";
        std::vector<std::size_t> still;
        for (std::size_t begin = 0; begin < unsent.size(); begin += 10) {
            std::vector<wp::OutgoingMessage> batch;
            std::vector<std::size_t> partids;
            for (std::size_t i = begin; i < std::min(unsent.size(), begin + 10); ++i) {
                const auto p = static_cast<wp::PartId>(unsent[i]);
                batch.push_back({wp::kMapSubject, wp::map_message_body(parts[unsent[i]], jobid, p, metadata.dump())});
                partids.push_back(unsent[i]);
            }
            try {
                notifier->publish_batch(batch);
            } catch (const wp::PublishError& e) {
                for (std::size_t index : e.failed_indexes()) still.push_back(partids.at(index));
            }
        }
        unsent = std::move(still);
    }
    const auto created = std::chrono::steady_clock::now();

    // Watchbot's side: every map message that reached the queue, duplicates included.
    std::vector<wp::MapMessage> messages;
    std::map<wp::PartId, int> copies;
    for (const auto& envelope : fauxqs.receive_all(sink.queue_url)) {
        ASSERT_EQ(envelope.subject.value_or(""), "map");
        messages.push_back(wp::parse_map_message(envelope.message));
        ASSERT_EQ(messages.back().jobid, jobid);
        ++copies[messages.back().partid];
    }
    ASSERT_EQ(copies.size(), static_cast<std::size_t>(kParts)) << "every part has a map message";
    ASSERT_EQ(copies.begin()->first, 0);
    ASSERT_EQ(copies.rbegin()->first, kParts - 1);
    std::size_t duplicated_maps = messages.size() - copies.size();

    std::vector<std::atomic<int>> runs(kParts);
    const wp_test::DeliveryReport report =
        wp_test::deliver_with_redelivery(messages, {.seed = 2025, .before_round = [&](int) { *now_ms += 60'000; }},
                                         [&](const wp::MapMessage& message) {
            wp::Part(message, {.backend = backend, .notifier = notifier}).run([&] { ++runs.at(message.partid); });
        });
    const auto delivered = std::chrono::steady_clock::now();

    const wp_test::FaultCounts counts = proxy.counts();
    const wp::SnsStats stats = notifier->stats();
    const auto seconds = [](auto d) { return std::chrono::duration<double>(d).count(); };
    std::cout << "[sns faults " << fault.name << " rate " << fault.rate << "] proxy: " << counts.to_string() << "\n"
              << "[sns faults " << fault.name << "] library: http_requests=" << stats.requests
              << " retries=" << retries.load() << " messages_published=" << stats.messages_published
              << " messages_failed=" << stats.messages_failed << " entries_retried=" << stats.entries_retried << "\n"
              << "[sns faults " << fault.name << "] create_job: unsent_after_create_job=" << first_unsent
              << " resend_rounds=" << resend_rounds << " map_messages_received=" << messages.size()
              << " duplicated_map_messages=" << duplicated_maps << "\n"
              << "[sns faults " << fault.name << "] workers: " << report.to_string() << "\n"
              << "[sns faults " << fault.name << "] time: create_job " << seconds(created - started)
              << " s, deliveries " << seconds(delivered - created) << " s" << std::endl;
    RecordProperty("proxy_requests", std::to_string(counts.requests));
    RecordProperty("faults_injected", std::to_string(counts.total_faults()));
    RecordProperty("library_retries", std::to_string(retries.load()));
    RecordProperty("guard_failures", std::to_string(report.failed));
    RecordProperty("duplicated_map_messages", std::to_string(duplicated_maps));

    EXPECT_GT(counts.total_faults(), 0u);
    EXPECT_EQ(counts.upstream_errors, 0u);
    EXPECT_TRUE(report.unexpected.empty()) << ::testing::PrintToString(report.unexpected);
    EXPECT_EQ(report.undelivered, 0u) << "deliveries still failing after " << report.rounds << " rounds";
    for (int p = 0; p < kParts; ++p) ASSERT_GE(runs[p].load(), 2) << "part " << p;
    if (!fault.answers_lost_after_delivery) {
        EXPECT_EQ(duplicated_maps, 0u);
    }

    const wp::JobStatus status = backend->status(jobid);
    EXPECT_EQ(status.total, kParts);
    EXPECT_EQ(status.remaining, 0);
    EXPECT_FALSE(status.failed);
    EXPECT_TRUE(status.reduce_sent);
    EXPECT_TRUE(backend->list_pending_parts(jobid).empty());

    std::size_t reduces = 0;
    for (const auto& envelope : fauxqs.receive_all(sink.queue_url)) {
        ASSERT_EQ(envelope.subject.value_or(""), "reduce");
        EXPECT_EQ(json::parse(envelope.message), (json{{"jobid", jobid}, {"metadata", metadata}}));
        ++reduces;
    }
    std::cout << "[sns faults " << fault.name << "] reduce messages received: " << reduces << std::endl;
    RecordProperty("reduces", std::to_string(reduces));
    EXPECT_GE(reduces, 1u) << "the reduce was sent";
    if (fault.exact_reduces > 0) {
        EXPECT_EQ(reduces, static_cast<std::size_t>(fault.exact_reduces));
    } else if (!fault.answers_lost_after_delivery) {
        EXPECT_EQ(reduces, 1u);
    }
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, SnsFaults,
    ::testing::Values(FaultCase{"DropBeforeForward", {FaultKind::kDropBeforeForward}, 0.15, false},
                      FaultCase{"DropAfterForward", {FaultKind::kDropAfterForward}, 0.15, true},
                      FaultCase{"TruncateAfterForward", {FaultKind::kTruncateAfterForward}, 0.15, true},
                      FaultCase{"ServerError", {FaultKind::kServerError}, 0.15, false},
                      FaultCase{"Throttle", {FaultKind::kThrottle}, 0.15, false},
                      FaultCase{"Delay", {FaultKind::kDelay}, 0.05, true},
                      FaultCase{"Mixed",
                                {FaultKind::kDropBeforeForward, FaultKind::kDropAfterForward, FaultKind::kTruncateAfterForward,
                                 FaultKind::kServerError, FaultKind::kThrottle, FaultKind::kDelay},
                                0.2, true},
                      // Aimed at the reduce: the first four Publish requests of it reach SNS but
                      // their answers are lost (more than the AWS layer's 3 attempts, so the guard
                      // throws and keeps the claim, whose outcome is unknown; the first delivery after
                      // the lease takes it over and sends again): each of the five lands once.
                      FaultCase{"ReduceAnswersLost", {FaultKind::kTruncateAfterForward}, 1.0, true, "Subject=reduce", 4, 5},
                      // Aimed at the reduce: answered 500 four times without reaching SNS: a 500 may
                      // have been taken, so the claim is kept until its lease and the delivery after
                      // it sends the reduce: exactly one.
                      FaultCase{"ReduceRefused", {FaultKind::kServerError}, 1.0, false, "Subject=reduce", 4, 1}),
    [](const ::testing::TestParamInfo<FaultCase>& info) { return std::string(info.param.name); });

}  // namespace
