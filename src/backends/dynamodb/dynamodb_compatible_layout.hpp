#pragma once
// Private to the DynamoDB backend: the compatible layout (docs/dynamodb-layouts.md), the one the
// Python and Node tools read and write: a job's pending part ids in the job item's `parts` number
// set, so at most about 100,000 parts (the 400 KB item limit). Thread-safe.

#include <optional>

#include "backends/dynamodb/dynamodb_job_layout.hpp"
#include "backends/dynamodb/dynamodb_job_table.hpp"
#include "backends/dynamodb/dynamodb_sharded_layout.hpp"

namespace watchbot_progress::detail::dynamodb {

class CompatibleLayout final : public JobLayout {
public:
    // `sharded` replaces a job item of either layout on overwrite, and forgets the tree a
    // replaced sharded job had.
    CompatibleLayout(JobTable& table, ShardedLayout& sharded) : table_(table), sharded_(sharded) {}

    void set_total(const std::string& jobid, std::int64_t total, bool overwrite) override;
    Pending remaining(const std::string& jobid, const nlohmann::json& job_item) override;
    std::vector<PartId> pending_parts(const std::string& jobid, const nlohmann::json& job_item) override;
    // Also the last part of a Node-tool job, which numbers its parts 1 .. total.
    bool part_complete(const std::string& jobid, const nlohmann::json& job_item, PartId partid) override;

    // complete_part's one request, on a job in this layout: `SET updatedAt DELETE parts :p`,
    // conditional on a compatible job item with partid < total or partid pending; nullopt when the
    // condition failed (no job, another layout, or the part out of range).
    std::optional<Completion> try_complete(const std::string& jobid, PartId partid) override;
    // What the item alone settles: a part out of range (InvalidInput), or the last part of a
    // Node-tool job already done (a no-op duplicate). Else nullopt: try_complete's write takes the
    // part next.
    std::optional<Completion> complete(const std::string& jobid, const nlohmann::json& job_item, PartId partid) override;

private:
    JobTable& table_;
    ShardedLayout& sharded_;
};

}  // namespace watchbot_progress::detail::dynamodb
