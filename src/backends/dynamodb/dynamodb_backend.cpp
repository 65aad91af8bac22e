#include "watchbot_progress/dynamodb_backend.hpp"

#include <algorithm>
#include <chrono>
#include <functional>

#include "aws/url.hpp"
#include "backends/dynamodb/dynamodb_attribute_value.hpp"
#include "backends/dynamodb/dynamodb_compatible_layout.hpp"
#include "backends/dynamodb/dynamodb_config.hpp"
#include "backends/dynamodb/dynamodb_job_table.hpp"
#include "backends/dynamodb/dynamodb_part_failures.hpp"
#include "backends/dynamodb/dynamodb_sharded_layout.hpp"
#include "core/reduce_claim_state.hpp"
#include "watchbot_progress/error_codes.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress {

using namespace detail::dynamodb;  // attribute names, the table, the layouts

namespace {

// An error that concerns one job's items only, so that a listing skips that job: a layout this
// version does not know, damaged layout attributes or metadata it cannot read (InvalidJobItem),
// items the job item refers to that are missing (ConcurrentModification: the job is being
// overwritten or deleted right now, or its items were deleted by hand).
bool unreadable_job(const BackendError& e) {
    return e.code() == error_code::kUnknownLayout || e.code() == error_code::kInvalidJobItem ||
           e.code() == error_code::kConcurrentModification;
}

constexpr std::size_t kMetadataKeysPerUpdate = 40;  // keeps UpdateExpression well under its 4 KB limit
constexpr std::int64_t kMaxShardSize = 4000;

}  // namespace

// The backend's state: the table, the two layouts (dynamodb_job_layout.hpp), and what coordinates
// them: which layout completes a part (a job's layout is known only once its item is read, so the
// layout the job is remembered to have is tried first, else the compatible layout's one request)
// and the claim that follows.
struct DynamoDbBackend::Impl {
    JobTable table;
    ShardedLayout sharded{table};
    CompatibleLayout compatible{table, sharded};
    std::string description;

    // The layout of the job whose item is `item` (a sharded job's tree is remembered).
    JobLayout& layout_of(const std::string& jobid, const nlohmann::json& item) {
        if (sharded.tree_of(jobid, item)) return sharded;
        return compatible;
    }

    // An overwritten job keeps its metadata but not the reduce mark in it (confirm's, or the Python
    // tool's): without this the new job would read as reduced. A separate request, after the
    // layout's reset (the reset sets `metadata` itself, a path that overlaps the mark's); a crash in
    // between happens before create_job publishes anything, and repeating the overwrite clears it.
    void forget_python_reduce_mark(const std::string& jobid) {
        Expression x;
        UpdateItemRequest request;
        request.key = key_of(jobid);
        const std::string m = x.name(kMetadata);
        request.update = UpdateExpression().remove(m + "." + x.name(kPythonReduceSent)).str();
        request.condition = Expression::all_of({x.job_exists(), x.is_map(m)});
        x.fill(request);
        table.client->update_item(request);  // not applied: no metadata map, so no mark
    }

    JobStatus status_from_item(const std::string& jobid, const nlohmann::json& item) {
        JobStatus s = base_status(jobid, item);
        const Pending pending = layout_of(jobid, item).remaining(jobid, item);
        s.remaining = pending.parts;
        // A sharded job's last progress: the newest of its pending items' times and the job item's.
        if (pending.updated_at_ms && (!s.updated_at_ms || *pending.updated_at_ms > *s.updated_at_ms)) {
            s.updated_at_ms = pending.updated_at_ms;
        }
        finish_status(s);
        return s;
    }

    // ---- completion ---------------------------------------------------------------------------
    // Completes a part in the layout its job has (JobLayout::try_complete, else the job item's
    // layout's complete), going round again while the job changes underneath.
    Completion complete(const std::string& jobid, PartId partid) {
        if (partid < 0) {
            throw InvalidInput("part id " + std::to_string(partid) + " is negative: part ids start at 0");
        }
        // A job this process has not met yet is guessed to have the layout this backend writes: a
        // backend that writes compatible jobs tries the compatible write first (one request when
        // right); one that writes sharded jobs reads the job item first, instead of paying a refused
        // write on the job item (billed, and on the job's hottest key) for every process that starts.
        bool try_compatible = table.options.layout != DynamoDbLayout::kSharded;
        for (int attempt = 0; attempt < 4; ++attempt) {
            JobLayout* known = nullptr;
            if (sharded.cached(jobid)) {
                known = &sharded;
            } else if (try_compatible) {
                known = &compatible;
            }
            if (known != nullptr) {
                if (auto done = known->try_complete(jobid, partid)) return *done;
            }
            // Rare path: tell why the write was refused, or which layout the job has.
            const nlohmann::json item = table.require_job(jobid);
            JobLayout& layout = layout_of(jobid, item);
            if (&layout == &compatible) try_compatible = true;  // a compatible job: its write, from now on
            if (auto done = layout.complete(jobid, item, partid)) return *done;
            // The job was created or replaced meanwhile: try again.
        }
        throw BackendError("job '" + jobid + "' kept changing while part " + std::to_string(partid) +
                               " was being completed (replaced concurrently?); try again",
                           std::string(error_code::kConcurrentModification), true);
    }

    // The claim's parts that differ between claim_reduce (and the claim after a completion) and
    // reclaim_reduce: what the request sets besides the mark, and its condition. `token` is the
    // ":token" placeholder; the condition must accept `reduceClaim = :token` (write_claim).
    using ClaimRequest = std::function<void(Expression& x, UpdateExpression& update, std::string& condition, const std::string& token)>;

    // Sends a reduce claim built by `build`, with the Python tool's mark in the same request:
    // metadata.reduce_message_sent = "claimed" (kClaimedReduceMark), so that a worker of the Python
    // tool that finds the job complete sends no reduce of its own while this claim holds, and the
    // mark is there exactly when the claim is (release_reduce removes it with the claim, confirm
    // turns it into BOOL true). SET of a path inside `metadata` is a ValidationException on an item
    // without a metadata map (a job the Python tool created and never gave metadata): the claim is
    // then sent again with a new map holding only the mark, conditional on there being no map (a
    // map written meanwhile is never replaced: that refusal sends the first form again). Whether
    // the claim was won, with `token_value`.
    bool write_marked_claim(const std::string& jobid, const std::string& token_value, const ClaimRequest& build) {
        bool metadata_is_map = true;
        for (int attempt = 0; attempt < 4; ++attempt) {
            Expression x;
            UpdateExpression update;
            std::string condition;
            build(x, update, condition, x.value("token", string_value(token_value)));
            const std::string m = x.name(kMetadata);
            if (metadata_is_map) {
                update.set(m + "." + x.name(kPythonReduceSent), x.value("mark", string_value(kClaimedReduceMark)));
            } else {
                const nlohmann::json map = {{"M", {{kPythonReduceSent, string_value(kClaimedReduceMark)}}}};
                update.set(m, x.value("markmap", map));
                condition = Expression::all_of({condition, Expression::negate(x.is_map(m))});
            }
            UpdateItemRequest request;
            request.key = key_of(jobid);
            request.update = update.str();
            request.condition = condition;
            x.fill(request);
            try {
                if (table.write_claim(jobid, request, token_value)) return true;
            } catch (const BackendError& e) {
                if (e.code() != "ValidationException" || !metadata_is_map) throw;
                metadata_is_map = false;  // no metadata map to write the mark into
                continue;
            }
            // Refused. With the map form: the condition is false, for good. Without: the claim is
            // not free, or a map was written meanwhile; the map form tells which.
            if (metadata_is_map) return false;
            metadata_is_map = true;
        }
        throw BackendError("job '" + jobid + "': its metadata kept appearing and disappearing while its reduce was "
                               "being claimed (changed by hand or by another tool?); try again",
                           std::string(error_code::kConcurrentModification), true);
    }

    // The conditional claim, conditional on the job being complete (Expression::job_complete), in
    // the same request: a job overwritten or never complete is never claimed. `completion` (when the
    // caller just completed a part of a sharded job) adds the generation completed against. The
    // claim's token when won.
    std::optional<ClaimToken> try_claim(const std::string& jobid, const Completion* completion) {
        const std::string token_value = detail::new_claim_token();
        const bool won = write_marked_claim(jobid, token_value, [&](Expression& x, UpdateExpression& update, std::string& condition,
                                                                    const std::string& token) {
            const std::string rs = x.name(kReduceSent);
            update.set(rs, x.value("true", bool_value(true)))
                .set(x.name(kReduceClaim), token)
                .set(x.name(kReduceClaimedAt), x.value("now", number_value(table.now_ms())))
                .remove(x.name(kReduceConfirmed));
            const std::string unclaimed = Expression::all_of(
                {Expression::any_of({x.not_exists(kReduceSent), x.equals(kReduceSent, "false", bool_value(false))}),
                 x.not_marked_sent_by_python()});
            const std::string same_generation = completion != nullptr && !completion->generation.empty()
                                                    ? x.equals(kShardGen, "gen", string_value(completion->generation))
                                                    : std::string();
            condition = Expression::all_of({x.job_exists(), x.not_exists(kError), x.job_complete(),
                                            Expression::any_of({unclaimed, x.compare(kReduceClaim, "=", token)}), same_generation});
        });
        if (won) return token_value;
        return std::nullopt;
    }

    // ---- creation -----------------------------------------------------------------------------
    bool use_sharded(const std::string& jobid, std::int64_t total) const {
        switch (table.options.layout) {
            case DynamoDbLayout::kDefault:  // resolved by the constructors: never here
            case DynamoDbLayout::kSharded: return true;
            case DynamoDbLayout::kCompatible: {
                const std::int64_t max = max_compatible_parts(jobid);
                if (total > max) {
                    throw InvalidInput(
                        "job '" + jobid + "' has " + std::to_string(total) +
                        " parts, too many for the compatible DynamoDB layout: it keeps every pending part id in the "
                        "job's one item, DynamoDB limits an item to 400 KB, and that holds at most " +
                        std::to_string(max) +
                        " parts for this job id; use the sharded layout (the default; DynamoDbOptions::layout kSharded) "
                        "or split the job");
                }
                return false;
            }
            case DynamoDbLayout::kAuto: break;
        }
        return total > table.options.sharded_threshold || total > max_compatible_parts(jobid);
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
                              kReduceConfirmed, kUpdatedAt, kCreatedAt, kFailedParts, kFailureRecords, kLayout, kShardSize, kShardLevels, kShardGen,
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
    options.layout = resolve_layout(options.layout);
    const ResolvedTable table = resolve_table(options.table);
    impl_->table.client =
        std::make_shared<DynamoDbClient>(make_client_config(table, options.aws, "DynamoDbOptions::aws"), table.name);
    impl_->description = make_description(table.display, impl_->table.client->aws().config().endpoint);
    // Never keep secrets longer than needed: the credentials provider has them now.
    options.aws.secret_access_key.clear();
    options.aws.session_token.clear();
    options.table = table.display;
    impl_->table.options = std::move(options);
}

DynamoDbBackend::DynamoDbBackend(DynamoDbOptions options, std::shared_ptr<DynamoDbClient> client)
    : impl_(std::make_unique<Impl>()) {
    check_layout_options(options);
    options.layout = resolve_layout(options.layout);
    if (!client) throw ConfigError("DynamoDbBackend needs a client");
    impl_->table.client = std::move(client);
    impl_->description = make_description(options.table.empty() ? impl_->table.client->table() : options.table,
                                          impl_->table.client->aws().config().endpoint);
    options.aws.secret_access_key.clear();
    options.aws.session_token.clear();
    impl_->table.options = std::move(options);
}

DynamoDbBackend::~DynamoDbBackend() = default;

std::shared_ptr<DynamoDbBackend> DynamoDbBackend::from_env() { return std::make_shared<DynamoDbBackend>(DynamoDbOptions{}); }

const std::string& DynamoDbBackend::table_name() const noexcept { return impl_->table.client->table(); }

DynamoDbLayout DynamoDbBackend::layout() const noexcept { return impl_->table.options.layout; }

std::string DynamoDbBackend::describe() const { return impl_->description; }

BackendStats DynamoDbBackend::stats() const {
    const aws::HttpTraffic t = impl_->table.client->traffic();
    return {t.requests, t.bytes_sent, t.bytes_received};
}

void DynamoDbBackend::do_set_total(const std::string& jobid, std::int64_t total, bool overwrite) {
    JobLayout& layout = impl_->use_sharded(jobid, total) ? static_cast<JobLayout&>(impl_->sharded) : impl_->compatible;
    // An overwrite forgets the job's part failure records: their items go first, the list on the
    // job item with the layout's reset (JobTable::reset_job).
    if (overwrite) delete_part_failures(impl_->table, jobid, recorded_part_failures(impl_->table, jobid));
    layout.set_total(jobid, total, overwrite);
    if (overwrite) impl_->forget_python_reduce_mark(jobid);
}

void DynamoDbBackend::do_check_metadata(const nlohmann::json& metadata) const {
    for (const auto& [key, value] : metadata.items()) {
        if (key.empty()) throw InvalidInput("metadata has an empty key, which DynamoDB cannot store: name every key");
        if (key == kPythonReduceSent) {
            throw InvalidInput("metadata key 'reduce_message_sent' is reserved: it marks a job's reduce as sent (the "
                               "Python tool's mark, which this library writes too); rename the key");
        }
    }
    // The whole map, as it is stored (the `metadata` attribute is the first of the 32 levels):
    // InvalidInput for what DynamoDB cannot store.
    (void)to_attribute_value(metadata);
}

void DynamoDbBackend::do_set_metadata(const std::string& jobid, const nlohmann::json& metadata) {
    if (metadata.empty()) {
        impl_->table.require_job(jobid);
        return;
    }
    std::vector<std::pair<std::string, nlohmann::json>> entries;
    for (const auto& [key, value] : metadata.items()) entries.emplace_back(key, to_attribute_value(value));

    for (std::size_t begin = 0; begin < entries.size(); begin += kMetadataKeysPerUpdate) {
        const std::size_t end = std::min(entries.size(), begin + kMetadataKeysPerUpdate);
        Expression x;
        UpdateItemRequest request;
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
                if (!impl_->table.client->update_item(request).applied) throw JobDoesNotExist(jobid);
                break;
            } catch (const BackendError& e) {
                // SET metadata.k on an item without a metadata map is a ValidationException:
                // create the map (only where there is none), then write the keys again.
                if (e.code() != "ValidationException" || attempt > 0) throw;
                Expression y;
                const std::string ym = y.name(kMetadata);
                UpdateItemRequest create;
                create.key = key_of(jobid);
                create.update = UpdateExpression().set(ym, y.value("empty", {{"M", nlohmann::json::object()}})).str();
                create.condition =
                    Expression::all_of({y.job_exists(), Expression::any_of({y.not_exists(kMetadata), Expression::negate(y.is_map(ym))})});
                y.fill(create);
                if (!impl_->table.client->update_item(create).applied) {
                    auto item = impl_->table.read_job(jobid);
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
    const Completion completion = impl_->complete(jobid, partid);
    CompletionResult result;
    result.job_complete = completion.complete;
    if (completion.complete) result.reduce_claim = impl_->try_claim(jobid, &completion);
    return result;
}

std::optional<ClaimToken> DynamoDbBackend::do_claim_reduce(const std::string& jobid) {
    if (auto token = impl_->try_claim(jobid, nullptr)) return token;
    impl_->table.require_job(jobid);  // JobDoesNotExist, else: claimed already or failed
    return std::nullopt;
}

// Releasing also removes metadata.reduce_message_sent, in the same request: a confirmed claim wrote
// it (do_confirm_reduce), and the released job must read as not reduced to the Python tool too. A
// job item without a metadata map has no mark; REMOVE of a path inside it is a ValidationException,
// so that item is released without it.
void DynamoDbBackend::do_release_reduce(const std::string& jobid, const ClaimToken& token) {
    for (const bool metadata_is_map : {true, false}) {
        Expression x;
        UpdateItemRequest request;
        request.key = key_of(jobid);
        UpdateExpression update;
        update.set(x.name(kReduceSent), x.value("false", bool_value(false)))
            .remove(x.name(kReduceClaim))
            .remove(x.name(kReduceClaimedAt))
            .remove(x.name(kReduceConfirmed));
        if (metadata_is_map) update.remove(x.name(kMetadata) + "." + x.name(kPythonReduceSent));
        request.update = update.str();
        request.condition = Expression::all_of({x.job_exists(), x.equals(kReduceClaim, "token", string_value(token))});
        x.fill(request);
        try {
            // Refused: no job (JobDoesNotExist), or the token does not hold the claim (nothing to do;
            // also what the retry of an attempt whose answer was lost finds).
            if (!impl_->table.client->update_item(request).applied) impl_->table.require_job(jobid);
            return;
        } catch (const BackendError& e) {
            if (e.code() != "ValidationException" || !metadata_is_map) throw;
        }
    }
}

// Confirming also writes metadata.reduce_message_sent = true, in the same request: the mark the
// Python tool's Part reads before it sends a reduce, so that its workers' late deliveries of this job
// send no second one. A job item without a metadata map (the Python tool writes none until
// set_metadata) gets a map holding only the mark.
bool DynamoDbBackend::do_confirm_reduce(const std::string& jobid, const ClaimToken& token) {
    for (const bool metadata_is_map : {true, false}) {
        Expression x;
        UpdateItemRequest request;
        request.key = key_of(jobid);
        UpdateExpression update;
        update.set(x.name(kReduceConfirmed), x.value("true", bool_value(true)));
        const std::string m = x.name(kMetadata);
        if (metadata_is_map) {
            update.set(m + "." + x.name(kPythonReduceSent), x.value("true", bool_value(true)));
        } else {
            const nlohmann::json mark = {{"M", {{kPythonReduceSent, bool_value(true)}}}};
            update.set(m, "if_not_exists(" + m + ", " + x.value("mark", mark) + ")");
        }
        if (const auto at = impl_->table.expires_at()) update.set(x.name(impl_->table.options.ttl_attribute), x.value("exp", number_value(*at)));
        request.update = update.str();
        request.condition = Expression::all_of({x.job_exists(), x.equals(kReduceSent, "true", bool_value(true)),
                                                x.equals(kReduceClaim, "token", string_value(token))});
        x.fill(request);
        try {
            if (impl_->table.client->update_item(request).applied) return true;
            break;
        } catch (const BackendError& e) {
            // SET metadata.k on an item whose metadata is missing or not a map: ValidationException.
            if (e.code() != "ValidationException" || !metadata_is_map) throw;
        }
    }
    impl_->table.require_job(jobid);  // JobDoesNotExist, else: the token does not hold the claim
    return false;
}

std::optional<ClaimToken> DynamoDbBackend::do_reclaim_reduce(const std::string& jobid, std::chrono::milliseconds lease) {
    const std::int64_t now = impl_->table.now_ms();
    const std::string token_value = detail::new_claim_token();
    const bool won = impl_->write_marked_claim(jobid, token_value, [&](Expression& x, UpdateExpression& update,
                                                                       std::string& condition, const std::string& token) {
        update.set(x.name(kReduceClaim), token).set(x.name(kReduceClaimedAt), x.value("now", number_value(now)));
        const std::string cutoff = x.value("cutoff", number_value(now - static_cast<std::int64_t>(lease.count())));
        const std::string lease_passed =
            Expression::all_of({x.equals(kReduceSent, "true", bool_value(true)), x.not_exists(kReduceConfirmed),
                                x.not_marked_sent_by_python(), x.compare(kReduceClaimedAt, "<=", cutoff)});
        condition = Expression::all_of({x.job_exists(), x.not_exists(kError), x.job_complete(),
                                        Expression::any_of({lease_passed, x.compare(kReduceClaim, "=", token)})});
    });
    if (won) return token_value;
    impl_->table.require_job(jobid);  // JobDoesNotExist, else: not eligible
    return std::nullopt;
}

std::optional<std::string> DynamoDbBackend::do_failure_reason(const std::string& jobid) {
    Expression x;
    const std::string projection = x.name(kTotal) + ", " + x.name(kShardOf) + ", " + x.name(kError);
    const auto item = impl_->table.client->get_item({key_of(jobid), impl_->table.options.consistent_reads, projection, x.names()});
    if (!is_job_item(item)) throw JobDoesNotExist(jobid);
    const auto error = item->find(kError);
    if (error == item->end()) return std::nullopt;
    return render_error(*error);
}

ReduceClaimState DynamoDbBackend::do_reduce_claim_state(const std::string& jobid) {
    // The job item alone, either layout: status() of a sharded job would read every shard.
    Expression x;
    const std::string projection = x.name(kTotal) + ", " + x.name(kShardOf) + ", " + x.name(kError) + ", " +
                                   x.name(kReduceSent) + ", " + x.name(kReduceConfirmed) + ", " +
                                   x.name(kReduceClaimedAt) + ", " + x.name(kReduceClaim) + ", " +
                                   x.name(kMetadata) + "." + x.name(kPythonReduceSent);
    const auto item = impl_->table.client->get_item({key_of(jobid), impl_->table.options.consistent_reads, projection, x.names()});
    if (!is_job_item(item)) throw JobDoesNotExist(jobid);
    return detail::reduce_claim_state_of(base_status(jobid, *item));
}

std::int64_t DynamoDbBackend::do_record_failed_part(const std::string& jobid, PartId partid) {
    if (partid < 0) throw InvalidInput("part id " + std::to_string(partid) + " is negative: part ids start at 0");
    Expression x;
    UpdateItemRequest request;
    request.key = key_of(jobid);
    request.update = UpdateExpression()
                         .add(x.name(kFailedParts), x.value("p", number_set({partid})))
                         .set(x.name(kUpdatedAt), x.value("now", number_value(impl_->table.now_ms())))
                         .str();
    request.condition = Expression::all_of({x.job_exists(), x.compare(kTotal, ">", x.value("n", number_value(partid)))});
    x.fill(request);
    request.return_values = ReturnValues::kUpdatedNew;
    const auto result = impl_->table.client->update_item(request);
    if (!result.applied) {
        const nlohmann::json item = impl_->table.require_job(jobid);  // JobDoesNotExist
        validate_partid(jobid, partid, get_int(item, kTotal).value_or(0));  // InvalidInput
        throw BackendError("job '" + jobid + "' changed while part " + std::to_string(partid) +
                               " was recorded as failed; try again",
                           std::string(error_code::kConcurrentModification), true);
    }
    return static_cast<std::int64_t>(set_size(result.attributes, kFailedParts));
}

std::vector<PartId> DynamoDbBackend::do_list_failed_parts(const std::string& jobid) {
    std::vector<PartId> parts = get_number_set(impl_->table.require_job(jobid), kFailedParts);
    std::sort(parts.begin(), parts.end());
    return parts;
}

bool DynamoDbBackend::do_record_part_failure(const std::string& jobid, const PartFailure& failure) {
    return detail::dynamodb::record_part_failure(impl_->table, jobid, failure);
}

std::vector<PartFailure> DynamoDbBackend::do_list_part_failures(const std::string& jobid) {
    return detail::dynamodb::list_part_failures(impl_->table, jobid);
}

void DynamoDbBackend::do_fail_job(const std::string& jobid, const std::string& reason) {
    Expression x;
    UpdateItemRequest request;
    request.key = key_of(jobid);
    UpdateExpression update;
    update.set(x.name(kError), x.value("reason", string_value(reason)))
        .set(x.name(kUpdatedAt), x.value("now", number_value(impl_->table.now_ms())));
    if (const auto at = impl_->table.expires_at()) update.set(x.name(impl_->table.options.ttl_attribute), x.value("exp", number_value(*at)));
    request.update = update.str();
    request.condition = x.job_exists();
    x.fill(request);
    if (!impl_->table.client->update_item(request).applied) throw JobDoesNotExist(jobid);
}

JobStatus DynamoDbBackend::do_status(const std::string& jobid) {
    return impl_->status_from_item(jobid, impl_->table.require_job(jobid));
}

bool DynamoDbBackend::do_part_complete(const std::string& jobid, PartId partid) {
    const nlohmann::json item = impl_->table.require_job(jobid);
    return impl_->layout_of(jobid, item).part_complete(jobid, item, partid);
}

std::optional<std::string> DynamoDbBackend::do_check_part(const std::string& jobid, PartId partid) {
    return do_check_part_facts(jobid, partid).failure;
}

JobFacts DynamoDbBackend::do_check_part_facts(const std::string& jobid, PartId partid) {
    Expression x;
    std::string projection;
    for (const char* name : {kTotal, kShardOf, kError, kLayout, kShardSize, kShardLevels, kShardGen}) {
        projection += (projection.empty() ? "" : ", ") + x.name(name);
    }
    const auto item = impl_->table.client->get_item({key_of(jobid), impl_->table.options.consistent_reads, projection, x.names()});
    if (!is_job_item(item)) throw JobDoesNotExist(jobid);
    JobFacts facts;
    facts.total = *get_int(*item, kTotal);
    if (impl_->sharded.tree_of(jobid, *item)) {  // remembered: the completion reads nothing
        validate_partid(jobid, partid, facts.total);
        // What assume_job_facts needs to remember the same tree in another process.
        facts.layout = nlohmann::json::object();
        for (const char* name : {kTotal, kLayout, kShardSize, kShardLevels, kShardGen}) {
            if (const auto it = item->find(name); it != item->end()) facts.layout[name] = *it;
        }
    } else if (partid >= facts.total) {
        do_part_complete(jobid, partid);  // a Node-tool job's part `total`: its `parts` tell (rare)
    }
    if (const auto error = item->find(kError); error != item->end()) facts.failure = render_error(*error);
    return facts;
}

void DynamoDbBackend::do_assume_job_facts(const std::string& jobid, const JobFacts& facts) {
    // Only a sharded job's tree is worth remembering (a compatible job's completion is one
    // conditional write of the job item whatever is known). Facts that do not describe a tree of
    // this version are ignored: the completion then reads the job item, as without them.
    if (!facts.layout.is_object() || !facts.layout.contains(kLayout)) return;
    try {
        impl_->sharded.tree_of(jobid, facts.layout);
    } catch (const std::exception&) {  // damaged facts (BackendError InvalidJobItem, a JSON type error)
        impl_->sharded.forget(jobid);
    }
}

std::vector<PartId> DynamoDbBackend::do_list_pending_parts(const std::string& jobid) {
    const nlohmann::json item = impl_->table.require_job(jobid);
    return impl_->layout_of(jobid, item).pending_parts(jobid, item);
}

void DynamoDbBackend::do_list_jobs(const std::function<void(const JobStatus&)>& visit) {
    Expression x;
    ScanRequest request;
    request.filter = x.job_exists();
    x.fill(request);
    request.limit = impl_->table.options.scan_page_limit;
    request.consistent_read = impl_->table.options.consistent_reads;
    nlohmann::json start = nullptr;
    do {
        ScanPage page = impl_->table.client->scan_page(request, start);
        for (const auto& item : page.items) {
            if (!is_job_item(item)) continue;
            // An item without a string id is not a job of ours (never a crash: `item` is const).
            const auto id = item.find(kId);
            if (id == item.end() || !id->is_object()) continue;
            const auto text = id->find("S");
            if (text == id->end() || !text->is_string()) continue;
            const std::string jobid = text->get<std::string>();
            // One bad job must not hide the others (from sweep, ls, serve): a job this library cannot
            // read is skipped and reported, and the walk goes on. Errors of the table itself
            // (throttling, connections, access) end it.
            std::optional<JobStatus> status;
            try {
                status = impl_->status_from_item(jobid, item);
            } catch (const BackendError& e) {
                if (!unreadable_job(e)) throw;
                warn("listing the jobs of " + impl_->description + ": skipped job '" + jobid + "': " + e.what());
            }
            if (status) visit(*status);
        }
        start = std::move(page.last_evaluated_key);
    } while (!start.is_null());
}

bool DynamoDbBackend::do_delete_job(const std::string& jobid) {
    delete_part_failures(impl_->table, jobid, recorded_part_failures(impl_->table, jobid));
    return impl_->sharded.delete_job(jobid);
}

// The mark is the job item's attribute alert<State> (alert_attribute), set to a random token by a
// conditional UpdateItem: on the job item (job_exists), where the attribute is missing or already
// holds this call's token (the AWS layer's retry of an attempt whose answer was lost). The same in
// both layouts: the job item is the same. An overwrite removes the attributes (reset_job).
bool DynamoDbBackend::do_claim_alert(const std::string& jobid, AlertState state) {
    const std::string attribute = alert_attribute(state);
    const std::string token = detail::new_claim_token();
    Expression x;
    UpdateItemRequest request;
    request.key = key_of(jobid);
    request.update = UpdateExpression().set(x.name(attribute), x.value("token", string_value(token))).str();
    request.condition = Expression::all_of(
        {x.job_exists(), Expression::any_of({x.not_exists(attribute), x.equals(attribute, "token", string_value(token))})});
    x.fill(request);
    bool applied = false;
    try {
        applied = impl_->table.client->update_item(request).applied;
    } catch (const BackendError& e) {
        // As write_claim: when no answer was definite the mark may be this call's; one read tells.
        if (!e.retryable() && e.code() != error_code::kInvalidResponse) throw;
        bool mine = false;
        try {
            const std::optional<std::string> holder = impl_->table.read_token(jobid, attribute.c_str());
            mine = holder && *holder == token;
        } catch (const std::exception&) {
            mine = false;
        }
        if (!mine) throw;
        return true;
    }
    if (applied) return true;
    impl_->table.require_job(jobid);  // JobDoesNotExist, else the mark is taken
    return false;
}

void DynamoDbBackend::do_release_alert(const std::string& jobid, AlertState state) {
    Expression x;
    UpdateItemRequest request;
    request.key = key_of(jobid);
    request.update = UpdateExpression().remove(x.name(alert_attribute(state))).str();
    request.condition = x.job_exists();
    x.fill(request);
    (void)impl_->table.client->update_item(request);  // refused: no job, nothing to release
}

// An ADD on the job item (either layout), conditional on the job: one write, only after a repair.
void DynamoDbBackend::do_record_reduce_repair(const std::string& jobid) {
    Expression x;
    UpdateItemRequest request;
    request.key = key_of(jobid);
    request.update = UpdateExpression().add(x.name(kReduceRepairs), x.value("one", number_value(1))).str();
    request.condition = x.job_exists();
    x.fill(request);
    if (!impl_->table.client->update_item(request).applied) throw JobDoesNotExist(jobid);
}

}  // namespace watchbot_progress
