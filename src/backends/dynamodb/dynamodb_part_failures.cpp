#include "backends/dynamodb/dynamodb_part_failures.hpp"

#include <algorithm>

#include "backends/dynamodb/dynamodb_attribute_value.hpp"
#include "watchbot_progress/error_codes.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress::detail::dynamodb {

namespace {

// Attributes of a record item (besides id, shardOf and total).
constexpr const char* kRecordPart = "partid";
constexpr const char* kRecordExitCode = "exitCode";
constexpr const char* kRecordAttempts = "attempts";
constexpr const char* kRecordTime = "failedAt";
constexpr const char* kRecordText = "text";

// With done_ttl, record items expire on their own: a job's item expires done_ttl after it is done,
// and its record items cannot be told when that is. They outlive the job by this much at least
// (SQS keeps a message 14 days at most, so a job still worked after that is rare).
constexpr std::int64_t kRecordTtlMarginSeconds = 14 * 24 * 60 * 60;

nlohmann::json record_item(const JobTable& table, const std::string& jobid, const PartFailure& f) {
    nlohmann::json item = {
        {kId, string_value(part_failure_item_id(jobid, f.partid))},
        // Never a job (list_jobs, job_exists and id_is_free skip items with shardOf); `total`
        // because the Python tool's `ls` reads every item of the table and needs one in each.
        {kShardOf, string_value(jobid)},
        {kTotal, number_value(1)},
        {kRecordPart, number_value(f.partid)},
        {kRecordAttempts, number_value(f.attempts)},
        {kRecordTime, number_value(f.time_ms)},
    };
    if (f.exit_code) item[kRecordExitCode] = number_value(*f.exit_code);
    if (!f.text.empty()) item[kRecordText] = string_value(f.text);
    if (table.options.done_ttl.count() > 0) {
        item[table.options.ttl_attribute] = number_value(
            table.now_ms() / 1000 + static_cast<std::int64_t>(table.options.done_ttl.count()) + kRecordTtlMarginSeconds);
    }
    return item;
}

PartFailure from_record_item(const nlohmann::json& item) {
    PartFailure f;
    f.partid = get_int(item, kRecordPart).value_or(0);
    if (const auto code = get_int(item, kRecordExitCode)) f.exit_code = static_cast<int>(*code);
    f.attempts = get_int(item, kRecordAttempts).value_or(0);
    f.time_ms = get_int(item, kRecordTime).value_or(0);
    if (const auto it = item.find(kRecordText); it != item.end() && it->contains("S") && (*it)["S"].is_string()) {
        f.text = (*it)["S"].get<std::string>();
    }
    return f;
}

}  // namespace

std::string part_failure_item_id(const std::string& jobid, PartId partid) {
    return jobid + "#failure#" + std::to_string(partid);
}

bool record_part_failure(JobTable& table, const std::string& jobid, const PartFailure& failure) {
    Expression x;
    UpdateItemRequest request;
    request.key = key_of(jobid);
    const std::string records = x.name(kFailureRecords);
    request.update = UpdateExpression().add(records, x.value("p", number_set({failure.partid}))).str();
    const std::string part = x.value("n", number_value(failure.partid));
    request.condition = Expression::all_of(
        {x.job_exists(), x.compare(kTotal, ">", part),
         Expression::any_of({x.not_exists(kFailureRecords), x.contains(kFailureRecords, part),
                             "size(" + records + ") < " +
                                 x.value("max", number_value(static_cast<std::int64_t>(kMaxPartFailureRecords)))})});
    x.fill(request);
    if (!table.client->update_item(request).applied) {
        const nlohmann::json item = table.require_job(jobid);                             // JobDoesNotExist
        validate_partid(jobid, failure.partid, get_int(item, kTotal).value_or(0));  // InvalidInput
        return false;  // the job holds kMaxPartFailureRecords records of other parts
    }
    Expression y;
    PutItemRequest put;
    put.item = record_item(table, jobid, failure);
    // Never over an item of another kind that has this id (a job named like a record).
    put.condition = Expression::any_of({y.not_exists(kId), y.equals(kShardOf, "job", string_value(jobid))});
    y.fill(put);
    if (!table.client->put_item(put).applied) {
        warn("job '" + jobid + "': the failure of part " + std::to_string(failure.partid) +
             " was not recorded: the item " + part_failure_item_id(jobid, failure.partid) +
             " belongs to something else (a job of that name?)");
        return false;
    }
    return true;
}

std::vector<PartId> recorded_part_failures(JobTable& table, const std::string& jobid) {
    Expression x;
    const std::string projection = x.name(kTotal) + ", " + x.name(kShardOf) + ", " + x.name(kFailureRecords);
    const auto item = table.client->get_item({key_of(jobid), true, projection, x.names()});
    if (!is_job_item(item)) return {};
    return get_number_set(*item, kFailureRecords);
}

std::vector<PartFailure> list_part_failures(JobTable& table, const std::string& jobid) {
    Expression x;
    const std::string projection = x.name(kTotal) + ", " + x.name(kShardOf) + ", " + x.name(kFailureRecords);
    const auto job = table.client->get_item({key_of(jobid), table.options.consistent_reads, projection, x.names()});
    if (!is_job_item(job)) throw JobDoesNotExist(jobid);
    const std::vector<PartId> parts = get_number_set(*job, kFailureRecords);
    if (parts.empty()) return {};
    std::vector<nlohmann::json> keys;
    keys.reserve(parts.size());
    for (const PartId p : parts) keys.push_back(key_of(part_failure_item_id(jobid, p)));
    std::vector<PartFailure> out;
    for (const nlohmann::json& item : table.client->batch_get(keys, "", nlohmann::json::object(), table.options.consistent_reads)) {
        // Only this job's records (an item of that id written by anything else is not one).
        const auto of = item.find(kShardOf);
        if (of == item.end() || !of->contains("S") || (*of)["S"] != jobid) continue;
        out.push_back(from_record_item(item));
    }
    std::sort(out.begin(), out.end(), [](const PartFailure& a, const PartFailure& b) { return a.partid < b.partid; });
    return out;
}

void delete_part_failures(JobTable& table, const std::string& jobid, const std::vector<PartId>& parts) {
    if (parts.empty()) return;
    std::vector<BatchWrite> writes;
    writes.reserve(parts.size());
    for (const PartId p : parts) writes.push_back(BatchWrite::remove(key_of(part_failure_item_id(jobid, p))));
    table.client->batch_write(writes);
}

}  // namespace watchbot_progress::detail::dynamodb
