#pragma once
// Jobs this library cannot read, written into a DynamoDB table beside good ones, one of each kind:
// a layout this version does not know, damaged layout attributes, metadata it cannot read, and a
// sharded job whose shard items are partly missing. For the tests that a listing (list_jobs, and
// `ls`, `sweep` and `serve` on top of it) skips such jobs and goes on.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backends/dynamodb/dynamodb_attribute_value.hpp"
#include "backends/dynamodb/dynamodb_client.hpp"
#include "watchbot_progress/dynamodb_backend.hpp"

namespace wp_test {

namespace dynamodb = watchbot_progress::detail::dynamodb;

// Deletes every item of the table (the tests that list a whole table start from an empty one).
inline void empty_dynamodb_table(const dynamodb::DynamoDbClient& client) {
    namespace aws = watchbot_progress::aws;
    std::vector<dynamodb::BatchWrite> deletions;
    dynamodb::ScanRequest scan;
    scan.consistent_read = true;
    client.scan(scan, [&](const nlohmann::json& item) {
        deletions.push_back(dynamodb::BatchWrite::remove({{"id", item.at("id")}}));
    });
    client.batch_write(deletions, 4);
}

// Metadata nested deeper than DynamoDB's (and this library's) 32 levels: `levels` maps inside the
// metadata map.
inline nlohmann::json deeply_nested_map(int levels) {
    nlohmann::json value = {{"N", "1"}};
    for (int i = 0; i < levels; ++i) value = {{"M", {{"k", value}}}};
    return value;
}

// Writes one damaged job of each kind through `backend` (a sharded job of 5 parts, shard size 2, for
// the kinds that need one) and the raw client, and returns their ids. Each is complete and never
// claimed, so that a sweep would send its reduce if it could read it.
inline std::vector<std::string> write_damaged_jobs(watchbot_progress::Backend& backend,
                                                   const dynamodb::DynamoDbClient& client,
                                                   const std::string& prefix) {
    namespace aws = watchbot_progress::aws;
    const auto set = [&](const std::string& jobid, const std::string& attribute, const nlohmann::json& value) {
        dynamodb::UpdateItemRequest request;
        request.key = {{"id", {{"S", jobid}}}};
        request.update = "SET #a = :v";
        request.names = {{"#a", attribute}};
        request.values = {{":v", value}};
        client.update_item(request);
    };
    const auto complete_job = [&](const std::string& jobid) {
        backend.set_total(jobid, 5);
        for (watchbot_progress::PartId p = 0; p < 5; ++p) backend.complete_part(jobid, p);
    };
    std::vector<std::string> ids;

    const std::string unknown_layout = prefix + "unknown-layout";
    complete_job(unknown_layout);
    set(unknown_layout, "layout", dynamodb::string_value("layered-v9"));
    ids.push_back(unknown_layout);

    const std::string damaged = prefix + "damaged-layout-attributes";
    complete_job(damaged);
    set(damaged, "shardLevels", dynamodb::number_value(7));
    ids.push_back(damaged);

    const std::string metadata = prefix + "unreadable-metadata";
    complete_job(metadata);
    set(metadata, "metadata", {{"M", {{"deep", deeply_nested_map(40)}}}});
    ids.push_back(metadata);

    // Not complete: a shard item the job item lists is gone (deleted by hand).
    const std::string missing = prefix + "missing-shard-items";
    backend.set_total(missing, 5);
    const auto item = client.get_item({{{"id", {{"S", missing}}}}, true});
    const std::string gen = item->at("shardGen").at("S").get<std::string>();
    const std::int64_t levels = *dynamodb::get_int(*item, "shardLevels");
    const std::int64_t top = dynamodb::get_number_set(*item, "pendingShards").front();
    dynamodb::DeleteItemRequest deletion;
    deletion.key = {{"id", {{"S", missing + "#shard#" + gen + "#" + std::to_string(levels - 1) + "#" + std::to_string(top)}}}};
    client.delete_item(deletion);
    ids.push_back(missing);
    return ids;
}

}  // namespace wp_test
