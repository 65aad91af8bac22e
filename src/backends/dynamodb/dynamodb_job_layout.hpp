#pragma once
// Private to the DynamoDB backend: what differs between the two layouts (docs/dynamodb-layouts.md),
// namely where a job's pending part ids live. The compatible layout keeps them in the job item's
// `parts` set (what the Python and Node tools read and write); the sharded layout in a tree of shard
// items below the job item. Everything else about a job (its total, failure, metadata, reduce
// claim) is on the job item in either layout (dynamodb_job_table.hpp). Each layout completes its
// own parts; the backend only picks the layout to try (the one a job is known to have, else the
// one it writes) and goes round again when the job changed meanwhile. The item attributes both
// layouts write are named in dynamodb_attribute_names.hpp. Implementations are thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "watchbot_progress/backend.hpp"

namespace watchbot_progress::detail::dynamodb {

// A part completed (or found complete).
struct Completion {
    bool complete = false;  // no part of the job is pending now
    // The sharded generation the part was completed in, which the reduce claim that follows
    // requires of the job item (a job replaced meanwhile is not claimed); empty in the compatible
    // layout, whose job item alone records the pending parts.
    std::string generation;
};

// What is pending of a job (JobLayout::remaining).
struct Pending {
    std::int64_t parts = 0;
    // The newest `updatedAt` of the items read to count them. A sharded job's completions write it
    // on the shard and index items they change, and on the job item only when a top-level item
    // empties, so the job's last progress is the newest of this and the job item's. Empty in the
    // compatible layout, whose completions write the job item's.
    std::optional<std::int64_t> updated_at_ms;
};

class JobLayout {
public:
    virtual ~JobLayout() = default;

    // set_total in this layout: the job item is written last, so a job is visible only once whole;
    // overwrite replaces whatever job is there (either layout). InvalidInput when the job exists
    // and !overwrite.
    virtual void set_total(const std::string& jobid, std::int64_t total, bool overwrite) = 0;

    // What is pending of the job whose item (read just before) is `job_item`: how many parts, which
    // (ascending, no duplicates), whether `partid` is complete (InvalidInput when it is out of range).
    virtual Pending remaining(const std::string& jobid, const nlohmann::json& job_item) = 0;
    virtual std::vector<PartId> pending_parts(const std::string& jobid, const nlohmann::json& job_item) = 0;
    virtual bool part_complete(const std::string& jobid, const nlohmann::json& job_item, PartId partid) = 0;

    // complete_part without reading the job item, for a job believed to be in this layout: its
    // requests when they are enough (the common case), else nullopt (the job is not known to be in
    // this layout, or a write was refused): the caller reads the job item and calls complete().
    virtual std::optional<Completion> try_complete(const std::string& jobid, PartId partid) = 0;
    // complete_part of the job whose item, read just before, is in this layout: the completion, or
    // nullopt when the job changed since that read (the caller goes round again: try_complete of
    // the layout the job has then, the read, complete). InvalidInput when `partid` is out of range;
    // BackendError when the job's items are damaged.
    virtual std::optional<Completion> complete(const std::string& jobid, const nlohmann::json& job_item, PartId partid) = 0;
};

}  // namespace watchbot_progress::detail::dynamodb
