#include "backends/dynamodb/dynamodb_compatible_layout.hpp"

#include <algorithm>

namespace watchbot_progress::detail::dynamodb {

void CompatibleLayout::set_total(const std::string& jobid, std::int64_t total, bool overwrite) {
    const std::string token = detail::secure_random_hex(16);
    if (!overwrite) {
        if (!table_.create_job(jobid, total, {{kParts, number_set_range(0, total)}}, token)) throw already_exists(jobid);
        sharded_.forget(jobid);
        return;
    }
    Expression x;
    UpdateExpression update;
    update.set(x.name(kParts), x.value("parts", number_set_range(0, total)))
        .set(x.name(kTotal), x.value("total", number_value(total)));
    table_.reset_job(x, update, token);
    for (const char* sharded_only : {kLayout, kShardSize, kShardLevels, kShardGen, kPendingShards}) {
        update.remove(x.name(sharded_only));
    }
    sharded_.replace_job(jobid, x, update.str(), token);
    sharded_.forget(jobid);
}

std::optional<Completion> CompatibleLayout::try_complete(const std::string& jobid, PartId partid) {
    Expression x;
    UpdateItemRequest request;
    request.key = key_of(jobid);
    request.update = UpdateExpression()
                         .set(x.name(kUpdatedAt), x.value("now", number_value(table_.now_ms())))
                         .delete_from_set(x.name(kParts), x.value("p", number_set({partid})))
                         .str();
    const std::string n = x.value("n", number_value(partid));
    request.condition =
        Expression::all_of({x.job_exists(), x.not_exists(kLayout), Expression::any_of({x.compare(kTotal, ">", n), x.contains(kParts, n)})});
    x.fill(request);
    request.return_values = ReturnValues::kAllNew;
    const WriteResult result = table_.client->update_item(request);
    if (!result.applied) return std::nullopt;
    return Completion{set_size(result.attributes, kParts) == 0, ""};
}

std::optional<Completion> CompatibleLayout::complete(const std::string& jobid, const nlohmann::json& job_item, PartId partid) {
    const std::int64_t total = *get_int(job_item, kTotal);
    if (partid >= total) {
        // A job of the Node tool numbers its parts 1 .. total. Its last part, once done, is a no-op
        // duplicate rather than an error; part 0 pending means 0-based.
        if (partid == total && !set_contains(job_item, kParts, 0) && !set_contains(job_item, kParts, partid)) {
            return Completion{set_size(job_item, kParts) == 0, ""};
        }
        // Part `total` still pending (a Node job): the write takes it next.
        if (!set_contains(job_item, kParts, partid)) validate_partid(jobid, partid, total);
    }
    // The job was created or replaced between the write and the read: the write again.
    return std::nullopt;
}

Pending CompatibleLayout::remaining(const std::string&, const nlohmann::json& job_item) {
    return {static_cast<std::int64_t>(set_size(job_item, kParts)), std::nullopt};
}

std::vector<PartId> CompatibleLayout::pending_parts(const std::string&, const nlohmann::json& job_item) {
    std::vector<PartId> parts = get_number_set(job_item, kParts);
    std::sort(parts.begin(), parts.end());
    parts.erase(std::unique(parts.begin(), parts.end()), parts.end());
    return parts;
}

bool CompatibleLayout::part_complete(const std::string& jobid, const nlohmann::json& job_item, PartId partid) {
    const std::int64_t total = *get_int(job_item, kTotal);
    if (partid >= 0 && partid == total && !set_contains(job_item, kParts, 0)) {
        return !set_contains(job_item, kParts, partid);  // the last part of a Node-tool job (parts 1 .. total)
    }
    validate_partid(jobid, partid, total);
    return !set_contains(job_item, kParts, partid);
}

}  // namespace watchbot_progress::detail::dynamodb
