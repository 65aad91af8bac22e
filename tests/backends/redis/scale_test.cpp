// Redis at scale: a job of 1,000,000 parts, created with create_job and completed from 25 threads
// through the Part guard, on the test redis-server (WP_TEST_REDIS_URL, tools/services.sh). The test
// fails, never skips, when the variable is missing.
//
// It checks correctness only: every part completed exactly once in the backend's view and exactly
// one reduce. It makes no timing assertion; the elapsed times are printed for docs/performance.md
// (throughput figures come from watchbot-progress-bench).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <mutex>
#include <numeric>
#include <random>
#include <ranges>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "test_env.hpp"
#include "watchbot_progress/forwarding.hpp"
#include "watchbot_progress/redis_backend.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace wp = watchbot_progress;

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::int64_t kParts = 1'000'000;
constexpr std::size_t kThreads = 25;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Keeps no message: records which part ids had a map message (each must have exactly one) and counts
// reduce messages. SNS's limits, so create_job batches as it does in production.
class TallyNotifier final : public wp::Notifier {
public:
    explicit TallyNotifier(std::int64_t parts) : map_seen_(static_cast<std::size_t>(parts)) {}

    void do_publish(const std::string& subject, const std::string& body) override {
        if (subject == wp::kReduceSubject) {
            ++reduce_messages;
            return;
        }
        const wp::PartId partid = wp::parse_map_message(body).partid;
        if (partid < 0 || static_cast<std::size_t>(partid) >= map_seen_.size()) {
            ++bad_map_messages;
        } else if (map_seen_[static_cast<std::size_t>(partid)]++ != 0) {
            ++duplicate_map_messages;
        }
    }
    void do_publish_batch(std::span<const wp::OutgoingMessage> messages) override {
        for (const auto& m : messages) do_publish(m.subject, m.body);
    }
    wp::NotifierLimits limits() const override { return {256 * 1024, 10, 256 * 1024}; }
    std::string describe() const override { return "tally://"; }

    std::size_t parts_without_map_message() const {
        return static_cast<std::size_t>(std::count_if(map_seen_.begin(), map_seen_.end(), [](const auto& n) { return n.load() == 0; }));
    }

    std::atomic<std::uint64_t> reduce_messages{0};
    std::atomic<std::uint64_t> bad_map_messages{0};
    std::atomic<std::uint64_t> duplicate_map_messages{0};

private:
    std::vector<std::atomic<std::uint8_t>> map_seen_;
};

// Counts what the backend answered to the guard's completions.
class CompletionTally final : public wp::ForwardingBackend {
public:
    using ForwardingBackend::ForwardingBackend;

    wp::CompletionResult do_complete_part_and_claim_reduce(const std::string& jobid, wp::PartId partid) override {
        const wp::CompletionResult result = ForwardingBackend::do_complete_part_and_claim_reduce(jobid, partid);
        ++completions;
        if (result.job_complete) ++answered_complete;
        if (result.reduce_claimed()) ++claims_won;
        return result;
    }

    std::atomic<std::uint64_t> completions{0};
    std::atomic<std::uint64_t> answered_complete{0};  // calls that found no part pending any more
    std::atomic<std::uint64_t> claims_won{0};
};

// Deletes the job however the test ends, so a failure leaves no million-member set on the server.
struct DeleteJobAtExit {
    std::shared_ptr<wp::Backend> backend;
    std::string jobid;
    ~DeleteJobAtExit() {
        if (jobid.empty()) return;
        try {
            backend->delete_job(jobid);
        } catch (const std::exception& e) {
            std::cerr << "redis_scale_test: could not delete job " << jobid << ": " << e.what()
                      << " (delete its keys <jobid>-metadata and <jobid>-parts by hand)\n";
        }
    }
};

// Runs `run(partid)` for every id of `order` from kThreads threads; returns the number of exceptions
// (the first one's text goes to `first_error`).
template <class Fn>
std::uint64_t run_from_threads(const std::vector<wp::PartId>& order, Fn run, std::string& first_error) {
    std::atomic<std::size_t> next{0};
    std::atomic<std::uint64_t> errors{0};
    std::mutex error_mutex;
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            for (std::size_t i = next++; i < order.size(); i = next++) {
                try {
                    run(order[i]);
                } catch (const std::exception& e) {
                    if (errors++ == 0) {
                        std::lock_guard lock(error_mutex);
                        first_error = "part " + std::to_string(order[i]) + ": " + e.what();
                    }
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    return errors.load();
}

}  // namespace

TEST(RedisScale, MillionPartJobCompletesExactlyOnceFrom25Threads) {
    wp::RedisOptions options = wp::RedisBackend::parse_uri(wp_test::require_env("WP_TEST_REDIS_URL"));
    options.pool_size = kThreads;  // one connection per worker thread
    options.command_timeout = std::chrono::seconds(30);  // a loaded machine: slowness is not a failure here
    auto backend = std::make_shared<CompletionTally>(std::make_shared<wp::RedisBackend>(options));
    auto notifier = std::make_shared<TallyNotifier>(kParts);
    const auto test_start = Clock::now();

    // Create from a view: the parts are never all in memory.
    const std::string jobid = "redis-scale-test-" + wp::new_jobid();
    DeleteJobAtExit cleanup{backend, jobid};
    auto parts = std::views::iota(std::int64_t{0}, kParts) |
                 std::views::transform([](std::int64_t i) { return nlohmann::json{{"tile", i}}; });
    const auto create_start = Clock::now();
    ASSERT_EQ(wp::create_job(parts, {.backend = backend, .notifier = notifier, .metadata = {{"test", "scale"}}, .jobid = jobid}),
              jobid);
    const double create_s = seconds_since(create_start);
    EXPECT_EQ(notifier->bad_map_messages.load(), 0u);
    EXPECT_EQ(notifier->duplicate_map_messages.load(), 0u);
    EXPECT_EQ(notifier->parts_without_map_message(), 0u) << "create_job did not publish a map message for every part";
    const wp::JobStatus created = backend->status(jobid);
    ASSERT_EQ(created.total, kParts);
    ASSERT_EQ(created.remaining, kParts);

    // Complete every part once, in a shuffled order (so the last part is any part), from 25 threads.
    std::vector<wp::PartId> order(static_cast<std::size_t>(kParts));
    std::iota(order.begin(), order.end(), wp::PartId{0});
    std::shuffle(order.begin(), order.end(), std::mt19937_64(20240607));
    std::vector<std::atomic<std::uint8_t>> ran(static_cast<std::size_t>(kParts));
    std::atomic<std::uint64_t> reduces{0};
    nlohmann::json reduce_metadata;
    const wp::PartOptions part_options{.backend = backend,
                                       .notifier = notifier,
                                       .on_reduce = [&](const std::string& id, const nlohmann::json& metadata) {
                                           if (reduces++ == 0) reduce_metadata = metadata;
                                           EXPECT_EQ(id, jobid);
                                       }};
    std::string first_error;
    const auto complete_start = Clock::now();
    const std::uint64_t errors = run_from_threads(
        order, [&](wp::PartId p) { wp::Part(jobid, p, part_options).run([&] { ++ran[static_cast<std::size_t>(p)]; }); }, first_error);
    const double complete_s = seconds_since(complete_start);
    ASSERT_EQ(errors, 0u) << errors << " guards threw; the first: " << first_error;

    // The guard ran every block once, the backend counted every completion once.
    EXPECT_EQ(std::count_if(ran.begin(), ran.end(), [](const auto& n) { return n.load() != 1; }), 0)
        << "some parts' blocks did not run exactly once";
    EXPECT_EQ(backend->completions.load(), static_cast<std::uint64_t>(kParts));
    EXPECT_EQ(backend->answered_complete.load(), 1u) << "exactly the last completion must find the job complete";
    EXPECT_EQ(backend->claims_won.load(), 1u);
    EXPECT_EQ(reduces.load(), 1u);
    EXPECT_EQ(notifier->reduce_messages.load(), 0u) << "on_reduce is set: nothing may be published";
    EXPECT_EQ(reduce_metadata, (nlohmann::json{{"test", "scale"}}));
    const wp::JobStatus done = backend->status(jobid);
    EXPECT_EQ(done.total, kParts);
    EXPECT_EQ(done.remaining, 0);
    EXPECT_TRUE(done.reduce_sent);
    EXPECT_FALSE(done.failed);
    EXPECT_TRUE(backend->list_pending_parts(jobid).empty());

    // Late duplicates of 10,000 parts change nothing and send no second reduce.
    order.resize(10'000);
    const std::uint64_t duplicate_errors = run_from_threads(
        order, [&](wp::PartId p) { wp::Part(jobid, p, part_options).run([] {}); }, first_error);
    EXPECT_EQ(duplicate_errors, 0u) << first_error;
    EXPECT_EQ(reduces.load(), 1u);
    EXPECT_EQ(backend->claims_won.load(), 1u);
    EXPECT_EQ(backend->status(jobid).remaining, 0);

    EXPECT_TRUE(backend->delete_job(jobid));
    cleanup.jobid.clear();
    EXPECT_THROW(backend->status(jobid), wp::JobDoesNotExist);
    std::cout << "[ figures  ] 1,000,000 parts on " << backend->describe() << ": create_job " << create_s << " s, "
              << kThreads << " threads completed every part in " << complete_s << " s ("
              << static_cast<double>(kParts) / complete_s << " parts/s), whole test " << seconds_since(test_start) << " s\n";
}
