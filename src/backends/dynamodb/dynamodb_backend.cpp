#include "watchbot_progress/dynamodb_backend.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <random>
#include <set>
#include <unordered_map>

#include "backends/dynamodb/dynamodb_attribute_value.hpp"
#include "backends/dynamodb/dynamodb_client.hpp"
#include "aws/url.hpp"
#include "backends/dynamodb/dynamodb_config.hpp"
#include "backends/dynamodb/dynamodb_expression.hpp"
#include "backends/dynamodb/dynamodb_layout.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress {

using namespace dynamodb;  // attribute names, ShardTree
using aws::BatchWrite;
using aws::ReturnValues;
using aws::WriteResult;

namespace {

constexpr std::size_t kMetadataKeysPerUpdate = 40;   // keeps UpdateExpression well under its 4 KB limit
constexpr std::size_t kCreateWritesPerRound = 1000;  // items generated at once when writing a sharded job
constexpr std::size_t kMaxCachedLayouts = 4096;
constexpr std::int64_t kMaxShardSize = 4000;

nlohmann::json key_of(const std::string& id) { return {{kId, aws::string_value(id)}}; }

std::string random_hex(std::size_t bytes) {
    thread_local std::mt19937_64 rng = [] {
        std::random_device rd;
        std::seed_seq seq{rd(), rd(), rd(), rd()};
        return std::mt19937_64(seq);
    }();
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    while (out.size() < bytes * 2) {
        std::uint64_t r = rng();
        for (int i = 0; i < 16 && out.size() < bytes * 2; ++i, r >>= 4) out.push_back(kHex[r & 0xF]);
    }
    return out;
}

bool has(const nlohmann::json& item, const char* name) { return item.is_object() && item.contains(name); }

bool set_contains(const nlohmann::json& item, const char* name, std::int64_t value) {
    const auto numbers = aws::get_number_set(item, name);
    return std::find(numbers.begin(), numbers.end(), value) != numbers.end();
}

bool is_job_item(const std::optional<nlohmann::json>& item) {
    return item && has(*item, kTotal) && !has(*item, kShardOf) && aws::get_int(*item, kTotal).has_value();
}

bool is_sharded(const std::string& jobid, const nlohmann::json& item) {
    auto it = item.find(kLayout);
    if (it == item.end()) return false;
    if (it->contains("S") && (*it)["S"] == kShardedLayout) return true;
    throw BackendError("job '" + jobid + "' has a layout this version of the library does not know (" + it->dump() +
                           "): upgrade watchbot-progress",
                       "UnknownLayout", false);
}

std::string render_error(const nlohmann::json& attribute) {
    if (attribute.contains("S") && attribute["S"].is_string()) return attribute["S"].get<std::string>();
    if (attribute.contains("N") && attribute["N"].is_string()) return attribute["N"].get<std::string>();
    try {
        const nlohmann::json value = aws::from_attribute_value(attribute);
        return value.is_string() ? value.get<std::string>() : value.dump();
    } catch (const InvalidInput&) {
        return attribute.dump();
    }
}

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

// The fields every layout shares.
JobStatus base_status(const std::string& jobid, const nlohmann::json& item) {
    JobStatus s;
    s.jobid = jobid;
    s.total = aws::get_int(item, kTotal).value_or(0);
    if (auto it = item.find(kError); it != item.end()) {
        s.failed = true;
        s.reason = render_error(*it);
    }
    if (auto it = item.find(kMetadata); it != item.end() && it->contains("M")) {
        try {
            s.metadata = aws::from_attribute_map((*it)["M"]);
        } catch (const InvalidInput& e) {
            throw BackendError("job '" + jobid + "' has metadata this library cannot read: " + e.what(),
                               "InvalidJobItem", false);
        }
    }
    s.updated_at_ms = aws::get_int(item, kUpdatedAt);
    // The Python tool marks a reduce it published in the metadata: sent, and as good as confirmed.
    const bool python_sent = python_marked_sent(item);
    s.reduce_sent = read_flag(item, kReduceSent) || python_sent;
    if (s.reduce_sent) {
        s.reduce_confirmed = read_flag(item, kReduceConfirmed) || python_sent;
        s.reduce_claimed_at_ms = aws::get_int(item, kReduceClaimedAt);
    }
    return s;
}

void finish_status(JobStatus& s) {
    s.remaining = std::clamp<std::int64_t>(s.remaining, 0, std::max<std::int64_t>(s.total, s.remaining));
    s.progress = s.total > 0 ? std::clamp(static_cast<double>(s.total - s.remaining) / static_cast<double>(s.total), 0.0, 1.0)
                             : 0.0;
}

void warn(const std::string& message) { std::fprintf(stderr, "watchbot-progress: %s\n", message.c_str()); }

std::string already_exists(const std::string& jobid) {
    return "job '" + jobid + "' already exists: choose another job id, or overwrite it on purpose";
}

}  // namespace

struct DynamoDbBackend::Impl {
    DynamoDbOptions options;
    std::shared_ptr<aws::DynamoDbClient> client;
    std::string description;

    // The client's clock (DynamoDbOptions::clock), in ms since the Unix epoch: claim times are
    // compared with it (reclaim_reduce).
    std::int64_t now_ms() const { return read_clock(options.clock); }

    std::mutex cache_mutex;
    std::unordered_map<std::string, ShardTree> sharded_cache;  // jobid -> tree, for sharded jobs only
    std::mutex touch_mutex;
    std::unordered_map<std::string, std::chrono::steady_clock::time_point> last_touch;  // sharded jobs

    // ---- updatedAt and expiry -----------------------------------------------------------------
    // The expiry time for items of a job finished now, when done_ttl is set.
    std::optional<std::int64_t> expires_at() const {
        if (options.done_ttl.count() <= 0) return std::nullopt;
        return now_ms() / 1000 + static_cast<std::int64_t>(options.done_ttl.count());
    }
    // Sets the expiry attribute of one item, when done_ttl is set. Best effort: the job is done.
    void set_expiry(const std::string& id) {
        const auto at = expires_at();
        if (!at) return;
        Expression x;
        aws::UpdateItemRequest request;
        request.key = key_of(id);
        request.update = UpdateExpression().set(x.name(options.ttl_attribute), x.value("exp", aws::number_value(*at))).str();
        request.condition = x.exists(kId);
        x.fill(request);
        try {
            client->update_item(request);
        } catch (const std::exception& e) {
            warn("could not set the expiry of item '" + id + "': " + e.what());
        }
    }
    // Sharded jobs: refreshes the job item's updatedAt at most every touch_interval per process.
    void touch_sharded(const std::string& jobid, const ShardTree& tree) {
        const auto now = std::chrono::steady_clock::now();
        {
            std::lock_guard lock(touch_mutex);
            auto [it, inserted] = last_touch.try_emplace(jobid, now);
            if (!inserted) {
                if (now - it->second < options.touch_interval) return;
                it->second = now;
            }
            if (last_touch.size() > kMaxCachedLayouts) last_touch.clear();
        }
        Expression x;
        aws::UpdateItemRequest request;
        request.key = key_of(jobid);
        request.update = UpdateExpression().set(x.name(kUpdatedAt), x.value("now", aws::number_value(now_ms()))).str();
        request.condition = x.exists(kTotal) + " AND " + x.equals(kShardGen, "gen", aws::string_value(tree.gen));
        x.fill(request);
        try {
            client->update_item(request);
        } catch (const std::exception& e) {
            warn("could not record the progress time of job '" + jobid + "': " + e.what());
        }
    }

    // ---- layout cache -------------------------------------------------------------------------
    std::optional<ShardTree> cached(const std::string& jobid) {
        std::lock_guard lock(cache_mutex);
        auto it = sharded_cache.find(jobid);
        if (it == sharded_cache.end()) return std::nullopt;
        return it->second;
    }
    void remember(const std::string& jobid, const ShardTree& tree) {
        std::lock_guard lock(cache_mutex);
        if (sharded_cache.size() >= kMaxCachedLayouts) sharded_cache.clear();
        sharded_cache.insert_or_assign(jobid, tree);
    }
    void forget(const std::string& jobid) {
        std::lock_guard lock(cache_mutex);
        sharded_cache.erase(jobid);
    }

    // ---- reads --------------------------------------------------------------------------------
    // The job item, or nullopt when there is no job (no item, or an item without total).
    std::optional<nlohmann::json> read_job(const std::string& jobid) {
        std::optional<nlohmann::json> item = client->get_item({key_of(jobid), options.consistent_reads});
        if (!is_job_item(item)) return std::nullopt;
        return item;
    }
    nlohmann::json require_job(const std::string& jobid) {
        auto item = read_job(jobid);
        if (!item) throw JobDoesNotExist(jobid);
        return std::move(*item);
    }
    std::optional<ShardTree> tree_of(const std::string& jobid, const nlohmann::json& item) {
        if (!is_sharded(jobid, item)) {
            forget(jobid);
            return std::nullopt;
        }
        ShardTree tree = tree_from_job_item(jobid, item);
        remember(jobid, tree);
        return tree;
    }

    // An item of the job's current generation is missing: the job is being overwritten or deleted
    // right now (its items go first), or they were deleted by hand.
    static BackendError missing_items(const std::string& jobid) {
        return BackendError("items of sharded job '" + jobid +
                                "' are missing although the job item refers to them: the job is being overwritten or "
                                "deleted right now (try again in a moment), or its items were deleted by hand (then "
                                "delete the job and create it again)",
                            "ConcurrentModification", true);
    }

    // Visits the pending shard items (level 0) of a sharded job, walking down from the job item.
    // Throws missing_items when an item the level above lists is not there.
    void visit_pending_shards(const std::string& jobid, const ShardTree& tree, const nlohmann::json& job_item,
                              const std::function<void(const nlohmann::json&)>& visit) {
        std::vector<std::int64_t> current = aws::get_number_set(job_item, kPendingShards);
        for (int level = tree.levels() - 1; level >= 0; --level) {
            if (current.empty()) return;
            std::vector<nlohmann::json> keys;
            keys.reserve(current.size());
            std::sort(current.begin(), current.end());
            current.erase(std::unique(current.begin(), current.end()), current.end());
            for (std::int64_t index : current) keys.push_back(key_of(tree.item_id(jobid, level, index)));
            Expression x;
            const std::string projection = x.name(kId) + ", " + x.name(level == 0 ? kParts : kPendingShards);
            std::vector<nlohmann::json> items = client->batch_get(keys, projection, x.names(), options.consistent_reads);
            if (items.size() < keys.size()) throw missing_items(jobid);
            if (level == 0) {
                for (const auto& item : items) visit(item);
                return;
            }
            std::vector<std::int64_t> next;
            for (const auto& item : items) {
                for (std::int64_t child : aws::get_number_set(item, kPendingShards)) next.push_back(child);
            }
            current = std::move(next);
        }
    }

    JobStatus status_from_item(const std::string& jobid, const nlohmann::json& item) {
        JobStatus s = base_status(jobid, item);
        if (auto tree = tree_of(jobid, item)) {
            std::int64_t remaining = 0;
            visit_pending_shards(jobid, *tree, item, [&](const nlohmann::json& shard) {
                remaining += static_cast<std::int64_t>(aws::set_size(shard, kParts));
            });
            s.remaining = remaining;
        } else {
            s.remaining = static_cast<std::int64_t>(aws::set_size(item, kParts));
        }
        finish_status(s);
        return s;
    }

    // The string attribute `name` of the job's item (a strongly consistent read of that one
    // attribute); nullopt when the item or the attribute is missing.
    std::optional<std::string> read_token(const std::string& jobid, const char* name) {
        Expression x;
        auto item = client->get_item({key_of(jobid), true, x.name(name), x.names()});
        if (!item) return std::nullopt;
        auto it = item->find(name);
        if (it == item->end() || !it->contains("S") || !(*it)["S"].is_string()) return std::nullopt;
        return (*it)["S"].get<std::string>();
    }

    // ---- completion ---------------------------------------------------------------------------
    enum class Layout { kCompatible, kSharded };
    struct Completion {
        bool complete = false;
        Layout layout = Layout::kCompatible;
        std::string gen;  // sharded: the generation completed against
    };

    // One DELETE of `child` from the set `attribute` of item `id`; nullopt when the item is gone
    // (condition failed), else whether the set is now empty.
    std::optional<bool> delete_from_set(const std::string& id, const char* attribute, std::int64_t child,
                                        const std::string& extra_condition_attr = "", const std::string& gen = "") {
        Expression x;
        aws::UpdateItemRequest request;
        request.key = key_of(id);
        request.update = UpdateExpression().delete_from_set(x.name(attribute), x.value("c", aws::number_set({child}))).str();
        request.condition = x.exists(kId);
        if (!extra_condition_attr.empty()) {
            request.condition += " AND " + x.equals(extra_condition_attr, "gen", aws::string_value(gen));
        }
        x.fill(request);
        request.return_values = ReturnValues::kAllNew;  // unambiguous: the set as it is now
        WriteResult result = client->update_item(request);
        if (!result.applied) return std::nullopt;
        return aws::set_size(result.attributes, attribute) == 0;
    }

    // Completes `partid` in a sharded job; nullopt when an item of `tree` is gone (the job was
    // deleted or replaced: the caller reads the job item again).
    std::optional<bool> complete_sharded(const std::string& jobid, const ShardTree& tree, PartId partid) {
        validate_partid(jobid, partid, tree.total);
        std::int64_t child = partid;
        std::int64_t index = partid / tree.shard_size;
        touch_sharded(jobid, tree);
        for (int level = 0; level < tree.levels(); ++level) {
            const std::string id = tree.item_id(jobid, level, index);
            auto empty = delete_from_set(id, level == 0 ? kParts : kPendingShards, child);
            if (!empty) return std::nullopt;
            if (!*empty) return false;
            set_expiry(id);  // an empty shard or index item is finished
            child = index;
            index = index / tree.shard_size;
        }
        // The top level's item `child` is empty: take it out of the job item's pending set.
        return delete_from_set(jobid, kPendingShards, child, kShardGen, tree.gen);
    }

    Completion complete(const std::string& jobid, PartId partid) {
        if (partid < 0) {
            throw InvalidInput("part id " + std::to_string(partid) + " is negative: part ids start at 0");
        }
        for (int attempt = 0; attempt < 4; ++attempt) {
            auto tree = cached(jobid);
            if (tree && partid < tree->total) {
                if (auto done = complete_sharded(jobid, *tree, partid)) return {*done, Layout::kSharded, tree->gen};
                forget(jobid);
            } else if (!tree) {
                // The compatible layout first: one request for the jobs most are.
                Expression x;
                aws::UpdateItemRequest request;
                request.key = key_of(jobid);
                request.update = UpdateExpression()
                                     .set(x.name(kUpdatedAt), x.value("now", aws::number_value(now_ms())))
                                     .delete_from_set(x.name(kParts), x.value("p", aws::number_set({partid})))
                                     .str();
                const std::string n = x.value("n", aws::number_value(partid));
                request.condition = x.job_exists() + " AND " + x.not_exists(kLayout) + " AND (" + x.name(kTotal) + " > " +
                                    n + " OR contains(" + x.name(kParts) + ", " + n + "))";
                x.fill(request);
                request.return_values = ReturnValues::kAllNew;
                WriteResult result = client->update_item(request);
                if (result.applied) return {aws::set_size(result.attributes, kParts) == 0, Layout::kCompatible, ""};
            }
            // Rare path: tell why the write was refused.
            const nlohmann::json item = require_job(jobid);
            if (auto tree = tree_of(jobid, item)) {
                if (auto done = complete_sharded(jobid, *tree, partid)) return {*done, Layout::kSharded, tree->gen};
                auto again = read_job(jobid);
                if (!again) throw JobDoesNotExist(jobid);
                if (is_sharded(jobid, *again) && tree_from_job_item(jobid, *again).gen == tree->gen) {
                    throw missing_items(jobid);
                }
                continue;  // replaced meanwhile: start again
            }
            const std::int64_t total = *aws::get_int(item, kTotal);
            if (partid >= total) {
                // A job of the Node tool numbers its parts 1 .. total. Its last part, once done, is
                // a no-op duplicate rather than an error; part 0 pending means 0-based.
                if (partid == total && !set_contains(item, kParts, 0) && !set_contains(item, kParts, partid)) {
                    return {aws::set_size(item, kParts) == 0, Layout::kCompatible, ""};
                }
                validate_partid(jobid, partid, total);
            }
            // The job was created or replaced between the write and the read: try again.
        }
        throw BackendError("job '" + jobid + "' kept changing while part " + std::to_string(partid) +
                               " was being completed (replaced concurrently?); try again",
                           "ConcurrentModification", true);
    }

    // The conditional claim; `completion` (when the caller just completed a part) adds the
    // layout's "no part pending" test. The claim's token when won.
    std::optional<ClaimToken> try_claim(const std::string& jobid, const Completion* completion) {
        Expression x;
        aws::UpdateItemRequest request;
        request.key = key_of(jobid);
        const std::string token_value = random_hex(16);
        const std::string token = x.value("token", aws::string_value(token_value));
        const std::string rs = x.name(kReduceSent);
        request.update = UpdateExpression()
                             .set(rs, x.value("true", aws::bool_value(true)))
                             .set(x.name(kReduceClaim), token)
                             .set(x.name(kReduceClaimedAt), x.value("now", aws::number_value(now_ms())))
                             .remove(x.name(kReduceConfirmed))
                             .str();
        request.condition = x.job_exists() + " AND " + x.not_exists(kError) + " AND (((" + x.not_exists(kReduceSent) +
                            " OR " + rs + " = " + x.value("false", aws::bool_value(false)) + ") AND " +
                            x.not_marked_sent_by_python() + ") OR " + x.name(kReduceClaim) + " = " + token + ")";
        if (completion != nullptr) {
            if (completion->layout == Layout::kCompatible) {
                request.condition += " AND " + x.not_exists(kParts) + " AND " + x.not_exists(kLayout);
            } else {
                request.condition += " AND " + x.not_exists(kPendingShards) + " AND " +
                                     x.equals(kShardGen, "gen", aws::string_value(completion->gen));
            }
        }
        x.fill(request);
        if (write_claim(jobid, request, token_value)) return token_value;
        return std::nullopt;
    }

    // Sends a conditional claim write (claim or reclaim) that sets reduceClaim to `token`, and
    // whose condition also accepts `reduceClaim = token` (so that the AWS layer's retry of an
    // attempt whose answer was lost recognises the claim it made). Whether the claim is the
    // caller's.
    bool write_claim(const std::string& jobid, const aws::UpdateItemRequest& request, const std::string& token) {
        try {
            return client->update_item(request).applied;
        } catch (const BackendError& e) {
            // Retries ran out (or the error cannot be retried). When no answer was definite — the
            // last attempts' answers lost, cut off, timed out or 5xx — the claim may have been
            // made with this token by an attempt whose answer never came: then it is this
            // caller's, and saying otherwise would leave it held by nobody (no reduce, ever).
            // One strongly consistent read tells. (A definite refusal — validation, access — made
            // no claim; an unreadable 2xx answer, InvalidResponse, may have.)
            if (!e.retryable() && e.code() != "InvalidResponse") throw;
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

    // ---- creation -----------------------------------------------------------------------------
    bool use_sharded(const std::string& jobid, std::int64_t total) const {
        switch (options.layout) {
            case DynamoDbLayout::kSharded: return true;
            case DynamoDbLayout::kCompatible: {
                const std::int64_t max = max_compatible_parts(jobid);
                if (total > max) {
                    throw InvalidInput(
                        "job '" + jobid + "' has " + std::to_string(total) +
                        " parts, too many for the compatible DynamoDB layout: it keeps every pending part id in the "
                        "job's one item, DynamoDB limits an item to 400 KB, and that holds at most " +
                        std::to_string(max) +
                        " parts for this job id; use the sharded layout (DynamoDbOptions::layout kAuto or kSharded) "
                        "or split the job");
                }
                return false;
            }
            case DynamoDbLayout::kAuto: break;
        }
        return total > options.sharded_threshold || total > max_compatible_parts(jobid);
    }

    // After a refused conditional creation: whether the job item is the one this set_total wrote
    // (an attempt whose answer was lost wrote it, and the AWS layer's retry found it), by the
    // random token it carries.
    bool created_by(const std::string& jobid, const std::string& token) {
        const std::optional<std::string> found = read_token(jobid, kCreateToken);
        return found && *found == token;
    }

    // What an overwrite resets on either layout, after the layout's own SETs: the reduce flag, the
    // time, an empty metadata map where there is none (metadata is kept), the call's createToken;
    // the failure, the claim, the expiry and the failed parts go.
    void reset_job(Expression& x, UpdateExpression& update, const std::string& token) const {
        const std::string m = x.name(kMetadata);
        update.set(x.name(kReduceSent), x.value("false", aws::bool_value(false)))
            .set(x.name(kUpdatedAt), x.value("now", aws::number_value(now_ms())))
            .set(m, "if_not_exists(" + m + ", " + x.value("empty", {{"M", nlohmann::json::object()}}) + ")")
            .set(x.name(kCreateToken), x.value("createtoken", aws::string_value(token)));
        for (const std::string& attribute : {std::string(kError), std::string(kReduceClaim), std::string(kReduceClaimedAt),
                                             std::string(kReduceConfirmed), options.ttl_attribute, std::string(kFailedParts)}) {
            update.remove(x.name(attribute));
        }
    }

    void set_total_compatible(const std::string& jobid, std::int64_t total, bool overwrite) {
        const std::string token = random_hex(16);
        if (!overwrite) {
            Expression x;
            aws::PutItemRequest request;
            request.item = {
                {kId, aws::string_value(jobid)},
                {kParts, aws::number_set_range(0, total)},
                {kTotal, aws::number_value(total)},
                {kReduceSent, aws::bool_value(false)},
                {kMetadata, {{"M", nlohmann::json::object()}}},
                {kUpdatedAt, aws::number_value(now_ms())},
                {kCreateToken, aws::string_value(token)},
            };
            request.condition = x.id_is_free();
            x.fill(request);
            if (!client->put_item(request).applied && !created_by(jobid, token)) throw InvalidInput(already_exists(jobid));
            forget(jobid);
            return;
        }
        Expression x;
        UpdateExpression update;
        update.set(x.name(kParts), x.value("parts", aws::number_set_range(0, total)))
            .set(x.name(kTotal), x.value("total", aws::number_value(total)));
        reset_job(x, update, token);
        for (const char* sharded_only : {kLayout, kShardSize, kShardLevels, kShardGen, kPendingShards}) {
            update.remove(x.name(sharded_only));
        }
        replace_job(jobid, x, update.str(), token);
        forget(jobid);
    }

    // The job item's identity and layout attributes as they are now (a strongly consistent read),
    // or nullopt when there is no item.
    std::optional<nlohmann::json> read_layout(const std::string& jobid) {
        Expression x;
        std::string projection;
        for (const char* name : {kId, kTotal, kShardOf, kLayout, kShardSize, kShardLevels, kShardGen, kCreateToken}) {
            projection += (projection.empty() ? "" : ", ") + x.name(name);
        }
        return client->get_item({key_of(jobid), true, projection, x.names()});
    }

    // Whether `item` (read by read_layout) carries `token` as its createToken: the call holding it
    // created or overwrote the job.
    static bool created_with(const std::optional<nlohmann::json>& item, const std::string& token) {
        if (!item || !item->is_object()) return false;
        auto found = item->find(kCreateToken);
        if (found == item->end() || !found->is_object()) return false;
        auto text = found->find("S");
        return text != found->end() && text->is_string() && text->get_ref<const std::string&>() == token;
    }

    // What replace_job and delete_job find in the job item read by read_layout.
    struct OldTree {
        std::optional<ShardTree> tree;  // a sharded job's tree
        bool unreadable = false;        // a sharded job item whose layout attributes are damaged
        // The condition that the job item is still as seen.
        std::string unchanged(Expression& x) const {
            if (tree) return x.name(kShardGen) + " = " + x.value("oldgen", aws::string_value(tree->gen));
            return unreadable ? x.exists(kLayout) : x.not_exists(kLayout);
        }
    };
    OldTree old_tree(const std::string& jobid, const std::optional<nlohmann::json>& item) {
        if (!is_job_item(item) || !has(*item, kLayout) || !is_sharded(jobid, *item)) return {};
        try {
            return {tree_from_job_item(jobid, *item), false};
        } catch (const BackendError& e) {
            if (e.code() != "InvalidJobItem") throw;
            warn("job " + jobid + ": its item's layout attributes are damaged, so its shard items cannot be found "
                 "and stay behind (unreachable; they only take space)");
            return {std::nullopt, true};
        }
    }

    // Overwrite: applies `update` (which sets createToken to `token`) to the job item, replacing
    // whatever job is there. A sharded job's items are deleted first, and the update is
    // conditional on the generation (or the compatible layout) just seen: so no item of a replaced
    // generation exists once the job item stops referring to it, and a process that still holds
    // the old tree in its cache has its completions refused (the item is gone) and reads the job
    // item again, instead of completing parts of a generation nobody reads. When the condition
    // fails, the job item is read again: our own token means the answer of an earlier attempt was
    // lost after it was applied (done); anything else means the job changed meanwhile (start
    // again with what is there now). Never deletes the items the job item refers to afterwards.
    void replace_job(const std::string& jobid, const Expression& base, const std::string& update, const std::string& token) {
        for (int attempt = 0; attempt < 5; ++attempt) {
            const std::optional<nlohmann::json> item = read_layout(jobid);
            if (item && has(*item, kShardOf)) throw InvalidInput(already_exists(jobid));  // a shard item's id
            if (attempt > 0 && created_with(item, token)) return;  // our switch; its answer was lost
            const OldTree old = old_tree(jobid, item);
            if (old.tree) delete_replaced_items(jobid, *old.tree);
            Expression x = base;
            aws::UpdateItemRequest request;
            request.key = key_of(jobid);
            request.update = update;
            request.condition = x.not_exists(kShardOf) + " AND " + old.unchanged(x);
            x.fill(request);
            try {
                if (client->update_item(request).applied) return;
            } catch (const BackendError& e) {
                // No definite answer (every attempt's answer lost, cut off, timed out or 5xx): the
                // switch may have been applied. One read tells; if it fails too, the error stands.
                if (!e.retryable() && e.code() != "InvalidResponse") throw;
                if (created_with(read_layout(jobid), token)) return;
                throw;
            }
        }
        throw BackendError("job '" + jobid + "' kept changing while it was being overwritten (replaced or deleted "
                           "concurrently?); try again",
                           "ConcurrentModification", true);
    }

    // Deletes the items of a generation about to be replaced or deleted. Throws BackendError when
    // that fails: the job item still refers to the generation, part of whose items may be gone.
    void delete_replaced_items(const std::string& jobid, const ShardTree& old) {
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

    // Writes the items of `tree` (every part pending), kCreateWritesPerRound at a time.
    void write_tree(const std::string& jobid, const ShardTree& tree) {
        std::vector<BatchWrite> writes;
        for (int level = 0; level < tree.levels(); ++level) {
            for (std::int64_t i = 0; i < tree.counts[static_cast<std::size_t>(level)]; ++i) {
                writes.push_back(BatchWrite::put(tree.make_item(jobid, level, i)));
                if (writes.size() >= kCreateWritesPerRound) {
                    client->batch_write(writes, options.write_parallelism);
                    writes.clear();
                }
            }
        }
        client->batch_write(writes, options.write_parallelism);
    }

    void delete_tree(const std::string& jobid, const ShardTree& tree) {
        std::vector<BatchWrite> writes;
        for (int level = 0; level < tree.levels(); ++level) {
            for (std::int64_t i = 0; i < tree.counts[static_cast<std::size_t>(level)]; ++i) {
                writes.push_back(BatchWrite::remove(key_of(tree.item_id(jobid, level, i))));
                if (writes.size() >= kCreateWritesPerRound) {
                    client->batch_write(writes, options.write_parallelism);
                    writes.clear();
                }
            }
        }
        client->batch_write(writes, options.write_parallelism);
    }

    void delete_tree_quietly(const std::string& jobid, const ShardTree& tree, const char* what) noexcept {
        try {
            delete_tree(jobid, tree);
        } catch (const std::exception& e) {
            warn("job " + jobid + ": could not delete the " + std::to_string(tree.item_count()) + " shard items of " +
                 what + " (they are unreachable and only take space): " + e.what());
        }
    }

    void set_total_sharded(const std::string& jobid, std::int64_t total, bool overwrite) {
        if (!overwrite) {
            Expression x;
            auto existing = client->get_item({key_of(jobid), true, x.name(kTotal) + ", " + x.name(kShardOf), x.names()});
            if (existing && (has(*existing, kTotal) || has(*existing, kShardOf))) throw InvalidInput(already_exists(jobid));
        }
        const ShardTree tree = ShardTree::plan(total, options.shard_size, random_hex(8));
        write_tree(jobid, tree);  // first: the job item below makes them reachable

        Expression x;
        const nlohmann::json pending = aws::number_set_range(0, tree.counts.back());
        const std::string token = random_hex(16);
        if (!overwrite) {
            aws::PutItemRequest request;
            request.item = {
                {kId, aws::string_value(jobid)},
                {kTotal, aws::number_value(total)},
                {kLayout, aws::string_value(kShardedLayout)},
                {kShardSize, aws::number_value(tree.shard_size)},
                {kShardLevels, aws::number_value(tree.levels())},
                {kShardGen, aws::string_value(tree.gen)},
                {kPendingShards, pending},
                {kParts, aws::number_set({kShardedPartsSentinel})},
                {kReduceSent, aws::bool_value(false)},
                {kMetadata, {{"M", nlohmann::json::object()}}},
                {kUpdatedAt, aws::number_value(now_ms())},
                {kCreateToken, aws::string_value(token)},
            };
            request.condition = x.id_is_free();
            x.fill(request);
            // Refused: another job of that id, unless this very write was made by an attempt whose
            // answer was lost (then deleting "its" tree would damage the job just created).
            if (!client->put_item(request).applied && !created_by(jobid, token)) {
                delete_tree_quietly(jobid, tree, "a job that lost a creation race");
                throw InvalidInput(already_exists(jobid));
            }
            remember(jobid, tree);
            return;
        }
        UpdateExpression update;
        update.set(x.name(kTotal), x.value("total", aws::number_value(total)))
            .set(x.name(kLayout), x.value("layout", aws::string_value(kShardedLayout)))
            .set(x.name(kShardSize), x.value("size", aws::number_value(tree.shard_size)))
            .set(x.name(kShardLevels), x.value("levels", aws::number_value(tree.levels())))
            .set(x.name(kShardGen), x.value("gen", aws::string_value(tree.gen)))
            .set(x.name(kPendingShards), x.value("pending", pending))
            .set(x.name(kParts), x.value("sentinel", aws::number_set({kShardedPartsSentinel})));
        reset_job(x, update, token);
        try {
            replace_job(jobid, x, update.str(), token);
        } catch (...) {
            // The new items are deleted only when the job item certainly does not refer to them
            // (unreachable items only take space; deleting a tree in use would damage the job).
            bool unused = false;
            try {
                unused = !created_with(read_layout(jobid), token);
            } catch (const std::exception&) {
            }
            if (unused) delete_tree_quietly(jobid, tree, "a job that could not be written");
            throw;
        }
        remember(jobid, tree);
    }

    // delete_job: the job's items first (see replace_job: a cached tree must never find them
    // after the job item is gone), then the job item, conditional on the generation just seen.
    // When that condition fails, the job item is read again: gone means deleted (by an attempt of
    // ours whose answer was lost, or concurrently), anything else starts again.
    bool delete_job(const std::string& jobid) {
        for (int attempt = 0; attempt < 5; ++attempt) {
            const std::optional<nlohmann::json> item = read_layout(jobid);
            if (!is_job_item(item)) return attempt > 0;  // no job: none at the first look, or deleted since
            const OldTree old = old_tree(jobid, item);
            if (old.tree) delete_replaced_items(jobid, *old.tree);
            Expression x;
            aws::DeleteItemRequest request;
            request.key = key_of(jobid);
            request.condition = x.job_exists() + " AND " + old.unchanged(x);
            x.fill(request);
            bool applied = false;
            try {
                applied = client->delete_item(request).applied;
            } catch (const BackendError& e) {
                // No definite answer: the deletion may have been applied. One read tells.
                if (!e.retryable() && e.code() != "InvalidResponse") throw;
                forget(jobid);
                if (!is_job_item(read_layout(jobid))) return true;
                throw;
            }
            forget(jobid);
            if (applied) return true;
        }
        throw BackendError("job '" + jobid + "' kept changing while it was being deleted (replaced concurrently?); try "
                           "again",
                           "ConcurrentModification", true);
    }
};

// ---------------------------------------------------------------------------------------------

namespace {

void check_layout_options(const DynamoDbOptions& options) {
    if (options.shard_size < 2 || options.shard_size > kMaxShardSize) {
        throw InvalidInput("DynamoDbOptions::shard_size must be between 2 and " + std::to_string(kMaxShardSize) +
                           ", not " + std::to_string(options.shard_size));
    }
    if (options.sharded_threshold < 0) {
        throw InvalidInput("DynamoDbOptions::sharded_threshold must not be negative");
    }
    if (options.scan_page_limit < 0) throw InvalidInput("DynamoDbOptions::scan_page_limit must not be negative");
    if (options.done_ttl.count() < 0) throw InvalidInput("DynamoDbOptions::done_ttl must not be negative");
    for (const char* taken : {kId, kParts, kTotal, kError, kMetadata, kReduceSent, kReduceClaim, kReduceClaimedAt,
                              kReduceConfirmed, kUpdatedAt, kFailedParts, kLayout, kShardSize, kShardLevels, kShardGen,
                              kPendingShards, kShardOf}) {
        if (options.ttl_attribute == taken) {
            throw InvalidInput("DynamoDbOptions::ttl_attribute '" + options.ttl_attribute +
                               "' is an attribute the backend uses for something else: choose another name");
        }
    }
    if (options.ttl_attribute.empty()) throw InvalidInput("DynamoDbOptions::ttl_attribute must not be empty");
}

std::string make_description(const std::string& table, const std::string& endpoint) {
    return "dynamodb:" + table + " at " + aws::redact_url(endpoint);
}

}  // namespace

DynamoDbBackend::DynamoDbBackend(DynamoDbOptions options) : impl_(std::make_unique<Impl>()) {
    check_layout_options(options);
    const ResolvedTable table = resolve_table(options.table);
    ClientSettings settings;
    settings.region = options.region;
    settings.endpoint = options.endpoint;
    settings.access_key_id = options.access_key_id;
    settings.secret_access_key = options.secret_access_key;
    settings.session_token = options.session_token;
    settings.max_attempts = options.max_attempts;
    settings.connect_timeout = options.connect_timeout;
    settings.request_timeout = options.request_timeout;
    impl_->client = std::make_shared<aws::DynamoDbClient>(make_client_config(table, settings), table.name);
    impl_->description = make_description(table.display, impl_->client->aws().config().endpoint);
    // Never keep secrets longer than needed: the credentials provider has them now.
    options.secret_access_key.clear();
    options.session_token.clear();
    options.table = table.display;
    impl_->options = std::move(options);
}

DynamoDbBackend::DynamoDbBackend(DynamoDbOptions options, std::shared_ptr<aws::DynamoDbClient> client)
    : impl_(std::make_unique<Impl>()) {
    check_layout_options(options);
    if (!client) throw ConfigError("DynamoDbBackend needs a client");
    impl_->client = std::move(client);
    impl_->description = make_description(options.table.empty() ? impl_->client->table() : options.table,
                                          impl_->client->aws().config().endpoint);
    options.secret_access_key.clear();
    options.session_token.clear();
    impl_->options = std::move(options);
}

DynamoDbBackend::~DynamoDbBackend() = default;

std::shared_ptr<DynamoDbBackend> DynamoDbBackend::from_env() { return std::make_shared<DynamoDbBackend>(DynamoDbOptions{}); }

const std::string& DynamoDbBackend::table_name() const noexcept { return impl_->client->table(); }

std::string DynamoDbBackend::describe() const { return impl_->description; }

BackendStats DynamoDbBackend::stats() const {
    const aws::DynamoDbTraffic t = impl_->client->traffic();
    return {t.requests, t.bytes_sent, t.bytes_received};
}

void DynamoDbBackend::do_set_total(const std::string& jobid, std::int64_t total, bool overwrite) {
    if (impl_->use_sharded(jobid, total)) {
        impl_->set_total_sharded(jobid, total, overwrite);
    } else {
        impl_->set_total_compatible(jobid, total, overwrite);
    }
}

void DynamoDbBackend::do_check_metadata(const nlohmann::json& metadata) const {
    for (const auto& [key, value] : metadata.items()) {
        if (key.empty()) throw InvalidInput("metadata has an empty key, which DynamoDB cannot store: name every key");
    }
    // The whole map, as it is stored (the `metadata` attribute is the first of the 32 levels):
    // InvalidInput for what DynamoDB cannot store.
    (void)aws::to_attribute_value(metadata);
}

void DynamoDbBackend::do_set_metadata(const std::string& jobid, const nlohmann::json& metadata) {
    if (metadata.empty()) {
        impl_->require_job(jobid);
        return;
    }
    std::vector<std::pair<std::string, nlohmann::json>> entries;
    for (const auto& [key, value] : metadata.items()) entries.emplace_back(key, aws::to_attribute_value(value));

    for (std::size_t begin = 0; begin < entries.size(); begin += kMetadataKeysPerUpdate) {
        const std::size_t end = std::min(entries.size(), begin + kMetadataKeysPerUpdate);
        Expression x;
        aws::UpdateItemRequest request;
        request.key = key_of(jobid);
        const std::string m = x.name(kMetadata);
        UpdateExpression update;
        for (std::size_t i = begin; i < end; ++i) {
            const std::string n = std::to_string(i - begin);
            update.set(m + "." + x.name_as("k" + n, entries[i].first), x.value("v" + n, entries[i].second));
        }
        request.update = update.str();
        request.condition = x.job_exists();
        x.fill(request);
        for (int attempt = 0;; ++attempt) {
            try {
                if (!impl_->client->update_item(request).applied) throw JobDoesNotExist(jobid);
                break;
            } catch (const BackendError& e) {
                // SET metadata.k on an item without a metadata map is a ValidationException:
                // create the map (only where there is none), then write the keys again.
                if (e.code() != "ValidationException" || attempt > 0) throw;
                Expression y;
                const std::string ym = y.name(kMetadata);
                aws::UpdateItemRequest create;
                create.key = key_of(jobid);
                create.update = UpdateExpression().set(ym, y.value("empty", {{"M", nlohmann::json::object()}})).str();
                create.condition = y.job_exists() + " AND (" + y.not_exists(kMetadata) + " OR NOT attribute_type(" + ym +
                                   ", " + y.value("map", aws::string_value("M")) + "))";
                y.fill(create);
                if (!impl_->client->update_item(create).applied) {
                    auto item = impl_->read_job(jobid);
                    if (!item) throw JobDoesNotExist(jobid);
                    auto it = item->find(kMetadata);
                    if (it == item->end() || !it->contains("M")) throw;  // not the missing map: the original error
                }
            }
        }
    }
}

bool DynamoDbBackend::do_complete_part(const std::string& jobid, PartId partid) {
    return impl_->complete(jobid, partid).complete;
}

CompletionResult DynamoDbBackend::do_complete_part_and_claim_reduce(const std::string& jobid, PartId partid) {
    const Impl::Completion completion = impl_->complete(jobid, partid);
    CompletionResult result;
    result.job_complete = completion.complete;
    if (completion.complete) result.reduce_claim = impl_->try_claim(jobid, &completion);
    return result;
}

std::optional<ClaimToken> DynamoDbBackend::do_claim_reduce(const std::string& jobid) {
    if (auto token = impl_->try_claim(jobid, nullptr)) return token;
    impl_->require_job(jobid);  // JobDoesNotExist, else: claimed already or failed
    return std::nullopt;
}

void DynamoDbBackend::do_release_reduce(const std::string& jobid, const ClaimToken& token) {
    Expression x;
    aws::UpdateItemRequest request;
    request.key = key_of(jobid);
    request.update = UpdateExpression()
                         .set(x.name(kReduceSent), x.value("false", aws::bool_value(false)))
                         .remove(x.name(kReduceClaim))
                         .remove(x.name(kReduceClaimedAt))
                         .remove(x.name(kReduceConfirmed))
                         .str();
    request.condition = x.job_exists() + " AND " + x.equals(kReduceClaim, "token", aws::string_value(token));
    x.fill(request);
    // Refused: no job (JobDoesNotExist), or the token does not hold the claim (nothing to do; also
    // what the retry of an attempt whose answer was lost finds).
    if (!impl_->client->update_item(request).applied) impl_->require_job(jobid);
}

bool DynamoDbBackend::do_confirm_reduce(const std::string& jobid, const ClaimToken& token) {
    Expression x;
    aws::UpdateItemRequest request;
    request.key = key_of(jobid);
    UpdateExpression update;
    update.set(x.name(kReduceConfirmed), x.value("true", aws::bool_value(true)));
    if (const auto at = impl_->expires_at()) update.set(x.name(impl_->options.ttl_attribute), x.value("exp", aws::number_value(*at)));
    request.update = update.str();
    request.condition = x.job_exists() + " AND " + x.equals(kReduceSent, "true", aws::bool_value(true)) + " AND " +
                        x.equals(kReduceClaim, "token", aws::string_value(token));
    x.fill(request);
    if (impl_->client->update_item(request).applied) return true;
    impl_->require_job(jobid);  // JobDoesNotExist, else: the token does not hold the claim
    return false;
}

std::optional<ClaimToken> DynamoDbBackend::do_reclaim_reduce(const std::string& jobid, std::chrono::milliseconds lease) {
    Expression x;
    aws::UpdateItemRequest request;
    request.key = key_of(jobid);
    const std::int64_t now = impl_->now_ms();
    const std::string token_value = random_hex(16);
    const std::string token = x.value("token", aws::string_value(token_value));
    request.update = UpdateExpression()
                         .set(x.name(kReduceClaim), token)
                         .set(x.name(kReduceClaimedAt), x.value("now", aws::number_value(now)))
                         .str();
    // Complete on either layout: no pending part ids (compatible) / no pending shard (sharded).
    const std::string complete = "((" + x.not_exists(kParts) + " AND " + x.not_exists(kLayout) + ") OR (" +
                                 x.exists(kLayout) + " AND " + x.not_exists(kPendingShards) + "))";
    request.condition = x.job_exists() + " AND ((" + x.not_exists(kError) + " AND " +
                        x.equals(kReduceSent, "true", aws::bool_value(true)) + " AND " + x.not_exists(kReduceConfirmed) +
                        " AND " + x.not_marked_sent_by_python() + " AND " + x.name(kReduceClaimedAt) + " <= " +
                        x.value("cutoff", aws::number_value(now - static_cast<std::int64_t>(lease.count()))) + " AND " +
                        complete + ") OR " + x.name(kReduceClaim) + " = " + token + ")";
    x.fill(request);
    if (impl_->write_claim(jobid, request, token_value)) return token_value;
    impl_->require_job(jobid);  // JobDoesNotExist, else: not eligible
    return std::nullopt;
}

std::optional<std::string> DynamoDbBackend::do_failure_reason(const std::string& jobid) {
    Expression x;
    const std::string projection = x.name(kTotal) + ", " + x.name(kShardOf) + ", " + x.name(kError);
    const auto item = impl_->client->get_item({key_of(jobid), impl_->options.consistent_reads, projection, x.names()});
    if (!is_job_item(item)) throw JobDoesNotExist(jobid);
    const auto error = item->find(kError);
    if (error == item->end()) return std::nullopt;
    return render_error(*error);
}

std::int64_t DynamoDbBackend::do_record_failed_part(const std::string& jobid, PartId partid) {
    if (partid < 0) throw InvalidInput("part id " + std::to_string(partid) + " is negative: part ids start at 0");
    Expression x;
    aws::UpdateItemRequest request;
    request.key = key_of(jobid);
    request.update = UpdateExpression()
                         .add(x.name(kFailedParts), x.value("p", aws::number_set({partid})))
                         .set(x.name(kUpdatedAt), x.value("now", aws::number_value(impl_->now_ms())))
                         .str();
    request.condition = x.job_exists() + " AND " + x.name(kTotal) + " > " + x.value("n", aws::number_value(partid));
    x.fill(request);
    request.return_values = ReturnValues::kUpdatedNew;
    const auto result = impl_->client->update_item(request);
    if (!result.applied) {
        const nlohmann::json item = impl_->require_job(jobid);  // JobDoesNotExist
        validate_partid(jobid, partid, aws::get_int(item, kTotal).value_or(0));  // InvalidInput
        throw BackendError("job '" + jobid + "' changed while part " + std::to_string(partid) +
                               " was recorded as failed; try again",
                           "ConcurrentModification", true);
    }
    return static_cast<std::int64_t>(aws::set_size(result.attributes, kFailedParts));
}

std::vector<PartId> DynamoDbBackend::do_list_failed_parts(const std::string& jobid) {
    std::vector<PartId> parts = aws::get_number_set(impl_->require_job(jobid), kFailedParts);
    std::sort(parts.begin(), parts.end());
    return parts;
}

void DynamoDbBackend::do_fail_job(const std::string& jobid, const std::string& reason) {
    Expression x;
    aws::UpdateItemRequest request;
    request.key = key_of(jobid);
    UpdateExpression update;
    update.set(x.name(kError), x.value("reason", aws::string_value(reason)))
        .set(x.name(kUpdatedAt), x.value("now", aws::number_value(impl_->now_ms())));
    if (const auto at = impl_->expires_at()) update.set(x.name(impl_->options.ttl_attribute), x.value("exp", aws::number_value(*at)));
    request.update = update.str();
    request.condition = x.job_exists();
    x.fill(request);
    if (!impl_->client->update_item(request).applied) throw JobDoesNotExist(jobid);
}

JobStatus DynamoDbBackend::do_status(const std::string& jobid) {
    return impl_->status_from_item(jobid, impl_->require_job(jobid));
}

bool DynamoDbBackend::do_part_complete(const std::string& jobid, PartId partid) {
    const nlohmann::json item = impl_->require_job(jobid);
    const std::int64_t total = *aws::get_int(item, kTotal);
    if (auto tree = impl_->tree_of(jobid, item)) {
        validate_partid(jobid, partid, total);
        Expression x;
        auto shard = impl_->client->get_item({key_of(tree->item_id(jobid, 0, partid / tree->shard_size)),
                                              impl_->options.consistent_reads, x.name(kParts), x.names()});
        if (!shard) {
            throw BackendError("the shard item of part " + std::to_string(partid) + " of job '" + jobid +
                                   "' is missing: the job was damaged or is being replaced; try again, or delete and "
                                   "recreate the job",
                               "InvalidJobItem", false);
        }
        return !set_contains(*shard, kParts, partid);
    }
    if (partid >= 0 && partid == total && !set_contains(item, kParts, 0)) {
        return !set_contains(item, kParts, partid);  // the last part of a Node-tool job (parts 1 .. total)
    }
    validate_partid(jobid, partid, total);
    return !set_contains(item, kParts, partid);
}

std::vector<PartId> DynamoDbBackend::do_list_pending_parts(const std::string& jobid) {
    const nlohmann::json item = impl_->require_job(jobid);
    std::vector<PartId> parts;
    if (auto tree = impl_->tree_of(jobid, item)) {
        impl_->visit_pending_shards(jobid, *tree, item, [&](const nlohmann::json& shard) {
            for (std::int64_t p : aws::get_number_set(shard, kParts)) parts.push_back(p);
        });
    } else {
        parts = aws::get_number_set(item, kParts);
    }
    std::sort(parts.begin(), parts.end());
    parts.erase(std::unique(parts.begin(), parts.end()), parts.end());
    return parts;
}

void DynamoDbBackend::do_list_jobs(const std::function<void(const JobStatus&)>& visit) {
    Expression x;
    aws::ScanRequest request;
    request.filter = x.job_exists();
    x.fill(request);
    request.limit = impl_->options.scan_page_limit;
    request.consistent_read = impl_->options.consistent_reads;
    nlohmann::json start = nullptr;
    do {
        aws::ScanPage page = impl_->client->scan_page(request, start);
        for (const auto& item : page.items) {
            if (!is_job_item(item)) continue;
            // An item without a string id is not a job of ours (never a crash: `item` is const).
            const auto id = item.find(kId);
            if (id == item.end() || !id->is_object()) continue;
            const auto text = id->find("S");
            if (text == id->end() || !text->is_string()) continue;
            visit(impl_->status_from_item(text->get<std::string>(), item));
        }
        start = std::move(page.last_evaluated_key);
    } while (!start.is_null());
}

bool DynamoDbBackend::do_delete_job(const std::string& jobid) {
    return impl_->delete_job(jobid);
}

}  // namespace watchbot_progress
