#include "backends/dynamodb/dynamodb_job_table.hpp"

#include <algorithm>
#include <cstdio>

#include "backends/dynamodb/dynamodb_attribute_value.hpp"
#include "watchbot_progress/error_codes.hpp"

namespace watchbot_progress::detail::dynamodb {

nlohmann::json key_of(const std::string& id) { return {{kId, string_value(id)}}; }

bool has(const nlohmann::json& item, const char* name) { return item.is_object() && item.contains(name); }

bool set_contains(const nlohmann::json& item, const char* name, std::int64_t value) {
    const auto numbers = get_number_set(item, name);
    return std::find(numbers.begin(), numbers.end(), value) != numbers.end();
}

bool is_job_item(const std::optional<nlohmann::json>& item) {
    return item && has(*item, kTotal) && !has(*item, kShardOf) && get_int(*item, kTotal).has_value();
}

bool is_sharded(const std::string& jobid, const nlohmann::json& item) {
    auto it = item.find(kLayout);
    if (it == item.end()) return false;
    if (it->contains("S") && (*it)["S"] == kShardedLayout) return true;
    throw BackendError("job '" + jobid + "' has a layout this version of the library does not know (" + it->dump() +
                           "): upgrade watchbot-progress",
                       std::string(error_code::kUnknownLayout), false);
}

std::string render_error(const nlohmann::json& attribute) {
    if (attribute.contains("S") && attribute["S"].is_string()) return attribute["S"].get<std::string>();
    if (attribute.contains("N") && attribute["N"].is_string()) return attribute["N"].get<std::string>();
    try {
        const nlohmann::json value = from_attribute_value(attribute);
        return value.is_string() ? value.get<std::string>() : value.dump();
    } catch (const InvalidInput&) {
        return attribute.dump();
    }
}

namespace {

bool read_flag(const nlohmann::json& item, const char* name) {
    auto it = item.find(name);
    if (it == item.end() || !it->is_object()) return false;
    if (auto b = it->find("BOOL"); b != it->end() && b->is_boolean()) return b->get<bool>();
    if (auto n = it->find("N"); n != it->end() && n->is_string()) return *n != "0";
    if (auto s = it->find("S"); s != it->end() && s->is_string()) {
        const std::string& t = s->get_ref<const std::string&>();
        return t == "true" || t == "True" || t == "1";
    }
    return false;
}

// Whether the Python tool marked the reduce sent: metadata.reduce_message_sent is BOOL true.
bool python_marked_sent(const nlohmann::json& item) {
    auto it = item.find(kMetadata);
    if (it == item.end() || !it->is_object()) return false;
    auto m = it->find("M");
    if (m == it->end() || !m->is_object()) return false;
    auto flag = m->find(kPythonReduceSent);
    if (flag == m->end() || !flag->is_object()) return false;
    auto b = flag->find("BOOL");
    return b != flag->end() && b->is_boolean() && b->get<bool>();
}

}  // namespace

// The fields every layout shares.
JobStatus base_status(const std::string& jobid, const nlohmann::json& item) {
    JobStatus s;
    s.jobid = jobid;
    s.total = get_int(item, kTotal).value_or(0);
    if (auto it = item.find(kError); it != item.end()) {
        s.failed = true;
        s.reason = render_error(*it);
    }
    if (auto it = item.find(kMetadata); it != item.end() && it->contains("M")) {
        try {
            s.metadata = from_attribute_map((*it)["M"]);
            s.metadata.erase(kPythonReduceSent);  // the reduce mark, read below: not the user's
        } catch (const InvalidInput& e) {
            throw BackendError("job '" + jobid + "' has metadata this library cannot read: " + e.what(),
                               std::string(error_code::kInvalidJobItem), false);
        }
    }
    s.updated_at_ms = get_int(item, kUpdatedAt);
    s.created_at_ms = get_int(item, kCreatedAt);
    for (const AlertState state : kAlertAttributeStates) {
        if (item.contains(alert_attribute(state))) s.alerts_sent.push_back(state);
    }
    s.reduce_repairs = get_int(item, kReduceRepairs).value_or(0);
    // The Python tool marks a reduce it published in the metadata: sent, and as good as confirmed.
    const bool python_sent = python_marked_sent(item);
    s.reduce_sent = read_flag(item, kReduceSent) || python_sent;
    if (s.reduce_sent) {
        s.reduce_confirmed = read_flag(item, kReduceConfirmed) || python_sent;
        s.reduce_claimed_at_ms = get_int(item, kReduceClaimedAt);
    }
    return s;
}

void finish_status(JobStatus& s) {
    s.remaining = std::clamp<std::int64_t>(s.remaining, 0, std::max<std::int64_t>(s.total, s.remaining));
    s.progress = s.total > 0 ? std::clamp(static_cast<double>(s.total - s.remaining) / static_cast<double>(s.total), 0.0, 1.0)
                             : 0.0;
}

void warn(const std::string& message) { std::fprintf(stderr, "watchbot-progress: %s\n", message.c_str()); }

JobAlreadyExists already_exists(const std::string& jobid) { return JobAlreadyExists(jobid); }

// The expiry time for items of a job finished now, when done_ttl is set.
std::optional<std::int64_t> JobTable::expires_at() const {
    if (options.done_ttl.count() <= 0) return std::nullopt;
    return now_ms() / 1000 + static_cast<std::int64_t>(options.done_ttl.count());
}

// Sets the expiry attribute of one item, when done_ttl is set. Best effort: the job is done.
void JobTable::set_expiry(const std::string& id) {
    const auto at = expires_at();
    if (!at) return;
    Expression x;
    UpdateItemRequest request;
    request.key = key_of(id);
    request.update = UpdateExpression().set(x.name(options.ttl_attribute), x.value("exp", number_value(*at))).str();
    request.condition = x.exists(kId);
    x.fill(request);
    try {
        client->update_item(request);
    } catch (const std::exception& e) {
        warn("could not set the expiry of item '" + id + "': " + e.what());
    }
}

// The job item, or nullopt when there is no job (no item, or an item without total).
std::optional<nlohmann::json> JobTable::read_job(const std::string& jobid) {
    std::optional<nlohmann::json> item = client->get_item({key_of(jobid), options.consistent_reads});
    if (!is_job_item(item)) return std::nullopt;
    return item;
}

nlohmann::json JobTable::require_job(const std::string& jobid) {
    auto item = read_job(jobid);
    if (!item) throw JobDoesNotExist(jobid);
    return std::move(*item);
}

// The string attribute `name` of the job's item (a strongly consistent read of that one
// attribute); nullopt when the item or the attribute is missing.
std::optional<std::string> JobTable::read_token(const std::string& jobid, const char* name) {
    Expression x;
    auto item = client->get_item({key_of(jobid), true, x.name(name), x.names()});
    if (!item) return std::nullopt;
    auto it = item->find(name);
    if (it == item->end() || !it->contains("S") || !(*it)["S"].is_string()) return std::nullopt;
    return (*it)["S"].get<std::string>();
}

bool JobTable::create_job(const std::string& jobid, std::int64_t total, nlohmann::json item, const std::string& token) {
    const std::int64_t now = now_ms();
    item[kId] = string_value(jobid);
    item[kTotal] = number_value(total);
    item[kReduceSent] = bool_value(false);
    item[kMetadata] = {{"M", nlohmann::json::object()}};
    item[kUpdatedAt] = number_value(now);
    item[kCreatedAt] = number_value(now);
    item[kCreateToken] = string_value(token);
    Expression x;
    PutItemRequest request;
    request.item = std::move(item);
    request.condition = x.id_is_free();
    x.fill(request);
    return client->put_item(request).applied || created_by(jobid, token);
}

// After a refused conditional creation: whether the job item is the one this set_total wrote
// (an attempt whose answer was lost wrote it, and the AWS layer's retry found it), by the
// random token it carries.
bool JobTable::created_by(const std::string& jobid, const std::string& token) {
    const std::optional<std::string> found = read_token(jobid, kCreateToken);
    return found && *found == token;
}

// What an overwrite resets on either layout, after the layout's own SETs: the reduce flag, the
// times (updatedAt and createdAt: the job is created anew), an empty metadata map where there is none (metadata is kept), the call's createToken;
// the failure, the claim, the expiry, the failed parts, the alert marks and the repair count go.
void JobTable::reset_job(Expression& x, UpdateExpression& update, const std::string& token) const {
    const std::string m = x.name(kMetadata);
    const std::string now = x.value("now", number_value(now_ms()));
    update.set(x.name(kReduceSent), x.value("false", bool_value(false)))
        .set(x.name(kUpdatedAt), now)
        .set(x.name(kCreatedAt), now)
        .set(m, "if_not_exists(" + m + ", " + x.value("empty", {{"M", nlohmann::json::object()}}) + ")")
        .set(x.name(kCreateToken), x.value("createtoken", string_value(token)));
    for (const std::string& attribute : {std::string(kError), std::string(kReduceClaim), std::string(kReduceClaimedAt),
                                         std::string(kReduceConfirmed), options.ttl_attribute, std::string(kFailedParts),
                                         std::string(kFailureRecords), std::string(kReduceRepairs)}) {
        update.remove(x.name(attribute));
    }
    for (const AlertState state : kAlertAttributeStates) update.remove(x.name(alert_attribute(state)));
}

// The job item's identity and layout attributes as they are now (a strongly consistent read),
// or nullopt when there is no item.
std::optional<nlohmann::json> JobTable::read_layout(const std::string& jobid) {
    Expression x;
    std::string projection;
    for (const char* name : {kId, kTotal, kShardOf, kLayout, kShardSize, kShardLevels, kShardGen, kCreateToken}) {
        projection += (projection.empty() ? "" : ", ") + x.name(name);
    }
    return client->get_item({key_of(jobid), true, projection, x.names()});
}

// Whether `item` (read by read_layout) carries `token` as its createToken: the call holding it
// created or overwrote the job.
bool JobTable::created_with(const std::optional<nlohmann::json>& item, const std::string& token) {
    if (!item || !item->is_object()) return false;
    auto found = item->find(kCreateToken);
    if (found == item->end() || !found->is_object()) return false;
    auto text = found->find("S");
    return text != found->end() && text->is_string() && text->get_ref<const std::string&>() == token;
}

// Sends a conditional claim write (claim or reclaim) that sets reduceClaim to `token`, and
// whose condition also accepts `reduceClaim = token` (so that the AWS layer's retry of an
// attempt whose answer was lost recognises the claim it made). Whether the claim is the
// caller's.
bool JobTable::write_claim(const std::string& jobid, const UpdateItemRequest& request, const std::string& token) {
    try {
        return client->update_item(request).applied;
    } catch (const BackendError& e) {
        // Retries ran out (or the error cannot be retried). When no answer was definite — the
        // last attempts' answers lost, cut off, timed out or 5xx — the claim may have been
        // made with this token by an attempt whose answer never came: then it is this
        // caller's, and saying otherwise would leave it held by nobody (no reduce, ever).
        // One strongly consistent read tells. (A definite refusal — validation, access — made
        // no claim; an unreadable 2xx answer, InvalidResponse, may have.)
        if (!e.retryable() && e.code() != error_code::kInvalidResponse) throw;
        std::optional<std::string> holder;
        try {
            holder = read_token(jobid, kReduceClaim);
        } catch (const std::exception& read_error) {
            warn("job " + jobid + ": the reduce claim failed (" + e.code() +
                 ") and reading who holds it failed too (" + read_error.what() +
                 "); if the job never gets its reduce, a delivery after the claim's lease or `watchbot-progress-cpp "
                 "sweep` sends it");
            throw e;
        }
        if (holder && *holder == token) return true;
        throw;
    }
}

}  // namespace watchbot_progress::detail::dynamodb
