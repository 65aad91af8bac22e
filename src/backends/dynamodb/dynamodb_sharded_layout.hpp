#pragma once
// Private to the DynamoDB backend: the sharded layout (docs/dynamodb-layouts.md): a job's pending
// part ids in shard items of at most shard_size ids, under index items, under the job item, all of
// one random generation. Also where replacing and deleting a job item happens whatever its layout,
// since a sharded generation's items must go first. Thread-safe.

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "backends/dynamodb/dynamodb_attribute_value.hpp"
#include "backends/dynamodb/dynamodb_job_layout.hpp"
#include "backends/dynamodb/dynamodb_job_table.hpp"

namespace watchbot_progress::detail::dynamodb {

class ShardedLayout final : public JobLayout {
public:
    explicit ShardedLayout(JobTable& table) : table_(table) {}

    void set_total(const std::string& jobid, std::int64_t total, bool overwrite) override;
    Pending remaining(const std::string& jobid, const nlohmann::json& job_item) override;
    std::vector<PartId> pending_parts(const std::string& jobid, const nlohmann::json& job_item) override;
    bool part_complete(const std::string& jobid, const nlohmann::json& job_item, PartId partid) override;
    // With the tree this process remembers for the job (nullopt when it remembers none, or the
    // part is beyond it); a tree whose items are gone is forgotten.
    std::optional<Completion> try_complete(const std::string& jobid, PartId partid) override;
    // With the item's tree. Throws missing_items when an item of the tree is gone although the job
    // item still holds that generation; nullopt when the job was replaced meanwhile.
    std::optional<Completion> complete(const std::string& jobid, const nlohmann::json& job_item, PartId partid) override;

    // ---- the trees this process knows (jobs it met in the sharded layout) ------------------------
    std::optional<ShardTree> cached(const std::string& jobid);
    void remember(const std::string& jobid, const ShardTree& tree);
    void forget(const std::string& jobid);
    // The tree of a sharded job item (remembered), nullopt for a compatible one (forgotten).
    std::optional<ShardTree> tree_of(const std::string& jobid, const nlohmann::json& item);

    // An item of the job's current generation is missing: the job is being overwritten or deleted
    // right now (its items go first), or they were deleted by hand.
    static BackendError missing_items(const std::string& jobid);

    // ---- replacing and deleting a job item, whatever its layout ----------------------------------
    // Overwrite: applies `update` (which sets createToken to `token`) to the job item, replacing
    // whatever job is there. A sharded job's items are deleted first, and the update is
    // conditional on the generation (or the compatible layout) just seen: so no item of a replaced
    // generation exists once the job item stops referring to it, and a process that still holds
    // the old tree in its cache has its completions refused (the item is gone) and reads the job
    // item again, instead of completing parts of a generation nobody reads. When the condition
    // fails, the job item is read again: our own token means the answer of an earlier attempt was
    // lost after it was applied (done); anything else means the job changed meanwhile (start
    // again with what is there now). Never deletes the items the job item refers to afterwards.
    void replace_job(const std::string& jobid, const Expression& base, const std::string& update, const std::string& token);
    // delete_job: the job's items first (see replace_job: a cached tree must never find them
    // after the job item is gone), then the job item, conditional on the generation just seen.
    // When that condition fails, the job item is read again: gone means deleted (by an attempt of
    // ours whose answer was lost, or concurrently), anything else starts again.
    bool delete_job(const std::string& jobid);

private:
    // Completes `partid` of a sharded job of this tree; nullopt when an item of `tree` is gone (the
    // job was deleted or replaced).
    std::optional<Completion> complete_in(const std::string& jobid, const ShardTree& tree, PartId partid);
    // What replace_job and delete_job find in the job item read by read_layout.
    struct OldTree {
        std::optional<ShardTree> tree;  // a sharded job's tree
        bool unreadable = false;        // a sharded job item whose layout attributes are damaged
        // The condition that the job item is still as seen.
        std::string unchanged(Expression& x) const {
            if (tree) return x.equals(kShardGen, "oldgen", string_value(tree->gen));
            return unreadable ? x.exists(kLayout) : x.not_exists(kLayout);
        }
    };
    // Visits the pending shard items (level 0) of a sharded job, walking down from the job item.
    // Throws missing_items when an item the level above lists is not there. `newest_update`, when
    // given, is raised to the newest updatedAt of the pending items read (index items included).
    void visit_pending_shards(const std::string& jobid, const ShardTree& tree, const nlohmann::json& job_item,
                              const std::function<void(const nlohmann::json&)>& visit,
                              std::optional<std::int64_t>* newest_update = nullptr);
    // A completion's step in a shard or index item `id`: one unconditioned DELETE of `child` from
    // its set `attribute` that also sets the item's updatedAt (the job's progress time: the job
    // item is not written by a completion that empties no top-level item), answered with the item
    // as it is now (ALL_NEW). Whether the set is now
    // empty; nullopt when the item was gone (its generation was replaced or deleted), after
    // removing the key-only item the write created in its place.
    std::optional<bool> delete_from_tree_item(const std::string& id, const char* attribute, std::int64_t child);
    // Deletes an item that holds neither shardOf nor total (what an unconditioned write to a
    // missing item leaves); a failure is warned about, not thrown (the item holds no data).
    void remove_recreated_item(const std::string& id);
    // The last step: DELETE `child` from the job item's pendingShards (and set its updatedAt),
    // conditional on generation `gen`. Whether the set is now empty (the job is complete); nullopt when the job item is gone
    // or holds another generation.
    std::optional<bool> delete_from_job_item(const std::string& jobid, std::int64_t child, const std::string& gen);
    OldTree old_tree(const std::string& jobid, const std::optional<nlohmann::json>& item);
    // Deletes the items of a generation about to be replaced or deleted. Throws BackendError when
    // that fails: the job item still refers to the generation, part of whose items may be gone.
    void delete_replaced_items(const std::string& jobid, const ShardTree& old);
    // Writes the items of `tree` (every part pending), kCreateWritesPerRound at a time.
    void write_tree(const std::string& jobid, const ShardTree& tree);
    void delete_tree(const std::string& jobid, const ShardTree& tree);
    void delete_tree_quietly(const std::string& jobid, const ShardTree& tree, const char* what) noexcept;

    JobTable& table_;
    std::mutex cache_mutex_;
    std::unordered_map<std::string, ShardTree> cache_;  // jobid -> tree, for sharded jobs only
};

}  // namespace watchbot_progress::detail::dynamodb
