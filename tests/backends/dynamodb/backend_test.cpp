// DynamoDbBackend specifics beyond the conformance suite: the items exactly as stored in both
// layouts, jobs written by the Python and Node tools, the 400 KB limit, crash repair in the sharded
// layout, the cost of one completion, configuration, and the table helper.

#include "watchbot_progress/config.hpp"
#if WP_WITH_AWS  // the DynamoDB backend is part of the AWS layer

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "backends/dynamodb/dynamodb_backend_access.hpp"
#include "backends/dynamodb/dynamodb_attribute_value.hpp"
#include "aws/test_http_server.hpp"
#include "backends/dynamodb/dynamodb_attribute_names.hpp"
#include "dynamodb_test_util.hpp"
#include "other_tools.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace wp = watchbot_progress;
namespace aws = watchbot_progress::aws;
namespace ddb = watchbot_progress::detail::dynamodb;
namespace dynamodb = watchbot_progress::detail::dynamodb;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

constexpr const char* kTable = "wp-test-backend";

std::string new_id(const std::string& prefix) { return prefix + "-" + wp::new_jobid(); }

std::shared_ptr<wp::DynamoDbBackend> make_backend(const std::function<void(wp::DynamoDbOptions&)>& tweak = {}) {
    wp::DynamoDbOptions options = wp_test::dynamodb_test_options(kTable);
    if (tweak) tweak(options);
    return std::make_shared<wp::DynamoDbBackend>(options);
}

std::set<std::string> attribute_names(const json& item) {
    std::set<std::string> names;
    for (const auto& [key, value] : item.items()) names.insert(key);
    return names;
}

std::vector<std::int64_t> sorted_set(const json& item, const char* name) {
    auto v = dynamodb::get_number_set(item, name);
    std::sort(v.begin(), v.end());
    return v;
}

std::vector<std::int64_t> iota(std::int64_t first, std::int64_t end) {
    std::vector<std::int64_t> v;
    for (std::int64_t i = first; i < end; ++i) v.push_back(i);
    return v;
}

// Every item of the table whose shardOf is `jobid`.
std::vector<json> shard_items(const dynamodb::DynamoDbClient& client, const std::string& jobid) {
    std::vector<json> items;
    dynamodb::ScanRequest scan;
    scan.filter = "#s = :j";
    scan.names = {{"#s", "shardOf"}};
    scan.values = {{":j", {{"S", jobid}}}};
    client.scan(scan, [&](const json& item) { items.push_back(item); });
    return items;
}

// The ids of every item of the table whose id starts with `prefix`.
std::set<std::string> ids_starting_with(const dynamodb::DynamoDbClient& client, const std::string& prefix) {
    std::set<std::string> ids;
    dynamodb::ScanRequest scan;
    scan.consistent_read = true;
    scan.filter = "begins_with(#i, :p)";
    scan.names = {{"#i", "id"}};
    scan.values = {{":p", {{"S", prefix}}}};
    client.scan(scan, [&](const json& item) { ids.insert(item.at("id").at("S").get<std::string>()); });
    return ids;
}

// ---- compatible layout --------------------------------------------------------------------------

void compatible_layout(wp::DynamoDbOptions& o) { o.layout = wp::DynamoDbLayout::kCompatible; }

TEST(DynamoDbLayout, CompatibleItemHasExactlyTheSharedAttributes) {
    auto backend = make_backend(compatible_layout);
    auto client = wp_test::dynamodb_test_client(kTable);
    const std::string jobid = new_id("layout");
    backend->set_total(jobid, 5);
    auto item = client->get_item({wp_test::dynamodb_key(jobid)});
    ASSERT_TRUE(item.has_value());
    // createToken: the creating call's random token, so that a retry whose first attempt's answer
    // was lost recognises the job it wrote; createdAt: when it was created (other tools ignore both).
    EXPECT_EQ(attribute_names(*item),
              (std::set<std::string>{"id", "parts", "total", "reduceSent", "metadata", "updatedAt", "createToken", "createdAt"}));
    EXPECT_TRUE((*item)["createToken"].contains("S"));
    EXPECT_EQ((*item)["id"], (json{{"S", jobid}}));
    ASSERT_TRUE((*item)["parts"].contains("NS"));
    EXPECT_EQ(sorted_set(*item, "parts"), iota(0, 5));
    EXPECT_EQ((*item)["total"], (json{{"N", "5"}}));
    EXPECT_EQ((*item)["reduceSent"], (json{{"BOOL", false}}));
    EXPECT_EQ((*item)["metadata"], (json{{"M", json::object()}}));

    backend->set_metadata(jobid, {{"name", "tiles"}, {"zoom", 12}, {"ratio", 0.5}, {"tags", {"a", "b"}}});
    backend->set_metadata(jobid, {{"zoom", 13}});
    item = client->get_item({wp_test::dynamodb_key(jobid)});
    EXPECT_EQ((*item)["metadata"],
              (json{{"M",
                     {{"name", {{"S", "tiles"}}},
                      {"zoom", {{"N", "13"}}},
                      {"ratio", {{"N", "0.5"}}},
                      {"tags", {{"L", {{{"S", "a"}}, {{"S", "b"}}}}}}}}}));

    for (wp::PartId p = 0; p < 5; ++p) backend->complete_part(jobid, p);
    item = client->get_item({wp_test::dynamodb_key(jobid)});
    EXPECT_FALSE(item->contains("parts")) << "an empty set is removed, as DynamoDB requires";
    const auto claim = backend->claim_reduce(jobid);
    ASSERT_TRUE(claim);
    backend->fail_job(jobid, "late failure");
    item = client->get_item({wp_test::dynamodb_key(jobid)});
    EXPECT_EQ((*item)["reduceSent"], (json{{"BOOL", true}}));
    EXPECT_EQ((*item)["error"], (json{{"S", "late failure"}}));
    ASSERT_TRUE(item->contains("reduceClaim"));
    EXPECT_TRUE((*item)["reduceClaim"].contains("S"));
    EXPECT_EQ(attribute_names(*item),
              (std::set<std::string>{"id", "total", "reduceSent", "reduceClaim", "reduceClaimedAt", "metadata", "error",
                                     "updatedAt", "createToken", "createdAt"}));

    backend->release_reduce(jobid, *claim);
    item = client->get_item({wp_test::dynamodb_key(jobid)});
    EXPECT_EQ((*item)["reduceSent"], (json{{"BOOL", false}}));
    EXPECT_FALSE(item->contains("reduceClaim"));
    EXPECT_FALSE(item->contains("reduceClaimedAt"));

    backend->set_total(jobid, 2, /*overwrite=*/true);
    item = client->get_item({wp_test::dynamodb_key(jobid)});
    EXPECT_EQ(attribute_names(*item),
              (std::set<std::string>{"id", "parts", "total", "reduceSent", "metadata", "updatedAt", "createToken", "createdAt"}));
    EXPECT_EQ(sorted_set(*item, "parts"), iota(0, 2));
    EXPECT_EQ(dynamodb::from_attribute_value((*item)["metadata"]).value("name", ""), "tiles");
    EXPECT_TRUE(backend->delete_job(jobid));
    EXPECT_FALSE(client->get_item({wp_test::dynamodb_key(jobid)}).has_value());
}

TEST(DynamoDbLayout, ReadsAndCompletesJobsThePythonToolWrote) {
    auto backend = make_backend();
    auto client = wp_test::dynamodb_test_client(kTable);
    const std::string jobid = new_id("python");
    // The Python tool: put_item {id, parts, total}; set_metadata replaces the map; fail_job stores
    // the part id (a number) as error.
    client->put_item({{{"id", {{"S", jobid}}}, {"parts", dynamodb::number_set({0, 1, 2})}, {"total", {{"N", "3"}}}}});
    auto s = backend->status(jobid);
    EXPECT_EQ(s.total, 3);
    EXPECT_EQ(s.remaining, 3);
    EXPECT_FALSE(s.reduce_sent);
    EXPECT_TRUE(s.metadata.is_object() && s.metadata.empty());
    backend->set_metadata(jobid, {{"a", 1}});  // no metadata map yet: created first
    backend->set_metadata(jobid, {{"b", 2}});
    EXPECT_EQ(backend->status(jobid).metadata, (json{{"a", 1}, {"b", 2}}));
    EXPECT_FALSE(backend->complete_part(jobid, 1));
    client->update_item({wp_test::dynamodb_key(jobid), "SET #e = :e", "", {{"#e", "error"}}, {{":e", {{"N", "2"}}}}});
    s = backend->status(jobid);
    EXPECT_TRUE(s.failed);
    EXPECT_EQ(s.reason.value_or(""), "2");
    EXPECT_EQ(s.remaining, 2);
    EXPECT_FALSE(backend->claim_reduce(jobid)) << "failed jobs are never claimed";
    backend->delete_job(jobid);
}

TEST(DynamoDbLayout, AnItemWithoutTotalIsNotAJob) {
    auto backend = make_backend();
    auto client = wp_test::dynamodb_test_client(kTable);
    const std::string jobid = new_id("idonly");
    // What the Node and Python tools leave behind when they complete a part of a missing job.
    client->put_item({{{"id", {{"S", jobid}}}}});
    EXPECT_THROW(backend->status(jobid), wp::JobDoesNotExist);
    EXPECT_THROW(backend->complete_part(jobid, 0), wp::JobDoesNotExist);
    EXPECT_THROW(backend->claim_reduce(jobid), wp::JobDoesNotExist);
    EXPECT_THROW(backend->fail_job(jobid, "x"), wp::JobDoesNotExist);
    EXPECT_THROW(backend->set_metadata(jobid, {{"a", 1}}), wp::JobDoesNotExist);
    EXPECT_FALSE(backend->delete_job(jobid));
    backend->set_total(jobid, 2);  // replaces it
    EXPECT_EQ(backend->status(jobid).remaining, 2);
    backend->delete_job(jobid);
}

TEST(DynamoDbLayout, UnknownJobsAreNeverCreated) {
    auto backend = make_backend();
    auto client = wp_test::dynamodb_test_client(kTable);
    const std::string jobid = new_id("never");
    EXPECT_THROW(backend->complete_part(jobid, 0), wp::JobDoesNotExist);
    EXPECT_THROW(backend->complete_part_and_claim_reduce(jobid, 3), wp::JobDoesNotExist);
    EXPECT_THROW(backend->release_reduce(jobid, "token"), wp::JobDoesNotExist);
    EXPECT_THROW(backend->set_metadata(jobid, {{"k", "v"}}), wp::JobDoesNotExist);
    EXPECT_THROW(backend->set_metadata(jobid, json::object()), wp::JobDoesNotExist);
    EXPECT_FALSE(client->get_item({wp_test::dynamodb_key(jobid)}).has_value());
}

TEST(DynamoDbLayout, MetadataKeysOfAnyShapeMerge) {
    auto backend = make_backend();
    const std::string jobid = new_id("keys");
    backend->set_total(jobid, 1);
    json many = json::object();
    for (int i = 0; i < 95; ++i) many["key" + std::to_string(i)] = i;
    backend->set_metadata(jobid, many);
    const json odd = {{"a.b", 1}, {"#x", 2}, {":y", 3}, {"with space", 4}, {"ü", 5}, {"[0]", 6}, {"nested", {{"a.b", {1}}}}};
    backend->set_metadata(jobid, odd);
    const json m = backend->status(jobid).metadata;
    EXPECT_EQ(m.size(), 95u + odd.size());
    for (const auto& [k, v] : odd.items()) EXPECT_EQ(m[k], v) << k;
    EXPECT_EQ(m["key94"], 94);
    backend->delete_job(jobid);
}

TEST(DynamoDbLayout, CompatibleLayoutRefusesJobsOver400KB) {
    auto backend = make_backend([](wp::DynamoDbOptions& o) { o.layout = wp::DynamoDbLayout::kCompatible; });
    const std::string jobid = new_id("big");
    const std::int64_t max = ddb::max_compatible_parts(jobid);
    EXPECT_GT(max, 70'000);
    EXPECT_LT(max, 110'000);
    try {
        backend->set_total(jobid, max + 1);
        FAIL() << "expected InvalidInput";
    } catch (const wp::InvalidInput& e) {
        EXPECT_THAT(e.what(), HasSubstr("400 KB"));
        EXPECT_THAT(e.what(), HasSubstr(std::to_string(max)));
        EXPECT_THAT(e.what(), HasSubstr("sharded"));
    }
    EXPECT_THROW(backend->status(jobid), wp::JobDoesNotExist) << "nothing written";

    // The largest accepted job really fits in one item (the estimate is conservative), and works.
    backend->set_total(jobid, max);
    EXPECT_EQ(backend->status(jobid).remaining, max);
    backend->set_metadata(jobid, {{"owner", std::string(2000, 'x')}});
    EXPECT_FALSE(backend->complete_part(jobid, max - 1));
    EXPECT_TRUE(backend->part_complete(jobid, max - 1));
    EXPECT_TRUE(backend->delete_job(jobid));
}

TEST(DynamoDbLayout, AutoLayoutShardsAboveTheThreshold) {
    auto backend = make_backend([](wp::DynamoDbOptions& o) {
        o.layout = wp::DynamoDbLayout::kAuto;
        o.sharded_threshold = 10;
    });
    auto client = wp_test::dynamodb_test_client(kTable);
    const std::string small = new_id("small");
    const std::string large = new_id("large");
    backend->set_total(small, 10);
    backend->set_total(large, 11);
    EXPECT_FALSE(client->get_item({wp_test::dynamodb_key(small)})->contains("layout"));
    EXPECT_EQ((*client->get_item({wp_test::dynamodb_key(large)}))["layout"], (json{{"S", "sharded"}}));
    EXPECT_EQ(wp::DynamoDbOptions{}.sharded_threshold, 10'000);
    backend->delete_job(small);
    backend->delete_job(large);
}

// ---- sharded layout -----------------------------------------------------------------------------

std::int64_t epoch_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

TEST(DynamoDbExpiry, FinishedJobsGetTheTtlAttribute) {
    auto backend = make_backend([](wp::DynamoDbOptions& o) {
        o.layout = wp::DynamoDbLayout::kCompatible;  // EmptiedShardItemsExpireToo: the sharded layout
        o.done_ttl = std::chrono::hours(24);
    });
    auto client = wp_test::dynamodb_test_client(kTable);
    const std::string jobid = new_id("ttl");
    backend->set_total(jobid, 2);
    backend->complete_part(jobid, 0);
    const auto claim = backend->complete_part_and_claim_reduce(jobid, 1).reduce_claim;
    ASSERT_TRUE(claim);
    EXPECT_FALSE(client->get_item({wp_test::dynamodb_key(jobid)})->contains("expiresAt")) << "not finished until sent";
    const std::int64_t before = epoch_seconds();
    EXPECT_TRUE(backend->confirm_reduce(jobid, *claim));
    auto item = client->get_item({wp_test::dynamodb_key(jobid)});
    ASSERT_TRUE(item->contains("expiresAt"));
    const std::int64_t at = *dynamodb::get_int(*item, "expiresAt");
    EXPECT_GE(at, before + 24 * 3600);
    EXPECT_LE(at, epoch_seconds() + 24 * 3600);
    // Overwriting the job makes it live again.
    backend->set_total(jobid, 3, /*overwrite=*/true);
    EXPECT_FALSE(client->get_item({wp_test::dynamodb_key(jobid)})->contains("expiresAt"));
    // A failed job is finished too.
    backend->fail_job(jobid, "boom");
    EXPECT_TRUE(client->get_item({wp_test::dynamodb_key(jobid)})->contains("expiresAt"));
    backend->delete_job(jobid);

    // Without done_ttl nothing expires.
    auto plain = make_backend(compatible_layout);
    const std::string kept = new_id("ttl-off");
    plain->set_total(kept, 1);
    const auto kept_claim = plain->complete_part_and_claim_reduce(kept, 0).reduce_claim;
    ASSERT_TRUE(kept_claim);
    plain->confirm_reduce(kept, *kept_claim);
    plain->fail_job(kept, "x");
    EXPECT_FALSE(client->get_item({wp_test::dynamodb_key(kept)})->contains("expiresAt"));
    plain->delete_job(kept);
}

TEST(DynamoDbExpiry, EmptiedShardItemsExpireToo) {
    auto backend = make_backend([](wp::DynamoDbOptions& o) {
        o.layout = wp::DynamoDbLayout::kSharded;
        o.shard_size = 4;
        o.done_ttl = std::chrono::hours(1);
        o.ttl_attribute = "ttl";
    });
    auto client = wp_test::dynamodb_test_client(kTable);
    const std::string jobid = new_id("ttl-sharded");
    backend->set_total(jobid, 8);  // two shards under the job item
    for (wp::PartId p = 0; p < 4; ++p) backend->complete_part(jobid, p);
    std::size_t expiring = 0;
    for (const auto& item : shard_items(*client, jobid)) expiring += item.contains("ttl") ? 1 : 0;
    EXPECT_EQ(expiring, 1u) << "only the emptied shard is finished";
    std::optional<wp::ClaimToken> claim;
    for (wp::PartId p = 4; p < 8; ++p) {
        if (auto won = backend->complete_part_and_claim_reduce(jobid, p).reduce_claim) claim = won;
    }
    ASSERT_TRUE(claim);
    backend->confirm_reduce(jobid, *claim);
    for (const auto& item : shard_items(*client, jobid)) EXPECT_TRUE(item.contains("ttl")) << item.dump();
    EXPECT_TRUE(client->get_item({wp_test::dynamodb_key(jobid)})->contains("ttl"));
    backend->delete_job(jobid);
}

TEST(DynamoDbExpiry, TtlAttributeMustNotClashWithTheLayout) {
    for (const char* name : {"", "parts", "total", "reduceSent", "updatedAt", "shardOf"}) {
        SCOPED_TRACE(name);
        EXPECT_THROW(make_backend([&](wp::DynamoDbOptions& o) { o.ttl_attribute = name; }), wp::InvalidInput);
    }
    EXPECT_THROW(make_backend([](wp::DynamoDbOptions& o) { o.done_ttl = std::chrono::seconds(-1); }), wp::InvalidInput);
}

TEST(DynamoDbLayout, ShardedJobItemsAsStored) {
    auto backend = make_backend([](wp::DynamoDbOptions& o) {
        o.layout = wp::DynamoDbLayout::kSharded;
        o.shard_size = 4;
    });
    auto client = wp_test::dynamodb_test_client(kTable);
    const std::string jobid = new_id("sharded");
    backend->set_total(jobid, 100);  // 25 shards, 7 index items, 2 above them, the root: 4 levels
    auto item = client->get_item({wp_test::dynamodb_key(jobid)});
    ASSERT_TRUE(item.has_value());
    EXPECT_EQ(attribute_names(*item),
              (std::set<std::string>{"id", "total", "layout", "shardSize", "shardLevels", "shardGen", "pendingShards",
                                     "parts", "reduceSent", "metadata", "updatedAt", "createToken", "createdAt"}));
    EXPECT_EQ((*item)["total"], (json{{"N", "100"}}));
    EXPECT_EQ((*item)["layout"], (json{{"S", "sharded"}}));
    EXPECT_EQ((*item)["shardSize"], (json{{"N", "4"}}));
    EXPECT_EQ((*item)["shardLevels"], (json{{"N", "4"}}));
    EXPECT_EQ(sorted_set(*item, "pendingShards"), iota(0, 1)) << "the job item lists the root item alone";
    EXPECT_EQ((*item)["parts"], ddb::sharded_parts_note()) << "a map where the other tools expect a number set";
    const std::string gen = (*item)["shardGen"]["S"].get<std::string>();
    EXPECT_EQ(gen.size(), 16u);

    const auto shards = shard_items(*client, jobid);
    EXPECT_EQ(shards.size(), 25u + 7u + 2u + 1u);
    auto leaf = client->get_item({wp_test::dynamodb_key(jobid + "#shard#" + gen + "#0#24")});
    ASSERT_TRUE(leaf.has_value());
    EXPECT_EQ(attribute_names(*leaf), (std::set<std::string>{"id", "shardOf", "parts", "total"}));
    EXPECT_EQ(sorted_set(*leaf, "parts"), iota(96, 100));
    EXPECT_EQ((*leaf)["shardOf"], (json{{"S", jobid}}));
    EXPECT_EQ((*leaf)["total"], (json{{"N", "4"}})) << "the parts it covers, for the Python tool's ls";
    auto index = client->get_item({wp_test::dynamodb_key(jobid + "#shard#" + gen + "#1#6")});
    ASSERT_TRUE(index.has_value());
    EXPECT_EQ(attribute_names(*index), (std::set<std::string>{"id", "shardOf", "pendingShards", "total"}));
    EXPECT_EQ(sorted_set(*index, "pendingShards"), (std::vector<std::int64_t>{24}));
    EXPECT_EQ((*index)["total"], (json{{"N", "1"}}));

    // Completing shard 24's parts empties it and takes it out of its index item, which empties too.
    for (wp::PartId p = 96; p < 100; ++p) EXPECT_FALSE(backend->complete_part(jobid, p));
    leaf = client->get_item({wp_test::dynamodb_key(jobid + "#shard#" + gen + "#0#24")});
    EXPECT_FALSE(leaf->contains("parts"));
    index = client->get_item({wp_test::dynamodb_key(jobid + "#shard#" + gen + "#1#6")});
    EXPECT_FALSE(index->contains("pendingShards"));
    auto top = client->get_item({wp_test::dynamodb_key(jobid + "#shard#" + gen + "#2#1")});
    EXPECT_EQ(sorted_set(*top, "pendingShards"), iota(4, 6));
    auto root = client->get_item({wp_test::dynamodb_key(jobid + "#shard#" + gen + "#3#0")});
    EXPECT_EQ(sorted_set(*root, "pendingShards"), iota(0, 2));

    // list_jobs shows the job once and never a shard item; delete removes every item.
    int seen = 0;
    backend->list_jobs([&](const wp::JobStatus& s) {
        EXPECT_THAT(s.jobid, Not(HasSubstr("#shard#")));
        if (s.jobid == jobid) {
            ++seen;
            EXPECT_EQ(s.remaining, 96);
        }
    });
    EXPECT_EQ(seen, 1);
    EXPECT_TRUE(backend->delete_job(jobid));
    EXPECT_TRUE(shard_items(*client, jobid).empty());
}

// The Python and Node tools' completion (DELETE parts :p, ReturnValues ALL_NEW) on a sharded job:
// DynamoDB refuses it (the job item's `parts` is a map, not a number set), so their worker fails
// loudly instead of returning normally with the completion lost; the job is unchanged. Their
// readers show an error, never a made-up part.
TEST(DynamoDbLayout, TheOtherToolsCompletionOfAShardedJobIsRefused) {
    auto backend = make_backend();  // the default layout: sharded
    ASSERT_EQ(backend->layout(), wp::DynamoDbLayout::kSharded);
    auto client = wp_test::dynamodb_test_client(kTable);
    const std::string jobid = new_id("refused");
    backend->set_total(jobid, 3);
    backend->complete_part(jobid, 0);
    const json before = *client->get_item({wp_test::dynamodb_key(jobid), true});
    try {
        wp_test::other_tools::dynamodb_delete_part(*client, jobid, 2);  // the exact request of either tool
        ADD_FAILURE() << "DynamoDB accepted the other tool's completion of a sharded job";
    } catch (const wp::BackendError& e) {
        EXPECT_EQ(e.code(), "ValidationException") << e.what();
    }
    EXPECT_EQ(*client->get_item({wp_test::dynamodb_key(jobid), true}), before);
    EXPECT_EQ(wp_test::other_tools::python_dynamodb_pending(*client, jobid), std::nullopt)
        << "the Python tool's `pending` listed parts of a sharded job";
    EXPECT_EQ(backend->list_pending_parts(jobid), (std::vector<wp::PartId>{1, 2}));
    for (wp::PartId p : {1, 2}) backend->complete_part(jobid, p);
    EXPECT_TRUE(backend->status(jobid).complete());
    EXPECT_EQ(wp_test::other_tools::python_len((*client->get_item({wp_test::dynamodb_key(jobid), true}))["parts"]), 1u)
        << "the Python tool's progress of the job stays below 1";
    backend->delete_job(jobid);
}

// A sharded job written before the job item's `parts` became a map held the number set {-1} there.
// Such a job (written here raw) is still read, completed and reduced once, and overwritten.
TEST(DynamoDbLayout, AShardedJobWithTheOldSentinelStillWorks) {
    auto writer = make_backend([](wp::DynamoDbOptions& o) { o.shard_size = 2; });
    auto client = wp_test::dynamodb_test_client(kTable);
    const std::string jobid = new_id("old-sentinel");
    writer->set_total(jobid, 5);
    writer->set_metadata(jobid, {{"bucket", "out"}});
    client->update_item({wp_test::dynamodb_key(jobid), "SET #p = :p", "", {{"#p", "parts"}},
                         {{":p", dynamodb::number_set({-1})}}});
    ASSERT_EQ(sorted_set(*client->get_item({wp_test::dynamodb_key(jobid), true}), "parts"), (std::vector<std::int64_t>{-1}));

    auto backend = make_backend();  // a process that never met the job
    wp::JobStatus s = backend->status(jobid);
    EXPECT_EQ(s.total, 5);
    EXPECT_EQ(s.remaining, 5);
    EXPECT_EQ(s.metadata, json({{"bucket", "out"}}));
    auto notifier = std::make_shared<wp::MemoryNotifier>();
    const wp::PartOptions options{.backend = backend, .notifier = notifier};
    for (int round = 0; round < 2; ++round) {  // every part delivered twice
        for (wp::PartId p = 0; p < 5; ++p) wp::Part(jobid, p, options).run([] {});
    }
    EXPECT_EQ(notifier->messages("reduce").size(), 1u);
    s = backend->status(jobid);
    EXPECT_TRUE(s.complete());
    EXPECT_TRUE(s.reduce_confirmed);
    bool listed = false;
    backend->list_jobs([&](const wp::JobStatus& j) { listed = listed || j.jobid == jobid; });
    EXPECT_TRUE(listed);

    backend->set_total(jobid, 2, /*overwrite=*/true);  // now in the new form
    EXPECT_EQ((*client->get_item({wp_test::dynamodb_key(jobid), true}))["parts"], ddb::sharded_parts_note());
    EXPECT_EQ(backend->status(jobid).remaining, 2);
    EXPECT_TRUE(backend->delete_job(jobid));
}

// A sharded job written before the root item: its job item lists up to F top-level items (here
// 2) and says one level fewer. Written here raw from a job of this version (its root item deleted,
// the job item rewritten as the earlier version wrote it). It is still read (status, list_jobs),
// completed by new processes and through the host's facts, and reduced once.
TEST(DynamoDbLayout, AShardedJobWrittenBeforeTheRootItemStillWorks) {
    auto sharded = [](wp::DynamoDbOptions& o) {
        o.layout = wp::DynamoDbLayout::kSharded;
        o.shard_size = 2;
    };
    auto client = wp_test::dynamodb_test_client(kTable);
    const std::string jobid = new_id("before-root");
    make_backend(sharded)->set_total(jobid, 8);  // shards 4, index items 2, the root: 3 levels
    const json created = *client->get_item({wp_test::dynamodb_key(jobid), true});
    ASSERT_EQ(created["shardLevels"], (json{{"N", "3"}}));
    const std::string gen = created["shardGen"]["S"].get<std::string>();
    client->delete_item({wp_test::dynamodb_key(jobid + "#shard#" + gen + "#2#0")});
    client->update_item({wp_test::dynamodb_key(jobid), "SET #l = :l, #p = :p", "", {{"#l", "shardLevels"}, {"#p", "pendingShards"}},
                         {{":l", dynamodb::number_value(2)}, {":p", dynamodb::number_set({0, 1})}}});
    EXPECT_EQ(make_backend(sharded)->status(jobid).remaining, 8);
    const auto cache_dir = std::filesystem::path(::testing::TempDir()) / ("wp-facts-" + wp::new_jobid());
    const auto notifier = std::make_shared<wp::MemoryNotifier>();
    for (wp::PartId p : {0, 1, 2, 3, 3, 4, 5, 6, 7, 7}) {
        const auto backend = make_backend(sharded);  // a new process, with the host's facts after the first
        wp::CommandPartOptions options;
        options.part.backend = backend;
        options.part.notifier = notifier;
        options.facts_cache = std::make_shared<wp::JobFactsCache>(
            wp::JobFactsCacheOptions{.directory = cache_dir, .interval = std::chrono::hours(1)});
        const auto message = wp::parse_map_message(wp::map_message_body(json::object(), jobid, p, "null"));
        EXPECT_EQ(wp::run_part_command(message, {"/bin/true"}, options).outcome, wp::CommandPartResult::Outcome::kCompleted);
        if (p == 3) {
            EXPECT_EQ(sorted_set(*client->get_item({wp_test::dynamodb_key(jobid), true}), "pendingShards"),
                      (std::vector<std::int64_t>{1}))
                << "the emptied top-level item left the job item, as the earlier version did it";
            EXPECT_EQ(make_backend(sharded)->status(jobid).remaining, 4);
        }
    }
    EXPECT_EQ(notifier->messages(wp::kReduceSubject).size(), 1u);
    const wp::JobStatus status = make_backend(sharded)->status(jobid);
    EXPECT_TRUE(status.complete());
    EXPECT_TRUE(status.reduce_confirmed);
    bool listed = false;
    make_backend(sharded)->list_jobs([&](const wp::JobStatus& j) { listed = listed || j.jobid == jobid; });
    EXPECT_TRUE(listed);
    EXPECT_TRUE(make_backend(sharded)->delete_job(jobid));
    EXPECT_TRUE(shard_items(*client, jobid).empty());
    std::filesystem::remove_all(cache_dir);
}

TEST(DynamoDbLayout, CrashBetweenCompletionStepsIsRepairedByRedelivery) {
    auto backend = make_backend([](wp::DynamoDbOptions& o) {
        o.layout = wp::DynamoDbLayout::kSharded;
        o.shard_size = 2;
    });
    auto client = wp_test::dynamodb_test_client(kTable);
    const std::string jobid = new_id("crash");
    backend->set_total(jobid, 8);  // shards {0,1} {2,3} {4,5} {6,7}; index items {0,1} {2,3}; root {0,1}
    const std::string gen = (*client->get_item({wp_test::dynamodb_key(jobid)}))["shardGen"]["S"].get<std::string>();
    auto id = [&](int level, int index) { return jobid + "#shard#" + gen + "#" + std::to_string(level) + "#" + std::to_string(index); };
    auto raw_delete = [&](const std::string& item, const char* attribute, std::int64_t value) {
        client->update_item({wp_test::dynamodb_key(item), "DELETE #a :v", "", {{"#a", attribute}},
                             {{":v", dynamodb::number_set({value})}}});
    };
    for (wp::PartId p : {0, 2, 3, 4, 5, 6}) backend->complete_part(jobid, p);
    // Worker for part 1 crashes right after emptying shard 0 (before index item 0 learns it).
    raw_delete(id(0, 0), "parts", 1);
    // Worker for part 7 crashes after emptying shard 3 and index item 1, before the root item.
    raw_delete(id(0, 3), "parts", 7);
    raw_delete(id(1, 1), "pendingShards", 3);
    auto s = backend->status(jobid);
    EXPECT_EQ(s.remaining, 0) << "every part is done";
    // The redeliveries repair the tree; the last one completes the job and wins the claim.
    auto r1 = backend->complete_part_and_claim_reduce(jobid, 7);
    EXPECT_FALSE(r1.job_complete) << "index item 0 still lists shard 0";
    auto r2 = backend->complete_part_and_claim_reduce(jobid, 1);
    EXPECT_TRUE(r2.job_complete);
    EXPECT_TRUE(r2.reduce_claimed());
    auto r3 = backend->complete_part_and_claim_reduce(jobid, 1);
    EXPECT_TRUE(r3.job_complete);
    EXPECT_FALSE(r3.reduce_claimed());
    EXPECT_FALSE((*client->get_item({wp_test::dynamodb_key(jobid)})).contains("pendingShards"));
    backend->delete_job(jobid);
}

// A shard step is one unconditioned UpdateItem, which creates an item that is gone (the key
// alone). A process whose cached tree belongs to a deleted generation must neither count its
// completion there nor leave such an item behind.
TEST(DynamoDbLayout, ACompletionFromAStaleTreeLeavesNoItemBehind) {
    auto sharded = [](wp::DynamoDbOptions& o) {
        o.layout = wp::DynamoDbLayout::kSharded;
        o.shard_size = 4;
    };
    auto admin = make_backend(sharded);
    auto worker = make_backend(sharded);  // another process
    auto client = wp_test::dynamodb_test_client(kTable);
    const std::string jobid = new_id("stale-tree");
    admin->set_total(jobid, 40);
    EXPECT_FALSE(worker->complete_part(jobid, 5));  // the worker caches the tree
    const std::set<std::string> first_generation = ids_starting_with(*client, jobid);
    ASSERT_EQ(first_generation.size(), 1u + 10u + 3u + 1u) << "the job item, 10 shard items, 3 index items, the root";

    EXPECT_TRUE(admin->delete_job(jobid));
    admin->set_total(jobid, 40);  // a new generation under the same id
    const std::set<std::string> second_generation = ids_starting_with(*client, jobid);
    EXPECT_FALSE(worker->complete_part(jobid, 7));
    EXPECT_EQ(ids_starting_with(*client, jobid), second_generation) << "an item of the deleted generation came back";
    EXPECT_TRUE(admin->part_complete(jobid, 7)) << "the completion counts in the job as it is now";
    EXPECT_FALSE(admin->part_complete(jobid, 5));
    EXPECT_EQ(admin->status(jobid).remaining, 39);

    EXPECT_TRUE(admin->delete_job(jobid));
    EXPECT_THROW(worker->complete_part(jobid, 9), wp::JobDoesNotExist);
    EXPECT_TRUE(ids_starting_with(*client, jobid).empty()) << "a completion of a deleted job left an item";
}

// With fail_job_on set, the guard asks before every delivery whether the job failed: one GetItem
// of the job item's error, however many shards are pending (not a status walk of every one).
TEST(DynamoDbLayout, TheFailJobOnCheckIsOneSmallRead) {
    auto backend = make_backend([](wp::DynamoDbOptions& o) {
        o.layout = wp::DynamoDbLayout::kSharded;
        o.shard_size = 10;  // 5,000 parts: 500 shard items under 55 index items
    });
    const std::string jobid = new_id("fail-job-on");
    backend->set_total(jobid, 5000);
    const wp::PartOptions options{.backend = backend, .notifier = std::make_shared<wp::MemoryNotifier>(),
                                  .fail_job_on = wp::fail_on<std::runtime_error>()};
    wp::Part(jobid, 0, options).run([] {});  // the process learns the job's layout
    const wp::BackendStats before = backend->stats();
    wp::Part(jobid, 1, options).run([] {});
    const wp::BackendStats after = backend->stats();
    EXPECT_EQ(after.requests - before.requests, 2u) << "the failure check and the completion";
    EXPECT_LT(after.bytes_received - before.bytes_received, 2048u);
    backend->fail_job(jobid, "broken");
    EXPECT_THROW(wp::Part(jobid, 2, options).run([] {}), wp::JobFailed);
    EXPECT_TRUE(backend->delete_job(jobid));
}

TEST(DynamoDbLayout, AnotherProcessLearnsTheLayoutOnceThenCompletesInOneRequest) {
    auto creator = make_backend([](wp::DynamoDbOptions& o) { o.layout = wp::DynamoDbLayout::kSharded; });
    const std::string jobid = new_id("learn");
    creator->set_total(jobid, 1000);
    auto worker = make_backend(compatible_layout);  // a fresh process: nothing cached
    auto before = worker->stats();
    EXPECT_FALSE(worker->complete_part(jobid, 10));
    auto after = worker->stats();
    EXPECT_EQ(after.requests - before.requests, 3u) << "refused compatible write, GetItem, shard write";
    before = after;
    EXPECT_FALSE(worker->complete_part(jobid, 11));
    EXPECT_EQ(worker->stats().requests - before.requests, 1u);
    // A compatible job costs one request from the start.
    const std::string small = new_id("learn-small");
    worker->set_total(small, 3);
    before = worker->stats();
    worker->complete_part(small, 0);
    EXPECT_EQ(worker->stats().requests - before.requests, 1u);
    creator->delete_job(jobid);
    worker->delete_job(small);
}

// A process whose backend writes sharded jobs (the default) reads the job item first: no refused
// write on the job item, which every new worker process would otherwise pay.
TEST(DynamoDbLayout, AShardedWorkerProcessReadsTheJobItemFirst) {
    auto creator = make_backend([](wp::DynamoDbOptions& o) { o.layout = wp::DynamoDbLayout::kSharded; });
    const std::string jobid = new_id("learn-sharded");
    creator->set_total(jobid, 1000);
    const std::string small = new_id("learn-sharded-small");
    make_backend(compatible_layout)->set_total(small, 3);

    auto worker = make_backend([](wp::DynamoDbOptions& o) { o.layout = wp::DynamoDbLayout::kSharded; });
    auto before = worker->stats();
    EXPECT_FALSE(worker->complete_part(jobid, 10));
    EXPECT_EQ(worker->stats().requests - before.requests, 2u) << "GetItem, shard write";
    before = worker->stats();
    EXPECT_FALSE(worker->complete_part(jobid, 11));
    EXPECT_EQ(worker->stats().requests - before.requests, 1u);
    // A compatible job: the read, then its one write; the part is completed once.
    before = worker->stats();
    EXPECT_FALSE(worker->complete_part(small, 0));
    EXPECT_EQ(worker->stats().requests - before.requests, 2u);
    EXPECT_FALSE(worker->complete_part(small, 0)) << "a duplicate";
    EXPECT_FALSE(worker->complete_part(small, 1));
    EXPECT_TRUE(worker->complete_part(small, 2));
    EXPECT_EQ(creator->status(small).remaining, 0);
    creator->delete_job(jobid);
    creator->delete_job(small);
}

// The worker path (`watchbot-progress-cpp worker`: run_part_command in a new process per delivery,
// nothing cached). Its check before the command is one read of the job item, which also tells it
// the job's layout, and the completion after the command is the one write of the part's shard:
// the job item is written only by the delivery that empties a top-level item (and by the last
// part's claim and confirmation), never to record progress.
// A `worker` delivery is a new process: without the host's job facts cache (or with its interval
// 0), its check reads the job item, and that read tells the backend the job's layout, so that the
// completion writes its shard item only. The job item is written only by the last delivery (its
// root item empties): no other delivery changes it.
TEST(DynamoDbLayout, AWorkerProcessDeliveryIsOneReadAndOneShardWrite) {
    auto sharded = [](wp::DynamoDbOptions& o) {
        o.layout = wp::DynamoDbLayout::kSharded;
        o.shard_size = 10;
    };
    auto client = wp_test::dynamodb_test_client(kTable);
    const std::string jobid = new_id("worker-path");
    make_backend(sharded)->set_total(jobid, 20);  // 2 shard items under a root item, which the job item lists
    const auto notifier = std::make_shared<wp::MemoryNotifier>();
    const auto deliver = [&](wp::PartId partid) {
        const auto backend = make_backend(sharded);  // a new process
        wp::CommandPartOptions options;
        options.part.backend = backend;
        options.part.notifier = notifier;
        options.fail_job_on_exit = {3};  // the worker's own: a command's 3 fails the job
        const auto message = wp::parse_map_message(wp::map_message_body(json::object(), jobid, partid, "null"));
        EXPECT_EQ(wp::run_part_command(message, {"/bin/true"}, options).outcome, wp::CommandPartResult::Outcome::kCompleted);
        return backend->stats().requests;
    };
    const auto job_item = [&] { return *client->get_item({wp_test::dynamodb_key(jobid)}); };
    const json created = job_item();
    for (wp::PartId p : {0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18}) {
        EXPECT_EQ(deliver(p), 2u) << "part " << p << ": the check's GetItem and the shard's UpdateItem";
    }
    EXPECT_EQ(deliver(5), 2u) << "a duplicate";
    EXPECT_EQ(deliver(9), 3u) << "shard 0 empties: its id leaves the root item's pendingShards";
    EXPECT_EQ(job_item(), created) << "a delivery before the last wrote the job item";
    EXPECT_EQ(deliver(19), 7u)
        << "the last part: check, shard, root item, job item, claim, the job's metadata for the reduce, confirmation";
    EXPECT_EQ(notifier->messages(wp::kReduceSubject).size(), 1u);
    const wp::JobStatus status = make_backend(sharded)->status(jobid);
    EXPECT_EQ(status.remaining, 0);
    EXPECT_TRUE(status.reduce_confirmed);
    // A part of no job, or outside the job, is refused by that one read, before the command runs.
    const auto fresh = make_backend(sharded);
    EXPECT_THROW(fresh->check_part(new_id("worker-path-none"), 0), wp::JobDoesNotExist);
    EXPECT_THROW(fresh->check_part(jobid, 20), wp::InvalidInput);
    EXPECT_EQ(fresh->stats().requests, 2u);
    make_backend(sharded)->delete_job(jobid);
}

// With the host's job facts cache (what `worker` uses), a delivery whose job was checked on the
// host less than the interval ago reads nothing: the facts kept (the job's tree) are handed to the
// new backend, and the completion is the delivery's one request. Stale facts are read again; a
// cached tree of a job overwritten since is found out by the completion (its items are gone).
TEST(DynamoDbLayout, AWorkerProcessDeliveryIsOneShardWriteOnceTheHostKnowsTheJob) {
    auto sharded = [](wp::DynamoDbOptions& o) {
        o.layout = wp::DynamoDbLayout::kSharded;
        o.shard_size = 10;
    };
    auto client = wp_test::dynamodb_test_client(kTable);
    const std::string jobid = new_id("worker-cached");
    make_backend(sharded)->set_total(jobid, 20);
    const auto cache_dir = std::filesystem::path(::testing::TempDir()) / ("wp-facts-" + wp::new_jobid());
    std::int64_t now = 1'700'000'000'000;
    const auto notifier = std::make_shared<wp::MemoryNotifier>();
    const auto deliver = [&](wp::PartId partid) {
        const auto backend = make_backend(sharded);  // a new process
        wp::CommandPartOptions options;
        options.part.backend = backend;
        options.part.notifier = notifier;
        options.fail_job_on_exit = {3};
        options.facts_cache = std::make_shared<wp::JobFactsCache>(
            wp::JobFactsCacheOptions{.directory = cache_dir, .interval = std::chrono::seconds(5), .now_ms = [&] { return now; }});
        const auto message = wp::parse_map_message(wp::map_message_body(json::object(), jobid, partid, "null"));
        EXPECT_EQ(wp::run_part_command(message, {"/bin/true"}, options).outcome, wp::CommandPartResult::Outcome::kCompleted);
        return backend->stats().requests;
    };
    const auto job_item = [&] { return *client->get_item({wp_test::dynamodb_key(jobid)}); };
    const json created = job_item();
    EXPECT_EQ(deliver(0), 2u) << "the host's first delivery of the job reads it";
    for (wp::PartId p : {1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17}) {
        EXPECT_EQ(deliver(p), 1u) << "part " << p << ": the shard's UpdateItem alone";
    }
    EXPECT_EQ(deliver(9), 2u) << "shard 0 empties: the root item too";
    now += 5000;
    EXPECT_EQ(deliver(15), 2u) << "the facts are 5 s old: read again (a duplicate)";
    EXPECT_EQ(job_item(), created) << "a delivery before the last wrote the job item";
    EXPECT_EQ(deliver(18), 1u);
    EXPECT_EQ(deliver(19), 6u) << "the last part: shard, root item, job item, claim, the metadata, confirmation";
    EXPECT_EQ(notifier->messages(wp::kReduceSubject).size(), 1u);
    EXPECT_TRUE(make_backend(sharded)->status(jobid).reduce_confirmed);

    // The job overwritten elsewhere while the host's facts are fresh: the completion finds the old
    // tree's items gone, reads the job item and completes the part in the job as it is now.
    make_backend(sharded)->set_total(jobid, 20, /*overwrite=*/true);
    EXPECT_EQ(deliver(3), 4u) << "stale shard write, removal of the item it created, job item read, shard write";
    EXPECT_EQ(make_backend(sharded)->status(jobid).remaining, 19);
    EXPECT_EQ(deliver(4), 4u) << "the host's facts name the old tree until they are read again (the interval)";
    now += 5000;
    EXPECT_EQ(deliver(6), 2u);
    EXPECT_EQ(deliver(7), 1u) << "the new tree is kept";
    EXPECT_EQ(make_backend(sharded)->status(jobid).remaining, 16);
    make_backend(sharded)->delete_job(jobid);
    std::filesystem::remove_all(cache_dir);
}

// A sharded job's completions write updatedAt on the shard and index items they change, not on the
// job item (its hot key); status() reports the newest of the pending items' times and the job
// item's, so `ls --stale`, sweep and the dashboard see every completion.
TEST(DynamoDbLayout, ShardedProgressTimeIsTheNewestOfItsItems) {
    std::atomic<std::int64_t> now{1'700'000'000'000};
    auto sharded = [&now](wp::DynamoDbOptions& o) {
        o.layout = wp::DynamoDbLayout::kSharded;
        o.shard_size = 4;
        o.clock = [&now] { return now.load(); };
    };
    auto client = wp_test::dynamodb_test_client(kTable);
    const std::string jobid = new_id("progress-time");
    make_backend(sharded)->set_total(jobid, 40);  // 10 shards under 3 index items under the root: 3 levels
    const auto job_item_time = [&] { return dynamodb::get_int(*client->get_item({wp_test::dynamodb_key(jobid)}), "updatedAt"); };
    const auto status_time = [&] { return make_backend(sharded)->status(jobid).updated_at_ms; };
    EXPECT_EQ(status_time(), std::optional<std::int64_t>(1'700'000'000'000));

    now += 5000;
    EXPECT_FALSE(make_backend(sharded)->complete_part(jobid, 13));
    EXPECT_EQ(job_item_time(), std::optional<std::int64_t>(1'700'000'000'000)) << "the job item was written";
    EXPECT_EQ(status_time(), std::optional<std::int64_t>(1'700'000'005'000));

    now += 5000;  // shard 3 (parts 12..15) empties: its time is on its index item, which stays pending
    for (wp::PartId p : {12, 14, 15}) EXPECT_FALSE(make_backend(sharded)->complete_part(jobid, p));
    EXPECT_EQ(job_item_time(), std::optional<std::int64_t>(1'700'000'000'000));
    EXPECT_EQ(status_time(), std::optional<std::int64_t>(1'700'000'010'000));

    now += 5000;  // shards 8 and 9 empty, and so their index item: its id leaves the root item, not the job item
    for (wp::PartId p = 32; p < 40; ++p) EXPECT_FALSE(make_backend(sharded)->complete_part(jobid, p));
    EXPECT_EQ(job_item_time(), std::optional<std::int64_t>(1'700'000'000'000)) << "the job item was written";
    EXPECT_EQ(status_time(), std::optional<std::int64_t>(1'700'000'015'000));
    bool listed = false;
    make_backend(sharded)->list_jobs([&](const wp::JobStatus& s) {
        if (s.jobid != jobid) return;
        listed = true;
        EXPECT_EQ(s.updated_at_ms, std::optional<std::int64_t>(1'700'000'015'000));
    });
    EXPECT_TRUE(listed);
    make_backend(sharded)->delete_job(jobid);
}

TEST(DynamoDbLayout, CompletionCostDoesNotGrowWithTheJob) {
    auto backend = make_backend([](wp::DynamoDbOptions& o) { o.layout = wp::DynamoDbLayout::kSharded; });
    auto cost = [&](std::int64_t total) {
        const std::string jobid = new_id("cost");
        backend->set_total(jobid, total);
        backend->complete_part(jobid, total / 2);  // learn the layout, warm up
        const auto before = backend->stats();
        for (wp::PartId p = 0; p < 20; ++p) backend->complete_part(jobid, total / 2 + 1 + p);
        const auto after = backend->stats();
        backend->delete_job(jobid);
        return std::make_pair(after.requests - before.requests,
                              (after.bytes_sent + after.bytes_received) - (before.bytes_sent + before.bytes_received));
    };
    const auto small = cost(2'000);
    const auto large = cost(200'000);
    EXPECT_LE(large.first, small.first + 2) << "requests per 20 completions";
    EXPECT_LT(static_cast<double>(large.second), 1.3 * static_cast<double>(small.second)) << "bytes per 20 completions";

    // The compatible layout's completion cost grows with the job (the reason for the other).
    auto compat = make_backend(compatible_layout);
    auto compat_cost = [&](std::int64_t total) {
        const std::string jobid = new_id("cost-compat");
        compat->set_total(jobid, total);
        const auto before = compat->stats();
        compat->complete_part(jobid, 0);
        const auto after = compat->stats();
        compat->delete_job(jobid);
        return after.bytes_received - before.bytes_received;
    };
    EXPECT_GT(compat_cost(5'000), 10 * compat_cost(100));
}

TEST(DynamoDbLayout, OverwriteSwitchesLayoutsAndRemovesTheOldShards) {
    auto sharded = make_backend([](wp::DynamoDbOptions& o) {
        o.layout = wp::DynamoDbLayout::kSharded;
        o.shard_size = 3;
    });
    auto compat = make_backend(compatible_layout);
    auto client = wp_test::dynamodb_test_client(kTable);
    const std::string jobid = new_id("switch");
    sharded->set_total(jobid, 10);
    sharded->set_metadata(jobid, {{"keep", true}});
    sharded->complete_part(jobid, 4);
    EXPECT_EQ(shard_items(*client, jobid).size(), 4u + 2u + 1u);  // shards, index items, the root

    compat->set_total(jobid, 3, /*overwrite=*/true);
    auto item = client->get_item({wp_test::dynamodb_key(jobid)});
    EXPECT_EQ(attribute_names(*item),
              (std::set<std::string>{"id", "parts", "total", "reduceSent", "metadata", "updatedAt", "createToken", "createdAt"}));
    EXPECT_TRUE(shard_items(*client, jobid).empty());
    // The sharded backend cached the old tree: it must notice the change.
    EXPECT_FALSE(sharded->complete_part(jobid, 0));
    EXPECT_EQ(sharded->status(jobid).remaining, 2);
    EXPECT_THROW(sharded->complete_part(jobid, 5), wp::InvalidInput);

    sharded->set_total(jobid, 7, /*overwrite=*/true);
    const auto s = compat->status(jobid);
    EXPECT_EQ(s.total, 7);
    EXPECT_EQ(s.remaining, 7);
    EXPECT_EQ(s.metadata, (json{{"keep", true}}));
    EXPECT_EQ(shard_items(*client, jobid).size(), 4u);  // 3 shards under the root, which the job item lists
    sharded->set_total(jobid, 4, /*overwrite=*/true);
    EXPECT_EQ(shard_items(*client, jobid).size(), 3u) << "the previous generation's items are gone";
    EXPECT_EQ(compat->list_pending_parts(jobid), (std::vector<wp::PartId>{0, 1, 2, 3}));
    EXPECT_TRUE(compat->delete_job(jobid));
    EXPECT_TRUE(shard_items(*client, jobid).empty());
}

TEST(DynamoDbLayout, ShardedCreationRefusesAnExistingJobWithoutTouchingIt) {
    auto sharded = make_backend([](wp::DynamoDbOptions& o) { o.layout = wp::DynamoDbLayout::kSharded; });
    auto client = wp_test::dynamodb_test_client(kTable);
    const std::string jobid = new_id("exists");
    sharded->set_total(jobid, 600);
    sharded->complete_part(jobid, 1);
    EXPECT_THROW(sharded->set_total(jobid, 600), wp::InvalidInput);
    EXPECT_EQ(sharded->status(jobid).remaining, 599);
    EXPECT_EQ(shard_items(*client, jobid).size(), 13u);  // F = 50, the default: 12 shard items and the root
    sharded->delete_job(jobid);
}

// A 100,000-part job in the default options: sharded, created quickly, with small items.
TEST(DynamoDbLayout, HundredThousandPartJobIsShardedWithSmallItems) {
    auto backend = make_backend();
    auto client = wp_test::dynamodb_test_client(kTable);
    const std::string jobid = new_id("100k");
    const auto start = std::chrono::steady_clock::now();
    backend->set_total(jobid, 100'000);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("[ info ] created a 100,000-part sharded job in %.2f s\n", seconds);  // a figure, not a check
    auto item = client->get_item({wp_test::dynamodb_key(jobid)});
    EXPECT_EQ((*item)["layout"], (json{{"S", "sharded"}}));
    EXPECT_EQ((*item)["shardSize"], (json{{"N", "50"}}));
    EXPECT_EQ((*item)["shardLevels"], (json{{"N", "3"}}));  // 2,000 shards under 40 index items, under the root
    EXPECT_LT(item->dump().size(), 1'000u);
    const auto shards = shard_items(*client, jobid);
    EXPECT_EQ(shards.size(), 2'041u);
    std::size_t largest = 0;
    for (const auto& shard : shards) largest = std::max(largest, shard.dump().size());
    EXPECT_LT(largest, 1'024u) << "wire JSON of the largest shard item (its DynamoDB size is under half that)";
    EXPECT_EQ(backend->status(jobid).remaining, 100'000);
    EXPECT_FALSE(backend->complete_part(jobid, 99'999));
    EXPECT_TRUE(backend->part_complete(jobid, 99'999));
    EXPECT_EQ(backend->status(jobid).remaining, 99'999);
    EXPECT_TRUE(backend->delete_job(jobid));
    EXPECT_TRUE(shard_items(*client, jobid).empty());
}

// A 1,000,000-part job: created in seconds on dynalite, and no item comes near the 400 KB limit.
TEST(DynamoDbLayout, MillionPartJobIsCreatedQuicklyWithSmallItems) {
    auto backend = make_backend();
    auto client = wp_test::dynamodb_test_client(kTable);
    const std::string jobid = new_id("1m");
    auto start = std::chrono::steady_clock::now();
    backend->set_total(jobid, 1'000'000);
    const double create_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("[ info ] created a 1,000,000-part sharded job in %.2f s\n", create_seconds);  // a figure, not a check
    auto item = client->get_item({wp_test::dynamodb_key(jobid)});
    EXPECT_EQ((*item)["shardLevels"], (json{{"N", "4"}}));  // 20,000 shards under 400, under 8, under the root
    EXPECT_EQ(sorted_set(*item, "pendingShards"), iota(0, 1));
    const std::string gen = (*item)["shardGen"]["S"].get<std::string>();
    // Sizes by DynamoDB's rules: the largest shard item (ids 999,950 .. 999,999) and index item.
    auto size_of = [](const json& it) {
        std::size_t bytes = 0;
        for (const auto& [name, value] : it.items()) {
            bytes += name.size();
            if (value.contains("S")) bytes += value["S"].get<std::string>().size();
            if (value.contains("N")) bytes += dynamodb::number_size(*dynamodb::get_int(it, name));
            if (value.contains("NS")) {
                for (std::int64_t n : dynamodb::get_number_set(it, name)) bytes += dynamodb::number_size(n);
            }
        }
        return bytes;
    };
    auto last_shard = client->get_item({wp_test::dynamodb_key(jobid + "#shard#" + gen + "#0#19999")});
    auto last_index = client->get_item({wp_test::dynamodb_key(jobid + "#shard#" + gen + "#1#399")});
    ASSERT_TRUE(last_shard && last_index);
    const std::size_t shard_bytes = size_of(*last_shard);
    const std::size_t index_bytes = size_of(*last_index);
    const std::size_t job_bytes = size_of(*item);
    std::printf("[ info ] item sizes at 1,000,000 parts: shard %zu B, index %zu B, job %zu B\n", shard_bytes, index_bytes,
                job_bytes);
    EXPECT_LT(shard_bytes, 1'024u) << "one write unit per completion";
    EXPECT_LT(index_bytes, 1'024u);
    EXPECT_LT(job_bytes, 400u);

    // The status walk reads the 20,409 items a round at a time: holding them all parsed took
    // about 85 MB. (A memory figure, not a time: the process's peak resident set, which only grows.)
    const auto peak_rss_mb = [] {
        rusage usage{};
        getrusage(RUSAGE_SELF, &usage);
        return static_cast<double>(usage.ru_maxrss) / 1024.0;
    };
    const double peak_before = peak_rss_mb();
    start = std::chrono::steady_clock::now();
    EXPECT_EQ(backend->status(jobid).remaining, 1'000'000);
    std::printf("[ info ] status of the 1,000,000-part job in %.2f s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    EXPECT_EQ(backend->list_pending_parts(jobid).size(), 1'000'000u);
    std::printf("[ info ] peak RSS %.1f MB before status and list_pending_parts, %.1f MB after\n", peak_before, peak_rss_mb());
    EXPECT_LT(peak_rss_mb() - peak_before, 30.0) << "MB added by walking the job's items";
    auto worker = make_backend();
    EXPECT_FALSE(worker->complete_part(jobid, 999'999));
    const auto before = worker->stats();
    EXPECT_FALSE(worker->complete_part(jobid, 500'000));
    const auto after = worker->stats();
    EXPECT_EQ(after.requests - before.requests, 1u);
    EXPECT_LT((after.bytes_sent - before.bytes_sent) + (after.bytes_received - before.bytes_received), 3'000u)
        << "bytes of one completion on a 1,000,000-part job";
    EXPECT_TRUE(backend->part_complete(jobid, 999'999));
    start = std::chrono::steady_clock::now();
    EXPECT_TRUE(backend->delete_job(jobid));
    std::printf("[ info ] deleted it in %.2f s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    EXPECT_THROW(backend->status(jobid), wp::JobDoesNotExist);
}

// ---- Node tool jobs (parts numbered 1 .. total) -------------------------------------------------

TEST(DynamoDbLayout, JobsOfTheNodeToolNumberedFromOneCanBeCompleted) {
    auto backend = make_backend();
    auto client = wp_test::dynamodb_test_client(kTable);
    const std::string jobid = new_id("node");
    // The Node tool's setTotal: SET parts = {1..3}, total = 3.
    client->update_item({wp_test::dynamodb_key(jobid), "SET #p = :p, #t = :t", "", {{"#p", "parts"}, {"#t", "total"}},
                         {{":p", dynamodb::number_set({1, 2, 3})}, {":t", {{"N", "3"}}}}});
    EXPECT_EQ(backend->list_pending_parts(jobid), (std::vector<wp::PartId>{1, 2, 3}));
    EXPECT_FALSE(backend->part_complete(jobid, 3));
    EXPECT_FALSE(backend->complete_part_and_claim_reduce(jobid, 3).job_complete);
    EXPECT_TRUE(backend->part_complete(jobid, 3));
    EXPECT_FALSE(backend->complete_part_and_claim_reduce(jobid, 3).job_complete) << "a duplicate is a no-op";
    EXPECT_FALSE(backend->complete_part_and_claim_reduce(jobid, 1).job_complete);
    const auto last = backend->complete_part_and_claim_reduce(jobid, 2);
    EXPECT_TRUE(last.job_complete);
    EXPECT_TRUE(last.reduce_claimed());
    EXPECT_FALSE(backend->complete_part_and_claim_reduce(jobid, 3).reduce_claimed());
    EXPECT_THROW(backend->complete_part(jobid, 4), wp::InvalidInput);
    // A 0-based job still refuses part `total`.
    const std::string zero = new_id("zero-based");
    backend->set_total(zero, 3);
    EXPECT_THROW(backend->complete_part(zero, 3), wp::InvalidInput);
    EXPECT_THROW(backend->part_complete(zero, 3), wp::InvalidInput);
    backend->delete_job(jobid);
    backend->delete_job(zero);
}

// ---- retries ------------------------------------------------------------------------------------

// Forwards to the real server, but loses the answer of the first claim request: the AWS layer
// retries the claim, which must recognise its own win by its token.
class LoseFirstClaimAnswer final : public aws::HttpClient {
public:
    explicit LoseFirstClaimAnswer(std::shared_ptr<aws::HttpClient> inner) : inner_(std::move(inner)) {}
    aws::HttpResponse send(const aws::HttpRequest& request) override {
        aws::HttpResponse response = inner_->send(request);
        if (request.body.find("reduceClaim") != std::string::npos && request.body.find("SET") != std::string::npos &&
            !lost_.exchange(true)) {
            throw wp::BackendError("simulated timeout after the server applied the write", "TimeoutError", true);
        }
        return response;
    }

private:
    std::shared_ptr<aws::HttpClient> inner_;
    std::atomic<bool> lost_{false};
};

TEST(DynamoDbLayout, AClaimWhoseAnswerWasLostIsStillWonByItsCaller) {
    auto config = wp_test::dynamodb_test_config();
    config.http = std::make_shared<LoseFirstClaimAnswer>(std::make_shared<aws::CurlHttpClient>());
    config.hooks.sleep = [](std::chrono::milliseconds) {};
    auto client = std::make_shared<dynamodb::DynamoDbClient>(config, kTable);
    wp_test::ensure_dynamodb_test_table(kTable);
    const auto owned = wp::detail::DynamoDbBackendAccess::over_client(wp::DynamoDbOptions{}, client);
    wp::DynamoDbBackend& backend = *owned;
    const std::string jobid = new_id("lost");
    backend.set_total(jobid, 1);
    const auto r = backend.complete_part_and_claim_reduce(jobid, 0);
    EXPECT_TRUE(r.job_complete);
    EXPECT_TRUE(r.reduce_claimed()) << "the retry found the claim already made with its own token";
    EXPECT_FALSE(backend.claim_reduce(jobid));
    backend.delete_job(jobid);
}

// ---- configuration ------------------------------------------------------------------------------

class EnvGuard {
public:
    explicit EnvGuard(std::vector<std::string> names) : names_(std::move(names)) {
        for (const auto& n : names_) {
            const char* v = std::getenv(n.c_str());
            saved_.push_back(v ? std::optional<std::string>(v) : std::nullopt);
        }
    }
    ~EnvGuard() {
        for (std::size_t i = 0; i < names_.size(); ++i) {
            if (saved_[i]) ::setenv(names_[i].c_str(), saved_[i]->c_str(), 1);
            else ::unsetenv(names_[i].c_str());
        }
    }
    void set(const std::string& name, const std::string& value) { ::setenv(name.c_str(), value.c_str(), 1); }
    void unset(const std::string& name) { ::unsetenv(name.c_str()); }

private:
    std::vector<std::string> names_;
    std::vector<std::optional<std::string>> saved_;
};

const std::vector<std::string> kAwsVars = {"ProgressTable", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL",
                                           "DynamoDbEndpoint", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                           "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE",
                                           "AWS_EC2_METADATA_DISABLED", "AWS_MAX_ATTEMPTS"};

TEST(DynamoDbConfig, MissingTableNamesTheProgressTableVariable) {
    EnvGuard env(kAwsVars);
    env.unset("ProgressTable");
    try {
        wp::DynamoDbBackend::from_env();
        FAIL() << "expected ConfigError";
    } catch (const wp::ConfigError& e) {
        EXPECT_THAT(e.what(), HasSubstr("ProgressTable"));
    }
}

TEST(DynamoDbConfig, BadTablesAreConfigErrors) {
    for (const std::string table : {"arn:aws:sns:us-east-1:000000000000:topic", "arn:aws:dynamodb:us-east-1:0:table/x",
                                    "arn:aws:dynamodb:us-east-1:0:table/ok-name/stream/2020", "bad name!", "arn:nope"}) {
        wp::DynamoDbOptions options;
        options.table = table;
        options.aws.region = "us-east-1";
        EXPECT_THROW(wp::DynamoDbBackend{options}, wp::ConfigError) << table;
    }
    wp::DynamoDbOptions options = wp_test::dynamodb_test_options(kTable);
    options.shard_size = 1;
    EXPECT_THROW(wp::DynamoDbBackend{options}, wp::InvalidInput);
}

TEST(DynamoDbConfig, FromEnvReadsProgressTableAndTheEndpointVariables) {
    EnvGuard env(kAwsVars);
    wp_test::ensure_dynamodb_test_table(kTable);
    env.set("ProgressTable", wp_test::dynamodb_test_arn(kTable));
    env.set("AWS_ENDPOINT_URL_DYNAMODB", wp_test::require_env("WP_TEST_DYNAMODB_ENDPOINT"));
    env.set("AWS_ACCESS_KEY_ID", wp_test::kDynamoDbTestAccessKey);
    env.set("AWS_SECRET_ACCESS_KEY", wp_test::kDynamoDbTestSecretKey);
    env.unset("AWS_SESSION_TOKEN");
    env.unset("AWS_REGION");  // from the ARN
    env.set("AWS_EC2_METADATA_DISABLED", "true");
    auto backend = wp::DynamoDbBackend::from_env();
    EXPECT_EQ(backend->table_name(), kTable);
    const std::string jobid = new_id("env");
    backend->set_total(jobid, 2);
    EXPECT_EQ(backend->status(jobid).remaining, 2);
    // open_backend with the ARN gives the same kind of backend.
    auto opened = wp::open_backend(wp_test::dynamodb_test_arn(kTable));
    ASSERT_NE(std::dynamic_pointer_cast<wp::DynamoDbBackend>(opened), nullptr);
    EXPECT_EQ(opened->status(jobid).total, 2);
    // With a layout by name, new jobs get that layout; a bad name is bad input.
    auto compatible = std::dynamic_pointer_cast<wp::DynamoDbBackend>(
        wp::open_backend(wp_test::dynamodb_test_arn(kTable), {.dynamodb_layout = "compatible"}));
    ASSERT_NE(compatible, nullptr);
    EXPECT_EQ(compatible->layout(), wp::DynamoDbLayout::kCompatible);
    EXPECT_THROW(wp::open_backend(wp_test::dynamodb_test_arn(kTable), {.dynamodb_layout = "flat"}), wp::InvalidInput);
    // DynamoDbEndpoint (the Node tool's variable) works too.
    env.unset("AWS_ENDPOINT_URL_DYNAMODB");
    env.set("DynamoDbEndpoint", wp_test::require_env("WP_TEST_DYNAMODB_ENDPOINT"));
    EXPECT_EQ(wp::DynamoDbBackend::from_env()->status(jobid).total, 2);
    backend->delete_job(jobid);
}

// ---- the layout of new jobs ----------------------------------------------------------------------

bool is_sharded_item(const dynamodb::DynamoDbClient& client, const std::string& jobid) {
    const auto item = client.get_item({wp_test::dynamodb_key(jobid)});
    if (!item) throw std::runtime_error("no item for job " + jobid);
    return item->contains("layout");
}

TEST(DynamoDbNewJobLayout, ShardedAtEverySizeByDefault) {
    EnvGuard env({wp::kDynamoDbLayoutVariable});
    env.unset(wp::kDynamoDbLayoutVariable);
    EXPECT_EQ(wp::DynamoDbOptions{}.layout, wp::DynamoDbLayout::kDefault);
    auto backend = make_backend();
    EXPECT_EQ(backend->layout(), wp::DynamoDbLayout::kSharded);
    auto client = wp_test::dynamodb_test_client(kTable);
    for (std::int64_t total : {1, 250, 1'000, 10'000}) {
        SCOPED_TRACE(total);
        const std::string jobid = new_id("default");
        backend->set_total(jobid, total);
        EXPECT_TRUE(is_sharded_item(*client, jobid));
        EXPECT_EQ(backend->status(jobid).remaining, total);
        EXPECT_TRUE(backend->delete_job(jobid));
    }
}

TEST(DynamoDbNewJobLayout, TheEnvironmentVariableChoosesTheDefault) {
    EnvGuard env({wp::kDynamoDbLayoutVariable});
    auto client = wp_test::dynamodb_test_client(kTable);
    const auto layout_of_new_job = [&](std::int64_t total, const std::function<void(wp::DynamoDbOptions&)>& tweak = {}) {
        auto backend = make_backend(tweak);
        const std::string jobid = new_id("env-layout");
        backend->set_total(jobid, total);
        const bool sharded = is_sharded_item(*client, jobid);
        backend->delete_job(jobid);
        return sharded ? "sharded" : "compatible";
    };
    env.set(wp::kDynamoDbLayoutVariable, "compatible");
    EXPECT_EQ(make_backend()->layout(), wp::DynamoDbLayout::kCompatible);
    EXPECT_STREQ(layout_of_new_job(20'000), "compatible");
    env.set(wp::kDynamoDbLayoutVariable, "auto");
    EXPECT_STREQ(layout_of_new_job(10'000), "compatible");
    EXPECT_STREQ(layout_of_new_job(10'001), "sharded");
    env.set(wp::kDynamoDbLayoutVariable, "sharded");
    EXPECT_STREQ(layout_of_new_job(3), "sharded");
    env.set(wp::kDynamoDbLayoutVariable, "");
    EXPECT_STREQ(layout_of_new_job(3), "sharded") << "empty is unset";
    // An explicit option wins over the variable.
    env.set(wp::kDynamoDbLayoutVariable, "compatible");
    EXPECT_STREQ(layout_of_new_job(3, [](wp::DynamoDbOptions& o) { o.layout = wp::DynamoDbLayout::kSharded; }),
                 "sharded");
    // A bad value is a configuration error naming the variable and the accepted values.
    env.set(wp::kDynamoDbLayoutVariable, "Compatible");
    try {
        make_backend();
        FAIL() << "expected ConfigError";
    } catch (const wp::ConfigError& e) {
        EXPECT_THAT(e.what(), HasSubstr(wp::kDynamoDbLayoutVariable));
        EXPECT_THAT(e.what(), HasSubstr("'Compatible'"));
        EXPECT_THAT(e.what(), HasSubstr("sharded"));
        EXPECT_THAT(e.what(), HasSubstr("compatible"));
    }
    EXPECT_NO_THROW(make_backend(compatible_layout)) << "not read when the option says";
}

TEST(DynamoDbNewJobLayout, NamesParseBothWays) {
    for (auto layout : {wp::DynamoDbLayout::kSharded, wp::DynamoDbLayout::kCompatible, wp::DynamoDbLayout::kAuto}) {
        EXPECT_EQ(wp::parse_dynamodb_layout(wp::to_string(layout)), layout);
    }
    EXPECT_EQ(wp::to_string(wp::DynamoDbLayout::kDefault), "default");
    EXPECT_THROW(wp::parse_dynamodb_layout("default"), wp::InvalidInput);
    EXPECT_THROW(wp::parse_dynamodb_layout(""), wp::InvalidInput);
    EXPECT_THROW(wp::parse_dynamodb_layout("sharded "), wp::InvalidInput);
}

// Whatever a process writes, it reads and works the jobs of the other layout.
TEST(DynamoDbNewJobLayout, JobsOfEitherLayoutAreWorkedWhateverTheDefault) {
    auto sharded = make_backend([](wp::DynamoDbOptions& o) { o.layout = wp::DynamoDbLayout::kSharded; });
    auto compatible = make_backend(compatible_layout);
    for (auto* creator : {sharded.get(), compatible.get()}) {
        wp::DynamoDbBackend* worker = creator == sharded.get() ? compatible.get() : sharded.get();
        const std::string jobid = new_id("either");
        creator->set_total(jobid, 3);
        EXPECT_FALSE(worker->complete_part(jobid, 2));
        EXPECT_EQ(worker->status(jobid).remaining, 2);
        EXPECT_EQ(worker->list_pending_parts(jobid), (std::vector<wp::PartId>{0, 1}));
        EXPECT_FALSE(worker->complete_part_and_claim_reduce(jobid, 0).job_complete);
        const auto last = worker->complete_part_and_claim_reduce(jobid, 1);
        EXPECT_TRUE(last.job_complete);
        EXPECT_TRUE(last.reduce_claimed());
        EXPECT_TRUE(creator->status(jobid).reduce_sent);
        EXPECT_TRUE(worker->delete_job(jobid));
    }
}

TEST(DynamoDbConfig, DescribeNamesTableAndEndpointWithoutSecrets) {
    wp::DynamoDbOptions options = wp_test::dynamodb_test_options(kTable);
    options.aws.session_token = "SESSIONTOKENSHOULDNEVERAPPEAR";
    wp::DynamoDbBackend backend(options);
    const std::string d = backend.describe();
    EXPECT_THAT(d, HasSubstr(wp_test::dynamodb_test_arn(kTable)));
    EXPECT_THAT(d, HasSubstr(wp_test::require_env("WP_TEST_DYNAMODB_ENDPOINT")));
    EXPECT_THAT(d, Not(HasSubstr(wp_test::kDynamoDbTestSecretKey)));
    EXPECT_THAT(d, Not(HasSubstr(wp_test::kDynamoDbTestAccessKey)));
    EXPECT_THAT(d, Not(HasSubstr("SESSIONTOKENSHOULDNEVERAPPEAR")));
}

// Part failure records are items of their own: however many parts fail with long texts, the job
// item holds only the bounded set of their ids (its size is what every write to it costs), the
// record items are never jobs, and an overwrite or a deletion removes them.
TEST(DynamoDbPartFailures, RecordsAreItemsOfTheirOwnAndTheJobItemStaysSmall) {
    for (const bool sharded : {false, true}) {
        SCOPED_TRACE(sharded ? "sharded" : "compatible");
        auto backend = make_backend([&](wp::DynamoDbOptions& o) {
            o.layout = sharded ? wp::DynamoDbLayout::kSharded : wp::DynamoDbLayout::kCompatible;
        });
        auto client = wp_test::dynamodb_test_client(kTable);
        const std::string jobid = new_id("part-failures");
        const std::int64_t parts = static_cast<std::int64_t>(wp::kMaxPartFailureRecords) + 50;
        backend->set_total(jobid, parts);
        const std::string text(wp::kMaxPartFailureTextBytes, 'x');
        std::int64_t kept = 0;
        for (wp::PartId p = 0; p < parts; ++p) kept += backend->record_part_failure(jobid, {.partid = p, .attempts = 1, .text = text}) ? 1 : 0;
        EXPECT_EQ(kept, static_cast<std::int64_t>(wp::kMaxPartFailureRecords));
        const auto job_item = client->get_item({wp_test::dynamodb_key(jobid), true});
        ASSERT_TRUE(job_item);
        EXPECT_LT(job_item->dump().size(), 4096u) << "the job item holds the records' texts";
        EXPECT_EQ(dynamodb::set_size(*job_item, ddb::kFailureRecords), wp::kMaxPartFailureRecords);
        const auto record = client->get_item({wp_test::dynamodb_key(jobid + "#failure#7"), true});
        ASSERT_TRUE(record);
        EXPECT_EQ(record->at("shardOf").at("S"), jobid);
        EXPECT_EQ(record->at("total").at("N"), "1") << "the Python tool's ls needs a total in every item";
        EXPECT_EQ(backend->list_part_failures(jobid).size(), wp::kMaxPartFailureRecords);
        bool listed_record = false;
        backend->list_jobs([&](const wp::JobStatus& s) { listed_record |= s.jobid.find("#failure#") != std::string::npos; });
        EXPECT_FALSE(listed_record) << "a record item listed as a job";
        EXPECT_THROW(backend->set_total(jobid + "#failure#7", 1), wp::InvalidInput) << "a job over a record item";

        backend->set_total(jobid, parts, /*overwrite=*/true);
        EXPECT_TRUE(ids_starting_with(*client, jobid + "#failure#").empty()) << "an overwrite left record items";
        EXPECT_TRUE(backend->record_part_failure(jobid, {.partid = 3, .text = "again"}));
        EXPECT_TRUE(backend->delete_job(jobid));
        EXPECT_TRUE(ids_starting_with(*client, jobid + "#failure#").empty()) << "a deletion left record items";
    }
}

TEST(DynamoDbConfig, StatsCountRequestsAndBytes) {
    auto backend = make_backend(compatible_layout);  // one request per call
    const std::string jobid = new_id("stats");
    const auto before = backend->stats();
    backend->set_total(jobid, 3);
    backend->complete_part(jobid, 0);
    backend->status(jobid);
    const auto after = backend->stats();
    EXPECT_EQ(after.requests - before.requests, 3u);
    EXPECT_GT(after.bytes_sent, before.bytes_sent);
    EXPECT_GT(after.bytes_received, before.bytes_received);
    backend->delete_job(jobid);
}

// ---- the table helper ---------------------------------------------------------------------------

wp::ProgressTableOptions table_options() {
    wp::ProgressTableOptions options;
    options.aws.endpoint = wp_test::require_env("WP_TEST_DYNAMODB_ENDPOINT");
    options.aws.region = wp_test::kDynamoDbTestRegion;
    options.aws.access_key_id = wp_test::kDynamoDbTestAccessKey;
    options.aws.secret_access_key = wp_test::kDynamoDbTestSecretKey;
    options.poll_interval = std::chrono::milliseconds(20);
    return options;
}

TEST(DynamoDbTable, CreatesAnOnDemandTableAndWaitsUntilActive) {
    const std::string name = "wp-test-table-" + wp::new_jobid().substr(0, 8);
    const auto info = wp::create_progress_table(name, table_options());
    EXPECT_TRUE(info.created);
    EXPECT_EQ(info.name, name);
    EXPECT_EQ(info.status, "ACTIVE");
    EXPECT_THAT(info.arn, HasSubstr(":table/" + name));
    dynamodb::DynamoDbClient client(wp_test::dynamodb_test_config(), name);
    const json description = client.describe_table();
    EXPECT_EQ(description["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST");
    EXPECT_EQ(description["KeySchema"], (json::array({{{"AttributeName", "id"}, {"KeyType", "HASH"}}})));
    EXPECT_EQ(description["AttributeDefinitions"], (json::array({{{"AttributeName", "id"}, {"AttributeType", "S"}}})));

    // Again: accepted as it is, or refused on request.
    const auto again = wp::create_progress_table(info.arn, table_options());
    EXPECT_FALSE(again.created);
    EXPECT_EQ(again.arn, info.arn);
    auto strict = table_options();
    strict.exist_ok = false;
    EXPECT_THROW(wp::create_progress_table(name, strict), wp::ConfigError);

    // A backend works on it right away.
    wp::DynamoDbOptions options = wp_test::dynamodb_test_options(kTable);
    options.table = info.arn;
    wp::DynamoDbBackend backend(options);
    backend.set_total("first-job", 1);
    EXPECT_TRUE(backend.complete_part("first-job", 0));
    client.call("DeleteTable", json::object());
}

TEST(DynamoDbTable, ProvisionedThroughputIsAnOption) {
    const std::string name = "wp-test-prov-" + wp::new_jobid().substr(0, 8);
    auto options = table_options();
    options.on_demand = false;
    options.read_capacity_units = 7;
    options.write_capacity_units = 9;
    options.aws.region = "eu-west-1";
    const auto info = wp::create_progress_table(name, options);
    EXPECT_THAT(info.arn, ::testing::StartsWith("arn:aws:dynamodb:eu-west-1:")) << "the region it was created for";
    dynamodb::DynamoDbClient client(wp_test::dynamodb_test_config(), name);
    const json description = client.describe_table();
    EXPECT_EQ(description["ProvisionedThroughput"]["ReadCapacityUnits"], 7);
    EXPECT_EQ(description["ProvisionedThroughput"]["WriteCapacityUnits"], 9);
    client.call("DeleteTable", json::object());
}

TEST(DynamoDbTable, ATableWithAnotherKeySchemaIsRefused) {
    const std::string name = "wp-test-badkey-" + wp::new_jobid().substr(0, 8);
    dynamodb::DynamoDbClient client(wp_test::dynamodb_test_config(), name);
    dynamodb::CreateTableRequest request;
    request.hash_key = "pk";
    client.create_table(request);
    try {
        wp::create_progress_table(name, table_options());
        FAIL() << "expected ConfigError";
    } catch (const wp::ConfigError& e) {
        EXPECT_THAT(e.what(), HasSubstr("id"));
        EXPECT_THAT(e.what(), HasSubstr(name));
    }
    client.call("DeleteTable", json::object());
    EXPECT_THROW(wp::create_progress_table("x", table_options()), wp::ConfigError) << "name too short";
}

TEST(DynamoDbTable, GivesUpWhenTheTableNeverBecomesActive) {
    wp_test::TestHttpServer server;
    server.set_handler([](const wp_test::RecordedRequest& request) {
        if (request.header("X-Amz-Target").value_or("").ends_with("CreateTable")) {
            return wp_test::ScriptedResponse::json(200, R"({"TableDescription":{"TableStatus":"CREATING"}})");
        }
        return wp_test::ScriptedResponse::json(200, R"({"Table":{"TableStatus":"CREATING"}})");
    });
    auto options = table_options();
    options.aws.endpoint = server.base_url();
    options.timeout = std::chrono::milliseconds(200);
    try {
        wp::create_progress_table("wp-never-active", options);
        FAIL() << "expected TableNotActive";
    } catch (const wp::BackendError& e) {
        EXPECT_EQ(e.code(), "TableNotActive");
        EXPECT_TRUE(e.retryable());
        EXPECT_THAT(e.what(), HasSubstr("CREATING"));
    }
    EXPECT_GE(server.request_count(), 3u);
}

}  // namespace

#endif  // WP_WITH_AWS
