#pragma once
// Private to the DynamoDB backend: the progress table as both layouts use it. The job item (id,
// total, error, metadata, the reduce claim, the tokens) has the same attributes in either layout;
// what differs, where the pending part ids live, is each layout's (dynamodb_job_layout.hpp). Item
// helpers are pure; JobTable's methods are thread-safe (the client is).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "backends/dynamodb/dynamodb_client.hpp"
#include "core/claim_token.hpp"
#include "core/secure_random.hpp"
#include "backends/dynamodb/dynamodb_expression.hpp"
#include "backends/dynamodb/dynamodb_attribute_names.hpp"
#include "watchbot_progress/backend.hpp"
#include "watchbot_progress/dynamodb_options.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress::detail::dynamodb {

// ---- items -----------------------------------------------------------------------------------

// The key of the item with this id.
nlohmann::json key_of(const std::string& id);
// Whether the item has the attribute.
bool has(const nlohmann::json& item, const char* name);
// Whether the number set attribute `name` of the item holds `value`.
bool set_contains(const nlohmann::json& item, const char* name, std::int64_t value);
// Whether `item` is a job item: there, with a numeric total, not a shard or index item.
bool is_job_item(const std::optional<nlohmann::json>& item);
// Whether the job item is in the sharded layout; BackendError ("UnknownLayout") for a layout this
// version does not know.
bool is_sharded(const std::string& jobid, const nlohmann::json& item);
// The failure reason as stored (S, or N from the Python tool, or anything else as its JSON).
std::string render_error(const nlohmann::json& attribute);
// The status fields every layout shares (all but remaining and progress).
JobStatus base_status(const std::string& jobid, const nlohmann::json& item);
// Clamps remaining to 0 .. total and computes progress.
void finish_status(JobStatus& s);
// One line on stderr: what a best-effort step could not do.
void warn(const std::string& message);
// The error for a job that exists already (set_total without overwrite).
JobAlreadyExists already_exists(const std::string& jobid);

// ---- the table ---------------------------------------------------------------------------------

// The job items of one table, as both layouts read and write them. Fields are set once, when the
// backend is made.
struct JobTable {
    DynamoDbOptions options;
    std::shared_ptr<DynamoDbClient> client;

    // The client's clock (DynamoDbOptions::clock), in ms since the Unix epoch: claim times are
    // compared with it (reclaim_reduce).
    std::int64_t now_ms() const { return read_clock(options.clock); }

    // The expiry time for items of a job finished now, when done_ttl is set.
    std::optional<std::int64_t> expires_at() const;
    // Sets the expiry attribute of one item, when done_ttl is set. Best effort: the job is done.
    void set_expiry(const std::string& id);
    // The job item, or nullopt when there is no job (no item, or an item without total).
    std::optional<nlohmann::json> read_job(const std::string& jobid);
    nlohmann::json require_job(const std::string& jobid);
    // The string attribute `name` of the job's item (a strongly consistent read of that one
    // attribute); nullopt when the item or the attribute is missing.
    std::optional<std::string> read_token(const std::string& jobid, const char* name);
    // Creates the job item `item` (a layout's attributes; the attributes every new job item has
    // are added here: id, total, reduceSent false, an empty metadata map, updatedAt, createdAt
    // and createToken `token`), conditional on the id being free (Expression::id_is_free).
    // Whether the item is this call's: written now, or by an attempt of it whose answer was lost
    // (created_by); false when another job or a shard item holds the id.
    bool create_job(const std::string& jobid, std::int64_t total, nlohmann::json item, const std::string& token);
    // After a refused conditional creation: whether the job item is the one this set_total wrote
    // (an attempt whose answer was lost wrote it, and the AWS layer's retry found it), by the
    // random token it carries.
    bool created_by(const std::string& jobid, const std::string& token);
    // What an overwrite resets on either layout, after the layout's own SETs: the reduce flag, the
    // time, an empty metadata map where there is none (metadata is kept), the call's createToken;
    // the failure, the claim, the expiry and the failed parts go.
    void reset_job(Expression& x, UpdateExpression& update, const std::string& token) const;
    // The job item's identity and layout attributes as they are now (a strongly consistent read),
    // or nullopt when there is no item.
    std::optional<nlohmann::json> read_layout(const std::string& jobid);
    // Whether `item` (read by read_layout) carries `token` as its createToken: the call holding it
    // created or overwrote the job.
    static bool created_with(const std::optional<nlohmann::json>& item, const std::string& token);
    // Sends a conditional claim write (claim or reclaim) that sets reduceClaim to `token`, and
    // whose condition also accepts `reduceClaim = token` (so that the AWS layer's retry of an
    // attempt whose answer was lost recognises the claim it made). Whether the claim is the
    // caller's.
    bool write_claim(const std::string& jobid, const UpdateItemRequest& request, const std::string& token);
};

}  // namespace watchbot_progress::detail::dynamodb
