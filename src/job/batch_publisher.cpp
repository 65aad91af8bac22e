#include "job/batch_publisher.hpp"

#include <algorithm>

#include "watchbot_progress/errors.hpp"

namespace watchbot_progress::detail {

std::string part_id_list(const std::vector<PartId>& ids) {
    constexpr std::size_t kShown = 20;
    const std::size_t shown = std::min(ids.size(), kShown);
    std::string out;
    for (std::size_t i = 0; i < shown; ++i) {
        if (i) out += ", ";
        out += std::to_string(ids[i]);
    }
    if (shown < ids.size()) out += ", ... (" + std::to_string(ids.size() - shown) + " more)";
    return out;
}

BatchPublisher::BatchPublisher(Notifier& notifier, std::size_t workers, std::uint64_t total, Progress on_progress)
    : notifier_(notifier), limits_(notifier.limits()), total_(total), on_progress_(std::move(on_progress)) {
    limits_.max_batch_entries = std::max<std::size_t>(1, limits_.max_batch_entries);
    workers = std::max<std::size_t>(1, workers);
    queue_capacity_ = workers * 2;
    if (workers > 1) {
        threads_.reserve(workers);
        for (std::size_t i = 0; i < workers; ++i) threads_.emplace_back([this] { worker_loop(); });
    }
}

BatchPublisher::~BatchPublisher() {
    {
        std::lock_guard lock(mutex_);
        closing_ = true;
    }
    not_empty_.notify_all();
    for (auto& t : threads_) {
        if (t.joinable()) t.join();
    }
}

void BatchPublisher::add(std::string subject, std::string body, PartId partid) {
    const std::size_t size = body.size();
    if (!current_.messages.empty() &&
        (current_.messages.size() >= limits_.max_batch_entries || current_.bytes + size > limits_.max_batch_bytes)) {
        flush_current();
    }
    current_.bytes += size;
    current_.messages.push_back({std::move(subject), std::move(body)});
    current_.partids.push_back(partid);
    if (current_.messages.size() >= limits_.max_batch_entries) flush_current();
}

void BatchPublisher::flush_current() {
    if (current_.messages.empty()) return;
    Batch batch = std::move(current_);
    current_ = Batch{};
    if (threads_.empty()) {
        publish(batch);
        return;
    }
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [this] { return queue_.size() < queue_capacity_; });
    queue_.push_back(std::move(batch));
    lock.unlock();
    not_empty_.notify_one();
}

void BatchPublisher::publish(Batch& batch) {
    std::vector<PartId> failed;
    std::string error;
    try {
        notifier_.publish_batch(batch.messages);
    } catch (const PublishError& e) {
        error = e.what();
        for (std::size_t index : e.failed_indexes()) {
            if (index < batch.partids.size()) failed.push_back(batch.partids[index]);
        }
    } catch (const std::exception& e) {
        error = e.what();
        failed = batch.partids;
    } catch (...) {
        error = "unknown error";
        failed = batch.partids;
    }
    std::uint64_t published = 0;
    {
        std::lock_guard lock(mutex_);
        published_ += batch.partids.size() - failed.size();
        published = published_;
        if (!failed.empty()) {
            if (first_error_.empty()) first_error_ = error;
            failed_.insert(failed_.end(), failed.begin(), failed.end());
        }
    }
    if (on_progress_) on_progress_(published, total_);
}

void BatchPublisher::worker_loop() {
    for (;;) {
        Batch batch;
        {
            std::unique_lock lock(mutex_);
            not_empty_.wait(lock, [this] { return closing_ || !queue_.empty(); });
            if (queue_.empty()) return;
            batch = std::move(queue_.front());
            queue_.pop_front();
        }
        not_full_.notify_one();
        publish(batch);
    }
}

std::vector<PartId> BatchPublisher::finish(std::string& first_error) {
    flush_current();
    {
        std::lock_guard lock(mutex_);
        closing_ = true;
    }
    not_empty_.notify_all();
    for (auto& t : threads_) {
        if (t.joinable()) t.join();
    }
    std::lock_guard lock(mutex_);
    std::sort(failed_.begin(), failed_.end());
    first_error = first_error_;
    return failed_;
}

}  // namespace watchbot_progress::detail
