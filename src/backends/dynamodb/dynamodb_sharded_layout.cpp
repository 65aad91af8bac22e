#include "backends/dynamodb/dynamodb_sharded_layout.hpp"

#include <algorithm>

#include "watchbot_progress/error_codes.hpp"

namespace watchbot_progress::detail::dynamodb {

namespace {

constexpr std::size_t kCreateWritesPerRound = 1000;  // items generated at once when writing a sharded job
constexpr std::size_t kStatusItemsPerRound = 1000;   // items read and held at once when walking a sharded job
constexpr std::size_t kMaxCachedLayouts = 4096;

}  // namespace

void ShardedLayout::set_total(const std::string& jobid, std::int64_t total, bool overwrite) {
    if (!overwrite) {
        Expression x;
        auto existing = table_.client->get_item({key_of(jobid), true, x.name(kTotal) + ", " + x.name(kShardOf), x.names()});
        if (existing && (has(*existing, kTotal) || has(*existing, kShardOf))) throw already_exists(jobid);
    }
    const ShardTree tree = ShardTree::plan(total, table_.options.shard_size, detail::secure_random_hex(8));
    write_tree(jobid, tree);  // first: the job item below makes them reachable

    Expression x;
    const nlohmann::json pending = number_set_range(0, tree.counts.back());
    const std::string token = detail::secure_random_hex(16);
    if (!overwrite) {
        const nlohmann::json item = {
            {kLayout, string_value(kShardedLayout)},
            {kShardSize, number_value(tree.shard_size)},
            {kShardLevels, number_value(tree.levels())},
            {kShardGen, string_value(tree.gen)},
            {kPendingShards, pending},
            {kParts, sharded_parts_note()},
        };
        // Refused: another job of that id, unless this very write was made by an attempt whose
        // answer was lost (then deleting "its" tree would damage the job just created).
        if (!table_.create_job(jobid, total, item, token)) {
            delete_tree_quietly(jobid, tree, "a job that lost a creation race");
            throw already_exists(jobid);
        }
        remember(jobid, tree);
        return;
    }
    UpdateExpression update;
    update.set(x.name(kTotal), x.value("total", number_value(total)))
        .set(x.name(kLayout), x.value("layout", string_value(kShardedLayout)))
        .set(x.name(kShardSize), x.value("size", number_value(tree.shard_size)))
        .set(x.name(kShardLevels), x.value("levels", number_value(tree.levels())))
        .set(x.name(kShardGen), x.value("gen", string_value(tree.gen)))
        .set(x.name(kPendingShards), x.value("pending", pending))
        .set(x.name(kParts), x.value("note", sharded_parts_note()));
    table_.reset_job(x, update, token);
    try {
        replace_job(jobid, x, update.str(), token);
    } catch (...) {
        // The new items are deleted only when the job item certainly does not refer to them
        // (unreachable items only take space; deleting a tree in use would damage the job).
        bool unused = false;
        try {
            unused = !JobTable::created_with(table_.read_layout(jobid), token);
        } catch (const std::exception&) {
        }
        if (unused) delete_tree_quietly(jobid, tree, "a job that could not be written");
        throw;
    }
    remember(jobid, tree);
}

std::optional<ShardTree> ShardedLayout::cached(const std::string& jobid) {
    std::lock_guard lock(cache_mutex_);
    auto it = cache_.find(jobid);
    if (it == cache_.end()) return std::nullopt;
    return it->second;
}

void ShardedLayout::remember(const std::string& jobid, const ShardTree& tree) {
    std::lock_guard lock(cache_mutex_);
    if (cache_.size() >= kMaxCachedLayouts) cache_.clear();
    cache_.insert_or_assign(jobid, tree);
}

void ShardedLayout::forget(const std::string& jobid) {
    std::lock_guard lock(cache_mutex_);
    cache_.erase(jobid);
}

std::optional<ShardTree> ShardedLayout::tree_of(const std::string& jobid, const nlohmann::json& item) {
    if (!is_sharded(jobid, item)) {
        forget(jobid);
        return std::nullopt;
    }
    ShardTree tree = tree_from_job_item(jobid, item);
    remember(jobid, tree);
    return tree;
}

BackendError ShardedLayout::missing_items(const std::string& jobid) {
    return BackendError("items of sharded job '" + jobid +
                            "' are missing although the job item refers to them: the job is being overwritten or "
                            "deleted right now (try again in a moment), or its items were deleted by hand (then "
                            "delete the job and create it again)",
                        std::string(error_code::kConcurrentModification), true);
}

void ShardedLayout::visit_pending_shards(const std::string& jobid, const ShardTree& tree, const nlohmann::json& job_item,
                          const std::function<void(const nlohmann::json&)>& visit,
                          std::optional<std::int64_t>* newest_update) {
    std::vector<std::int64_t> current = get_number_set(job_item, kPendingShards);
    for (int level = tree.levels() - 1; level >= 0; --level) {
        if (current.empty()) return;
        std::sort(current.begin(), current.end());
        current.erase(std::unique(current.begin(), current.end()), current.end());
        Expression x;
        const std::string projection =
            x.name(kId) + ", " + x.name(level == 0 ? kParts : kPendingShards) + ", " + x.name(kUpdatedAt);
        std::vector<std::int64_t> next;
        // A round of items at a time, so that memory stays bounded at any job size (the parsed
        // shard items of a 1,000,000-part job would take about 100 MB).
        for (std::size_t first = 0; first < current.size(); first += kStatusItemsPerRound) {
            const std::size_t end = std::min(current.size(), first + kStatusItemsPerRound);
            std::vector<nlohmann::json> keys;
            keys.reserve(end - first);
            for (std::size_t i = first; i < end; ++i) keys.push_back(key_of(tree.item_id(jobid, level, current[i])));
            const std::vector<nlohmann::json> items =
                table_.client->batch_get(keys, projection, x.names(), table_.options.consistent_reads);
            if (items.size() < keys.size()) throw missing_items(jobid);
            for (const auto& item : items) {
                if (newest_update != nullptr) {
                    const auto at = get_int(item, kUpdatedAt);
                    if (at && (!*newest_update || *at > **newest_update)) *newest_update = at;
                }
                if (level == 0) {
                    visit(item);
                } else {
                    for (std::int64_t child : get_number_set(item, kPendingShards)) next.push_back(child);
                }
            }
        }
        current = std::move(next);
    }
}

std::optional<bool> ShardedLayout::delete_from_tree_item(const std::string& id, const char* attribute, std::int64_t child) {
    Expression x;
    UpdateItemRequest request;
    request.key = key_of(id);
    request.update = UpdateExpression()
                         .delete_from_set(x.name(attribute), x.value("c", number_set({child})))
                         .set(x.name(kUpdatedAt), x.value("now", number_value(table_.now_ms())))
                         .str();
    // No condition: the item as it is after the deletion tells everything (a condition would cost
    // more than the answer it saves: docs/performance.md). Without a condition, a missing item is
    // created, holding its key only; such an item lacks shardOf, so it is told apart and removed.
    x.fill(request);
    request.return_values = ReturnValues::kAllNew;
    const WriteResult result = table_.client->update_item(request);
    if (!has(result.attributes, kShardOf)) {
        remove_recreated_item(id);
        return std::nullopt;
    }
    return set_size(result.attributes, attribute) == 0;
}

void ShardedLayout::remove_recreated_item(const std::string& id) {
    Expression x;
    DeleteItemRequest request;
    request.key = key_of(id);
    request.condition = Expression::all_of({x.not_exists(kShardOf), x.not_exists(kTotal)});  // never a shard or job item
    x.fill(request);
    try {
        table_.client->delete_item(request);
    } catch (const std::exception& e) {
        warn("a completion found item '" + id + "' gone (its job was replaced or deleted) and could not remove "
             "the key-only item its write left in its place (" + e.what() + "); it holds no data and can be "
             "deleted by hand");
    }
}

std::optional<bool> ShardedLayout::delete_from_job_item(const std::string& jobid, std::int64_t child, const std::string& gen) {
    Expression x;
    UpdateItemRequest request;
    request.key = key_of(jobid);
    request.update = UpdateExpression()
                         .delete_from_set(x.name(kPendingShards), x.value("c", number_set({child})))
                         .set(x.name(kUpdatedAt), x.value("now", number_value(table_.now_ms())))
                         .str();
    request.condition = x.equals(kShardGen, "gen", string_value(gen));  // false too when the item is gone
    x.fill(request);
    request.return_values = ReturnValues::kAllNew;  // unambiguous: the set as it is now
    const WriteResult result = table_.client->update_item(request);
    if (!result.applied) return std::nullopt;
    return set_size(result.attributes, kPendingShards) == 0;
}

std::optional<Completion> ShardedLayout::try_complete(const std::string& jobid, PartId partid) {
    const auto tree = cached(jobid);
    if (!tree || partid >= tree->total) return std::nullopt;
    if (auto done = complete_in(jobid, *tree, partid)) return done;
    forget(jobid);
    return std::nullopt;
}

std::optional<Completion> ShardedLayout::complete(const std::string& jobid, const nlohmann::json& job_item, PartId partid) {
    const auto tree = tree_of(jobid, job_item);
    if (!tree) return std::nullopt;  // not a sharded job item (the caller's mistake): read again
    if (auto done = complete_in(jobid, *tree, partid)) return done;
    auto again = table_.read_job(jobid);
    if (!again) throw JobDoesNotExist(jobid);
    if (is_sharded(jobid, *again) && tree_from_job_item(jobid, *again).gen == tree->gen) throw missing_items(jobid);
    return std::nullopt;  // replaced meanwhile
}

std::optional<Completion> ShardedLayout::complete_in(const std::string& jobid, const ShardTree& tree, PartId partid) {
    validate_partid(jobid, partid, tree.total);
    std::int64_t child = partid;
    std::int64_t index = partid / tree.shard_size;
    for (int level = 0; level < tree.levels(); ++level) {
        const std::string id = tree.item_id(jobid, level, index);
        auto empty = delete_from_tree_item(id, level == 0 ? kParts : kPendingShards, child);
        if (!empty) return std::nullopt;
        if (!*empty) return Completion{false, tree.gen};
        table_.set_expiry(id);  // an empty shard or index item is finished
        child = index;
        index = index / tree.shard_size;
    }
    // The top level's item `child` is empty: take it out of the job item's pending set.
    const auto complete = delete_from_job_item(jobid, child, tree.gen);
    if (!complete) return std::nullopt;
    return Completion{*complete, tree.gen};
}

ShardedLayout::OldTree ShardedLayout::old_tree(const std::string& jobid, const std::optional<nlohmann::json>& item) {
    if (!is_job_item(item) || !has(*item, kLayout) || !is_sharded(jobid, *item)) return {};
    try {
        return {tree_from_job_item(jobid, *item), false};
    } catch (const BackendError& e) {
        if (e.code() != error_code::kInvalidJobItem) throw;
        warn("job " + jobid + ": its item's layout attributes are damaged, so its shard items cannot be found "
             "and stay behind (unreachable; they only take space)");
        return {std::nullopt, true};
    }
}

void ShardedLayout::replace_job(const std::string& jobid, const Expression& base, const std::string& update, const std::string& token) {
    for (int attempt = 0; attempt < 5; ++attempt) {
        const std::optional<nlohmann::json> item = table_.read_layout(jobid);
        if (item && has(*item, kShardOf)) throw already_exists(jobid);  // a shard item's id
        if (attempt > 0 && JobTable::created_with(item, token)) return;  // our switch; its answer was lost
        const OldTree old = old_tree(jobid, item);
        if (old.tree) delete_replaced_items(jobid, *old.tree);
        Expression x = base;
        UpdateItemRequest request;
        request.key = key_of(jobid);
        request.update = update;
        request.condition = Expression::all_of({x.not_exists(kShardOf), old.unchanged(x)});
        x.fill(request);
        try {
            if (table_.client->update_item(request).applied) return;
        } catch (const BackendError& e) {
            // No definite answer (every attempt's answer lost, cut off, timed out or 5xx): the
            // switch may have been applied. One read tells; if it fails too, the error stands.
            if (!e.retryable() && e.code() != error_code::kInvalidResponse) throw;
            if (JobTable::created_with(table_.read_layout(jobid), token)) return;
            throw;
        }
    }
    throw BackendError("job '" + jobid + "' kept changing while it was being overwritten (replaced or deleted "
                       "concurrently?); try again",
                       std::string(error_code::kConcurrentModification), true);
}

void ShardedLayout::delete_replaced_items(const std::string& jobid, const ShardTree& old) {
    try {
        delete_tree(jobid, old);
    } catch (const BackendError& e) {
        throw BackendError("job '" + jobid + "': deleting the " + std::to_string(old.item_count()) +
                               " shard items of the job being replaced or deleted failed (" + e.what() +
                               "); nothing else was changed, but the job cannot be used until this is done: "
                               "repeat the overwrite or the deletion",
                           e.code(), e.retryable());
    }
}

void ShardedLayout::write_tree(const std::string& jobid, const ShardTree& tree) {
    std::vector<BatchWrite> writes;
    for (int level = 0; level < tree.levels(); ++level) {
        for (std::int64_t i = 0; i < tree.counts[static_cast<std::size_t>(level)]; ++i) {
            writes.push_back(BatchWrite::put(tree.make_item(jobid, level, i)));
            if (writes.size() >= kCreateWritesPerRound) {
                table_.client->batch_write(writes, table_.options.write_parallelism);
                writes.clear();
            }
        }
    }
    table_.client->batch_write(writes, table_.options.write_parallelism);
}

void ShardedLayout::delete_tree(const std::string& jobid, const ShardTree& tree) {
    std::vector<BatchWrite> writes;
    for (int level = 0; level < tree.levels(); ++level) {
        for (std::int64_t i = 0; i < tree.counts[static_cast<std::size_t>(level)]; ++i) {
            writes.push_back(BatchWrite::remove(key_of(tree.item_id(jobid, level, i))));
            if (writes.size() >= kCreateWritesPerRound) {
                table_.client->batch_write(writes, table_.options.write_parallelism);
                writes.clear();
            }
        }
    }
    table_.client->batch_write(writes, table_.options.write_parallelism);
}

void ShardedLayout::delete_tree_quietly(const std::string& jobid, const ShardTree& tree, const char* what) noexcept {
    try {
        delete_tree(jobid, tree);
    } catch (const std::exception& e) {
        warn("job " + jobid + ": could not delete the " + std::to_string(tree.item_count()) + " shard items of " +
             what + " (they are unreachable and only take space): " + e.what());
    }
}

bool ShardedLayout::delete_job(const std::string& jobid) {
    for (int attempt = 0; attempt < 5; ++attempt) {
        const std::optional<nlohmann::json> item = table_.read_layout(jobid);
        if (!is_job_item(item)) return attempt > 0;  // no job: none at the first look, or deleted since
        const OldTree old = old_tree(jobid, item);
        if (old.tree) delete_replaced_items(jobid, *old.tree);
        Expression x;
        DeleteItemRequest request;
        request.key = key_of(jobid);
        request.condition = Expression::all_of({x.job_exists(), old.unchanged(x)});
        x.fill(request);
        bool applied = false;
        try {
            applied = table_.client->delete_item(request).applied;
        } catch (const BackendError& e) {
            // No definite answer: the deletion may have been applied. One read tells.
            if (!e.retryable() && e.code() != error_code::kInvalidResponse) throw;
            forget(jobid);
            if (!is_job_item(table_.read_layout(jobid))) return true;
            throw;
        }
        forget(jobid);
        if (applied) return true;
    }
    throw BackendError("job '" + jobid + "' kept changing while it was being deleted (replaced concurrently?); try "
                       "again",
                       std::string(error_code::kConcurrentModification), true);
}

Pending ShardedLayout::remaining(const std::string& jobid, const nlohmann::json& job_item) {
    const ShardTree tree = tree_from_job_item(jobid, job_item);
    Pending pending;
    visit_pending_shards(
        jobid, tree, job_item,
        [&](const nlohmann::json& shard) { pending.parts += static_cast<std::int64_t>(set_size(shard, kParts)); },
        &pending.updated_at_ms);
    return pending;
}

std::vector<PartId> ShardedLayout::pending_parts(const std::string& jobid, const nlohmann::json& job_item) {
    const ShardTree tree = tree_from_job_item(jobid, job_item);
    std::vector<PartId> parts;
    visit_pending_shards(jobid, tree, job_item, [&](const nlohmann::json& shard) {
        for (std::int64_t p : get_number_set(shard, kParts)) parts.push_back(p);
    });
    std::sort(parts.begin(), parts.end());
    parts.erase(std::unique(parts.begin(), parts.end()), parts.end());
    return parts;
}

bool ShardedLayout::part_complete(const std::string& jobid, const nlohmann::json& job_item, PartId partid) {
    const ShardTree tree = tree_from_job_item(jobid, job_item);
    validate_partid(jobid, partid, tree.total);
    Expression x;
    auto shard = table_.client->get_item({key_of(tree.item_id(jobid, 0, partid / tree.shard_size)),
                                          table_.options.consistent_reads, x.name(kParts), x.names()});
    if (!shard) {
        throw BackendError("the shard item of part " + std::to_string(partid) + " of job '" + jobid +
                               "' is missing: the job was damaged or is being replaced; try again, or delete and "
                               "recreate the job",
                           std::string(error_code::kInvalidJobItem), false);
    }
    return !set_contains(*shard, kParts, partid);
}

}  // namespace watchbot_progress::detail::dynamodb
