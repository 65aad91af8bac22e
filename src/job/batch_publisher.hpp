#pragma once
// Internal to create_job: groups messages into batches within a notifier's limits and publishes them
// from `workers` threads at once, with a bounded queue so memory does not grow with the job. Records
// the part ids whose messages could not be published.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "watchbot_progress/backend.hpp"
#include "watchbot_progress/notifier.hpp"

namespace watchbot_progress::detail {

// Part ids for a message about the parts not published: the first 20, ", "-separated, then
// ", ... (N more)" when there are more ("3, 7, 12"; "" for none).
std::string part_id_list(const std::vector<PartId>& ids);

class BatchPublisher {
public:
    using Progress = std::function<void(std::uint64_t, std::uint64_t)>;

    BatchPublisher(Notifier& notifier, std::size_t workers, std::uint64_t total, Progress on_progress);
    ~BatchPublisher();
    BatchPublisher(const BatchPublisher&) = delete;
    BatchPublisher& operator=(const BatchPublisher&) = delete;

    // Queues one message (part ids must come in ascending order); blocks while the queue is full.
    void add(std::string subject, std::string body, PartId partid);
    // Publishes what is queued, waits for every worker, and returns the part ids not published
    // (ascending) with the first error seen.
    std::vector<PartId> finish(std::string& first_error);

private:
    struct Batch {
        std::vector<OutgoingMessage> messages;
        std::vector<PartId> partids;
        std::size_t bytes = 0;
    };

    void flush_current();
    void publish(Batch& batch);
    void worker_loop();

    Notifier& notifier_;
    NotifierLimits limits_;
    std::uint64_t total_;
    Progress on_progress_;
    std::size_t queue_capacity_;
    Batch current_;

    std::mutex mutex_;
    std::condition_variable not_empty_;
    std::condition_variable not_full_;
    std::deque<Batch> queue_;
    bool closing_ = false;
    std::uint64_t published_ = 0;
    std::vector<PartId> failed_;
    std::string first_error_;
    std::vector<std::thread> threads_;
};

}  // namespace watchbot_progress::detail
