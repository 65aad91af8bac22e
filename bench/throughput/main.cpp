// watchbot-progress-bench: an end-to-end throughput run, modelled on a real job.
//
//   watchbot-progress-bench --backend URI --topic URI --parts N --workers W [--duplicates K]
//
// Creates a job of N empty parts (publishing the map messages through the real notifier), then runs
// the Part guard for every part from W threads, each part K times when asked (the copies shuffled so
// they race each other and some arrive after the job completed), and prints one JSON line of figures.

#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <functional>
#include <iostream>
#include <random>
#include <ranges>
#include <thread>

#include "counting.hpp"
#include "watchbot_progress/watchbot_progress.hpp"
#if WP_WITH_AWS && __has_include("watchbot_progress/sns_notifier.hpp")
#include "watchbot_progress/sns_notifier.hpp"
#define WP_BENCH_SNS_STATS 1
#endif

namespace wp = watchbot_progress;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

double peak_rss_mb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

double round3(double v) { return std::round(v * 1000.0) / 1000.0; }

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"watchbot-progress-bench: create a job of N parts and complete it from W threads; prints one JSON line"};
    std::string backend_uri, topic_uri;
    std::int64_t parts = 10000;
    std::size_t workers = 25, create_workers = 25;
    int duplicates = 1;
    unsigned seed = 1;
    bool keep = false;
    app.add_option("--backend", backend_uri, "backend URI (arn:aws:dynamodb:..., redis://, sqlite://, memory://)")->required();
    app.add_option("--topic", topic_uri, "topic URI for map and reduce messages (arn:aws:sns:..., sqlite://, memory://)")->required();
    app.add_option("--parts", parts, "number of parts N")->check(CLI::Range(std::int64_t{1}, std::int64_t{100'000'000}));
    app.add_option("--workers", workers, "threads running Part guards")->check(CLI::Range(1, 1024));
    app.add_option("--create-workers", create_workers, "batches published at once by create_job")->check(CLI::Range(1, 1024));
    app.add_option("--duplicates", duplicates, "deliveries of each part (K)")->check(CLI::Range(1, 100));
    app.add_option("--seed", seed, "shuffle seed");
    app.add_flag("--keep", keep, "keep the job afterwards (deleted by default)");
    app.footer("Example:\n  watchbot-progress-bench --backend redis://127.0.0.1:6379/0 --topic memory:// --parts 10000 --workers 25 --duplicates 2");
    CLI11_PARSE(app, argc, argv);

    try {
        auto backend = std::make_shared<wp_bench::CountingBackend>(wp::open_backend(backend_uri));
        auto notifier = std::make_shared<wp_bench::CountingNotifier>(wp::open_notifier(topic_uri));
        // HTTP requests made to publish the map messages, when the notifier counts them (SNS).
        std::function<std::uint64_t()> publish_requests;
#ifdef WP_BENCH_SNS_STATS
        if (auto sns = std::dynamic_pointer_cast<wp::SnsNotifier>(notifier->target())) {
            publish_requests = [sns] { return sns->stats().requests; };
        }
#endif
        const std::uint64_t publish_requests_before = publish_requests ? publish_requests() : 0;

        // Create: N empty parts from a view, never all in memory.
        auto source = std::views::iota(std::int64_t{0}, parts) | std::views::transform([](std::int64_t) { return nlohmann::json::object(); });
        const auto create_start = Clock::now();
        const std::string jobid = wp::create_job(source, {.backend = backend, .notifier = notifier, .workers = create_workers});
        const double create_s = seconds_since(create_start);
        const nlohmann::json publish_requests_per_part =
            publish_requests ? nlohmann::json(round3(static_cast<double>(publish_requests() - publish_requests_before) /
                                                     static_cast<double>(parts)))
                             : nlohmann::json(nullptr);

        // Map: every part K times, shuffled, from W threads.
        std::vector<wp::PartId> deliveries;
        deliveries.reserve(static_cast<std::size_t>(parts) * static_cast<std::size_t>(duplicates));
        for (int k = 0; k < duplicates; ++k) {
            for (wp::PartId p = 0; p < parts; ++p) deliveries.push_back(p);
        }
        std::shuffle(deliveries.begin(), deliveries.end(), std::mt19937(seed));
        const wp::PartOptions options{.backend = backend, .notifier = notifier};
        const wp::BackendStats before = backend->stats();
        const std::uint64_t calls_before = backend->calls;
        std::atomic<std::size_t> next{0};
        std::atomic<std::uint64_t> errors{0};
        const auto complete_start = Clock::now();
        std::vector<std::thread> threads;
        for (std::size_t t = 0; t < workers; ++t) {
            threads.emplace_back([&] {
                for (std::size_t i = next++; i < deliveries.size(); i = next++) {
                    try {
                        wp::Part(jobid, deliveries[i], options).run([] {});
                    } catch (const std::exception& e) {
                        if (errors++ == 0) std::cerr << "watchbot-progress-bench: part " << deliveries[i] << ": " << e.what() << "\n";
                    }
                }
            });
        }
        for (auto& t : threads) t.join();
        const double complete_s = seconds_since(complete_start);
        const wp::BackendStats after = backend->stats();
        const double n_deliveries = static_cast<double>(deliveries.size());
        const bool counted = after.requests > before.requests;
        const double requests = counted ? static_cast<double>(after.requests - before.requests)
                                        : static_cast<double>(backend->calls - calls_before);
        const double bytes = static_cast<double>((after.bytes_sent - before.bytes_sent) + (after.bytes_received - before.bytes_received));
        const wp::JobStatus status = backend->status(jobid);
        if (!keep) backend->delete_job(jobid);

        nlohmann::json out = {
            {"backend", backend->describe()},
            {"topic", notifier->describe()},
            {"parts", parts},
            {"workers", workers},
            {"duplicates", duplicates},
            {"create_s", round3(create_s)},
            {"create_parts_per_s", std::round(static_cast<double>(parts) / create_s)},
            {"publish_requests_per_part", publish_requests_per_part},
            {"complete_s", round3(complete_s)},
            {"complete_parts_per_s", std::round(static_cast<double>(parts) / complete_s)},
            {"deliveries_per_s", std::round(n_deliveries / complete_s)},
            {"backend_requests_per_part", round3(requests / n_deliveries)},
            {"backend_requests_counted_by", counted ? "backend" : "calls"},
            {"bytes_per_completion", counted ? nlohmann::json(std::round(bytes / n_deliveries)) : nlohmann::json(nullptr)},
            {"map_messages", notifier->map_messages.load()},
            {"reduce_messages", notifier->reduce_messages.load()},
            {"remaining", status.remaining},
            {"errors", errors.load()},
            {"peak_rss_mb", round3(peak_rss_mb())},
        };
        std::cout << out.dump() << std::endl;
        return (status.remaining == 0 && notifier->reduce_messages == 1 && errors == 0) ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "watchbot-progress-bench: " << e.what() << "\n";
        return 1;
    }
}
