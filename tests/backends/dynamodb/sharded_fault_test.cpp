// Aimed faults on jobs big enough for the sharded layout (DynamoDbOptions defaults: more than
// 10,000 parts): an overwrite whose answer was lost, a deletion whose answer was lost, and shard
// items that cannot be deleted while a job is overwritten or deleted — with another process (a
// second backend, with its own cache of the job's tree) still completing parts of the job. Every
// request of the backend under test goes through a FaultProxy (tests/support/aws/fault_proxy.hpp); the
// truth is read without faults.

#include "watchbot_progress/config.hpp"
#if WP_WITH_AWS  // the DynamoDB backend is part of the AWS layer

#include <atomic>
#include <iostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backends/dynamodb/dynamodb_client.hpp"
#include "dynamodb_fault_util.hpp"
#include "dynamodb_test_util.hpp"
#include "fault_delivery.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace wp = watchbot_progress;
namespace aws = watchbot_progress::aws;
namespace dynamodb = watchbot_progress::detail::dynamodb;
using nlohmann::json;
using wp_test::FaultKind;

namespace {

constexpr const char* kTable = "wp-test-sharded-faults";
constexpr std::int64_t kParts = 10'400;  // over the default sharded_threshold
constexpr std::size_t kTreeItems = 208 + 5 + 1;  // F = 50 (the default): 208 shard items under 5 index items under the root

std::string new_id(const char* prefix) { return std::string("sharded-faults-") + prefix + "-" + wp::new_jobid(); }

std::shared_ptr<wp::DynamoDbBackend> direct_backend() {
    return std::make_shared<wp::DynamoDbBackend>(wp_test::dynamodb_test_options(kTable));
}

// The ids of the shard and index items of `jobid` in the table, whatever their generation.
std::vector<std::string> shard_items(const std::string& jobid) {
    auto client = wp_test::dynamodb_test_client(kTable);
    dynamodb::ScanRequest scan;
    scan.consistent_read = true;
    scan.filter = "#s = :j";
    scan.names = {{"#s", "shardOf"}};
    scan.values = {{":j", {{"S", jobid}}}};
    std::vector<std::string> ids;
    client->scan(scan, [&](const json& item) { ids.push_back(item.at("id").at("S").get<std::string>()); });
    return ids;
}

// Repeats `call` as a user (or watchbot) would while it throws a retryable BackendError.
template <class Call>
void until_it_succeeds(Call&& call) {
    for (int attempt = 1;; ++attempt) {
        try {
            call();
            return;
        } catch (const wp::BackendError& e) {
            ASSERT_TRUE(e.retryable()) << e.what();
            ASSERT_LT(attempt, 5) << e.what();
        }
    }
}

// An overwrite of a sharded job by a sharded job: its switch of the job item to the new generation
// is applied, and the answer lost after dynalite applied it. The AWS layer's retry must recognise
// its own write, and must not delete the items the job item now refers to.
TEST(DynamoDbShardedFaults, AnOverwriteWhoseAnswerWasLostKeepsTheItemsTheJobUses) {
    auto direct = direct_backend();
    const std::string jobid = new_id("overwrite-lost");
    direct->set_total(jobid, kParts);
    direct->set_metadata(jobid, {{"kept", true}});
    for (wp::PartId p = 0; p < 300; ++p) direct->complete_part(jobid, p);

    // The switch is the only request that sets pendingShards (creation writes it with PutItem).
    wp_test::FaultProxy proxy(wp_test::proxy_to_dynalite({FaultKind::kTruncateAfterForward}, 1.0, "#pendingShards = :pending", 1));
    std::atomic<std::uint64_t> retries{0};
    auto backend = wp_test::proxied_backend(proxy, kTable, wp_test::dynamodb_test_options(kTable), retries);
    backend->set_total(jobid, kParts, /*overwrite=*/true);
    EXPECT_EQ(proxy.counts().total_faults(), 1u);

    auto fresh = direct_backend();  // no cached tree
    const wp::JobStatus s = fresh->status(jobid);
    EXPECT_EQ(s.total, kParts);
    ASSERT_EQ(s.remaining, kParts) << "the overwritten job lost its items";
    EXPECT_EQ(s.metadata, (json{{"kept", true}}));
    EXPECT_EQ(shard_items(jobid).size(), kTreeItems) << "the replaced generation's items were not all deleted";

    // Every part once, through the guard: the job completes with one reduce.
    auto notifier = std::make_shared<wp::MemoryNotifier>();
    std::vector<wp::MapMessage> messages;
    for (wp::PartId p = 0; p < kParts; ++p) messages.push_back({jobid, p, nullptr, nullptr});
    const wp_test::DeliveryReport report = wp_test::deliver_with_redelivery(
        messages, {.threads = 8, .copies = 1, .extra_copy_every = 0},
        [&](const wp::MapMessage& m) { wp::Part(m, {.backend = fresh, .notifier = notifier}).run([] {}); });
    EXPECT_TRUE(report.unexpected.empty()) << ::testing::PrintToString(report.unexpected);
    EXPECT_EQ(report.undelivered, 0u);
    EXPECT_EQ(fresh->status(jobid).remaining, 0);
    EXPECT_EQ(notifier->messages("reduce").size(), 1u);
    EXPECT_TRUE(fresh->delete_job(jobid));
}

// Every attempt of the overwrite's switch is applied and its answer lost (the AWS layer makes 3):
// the call must still succeed, keeping the items the job now refers to, not delete them as those
// of "a job that could not be written".
TEST(DynamoDbShardedFaults, AnOverwriteWhoseEveryAnswerWasLostSucceedsAndKeepsItsItems) {
    auto direct = direct_backend();
    const std::string jobid = new_id("overwrite-all-lost");
    direct->set_total(jobid, kParts);
    wp_test::FaultProxy proxy(wp_test::proxy_to_dynalite({FaultKind::kTruncateAfterForward}, 1.0, "#pendingShards = :pending", 3));
    std::atomic<std::uint64_t> retries{0};
    auto backend = wp_test::proxied_backend(proxy, kTable, wp_test::dynamodb_test_options(kTable), retries);
    EXPECT_NO_THROW(backend->set_total(jobid, kParts, /*overwrite=*/true));
    EXPECT_EQ(proxy.counts().total_faults(), 3u);
    auto fresh = direct_backend();
    EXPECT_EQ(fresh->status(jobid).remaining, kParts) << "the overwritten job lost its items";
    EXPECT_EQ(shard_items(jobid).size(), kTreeItems);
    EXPECT_FALSE(fresh->complete_part(jobid, kParts - 1));
    EXPECT_TRUE(fresh->part_complete(jobid, kParts - 1));
    EXPECT_TRUE(fresh->delete_job(jobid));
}

// A deletion whose answer was lost after dynalite deleted the job item (once, then the AWS layer's
// retry is refused; or on every attempt): the call must report the job deleted, and its shard items
// must be gone.
void deletion_with_lost_answers(int lost) {
    auto direct = direct_backend();
    const std::string jobid = new_id("delete-lost");
    direct->set_total(jobid, kParts);
    ASSERT_EQ(shard_items(jobid).size(), kTreeItems);
    wp_test::FaultProxy proxy(wp_test::proxy_to_dynalite({FaultKind::kTruncateAfterForward}, 1.0,
                                                         "DynamoDB_20120810.DeleteItem", static_cast<std::uint64_t>(lost)));
    std::atomic<std::uint64_t> retries{0};
    auto backend = wp_test::proxied_backend(proxy, kTable, wp_test::dynamodb_test_options(kTable), retries);
    bool deleted = false;
    EXPECT_NO_THROW(deleted = backend->delete_job(jobid));
    EXPECT_TRUE(deleted) << "the job was deleted, but reported missing";
    EXPECT_EQ(proxy.counts().total_faults(), static_cast<std::uint64_t>(lost));
    EXPECT_THROW(direct->status(jobid), wp::JobDoesNotExist);
    EXPECT_TRUE(shard_items(jobid).empty()) << "the deleted job's shard items stayed behind";
    EXPECT_FALSE(direct->delete_job(jobid));
}

TEST(DynamoDbShardedFaults, ADeletionWhoseAnswerWasLostReportsTheJobDeletedAndRemovesItsItems) {
    deletion_with_lost_answers(1);
}

TEST(DynamoDbShardedFaults, ADeletionWhoseEveryAnswerWasLostReportsTheJobDeleted) { deletion_with_lost_answers(3); }

// Another process (a backend with its own cache) completed a part, so it holds the job's tree in
// its cache. Then the job is replaced, while DynamoDB fails every attempt to delete the replaced
// generation's items. The other process's next completion must count in the job as it is now, not
// in the replaced generation's items (which nobody reads any more).
void cached_tree_never_takes_completions(const std::function<void(wp::Backend&, const std::string&)>& replace) {
    auto worker = direct_backend();  // the other process
    const std::string jobid = new_id("cached");
    worker->set_total(jobid, kParts);
    worker->complete_part(jobid, 5);  // the worker now caches the tree

    wp_test::FaultProxy proxy(wp_test::proxy_to_dynalite({FaultKind::kServerError}, 1.0, "DeleteRequest", 3));
    std::atomic<std::uint64_t> retries{0};
    wp::DynamoDbOptions options = wp_test::dynamodb_test_options(kTable);
    options.write_parallelism = 1;
    auto admin = wp_test::proxied_backend(proxy, kTable, options, retries);
    replace(*admin, jobid);
    EXPECT_EQ(proxy.counts().total_faults(), 3u);

    EXPECT_FALSE(worker->complete_part(jobid, 7));
    auto fresh = direct_backend();
    EXPECT_TRUE(fresh->part_complete(jobid, 7)) << "the completion went to a replaced generation's items";
    EXPECT_FALSE(fresh->part_complete(jobid, 5));
    EXPECT_EQ(fresh->status(jobid).remaining, kParts - 1);
    EXPECT_TRUE(fresh->delete_job(jobid));
    EXPECT_TRUE(shard_items(jobid).empty());
}

TEST(DynamoDbShardedFaults, ACachedTreeOfAnOverwrittenJobNeverTakesCompletions) {
    cached_tree_never_takes_completions([](wp::Backend& admin, const std::string& jobid) {
        until_it_succeeds([&] { admin.set_total(jobid, kParts, /*overwrite=*/true); });
    });
}

TEST(DynamoDbShardedFaults, ACachedTreeOfADeletedAndRecreatedJobNeverTakesCompletions) {
    cached_tree_never_takes_completions([](wp::Backend& admin, const std::string& jobid) {
        bool deleted = false;
        until_it_succeeds([&] { deleted = admin.delete_job(jobid); });
        EXPECT_TRUE(deleted);
        admin.set_total(jobid, kParts);
    });
}

}  // namespace

#endif  // WP_WITH_AWS
