// The reduce claim of the DynamoDB backend, on both layouts: it is conditional on the job being
// complete in the claim's own request (claim_reduce, reclaim_reduce, the claim after a completion),
// so a job that is not complete, or was overwritten after it was seen complete, is never claimed;
// and it writes the Python tool's mark (metadata.reduce_message_sent) in that same request, so that
// a worker of the Python tool sends no reduce of its own while the claim holds.

#include "watchbot_progress/config.hpp"
#if WP_WITH_AWS  // the DynamoDB backend is part of the AWS layer

#include <atomic>
#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "backends/dynamodb/dynamodb_attribute_value.hpp"
#include "dynamodb_test_util.hpp"
#include "other_tools.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace wp = watchbot_progress;
namespace aws = watchbot_progress::aws;
namespace dynamodb = watchbot_progress::detail::dynamodb;
using nlohmann::json;

namespace {

constexpr const char* kTable = "wp-test-reduce-claim";

class DynamoDbReduceClaim : public ::testing::TestWithParam<wp::DynamoDbLayout> {
protected:
    DynamoDbReduceClaim() : client(wp_test::dynamodb_test_client(kTable)) {
        wp::DynamoDbOptions options = wp_test::dynamodb_test_options(kTable);
        options.layout = GetParam();
        options.shard_size = 2;  // 3 parts: two shard items, so the sharded job has a tree
        options.clock = [now = now] { return now->load(); };
        backend = std::make_shared<wp::DynamoDbBackend>(options);
    }

    std::string new_job(std::int64_t total) {
        const std::string jobid = std::string("claim-") + wp::new_jobid();
        backend->set_total(jobid, total);
        return jobid;
    }

    // The job item as stored.
    json item_of(const std::string& jobid) const {
        auto item = client->get_item({wp_test::dynamodb_key(jobid), true});
        if (!item) throw std::runtime_error("no item " + jobid);
        return *item;
    }

    // A claim on the job item written by hand, as an old version of this library (whose claim did
    // not require completeness) or the Node tool's reduceSent left it: claimed `age_ms` ago,
    // unconfirmed.
    void write_old_claim(const std::string& jobid, std::int64_t age_ms) const {
        dynamodb::UpdateItemRequest request;
        request.key = wp_test::dynamodb_key(jobid);
        request.update = "SET #s = :t, #c = :c, #a = :a";
        request.names = {{"#s", "reduceSent"}, {"#c", "reduceClaim"}, {"#a", "reduceClaimedAt"}};
        request.values = {{":t", dynamodb::bool_value(true)}, {":c", dynamodb::string_value("an-old-claim")},
                          {":a", dynamodb::number_value(now->load() - age_ms)}};
        client->update_item(request);
    }

    std::shared_ptr<std::atomic<std::int64_t>> now = std::make_shared<std::atomic<std::int64_t>>(1'800'000'000'000);
    std::shared_ptr<dynamodb::DynamoDbClient> client;
    std::shared_ptr<wp::DynamoDbBackend> backend;
};

TEST_P(DynamoDbReduceClaim, AJobWithPendingPartsIsNeverClaimed) {
    const std::string jobid = new_job(3);
    EXPECT_FALSE(backend->claim_reduce(jobid)) << "claimed with every part pending";
    backend->complete_part(jobid, 0);
    backend->complete_part(jobid, 2);
    EXPECT_FALSE(backend->claim_reduce(jobid)) << "claimed with part 1 pending";
    const wp::JobStatus s = backend->status(jobid);
    EXPECT_FALSE(s.reduce_sent);
    EXPECT_FALSE(wp_test::other_tools::python_dynamodb_sees_reduce_sent(*client, jobid));

    const wp::CompletionResult last = backend->complete_part_and_claim_reduce(jobid, 1);
    EXPECT_TRUE(last.job_complete);
    EXPECT_TRUE(last.reduce_claimed()) << "the real completion must find the claim free";
    EXPECT_TRUE(backend->delete_job(jobid));
}

TEST_P(DynamoDbReduceClaim, AnUnconfirmedClaimOnAnIncompleteJobIsNeverTakenOver) {
    const std::string jobid = new_job(3);
    backend->complete_part(jobid, 0);
    write_old_claim(jobid, 3'600'000);  // an hour ago
    EXPECT_FALSE(backend->reclaim_reduce(jobid, std::chrono::milliseconds(0))) << "taken over with parts pending";
    backend->complete_part(jobid, 1);
    backend->complete_part(jobid, 2);
    EXPECT_TRUE(backend->reclaim_reduce(jobid, std::chrono::milliseconds(0))) << "complete now: the lease has passed";
    EXPECT_TRUE(backend->delete_job(jobid));
}

// What sweep does: it lists the jobs (this one complete, its reduce never claimed), then claims.
// Between the two, the job is overwritten: the claim must be refused, and the new job's own last
// completion must then win the claim.
TEST_P(DynamoDbReduceClaim, AJobOverwrittenAfterItWasSeenCompleteIsNotClaimed) {
    for (const wp::DynamoDbLayout new_layout : {wp::DynamoDbLayout::kCompatible, wp::DynamoDbLayout::kSharded}) {
        SCOPED_TRACE(wp::to_string(new_layout));
        const std::string jobid = new_job(3);
        for (wp::PartId p = 0; p < 3; ++p) backend->complete_part(jobid, p);
        ASSERT_TRUE(backend->status(jobid).complete());  // the listing

        wp::DynamoDbOptions options = wp_test::dynamodb_test_options(kTable);
        options.layout = new_layout;
        wp::DynamoDbBackend other(options);  // another process overwrites the job
        other.set_total(jobid, 2, /*overwrite=*/true);

        EXPECT_FALSE(backend->claim_reduce(jobid)) << "the overwritten job's reduce was claimed at once";
        EXPECT_FALSE(backend->reclaim_reduce(jobid, std::chrono::milliseconds(0)));
        EXPECT_FALSE(backend->status(jobid).reduce_sent);
        EXPECT_FALSE(other.complete_part_and_claim_reduce(jobid, 0).reduce_claimed());
        const wp::CompletionResult last = other.complete_part_and_claim_reduce(jobid, 1);
        EXPECT_TRUE(last.job_complete);
        EXPECT_TRUE(last.reduce_claimed()) << "the real completion found the claim taken";
        EXPECT_TRUE(backend->delete_job(jobid));
    }
}

// After the claim and before the confirmation, the job reads as reduce-sent to the Python tool's Part
// (so a Python worker's duplicate delivery sends no second reduce); releasing the claim removes the
// mark; confirming keeps it (as BOOL true). The mark is not the user's metadata and does not stop a
// take-over once the lease has passed.
TEST_P(DynamoDbReduceClaim, TheClaimWritesThePythonToolsMarkInItsOwnRequest) {
    using wp_test::other_tools::python_dynamodb_sees_reduce_sent;
    const std::string jobid = new_job(3);
    backend->set_metadata(jobid, {{"bucket", "out"}});
    for (wp::PartId p = 0; p < 3; ++p) backend->complete_part(jobid, p);
    EXPECT_FALSE(python_dynamodb_sees_reduce_sent(*client, jobid));

    const auto claim = backend->claim_reduce(jobid);
    ASSERT_TRUE(claim);
    EXPECT_TRUE(python_dynamodb_sees_reduce_sent(*client, jobid)) << "a Python worker would send a second reduce";
    EXPECT_EQ(item_of(jobid)["metadata"]["M"]["bucket"], dynamodb::string_value("out"));
    wp::JobStatus s = backend->status(jobid);
    EXPECT_TRUE(s.reduce_sent);
    EXPECT_FALSE(s.reduce_confirmed) << "the claim's mark is not the Python tool's confirmation";
    EXPECT_EQ(s.metadata, json({{"bucket", "out"}}));

    backend->release_reduce(jobid, *claim);
    EXPECT_FALSE(python_dynamodb_sees_reduce_sent(*client, jobid));
    EXPECT_FALSE(backend->status(jobid).reduce_sent);

    const auto again = backend->complete_part_and_claim_reduce(jobid, 1).reduce_claim;  // a duplicate delivery
    ASSERT_TRUE(again);
    EXPECT_TRUE(python_dynamodb_sees_reduce_sent(*client, jobid));
    *now += 60'000;
    const auto taken = backend->reclaim_reduce(jobid, std::chrono::seconds(30));
    ASSERT_TRUE(taken) << "the claim's own mark stopped the take-over of a crashed claimer";
    EXPECT_TRUE(python_dynamodb_sees_reduce_sent(*client, jobid));
    backend->release_reduce(jobid, *again);  // a late release of the old claim changes nothing
    EXPECT_TRUE(python_dynamodb_sees_reduce_sent(*client, jobid));

    EXPECT_TRUE(backend->confirm_reduce(jobid, *taken));
    EXPECT_EQ(item_of(jobid)["metadata"]["M"]["reduce_message_sent"], dynamodb::bool_value(true));
    s = backend->status(jobid);
    EXPECT_TRUE(s.reduce_confirmed);
    EXPECT_EQ(s.metadata, json({{"bucket", "out"}}));
    EXPECT_TRUE(backend->delete_job(jobid));
}

// A job item without a metadata map (the Python tool writes none until set_metadata): the claim
// writes a map holding only the mark, in one request; release removes the mark again.
TEST_P(DynamoDbReduceClaim, TheMarkIsWrittenOnAnItemWithoutMetadata) {
    using wp_test::other_tools::python_dynamodb_sees_reduce_sent;
    for (const bool combined : {false, true}) {
        SCOPED_TRACE(combined ? "complete_part_and_claim_reduce" : "claim_reduce");
        const std::string jobid = new_job(3);
        for (wp::PartId p = 0; p < 2; ++p) backend->complete_part(jobid, p);
        {
            dynamodb::UpdateItemRequest remove;
            remove.key = wp_test::dynamodb_key(jobid);
            remove.update = "REMOVE #m";
            remove.names = {{"#m", "metadata"}};
            client->update_item(remove);
        }
        ASSERT_FALSE(item_of(jobid).contains("metadata"));
        const auto claim = combined ? backend->complete_part_and_claim_reduce(jobid, 2).reduce_claim
                                    : (backend->complete_part(jobid, 2), backend->claim_reduce(jobid));
        ASSERT_TRUE(claim);
        EXPECT_EQ(item_of(jobid)["metadata"],
                  json({{"M", {{"reduce_message_sent", dynamodb::string_value("claimed")}}}}));
        EXPECT_TRUE(python_dynamodb_sees_reduce_sent(*client, jobid));
        EXPECT_EQ(backend->status(jobid).metadata, json::object());
        EXPECT_FALSE(backend->claim_reduce(jobid)) << "a second claim on an item with the mark's map";
        backend->release_reduce(jobid, *claim);
        EXPECT_FALSE(python_dynamodb_sees_reduce_sent(*client, jobid));
        EXPECT_TRUE(backend->claim_reduce(jobid));
        EXPECT_TRUE(backend->delete_job(jobid));
    }
}

INSTANTIATE_TEST_SUITE_P(Layouts, DynamoDbReduceClaim,
                         ::testing::Values(wp::DynamoDbLayout::kCompatible, wp::DynamoDbLayout::kSharded),
                         [](const ::testing::TestParamInfo<wp::DynamoDbLayout>& info) {
                             return info.param == wp::DynamoDbLayout::kCompatible ? std::string("Compatible")
                                                                                    : std::string("Sharded");
                         });

// A job the Python tool created (no metadata map): our Part guard's claim marks it for the Python
// tool's workers at once, and a Python worker's duplicate delivery between our claim and our
// confirmation sees the mark (its Part sends nothing).
TEST(DynamoDbReduceClaimOtherTools, APythonWorkersDuplicateDeliveryBetweenOurClaimAndConfirmSeesTheMark) {
    using namespace wp_test::other_tools;
    auto client = wp_test::dynamodb_test_client(kTable);
    auto backend = std::make_shared<wp::DynamoDbBackend>(wp_test::dynamodb_test_options(kTable));
    const std::string jobid = std::string("claim-python-") + wp::new_jobid();
    python_dynamodb_set_total(*client, jobid, 2);
    dynamodb_delete_part(*client, jobid, 0);
    bool python_saw_mark = false;
    auto notifier = std::make_shared<wp::MemoryNotifier>();
    wp::PartOptions options{.backend = backend, .notifier = notifier};
    options.on_reduce = [&](const std::string&, const json&) {
        // Our claim is held and not confirmed yet: a Python worker delivered part 1 again now.
        dynamodb_delete_part(*client, jobid, 1);  // its complete_part: the job is complete
        python_saw_mark = python_dynamodb_sees_reduce_sent(*client, jobid);
    };
    wp::Part(jobid, 1, options).run([] {});
    EXPECT_TRUE(python_saw_mark) << "the Python worker would have sent a second reduce";
    EXPECT_TRUE(python_dynamodb_sees_reduce_sent(*client, jobid));
    EXPECT_TRUE(backend->status(jobid).reduce_confirmed);
    EXPECT_TRUE(backend->delete_job(jobid));
}

}  // namespace

#endif  // WP_WITH_AWS
