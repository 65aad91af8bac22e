#pragma once
// DynamoDB backend: the default backend of watchbot jobs (table from the `ProgressTable` env var).
//
// Two layouts live side by side in one table (hash key `id`, type S); docs/dynamodb-layouts.md
// describes both with their costs. Every method reads jobs of either layout; only the creation of a
// job (set_total, create_job) chooses one, by DynamoDbOptions::layout:
//
// Sharded layout (the default, every job size; written only by this library): the job item keeps
// id, total, metadata, error and reduceSent, plus layout "sharded", shardSize, shardLevels, shardGen
// and pendingShards; the pending part ids live in shard items of at most shardSize parts, under a
// tree of index items, so a completion writes one small item (under 1 KB: one write unit) whatever
// the job's size. Its `parts` attribute is a map holding a note where those tools expect a number
// set, so that the Python and Node tools' writes fail loudly on such a job (DynamoDB refuses their
// completion, `DELETE parts :p`, with a ValidationException) instead of vanishing, and they never take
// it for complete. Sharded jobs written by older versions hold the number set {-1} there; both forms
// are read alike (nothing reads that attribute of a sharded job item).
//
// Compatible layout (by name: DynamoDbLayout::kCompatible, the CLI's --dynamodb-layout compatible, or
// WATCHBOT_PROGRESS_DYNAMODB_LAYOUT=compatible; and every job the Python or Node tool wrote): one
// item per job, the format the Python and Node tools read and write:
//   id S | parts NS (pending part ids; absent when none) | total N | error S (or N, as the Python
//   tool writes; present only when failed) | metadata M | reduceSent BOOL
// plus `reduceClaim` S, the token of the caller that won the reduce claim, and `createToken` S, the
// token of the set_total call that created the job (other tools ignore both).
// Completing a part is one UpdateItem (DELETE parts :p) whose cost grows with the job: DynamoDB
// bills a write by the size of the whole item, about 4 bytes per pending part, and an item holds at
// most 400 KB, so this layout cannot hold more than about 80,000 parts. Choose it only for jobs the
// Python or Node tools must read or work.
//
// Part ids: 0 .. total-1. Jobs created by the Node tool's setTotal number their parts 1 .. total;
// their part `total` is accepted as long as it is pending, and completing it again once done is a
// no-op, so such jobs can be worked by this library's Part guard.
//
// A job exists when its item has a `total`. Items without one (e.g. an `id`-only item another
// tool's completePart created as a side effect) are not jobs: every method treats them as absent
// and set_total replaces them.
//
// Requests and retries: every request is SigV4-signed and retried by the AWS layer in the
// "standard" mode (AWS_MAX_ATTEMPTS, default 3 attempts). Every write the backend sends is safe to
// repeat: completions are set deletions, and a reduce claim and a job creation carry a random token
// so that a retry of one whose answer was lost recognises its own write (a claim whose every answer
// was lost is checked with one read before it is reported as failed). Errors: BackendError with DynamoDB's
// error code (ResourceNotFoundException names the missing table), retryable() as classified by the
// AWS layer. Messages name the table and endpoint, never credentials, tokens or signatures.
//
// Thread safety: every method may be called concurrently from any number of threads; the backend
// pools its HTTP connections.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "watchbot_progress/backend.hpp"
#include "watchbot_progress/export.hpp"
#include "watchbot_progress/dynamodb_options.hpp"

namespace watchbot_progress {

namespace detail {
struct DynamoDbBackendAccess;  // src/backends/dynamodb/dynamodb_backend_access.hpp
namespace dynamodb {
class DynamoDbClient;  // the library's own DynamoDB client (private header src/backends/dynamodb/dynamodb_client.hpp)
}
}  // namespace detail

class WATCHBOT_PROGRESS_EXPORT DynamoDbBackend final : public Backend {
public:
    // Resolves the table, region, endpoint, credentials source and layout; sends no request. Throws
    // ConfigError when no table is given and ProgressTable is unset (naming the variable), when
    // WATCHBOT_PROGRESS_DYNAMODB_LAYOUT is read and is not a layout's name, when the
    // ARN is not a DynamoDB table ARN or the name is not a valid table name, when no region can be
    // found, or when the endpoint is not an http(s) URL; InvalidInput for bad layout options.
    explicit DynamoDbBackend(DynamoDbOptions options = {});
    ~DynamoDbBackend() override;

    // DynamoDbBackend(DynamoDbOptions{}): the table from ProgressTable, everything else from the
    // environment.
    static std::shared_ptr<DynamoDbBackend> from_env();

    DynamoDbBackend(const DynamoDbBackend&) = delete;
    DynamoDbBackend& operator=(const DynamoDbBackend&) = delete;

    // "dynamodb:<table ARN or name> at <endpoint>" — no credentials.
    std::string describe() const override;
    // Every HTTP round trip (retries included) and the request/response body bytes.
    BackendStats stats() const override;

    // The resolved table name.
    const std::string& table_name() const noexcept;
    // The layout new jobs get: options.layout, with kDefault resolved (never kDefault).
    DynamoDbLayout layout() const noexcept;

protected:
    // The Backend contract (backend.hpp), with these DynamoDB specifics:
    //
    // set_total: compatible layout: one conditional PutItem (refused when the job exists, unless
    //   the job is the one this call wrote, by its createToken: an attempt whose answer was lost).
    //   Sharded layout: the shard and index items first (BatchWriteItem), then the job item last
    //   and conditionally, so a job is visible only once whole; items of a half-written job are
    //   unreachable (their ids carry a random generation) and never shown. A job too large for the
    //   compatible layout when it is forced: InvalidInput naming the 400 KB item limit.
    //   Overwrite (either layout): one GetItem of the job item; a sharded job's items are deleted
    //   first; then one UpdateItem, conditional on the generation just seen, resets parts, total,
    //   error and the claim, keeps metadata and records the call's createToken (a retry whose
    //   first answer was lost recognises it). No item of a replaced generation outlives the switch,
    //   so a process still caching the old tree has its completions refused, never lost. If the
    //   old items cannot be deleted: BackendError, the job item unchanged (repeat the overwrite).
    void do_set_total(const std::string& jobid, std::int64_t total, bool overwrite) override;
    // set_metadata: SET metadata.#k = :v per top-level key (so other keys are kept, unlike the
    //   Python tool's set_metadata), after creating an empty metadata map when the item has none.
    void do_set_metadata(const std::string& jobid, const nlohmann::json& metadata) override;
    // check_metadata: the default checks, plus what DynamoDB would refuse with a ValidationException:
    //   an empty top-level key, nesting deeper than 32 levels (the metadata map being the first), and
    //   numbers that are not finite or outside DynamoDB's range (magnitudes 1E-130 to 9.99E+125).
    void do_check_metadata(const nlohmann::json& metadata) const override;
    // complete_part: compatible layout: one UpdateItem. Sharded: one UpdateItem on the part's
    //   shard, plus one per tree level only when the shard became empty (plus, the first time a
    //   process meets a sharded job, one failed conditional write and one GetItem to learn its
    //   layout). A crash between those steps is repaired by the message's redelivery.
    bool do_complete_part(const std::string& jobid, PartId partid) override;
    // claim_reduce: one conditional UpdateItem (SET reduceSent, reduceClaim = the token, and the
    //   Python tool's mark metadata.reduce_message_sent = "claimed"), conditional on the job being
    //   complete as its item records it (compatible: no `parts`; sharded: no `pendingShards`), so a
    //   job that is not complete, or was overwritten since it was seen complete, is never claimed;
    //   nullopt then, and when already claimed (reduceSent true, or the Python tool's
    //   metadata.reduce_message_sent true) or failed. On an item without a metadata map, a second
    //   UpdateItem writes a map holding only the mark. When every attempt's answer was lost, one
    //   GetItem of reduceClaim tells whether the claim is the caller's.
    std::optional<ClaimToken> do_claim_reduce(const std::string& jobid) override;
    // release_reduce / confirm_reduce: one UpdateItem conditional on reduceClaim = token.
    void do_release_reduce(const std::string& jobid, const ClaimToken& token) override;
    // confirm_reduce / reclaim_reduce: attributes reduceConfirmed (BOOL) and reduceClaimedAt (N, ms)
    // on the job item; confirm turns the claim's mark into metadata.reduce_message_sent = true,
    // reclaim writes the mark as the claim does and has the same completeness condition. Claims set
    // by the Python/Node tools have no reduceClaimedAt and are never taken over; a job the Python
    // tool marked sent (metadata.reduce_message_sent = true) neither.
    bool do_confirm_reduce(const std::string& jobid, const ClaimToken& token) override;
    std::optional<ClaimToken> do_reclaim_reduce(const std::string& jobid, std::chrono::milliseconds lease) override;
    // failure_reason: one GetItem projecting total, shardOf and error (either layout).
    std::optional<std::string> do_failure_reason(const std::string& jobid) override;
    // reduce_claim_state: one GetItem of the job item's claim attributes (either layout).
    ReduceClaimState do_reduce_claim_state(const std::string& jobid) override;
    std::int64_t do_record_failed_part(const std::string& jobid, PartId partid) override;
    std::vector<PartId> do_list_failed_parts(const std::string& jobid) override;
    bool do_record_part_failure(const std::string& jobid, const PartFailure& failure) override;
    std::vector<PartFailure> do_list_part_failures(const std::string& jobid) override;
    // complete_part, then, only when the job became complete, one conditional claim UpdateItem.
    CompletionResult do_complete_part_and_claim_reduce(const std::string& jobid, PartId partid) override;
    void do_fail_job(const std::string& jobid, const std::string& reason) override;
    // status: one GetItem; sharded jobs also read their pending shard items (BatchGetItem).
    JobStatus do_status(const std::string& jobid) override;
    bool do_part_complete(const std::string& jobid, PartId partid) override;
    // check_part: one GetItem of the job item's total, error and layout attributes (either layout;
    //   a compatible job's part `total`, which a Node-tool job numbers 1 .. total, reads the item
    //   again). A sharded job's layout is remembered, so a fresh process's completion that follows
    //   writes only its shard item.
    std::optional<std::string> do_check_part(const std::string& jobid, PartId partid) override;
    // check_part_facts: the same read; the facts hold the total and, for a sharded job, its layout
    //   attributes (total, layout, shardSize, shardLevels, shardGen).
    JobFacts do_check_part_facts(const std::string& jobid, PartId partid) override;
    // assume_job_facts: a sharded job's tree is remembered as if its job item had been read, so the
    //   completion that follows writes its shard item first (a tree whose items are gone is found
    //   out there: the job item is read again). Nothing else is kept.
    void do_assume_job_facts(const std::string& jobid, const JobFacts& facts) override;
    std::vector<PartId> do_list_pending_parts(const std::string& jobid) override;
    // list_jobs: Scan pages (filtered to job items) to the end; sharded jobs read their shards. A
    //   job that cannot be read (a layout this version does not know, damaged layout attributes,
    //   metadata it cannot read, missing shard items) is skipped with a warning on stderr naming it,
    //   and the walk goes on; errors of the table itself end it.
    void do_list_jobs(const std::function<void(const JobStatus&)>& visit) override;
    // delete_job: one GetItem, a sharded job's other items (BatchWriteItem), then the job item
    //   (conditional on the generation seen); a retry whose first answer was lost reports the job
    //   deleted. If the items cannot be deleted, BackendError and the job item stays (try again).
    bool do_delete_job(const std::string& jobid) override;
    bool do_claim_alert(const std::string& jobid, AlertState state) override;
    void do_release_alert(const std::string& jobid, AlertState state) override;
    void do_record_reduce_repair(const std::string& jobid) override;

private:
    // The library's (and its tests') way to a backend over an existing client:
    // detail::DynamoDbBackendAccess (src/backends/dynamodb/dynamodb_backend_access.hpp). Not
    // exported: only code inside the library, and its tests, can name the client.
    friend struct detail::DynamoDbBackendAccess;
    WATCHBOT_PROGRESS_NO_EXPORT DynamoDbBackend(DynamoDbOptions options,
                                                std::shared_ptr<detail::dynamodb::DynamoDbClient> client);

    struct WATCHBOT_PROGRESS_NO_EXPORT Impl;
    std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------------------------------------
// Creating the progress table.

struct ProgressTableInfo {
    std::string name;
    std::string arn;      // what to put in ProgressTable
    bool created = false; // false: the table existed already
    std::string status;   // "ACTIVE"
};

// Creates the progress table `table` (a name or a table ARN): hash key `id` of type S, on-demand
// unless options say otherwise; then polls DescribeTable until it is ACTIVE. Throws ConfigError for
// a bad name, an existing table with another key schema (or any existing table when !exist_ok);
// BackendError "TableNotActive" (retryable) when it is not ACTIVE within the timeout; BackendError
// for service errors.
WATCHBOT_PROGRESS_EXPORT ProgressTableInfo create_progress_table(const std::string& table, const ProgressTableOptions& options = {});

}  // namespace watchbot_progress
