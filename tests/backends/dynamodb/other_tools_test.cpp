// Jobs of the Python and Node tools in the DynamoDB table (written item for item as those tools
// write them: tests/support/other_tools.hpp), and the Python tool's own reading of a table that also holds
// this library's sharded jobs.

#include "watchbot_progress/config.hpp"
#if WP_WITH_AWS  // the DynamoDB backend is part of the AWS layer

#include <set>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dynamodb_test_util.hpp"
#include "other_tools.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace wp = watchbot_progress;
namespace aws = watchbot_progress::aws;
namespace dynamodb = watchbot_progress::detail::dynamodb;
using nlohmann::json;

namespace {

constexpr const char* kTable = "wp-test-other-tools";

std::string new_id(const char* prefix) { return std::string("other-tools-") + prefix + "-" + wp::new_jobid(); }

// The Python tool's Part records a reduce it published as metadata.reduce_message_sent = true, and
// never writes reduceSent. Such a job is complete and reduced: status says so, and neither a claim,
// a take-over, nor a late delivery through this library's guard sends its reduce again.
TEST(DynamoDbOtherTools, AJobThePythonToolReducedCountsAsReduced) {
    auto client = wp_test::dynamodb_test_client(kTable);
    auto backend = std::make_shared<wp::DynamoDbBackend>(wp_test::dynamodb_test_options(kTable));
    const std::string jobid = new_id("python-reduced");
    using namespace wp_test::other_tools;
    python_dynamodb_set_total(*client, jobid, 3);
    python_dynamodb_set_metadata(*client, jobid, {{"bucket", "out"}});
    for (std::int64_t p = 0; p < 3; ++p) dynamodb_delete_part(*client, jobid, p);
    python_dynamodb_mark_reduce_sent(*client, jobid);  // after its Part published the reduce

    const wp::JobStatus s = backend->status(jobid);
    EXPECT_EQ(s.remaining, 0);
    EXPECT_TRUE(s.reduce_sent);
    EXPECT_TRUE(s.reduce_confirmed) << "the Python tool marks the reduce once it is published";
    EXPECT_FALSE(s.reduce_claimed_at_ms.has_value());
    EXPECT_FALSE(s.updated_at_ms.has_value());
    EXPECT_FALSE(s.created_at_ms.has_value()) << "the other tools record no creation time";
    EXPECT_EQ(s.to_json()["reduceSent"], true);  // what `info` prints

    EXPECT_FALSE(backend->claim_reduce(jobid));
    const wp::CompletionResult late = backend->complete_part_and_claim_reduce(jobid, 1);
    EXPECT_TRUE(late.job_complete);
    EXPECT_FALSE(late.reduce_claimed());
    EXPECT_FALSE(backend->reclaim_reduce(jobid, std::chrono::milliseconds(0)));

    auto notifier = std::make_shared<wp::MemoryNotifier>();
    const wp::PartOptions options{.backend = backend, .notifier = notifier, .reduce_lease = std::chrono::milliseconds(0)};
    for (wp::PartId p = 0; p < 3; ++p) wp::Part(jobid, p, options).run([] {});
    EXPECT_TRUE(notifier->messages("reduce").empty()) << "a late delivery sent the reduce of a job the Python tool reduced";
    EXPECT_TRUE(backend->delete_job(jobid));
}

// The same job before the Python tool marked it: complete, reduce not sent. This library's guard
// (a worker of the same job) claims and sends it, once; the mark the Python tool writes afterwards
// changes nothing more.
TEST(DynamoDbOtherTools, AJobThePythonToolCompletedButDidNotReduceIsReducedOnce) {
    auto client = wp_test::dynamodb_test_client(kTable);
    auto backend = std::make_shared<wp::DynamoDbBackend>(wp_test::dynamodb_test_options(kTable));
    const std::string jobid = new_id("python-unreduced");
    using namespace wp_test::other_tools;
    python_dynamodb_set_total(*client, jobid, 2);
    dynamodb_delete_part(*client, jobid, 0);
    EXPECT_FALSE(backend->status(jobid).reduce_sent);
    auto notifier = std::make_shared<wp::MemoryNotifier>();
    const wp::PartOptions options{.backend = backend, .notifier = notifier};
    wp::Part(jobid, 1, options).run([] {});
    wp::Part(jobid, 1, options).run([] {});
    EXPECT_EQ(notifier->messages("reduce").size(), 1u);
    python_dynamodb_mark_reduce_sent(*client, jobid);
    EXPECT_TRUE(backend->status(jobid).reduce_sent);
    wp::Part(jobid, 0, {.backend = backend, .notifier = notifier, .reduce_lease = std::chrono::milliseconds(0)}).run([] {});
    EXPECT_EQ(notifier->messages("reduce").size(), 1u);
    EXPECT_TRUE(backend->delete_job(jobid));
}

// A job this library reduced, on either layout, carries the mark the Python tool's Part reads
// (metadata.reduce_message_sent), so a Python worker's late delivery of it sends no second reduce;
// the user's metadata is kept beside the mark, and the mark is not shown as the user's.
TEST(DynamoDbOtherTools, AJobThisLibraryReducedCarriesThePythonToolsMark) {
    auto client = wp_test::dynamodb_test_client(kTable);
    for (const wp::DynamoDbLayout layout : {wp::DynamoDbLayout::kCompatible, wp::DynamoDbLayout::kSharded}) {
        wp::DynamoDbOptions options = wp_test::dynamodb_test_options(kTable);
        options.layout = layout;
        auto backend = std::make_shared<wp::DynamoDbBackend>(options);
        auto notifier = std::make_shared<wp::MemoryNotifier>();
        const std::string jobid = new_id("reduced-here");
        wp::create_job({json::object(), json::object()},
                       {.backend = backend, .notifier = notifier, .metadata = {{"bucket", "out"}}, .jobid = jobid});
        wp::Part(jobid, 0, {.backend = backend, .notifier = notifier}).run([] {});
        EXPECT_FALSE(wp_test::other_tools::python_dynamodb_sees_reduce_sent(*client, jobid));
        wp::Part(jobid, 1, {.backend = backend, .notifier = notifier}).run([] {});
        ASSERT_EQ(notifier->messages("reduce").size(), 1u);
        EXPECT_TRUE(wp_test::other_tools::python_dynamodb_sees_reduce_sent(*client, jobid))
            << "a Python worker's late delivery would send a second reduce";
        EXPECT_EQ(backend->status(jobid).metadata, json({{"bucket", "out"}}));
        EXPECT_EQ(json::parse(notifier->messages("reduce")[0].body)["metadata"], json({{"bucket", "out"}}));
        EXPECT_TRUE(backend->delete_job(jobid));
    }
}

// A job the Python tool created has no metadata map until set_metadata; confirming its reduce here
// writes one holding the mark.
TEST(DynamoDbOtherTools, AJobThePythonToolCreatedWithoutMetadataGetsTheMarkWhenReducedHere) {
    auto client = wp_test::dynamodb_test_client(kTable);
    auto backend = std::make_shared<wp::DynamoDbBackend>(wp_test::dynamodb_test_options(kTable));
    const std::string jobid = new_id("python-no-metadata");
    wp_test::other_tools::python_dynamodb_set_total(*client, jobid, 1);
    auto notifier = std::make_shared<wp::MemoryNotifier>();
    wp::Part(jobid, 0, {.backend = backend, .notifier = notifier}).run([] {});
    ASSERT_EQ(notifier->messages("reduce").size(), 1u);
    EXPECT_TRUE(wp_test::other_tools::python_dynamodb_sees_reduce_sent(*client, jobid));
    EXPECT_EQ(backend->status(jobid).metadata, json::object());
    EXPECT_TRUE(backend->delete_job(jobid));
}

// Overwriting a job the Python tool reduced keeps its metadata but not its reduce mark: the new job
// is reduced once, when its parts complete.
TEST(DynamoDbOtherTools, OverwritingAJobThePythonToolReducedStartsItsReduceAfresh) {
    auto client = wp_test::dynamodb_test_client(kTable);
    auto backend = std::make_shared<wp::DynamoDbBackend>(wp_test::dynamodb_test_options(kTable));
    const std::string jobid = new_id("python-overwritten");
    using namespace wp_test::other_tools;
    python_dynamodb_set_total(*client, jobid, 1);
    dynamodb_delete_part(*client, jobid, 0);
    python_dynamodb_set_metadata(*client, jobid, {{"bucket", "out"}, {"reduce_message_sent", true}});
    ASSERT_TRUE(backend->status(jobid).reduce_sent);

    auto notifier = std::make_shared<wp::MemoryNotifier>();
    wp::create_job({json::object()}, {.backend = backend, .notifier = notifier, .jobid = jobid, .overwrite = true});
    EXPECT_FALSE(backend->status(jobid).reduce_sent);
    EXPECT_FALSE(python_dynamodb_sees_reduce_sent(*client, jobid));
    EXPECT_EQ(backend->status(jobid).metadata, json({{"bucket", "out"}}));
    wp::Part(jobid, 0, {.backend = backend, .notifier = notifier}).run([] {});
    EXPECT_EQ(notifier->messages("reduce").size(), 1u);
    EXPECT_TRUE(backend->delete_job(jobid));
}

// The mark's name is not the user's to set: setting it would mark the job reduced before its parts
// are done (as on Redis, where the field is reserved too).
TEST(DynamoDbOtherTools, TheMarksNameIsReservedInMetadata) {
    auto backend = std::make_shared<wp::DynamoDbBackend>(wp_test::dynamodb_test_options(kTable));
    try {
        backend->check_metadata({{"reduce_message_sent", true}});
        FAIL() << "accepted";
    } catch (const wp::InvalidInput& e) {
        EXPECT_THAT(e.what(), ::testing::HasSubstr("reserved"));
    }
}

// The Python tool's `ls` scans the table and reads every item it finds as a job: GetItem(id), then
// `total` (a KeyError when missing), `len(parts)` when present, and (total - remaining) / total. Run
// that on a table holding this library's sharded jobs (shard and index items beside job items,
// some shards emptied): every item must read, and no sharded job item reads as complete.
TEST(DynamoDbOtherTools, ThePythonToolsLsReadsEveryItemOfATableWithShardedJobs) {
    const std::string table = "wp-test-python-scan";
    auto client = wp_test::dynamodb_test_client(table);
    wp::DynamoDbOptions options = wp_test::dynamodb_test_options(table);
    options.layout = wp::DynamoDbLayout::kSharded;
    options.shard_size = 10;  // 1,000 parts: 100 shard items under 10 index items
    auto sharded = std::make_shared<wp::DynamoDbBackend>(options);
    options.layout = wp::DynamoDbLayout::kAuto;
    auto compatible = std::make_shared<wp::DynamoDbBackend>(options);
    const std::string big = new_id("sharded"), small = new_id("compatible");
    sharded->set_total(big, 1000);
    for (wp::PartId p = 0; p < 30; ++p) sharded->complete_part(big, p);  // three shards emptied
    compatible->set_total(small, 5);

    std::size_t items = 0;
    std::set<std::string> unreadable;
    dynamodb::ScanRequest scan;
    scan.consistent_read = true;
    client->scan(scan, [&](const json& scanned) {
        ++items;
        const std::string id = scanned.at("id").at("S").get<std::string>();
        // status(id) of the Python tool:
        const auto item = client->get_item({wp_test::dynamodb_key(id), true});
        if (!item || !item->contains("total") || !(*item)["total"].contains("N")) {
            unreadable.insert(id + " (no total)");
            return;
        }
        const double total = std::stod((*item)["total"]["N"].get<std::string>());
        double remaining = 0.0;
        if (item->contains("parts")) {
            const auto len = wp_test::other_tools::python_len((*item)["parts"]);
            if (!len) {
                unreadable.insert(id + " (len(parts): TypeError)");
                return;
            }
            remaining = static_cast<double>(*len);
        }
        if (total <= 0) {
            unreadable.insert(id + " (total 0)");
            return;
        }
        const double progress = (total - remaining) / total;
        if (progress < 0 || progress > 1) unreadable.insert(id + " (progress " + std::to_string(progress) + ")");
        if (id == big && progress >= 1) unreadable.insert(id + " (the sharded job reads as complete)");
    });
    EXPECT_GT(items, 100u);
    EXPECT_TRUE(unreadable.empty()) << unreadable.size() << " items break the Python tool's ls, e.g. "
                                    << *unreadable.begin();
    // This library still lists only the jobs.
    std::set<std::string> jobs;
    compatible->list_jobs([&](const wp::JobStatus& s) {
        EXPECT_EQ(s.jobid.find("#shard#"), std::string::npos) << "a shard item listed as a job";
        jobs.insert(s.jobid);
    });
    EXPECT_TRUE(jobs.count(big));
    EXPECT_TRUE(jobs.count(small));
    EXPECT_EQ(compatible->status(big).remaining, 970);
    EXPECT_TRUE(compatible->delete_job(big));
    EXPECT_TRUE(compatible->delete_job(small));
}

}  // namespace

#endif  // WP_WITH_AWS
