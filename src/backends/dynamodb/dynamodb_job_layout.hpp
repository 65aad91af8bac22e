#pragma once
// Private to the DynamoDB backend: what differs between the two layouts (docs/dynamodb-layouts.md),
// namely where a job's pending part ids live. The compatible layout keeps them in the job item's
// `parts` set (what the Python and Node tools read and write); the sharded layout in a tree of shard
// items below the job item. Everything else about a job (its total, failure, metadata, reduce
// claim) is on the job item in either layout (dynamodb_job_table.hpp), and completing a part is
// coordinated by the backend, which tries the layout a job is known to have first.
// Implementations are thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "watchbot_progress/backend.hpp"

namespace watchbot_progress::detail::dynamodb {

class JobLayout {
public:
    virtual ~JobLayout() = default;

    // set_total in this layout: the job item is written last, so a job is visible only once whole;
    // overwrite replaces whatever job is there (either layout). InvalidInput when the job exists
    // and !overwrite.
    virtual void set_total(const std::string& jobid, std::int64_t total, bool overwrite) = 0;

    // What is pending of the job whose item (read just before) is `job_item`: how many parts, which
    // (ascending, no duplicates), whether `partid` is complete (InvalidInput when it is out of range).
    virtual std::int64_t remaining(const std::string& jobid, const nlohmann::json& job_item) = 0;
    virtual std::vector<PartId> pending_parts(const std::string& jobid, const nlohmann::json& job_item) = 0;
    virtual bool part_complete(const std::string& jobid, const nlohmann::json& job_item, PartId partid) = 0;
};

}  // namespace watchbot_progress::detail::dynamodb
