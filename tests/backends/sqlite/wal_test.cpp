// The SQLite write-ahead log stays bounded while many threads write at once.
//
// SQLite's automatic checkpoint is passive: it copies the WAL into the database but can start the
// WAL over only at a moment when no connection still reads an older snapshot. With many connections
// committing back to back (25 Part guards on the SQLite backend, create_job publishing to the local
// queue from 25 threads) that moment never comes, and the WAL grew without bound: 267 MB of WAL for
// 100,000 completions of one job, 7 GB while publishing 1,000,000 map messages (and the process's
// memory grew with the WAL index). These tests write from 25 threads and check the WAL's size, not
// time.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "factories/sqlite_factory.hpp"
#include "watchbot_progress/local_queue.hpp"
#include "watchbot_progress/messages.hpp"
#include "watchbot_progress/sqlite_backend.hpp"

namespace wp = watchbot_progress;

namespace {

constexpr int kThreads = 25;
// Bound for the WAL file: the library checkpoints it long before this (see sqlite_connection.cpp);
// without that it passes this within a few thousand concurrent transactions.
constexpr std::uintmax_t kMaxWalBytes = 48u << 20;

std::uintmax_t file_bytes(const std::string& path) {
    std::error_code ec;
    const std::uintmax_t n = std::filesystem::file_size(path, ec);
    return ec ? 0 : n;
}

// Runs `step(i)` for i in [0, count) from kThreads threads; returns the largest WAL size seen
// (sampled every 50 steps; the file never shrinks below its largest size unless it is reset and
// truncated, so the final size is checked too).
template <class Step>
std::uintmax_t largest_wal_while(const std::string& db_path, int count, Step step) {
    std::atomic<int> next{0};
    std::atomic<std::uintmax_t> largest{0};
    const auto sample = [&] {
        const std::uintmax_t n = file_bytes(db_path + "-wal");
        std::uintmax_t seen = largest.load();
        while (n > seen && !largest.compare_exchange_weak(seen, n)) {
        }
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            for (int i = next++; i < count; i = next++) {
                step(i);
                if (i % 50 == 0) sample();
            }
        });
    }
    for (auto& t : threads) t.join();
    sample();
    return largest.load();
}

}  // namespace

TEST(SqliteWal, StaysBoundedWhile25ThreadsCompleteParts) {
    const std::string path = wp_test::make_temp_dir() + "/jobs.db";
    wp::SqliteBackend backend(wp::SqliteOptions{.path = path});
    constexpr int kParts = 40'000;
    backend.set_total("wal", kParts);
    std::atomic<int> claims{0};
    const std::uintmax_t largest = largest_wal_while(path, kParts, [&](int p) {
        if (backend.complete_part_and_claim_reduce("wal", p).reduce_claimed()) ++claims;
    });
    EXPECT_EQ(claims.load(), 1);
    EXPECT_EQ(backend.status("wal").remaining, 0);
    EXPECT_LT(largest, kMaxWalBytes) << "the WAL grew to " << (largest >> 20) << " MB for " << kParts
                                     << " completions: checkpoints are starved by the concurrent writers";
}

TEST(SqliteWal, StaysBoundedWhile25ThreadsPublishToTheLocalQueue) {
    const std::string path = wp_test::make_temp_dir() + "/queue.db";
    wp::LocalQueueNotifier notifier(wp::LocalQueueOptions{.database = {.path = path}});
    constexpr int kBatches = 8'000;  // 80,000 messages in batches of 10, as create_job sends them
    const std::uintmax_t largest = largest_wal_while(path, kBatches, [&](int b) {
        std::vector<wp::OutgoingMessage> batch;
        for (int k = 0; k < 10; ++k) {
            batch.push_back({wp::kMapSubject, R"({"jobid":"wal","partid":)" + std::to_string(b * 10 + k) + R"(,"metadata":null})"});
        }
        notifier.publish_batch(batch);
    });
    EXPECT_LT(largest, kMaxWalBytes) << "the WAL grew to " << (largest >> 20) << " MB for " << kBatches * 10
                                     << " messages: checkpoints are starved by the concurrent writers";
}
