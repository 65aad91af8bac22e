#pragma once
// DynamoDB only: a DynamoDbBackend whose requests are counted by the item they address, so that the
// tool can say how often the job's own item (its one hot key) was read and written per completion
// (docs/performance.md, "The worker path"). JobItemTraffic is always there (its counts stay 0 on
// other backends); dynamodb_counting_job_item only when DynamoDB is built in (job_item_traffic.cpp).

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "watchbot_progress/backend.hpp"

namespace watchbot_progress {
struct DynamoDbOptions;
}

namespace wp_bench {

// Requests (every HTTP attempt) that addressed the job item `id = jobid`.
struct JobItemTraffic {
    std::atomic<std::uint64_t> reads{0};   // GetItem
    std::atomic<std::uint64_t> writes{0};  // UpdateItem, PutItem, DeleteItem
};

// A new DynamoDbBackend over `options` (nothing cached: what a new process has), counting its
// requests that address the item of `jobid` in `traffic`. Throws what the backend's constructor
// throws.
std::shared_ptr<watchbot_progress::Backend> dynamodb_counting_job_item(const watchbot_progress::DynamoDbOptions& options,
                                                                     const std::string& jobid,
                                                                     std::shared_ptr<JobItemTraffic> traffic);

}  // namespace wp_bench
