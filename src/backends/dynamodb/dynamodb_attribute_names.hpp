#pragma once
// The two DynamoDB layouts' vocabulary: attribute names, item-size arithmetic for the compatible
// layout, and the shape of a sharded job's tree of items. docs/dynamodb-layouts.md explains both;
// the layouts themselves implement dynamodb_job_layout.hpp. Pure, thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "watchbot_progress/alerts.hpp"

namespace watchbot_progress::detail::dynamodb {

// Attributes of a job item (both layouts).
inline constexpr const char* kId = "id";
inline constexpr const char* kParts = "parts";            // NS: pending part ids (compatible); M: a note (sharded)
inline constexpr const char* kTotal = "total";            // N: the job has this many parts; a job exists iff set
inline constexpr const char* kError = "error";            // S (or N from the Python tool): failure reason
inline constexpr const char* kMetadata = "metadata";      // M
inline constexpr const char* kReduceSent = "reduceSent";  // BOOL
inline constexpr const char* kReduceClaim = "reduceClaim";  // S: token of the claim's winner
inline constexpr const char* kReduceClaimedAt = "reduceClaimedAt";  // N: claim time, ms since the epoch
inline constexpr const char* kReduceConfirmed = "reduceConfirmed";  // BOOL: the claimer sent the reduce
inline constexpr const char* kFailedParts = "failedParts";  // NS: parts failed for good (failure tolerance)
inline constexpr const char* kFailureRecords = "failureRecords";  // NS: parts with a record_part_failure item
inline constexpr const char* kUpdatedAt = "updatedAt";  // N: last change (creation, completion, failure), ms
inline constexpr const char* kCreatedAt = "createdAt";  // N: when set_total created (or overwrote) the job, ms
inline constexpr const char* kCreateToken = "createToken";  // S: token of the set_total that created or last replaced the job
inline constexpr const char* kReduceRepairs = "reduceRepairs";  // N: lost reduces a repair sent (record_reduce_repair)
// S: the alert mark of one state (Backend::claim_alert), holding the random token of the claim that
// took it: alertFailed, alertStalled, alertReduceOverdue, alertPartDead. One attribute per state, so
// that a conditional SET takes a mark atomically and the AWS layer's retry of a claim whose answer
// was lost recognises its own token.
std::string alert_attribute(AlertState state);
inline constexpr AlertState kAlertAttributeStates[] = {AlertState::kFailed, AlertState::kStalled,
                                                       AlertState::kReduceOverdue, AlertState::kPartDead};
// Key in the `metadata` map: the Python tool's Part sets metadata.reduce_message_sent = true (BOOL)
// after publishing a reduce (and never writes reduceSent), and sends no reduce while the key holds a
// true value (in Python's sense: any non-empty string is one). BOOL true is read as "reduce sent and
// confirmed" everywhere; this library's confirm_reduce writes it too.
inline constexpr const char* kPythonReduceSent = "reduce_message_sent";
// What this library's reduce claim (claim_reduce, reclaim_reduce) writes under that key, in the
// claim's own request: a string, so true to the Python tool's Part (it sends no reduce meanwhile)
// and told apart from its BOOL true by this library (a claim, not yet confirmed, that may be taken
// over once its lease has passed).
inline constexpr const char* kClaimedReduceMark = "claimed";
// Sharded job item only.
inline constexpr const char* kLayout = "layout";              // S: "sharded"; absent: compatible
inline constexpr const char* kShardSize = "shardSize";        // N: parts per shard, children per index item
inline constexpr const char* kShardLevels = "shardLevels";    // N: levels of items below the job item (>= 1)
inline constexpr const char* kShardGen = "shardGen";          // S: random generation in the item ids
inline constexpr const char* kPendingShards = "pendingShards";  // NS: the job item's / an index item's pending children
// Shard and index items only.
inline constexpr const char* kShardOf = "shardOf";  // S: the job id (items with it are never jobs)

inline constexpr const char* kShardedLayout = "sharded";
// A sharded job item's `parts`: a map (M) of one entry, this key and note, where the Python and Node
// tools expect a number set. Their completion (`DELETE parts :p`) is then refused by DynamoDB (a
// ValidationException: a set cannot be deleted from a map), their part listings fail (the key is no
// part id), and the Python tool's progress, which counts the map's one entry, never reaches 1. Jobs
// written before held the number set {-1} there instead; nothing reads the attribute of a sharded
// job item, so both forms work.
inline constexpr const char* kShardedPartsKey = "sharded";
inline constexpr const char* kShardedPartsNote =
    "a sharded job of watchbot-progress-cpp: its parts are in other items, which only watchbot-progress-cpp reads";
// The sharded job item's `parts` (above), as written.
nlohmann::json sharded_parts_note();

// DynamoDB's item size limit, and what the compatible layout leaves free for metadata, error text
// and the claim and creation tokens when it decides whether a job fits.
inline constexpr std::size_t kMaxItemBytes = 400 * 1024;
inline constexpr std::size_t kCompatibleHeadroomBytes = 8 * 1024;

// Estimated size of a fresh compatible job item (parts 0 .. total-1, total, reduceSent, empty
// metadata), by DynamoDB's rules (attribute names + values; numbers by significant digits),
// rounded up.
std::size_t compatible_item_bytes(const std::string& jobid, std::int64_t total);
// The largest total whose compatible item stays within kMaxItemBytes - kCompatibleHeadroomBytes.
std::int64_t max_compatible_parts(const std::string& jobid);

// The shape of a sharded job: level 0 holds the shard items (leaves), each with up to shard_size
// pending part ids (shard i holds parts [i*F, (i+1)*F)); level l > 0 holds index items, each with
// up to F pending children of level l-1 (index item i of level l covers children [i*F, (i+1)*F)).
// The top level, levels-1, holds one item (the root), which the job item lists: so only the
// completion that empties the root, the job's last, writes the job item (docs/dynamodb-layouts.md).
// Jobs written before kept up to F items on the top level, all listed in the job item (every
// emptied one wrote it); their trees are read back as written (tree_from_job_item).
struct ShardTree {
    std::int64_t total = 0;
    std::int64_t shard_size = 0;  // F
    std::string gen;
    std::vector<std::int64_t> counts;  // counts[l]: items at level l; levels() == counts.size()

    // Throws InvalidInput when total < 1 or shard_size < 2. `top_items`: the most items the top
    // level may hold: 1 for the jobs this version writes (a root item), shard_size for the tree of
    // a job written before (tree_from_job_item tells them apart by their number of levels).
    static ShardTree plan(std::int64_t total, std::int64_t shard_size, std::string gen, std::int64_t top_items = 1);

    int levels() const noexcept { return static_cast<int>(counts.size()); }
    std::int64_t item_count() const noexcept;  // shard + index items

    // The id of item `index` at `level`: "<jobid>#shard#<gen>#<level>#<index>".
    std::string item_id(const std::string& jobid, int level, std::int64_t index) const;
    // Children of item (level, index): part ids for level 0, else indexes at level-1. [first, end).
    std::pair<std::int64_t, std::int64_t> children(int level, std::int64_t index) const;
    // The item (level, index) as written at creation, every child pending: id, shardOf, the set
    // (`parts` or `pendingShards`) and `total`, the number of children it covers, which only the
    // Python tool's `ls`/`info` read (they read every item of the table and need `total` in each).
    nlohmann::json make_item(const std::string& jobid, int level, std::int64_t index) const;
};

// A sharded job item's tree, read back from the item. Throws BackendError ("InvalidJobItem") when
// the layout attributes are missing or malformed.
ShardTree tree_from_job_item(const std::string& jobid, const nlohmann::json& item);

}  // namespace watchbot_progress::detail::dynamodb
