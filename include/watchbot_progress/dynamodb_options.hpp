#pragma once
// How DynamoDbBackend (dynamodb_backend.hpp) and create_progress_table reach and use the progress
// table: the table, the AWS settings (aws_options.hpp), and the layout of new jobs.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "watchbot_progress/aws_options.hpp"
#include "watchbot_progress/export.hpp"
#include "watchbot_progress/backend.hpp"  // WallClock

namespace watchbot_progress {

enum class DynamoDbLayout {
    kDefault,     // the environment variable WATCHBOT_PROGRESS_DYNAMODB_LAYOUT (sharded, compatible or
                  // auto), else kSharded
    kSharded,     // always the sharded layout: flat cost per completion at every job size
    kCompatible,  // always the compatible layout, which the Python and Node tools read (jobs over
                  // ~80,000 parts are refused: InvalidInput)
    kAuto,        // compatible up to sharded_threshold parts, sharded above
};

// The environment variable DynamoDbLayout::kDefault reads.
inline constexpr const char* kDynamoDbLayoutVariable = "WATCHBOT_PROGRESS_DYNAMODB_LAYOUT";

// "sharded", "compatible" or "auto" (what the CLI's --dynamodb-layout and the environment variable
// take) to the layout; InvalidInput naming the accepted names otherwise. Pure, thread-safe.
WATCHBOT_PROGRESS_EXPORT DynamoDbLayout parse_dynamodb_layout(std::string_view name);
// The name of a layout ("default" for kDefault).
WATCHBOT_PROGRESS_EXPORT std::string_view to_string(DynamoDbLayout layout);

struct DynamoDbOptions {
    // The table: its ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME) or its name. Empty: the
    // `ProgressTable` environment variable.
    std::string table;
    // Region, endpoint, credentials, retries and timeouts. The endpoint, when empty:
    // AWS_ENDPOINT_URL_DYNAMODB, else AWS_ENDPOINT_URL, else DynamoDbEndpoint, else
    // https://dynamodb.REGION.amazonaws.com. aws.region wins over the ARN's region.
    AwsOptions aws;
    // Strongly consistent reads (GetItem, BatchGetItem, Scan). Eventually consistent reads cost
    // half but may miss a write made a moment ago.
    bool consistent_reads = true;
    // Items evaluated per Scan page in list_jobs; 0: DynamoDB's default 1 MB pages. Small values
    // are for tests that want to see pagination.
    int scan_page_limit = 0;

    // Layout of new jobs (set_total). Existing jobs are always read in the layout they were
    // written in. kDefault: WATCHBOT_PROGRESS_DYNAMODB_LAYOUT when set (a bad value: ConfigError at
    // construction), else sharded.
    DynamoDbLayout layout = DynamoDbLayout::kDefault;
    // kAuto: jobs of more parts than this use the sharded layout. 10,000 parts keep a compatible
    // item under about 50 KB (so under about 50 write units per completion).
    std::int64_t sharded_threshold = 10'000;
    // Sharded layout: parts per shard item, and shards per index item (2 .. 4,000). 50 keeps
    // every item of the tree under 0.5 KB at any job size, so a completion costs one write unit
    // (1.02 on average: one completion in 50 also empties its shard and writes an index item),
    // and keeps the item DynamoDB rewrites and returns per completion small (docs/performance.md).
    std::int64_t shard_size = 50;
    // Concurrent BatchWriteItem requests when writing or deleting a sharded job's items.
    std::size_t write_parallelism = 4;

    // Expiry of finished jobs: when > 0, a job's items get the attribute `ttl_attribute` (epoch
    // seconds) set to now + done_ttl when its reduce is confirmed sent or the job fails (a sharded
    // job's shard items when they empty), so that DynamoDB's TTL deletes them once TTL is switched
    // on for the table with that attribute (`aws dynamodb update-time-to-live`). 0: never.
    // Keep it longer than watchbot's retries last, so late duplicates still find the job.
    std::chrono::seconds done_ttl{0};
    std::string ttl_attribute = "expiresAt";
    // Unused, kept so that code setting it still builds: a sharded job's completions write
    // updatedAt on the shard and index items they change (never on the job item, which only the
    // completion that empties a top-level item writes), and status() reports the newest of those
    // and the job item's (the compatible layout writes it on every completion).
    std::chrono::milliseconds touch_interval{60'000};
    // The client's clock for claim times, leases, updatedAt and expiry; empty: the system clock.
    // Tests pass their own.
    WallClock clock;
};

struct ProgressTableOptions {
    // As DynamoDbOptions::aws (empty fields: from the ARN / the environment).
    AwsOptions aws;
    // On-demand capacity (PAY_PER_REQUEST). false: provisioned with the capacities below.
    bool on_demand = true;
    std::int64_t read_capacity_units = 5;
    std::int64_t write_capacity_units = 5;
    // When the table exists already: true checks its key schema (hash key `id`, type S) and waits
    // for it to be ACTIVE; false refuses it with ConfigError.
    bool exist_ok = true;
    // How long to wait for the table to become ACTIVE, and how often to ask.
    std::chrono::milliseconds timeout{std::chrono::minutes(5)};
    std::chrono::milliseconds poll_interval{1'000};
};

}  // namespace watchbot_progress
