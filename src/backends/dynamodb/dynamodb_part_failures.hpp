#pragma once
// Private to the DynamoDB backend: the records of record_part_failure (docs/dynamodb-layouts.md,
// "Part failure records"). Each record is an item of its own, `<jobid>#failure#<partid>`, never in
// the job item: a job item that held up to 100 records of a few KiB would make every write to it
// (each completion of a compatible job, every claim) cost up to a hundred times more write units,
// and could pass DynamoDB's 400 KB item limit. The job item lists the recorded part ids in
// `failureRecords` (a number set of at most kMaxPartFailureRecords ids: at most ~0.5 KB), which
// bounds the records and is what the listing reads. Either layout; no transactions. Thread-safe.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backends/dynamodb/dynamodb_job_table.hpp"
#include "watchbot_progress/backend.hpp"

namespace watchbot_progress::detail::dynamodb {

// The id of part `partid`'s record item of job `jobid`.
std::string part_failure_item_id(const std::string& jobid, PartId partid);

// Backend::record_part_failure: one conditional UpdateItem of the job item (ADD failureRecords, on
// condition that the job exists, the part is within it, and the set holds the part or fewer than
// kMaxPartFailureRecords ids), then one PutItem of the record item (conditional on the id not being
// another kind of item). Whether the record was kept.
bool record_part_failure(JobTable& table, const std::string& jobid, const PartFailure& failure);

// Backend::list_part_failures: the job item (one GetItem), then the items it lists (one
// BatchGetItem), by ascending part id. A listed record whose item is missing is left out.
std::vector<PartFailure> list_part_failures(JobTable& table, const std::string& jobid);

// The part ids whose records the job item lists (a strongly consistent read of that attribute);
// empty when there is no job.
std::vector<PartId> recorded_part_failures(JobTable& table, const std::string& jobid);

// Deletes the record items of those parts (BatchWriteItem), before set_total's overwrite or
// delete_job forgets the job's records. Throws BackendError when they cannot be deleted.
void delete_part_failures(JobTable& table, const std::string& jobid, const std::vector<PartId>& parts);

}  // namespace watchbot_progress::detail::dynamodb
