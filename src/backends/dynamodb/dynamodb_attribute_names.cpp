#include "backends/dynamodb/dynamodb_attribute_names.hpp"

#include <cstring>

#include "backends/dynamodb/dynamodb_attribute_value.hpp"
#include "watchbot_progress/error_codes.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress::detail::dynamodb {

namespace {

std::size_t attribute_name_bytes(const char* name) { return std::strlen(name); }

}  // namespace

std::string alert_attribute(AlertState state) {
    switch (state) {
        case AlertState::kFailed: return "alertFailed";
        case AlertState::kStalled: return "alertStalled";
        case AlertState::kReduceOverdue: return "alertReduceOverdue";
        case AlertState::kPartDead: return "alertPartDead";
    }
    return "alert" + std::to_string(static_cast<int>(state));
}

nlohmann::json sharded_parts_note() { return {{"M", {{kShardedPartsKey, string_value(kShardedPartsNote)}}}}; }

std::size_t compatible_item_bytes(const std::string& jobid, std::int64_t total) {
    std::size_t bytes = attribute_name_bytes(kId) + jobid.size();
    bytes += attribute_name_bytes(kParts);
    for (std::int64_t p = 0; p < total; ++p) bytes += number_size(p);
    bytes += attribute_name_bytes(kTotal) + number_size(total);
    bytes += attribute_name_bytes(kReduceSent) + 1;
    bytes += attribute_name_bytes(kMetadata) + 3;
    return bytes;
}

std::int64_t max_compatible_parts(const std::string& jobid) {
    const std::size_t budget = kMaxItemBytes - kCompatibleHeadroomBytes;
    std::size_t bytes = compatible_item_bytes(jobid, 0) + 8;  // `total` grows by at most a few bytes
    std::int64_t n = 0;
    while (bytes + number_size(n) <= budget) bytes += number_size(n++);
    return n;
}

ShardTree ShardTree::plan(std::int64_t total, std::int64_t shard_size, std::string gen, std::int64_t top_items) {
    if (total < 1) throw InvalidInput("total must be at least 1, not " + std::to_string(total));
    if (shard_size < 2) throw InvalidInput("shard size must be at least 2, not " + std::to_string(shard_size));
    ShardTree tree;
    tree.total = total;
    tree.shard_size = shard_size;
    tree.gen = std::move(gen);
    std::int64_t count = (total + shard_size - 1) / shard_size;
    tree.counts.push_back(count);
    while (count > top_items) {
        count = (count + shard_size - 1) / shard_size;
        tree.counts.push_back(count);
    }
    return tree;
}

std::int64_t ShardTree::item_count() const noexcept {
    std::int64_t n = 0;
    for (std::int64_t c : counts) n += c;
    return n;
}

std::string ShardTree::item_id(const std::string& jobid, int level, std::int64_t index) const {
    return jobid + "#shard#" + gen + "#" + std::to_string(level) + "#" + std::to_string(index);
}

std::pair<std::int64_t, std::int64_t> ShardTree::children(int level, std::int64_t index) const {
    const std::int64_t limit = level == 0 ? total : counts[static_cast<std::size_t>(level - 1)];
    const std::int64_t first = index * shard_size;
    return {first, std::min(limit, first + shard_size)};
}

nlohmann::json ShardTree::make_item(const std::string& jobid, int level, std::int64_t index) const {
    const auto [first, end] = children(level, index);
    return {
        {kId, string_value(item_id(jobid, level, index))},
        {kShardOf, string_value(jobid)},
        {kTotal, number_value(end - first)},
        {level == 0 ? kParts : kPendingShards, number_set_range(first, end)},
    };
}

ShardTree tree_from_job_item(const std::string& jobid, const nlohmann::json& item) {
    const auto total = get_int(item, kTotal);
    const auto shard_size = get_int(item, kShardSize);
    const auto levels = get_int(item, kShardLevels);
    std::string gen;
    if (auto it = item.find(kShardGen); it != item.end() && it->is_object()) {
        if (auto s = it->find("S"); s != it->end() && s->is_string()) gen = s->get<std::string>();
    }
    if (!total || !shard_size || !levels || gen.empty() || *total < 1 || *shard_size < 2) {
        throw BackendError("the item of sharded job '" + jobid +
                               "' lacks valid total/shardSize/shardLevels/shardGen attributes: it was changed by "
                               "hand or by another tool; delete the job and create it again",
                           std::string(error_code::kInvalidJobItem), false);
    }
    ShardTree tree = ShardTree::plan(*total, *shard_size, gen);
    const int rooted_levels = tree.levels();
    // A job written before the root item: up to F items on its top level, one level fewer.
    if (tree.levels() != *levels) tree = ShardTree::plan(*total, *shard_size, gen, *shard_size);
    if (tree.levels() != *levels) {
        throw BackendError("the item of sharded job '" + jobid + "' says " + std::to_string(*levels) +
                               " levels where its total and shard size give " + std::to_string(rooted_levels) +
                               " (or " + std::to_string(tree.levels()) +
                               " for a job written before the root item): the item was changed by hand or by a "
                               "newer version; delete the job and create it again, or upgrade watchbot-progress",
                           std::string(error_code::kInvalidJobItem), false);
    }
    return tree;
}

}  // namespace watchbot_progress::detail::dynamodb
