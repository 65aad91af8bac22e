// Micro-benchmarks of hot paths that do not touch the network: building map messages and the Part
// guard's overhead over the memory backend.
#include <benchmark/benchmark.h>

#include "watchbot_progress/watchbot_progress.hpp"

namespace wp = watchbot_progress;

static void BM_MapMessageBody(benchmark::State& state) {
    const nlohmann::json part = {{"url", "s3://bucket/tiles/12/2048/1365.tif"}, {"zoom", 12}, {"bands", {1, 2, 3}}};
    const std::string metadata = nlohmann::json{{"owner", "team"}, {"run", 42}}.dump();
    wp::PartId partid = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(wp::map_message_body(part, "6f1c3f9e-8a2b-4c1d-9e3f-2a7b5c8d9e0f", partid++, metadata));
    }
}
BENCHMARK(BM_MapMessageBody);

static void BM_ParseMapMessage(benchmark::State& state) {
    const std::string body =
        R"({"url":"s3://bucket/tiles/12/2048/1365.tif","zoom":12,"jobid":"6f1c3f9e-8a2b-4c1d-9e3f-2a7b5c8d9e0f","partid":7,"metadata":{"owner":"team"}})";
    for (auto _ : state) benchmark::DoNotOptimize(wp::parse_map_message(body));
}
BENCHMARK(BM_ParseMapMessage);

// The Part guard on the memory backend: complete + (rarely) reduce, per part.
static void BM_PartGuardOverMemory(benchmark::State& state) {
    auto backend = std::make_shared<wp::MemoryBackend>();
    auto notifier = std::make_shared<wp::MemoryNotifier>();
    const std::int64_t parts = 1'000'000;
    const wp::PartOptions options{.backend = backend, .notifier = notifier};
    std::string jobid;
    wp::PartId next = parts;
    for (auto _ : state) {
        if (next == parts) {
            state.PauseTiming();
            jobid = wp::new_jobid();
            backend->set_total(jobid, parts);
            next = 0;
            state.ResumeTiming();
        }
        wp::Part(jobid, next++, options).run([] {});
    }
}
BENCHMARK(BM_PartGuardOverMemory);

// create_job over the memory backend and a memory notifier, per part.
static void BM_CreateJobPerPart(benchmark::State& state) {
    const auto n = state.range(0);
    for (auto _ : state) {
        auto backend = std::make_shared<wp::MemoryBackend>();
        auto notifier = std::make_shared<wp::MemoryNotifier>();
        auto parts = std::views::iota(std::int64_t{0}, n) | std::views::transform([](std::int64_t i) { return nlohmann::json{{"i", i}}; });
        benchmark::DoNotOptimize(wp::create_job(parts, {.backend = backend, .notifier = notifier, .workers = 1}));
    }
    state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_CreateJobPerPart)->Arg(10000);
