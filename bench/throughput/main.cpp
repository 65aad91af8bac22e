// watchbot-progress-bench: an end-to-end throughput run, modelled on a real job.
//
//   watchbot-progress-bench --backend URI --topic URI --parts N --workers W [--duplicates K]
//
// Creates a job of N empty parts (publishing the map messages through the real notifier), then runs
// the Part guard for every part from W threads, each part K times when asked (the copies shuffled so
// they race each other and some arrive after the job completed), and prints one JSON line of figures.
// Options for measuring one phase or one cost: --input single-pass (create_job from a stream),
// --topic discard:// (no message store), --create-only, --sample M (only M deliveries),
// --fail-job-on (the guard's per-delivery check whether the job failed) and the DynamoDB layout
// (--dynamodb-layout, --sharded-threshold, --shard-size). --worker-path runs each delivery as a new
// `watchbot-progress-cpp worker` process does (a new backend per delivery, run_part_command with
// /bin/true), one at a time. On DynamoDB the requests that address the job's own item are counted
// too (job_item_reads, job_item_writes). --baseline (DynamoDB) runs the raw
// UpdateItem loop of baseline.hpp on the same table in rounds alternating with the deliveries, so
// the ratio of the two comes from one run under one load. docs/performance.md
// has the figures.

#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <stdexcept>
#include <ranges>
#include <sstream>
#include <thread>

#include "watchbot_progress/config.hpp"
#if WP_WITH_AWS
#include "baseline.hpp"
#endif
#include "job_item_traffic.hpp"
#include "core/counting_backend.hpp"
#include "counting.hpp"
#include "inputs.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace wp = watchbot_progress;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// The process's peak resident set so far (it never decreases).
double peak_rss_mb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

double round3(double v) { return std::round(v * 1000.0) / 1000.0; }

// CPU seconds (user + system, every thread) used so far by this process.
double own_cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// CPU seconds used so far by process `pid` (fields 14 and 15 of /proc/PID/stat); throws when it
// cannot be read, so that a wrong --server-pid is told at once.
double process_cpu_seconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    if (!in || !std::getline(in, stat)) {
        throw wp::InvalidInput("--server-pid " + std::to_string(pid) + ": no such process (give the pid of the server process, e.g. dynalite's node)");
    }
    // The command name (field 2) may hold spaces: the fields after it start after its ')'.
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::string field;
    double utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
        if (i == 14) utime = std::stod(field);
        if (i == 15) stime = std::stod(field);
    }
    return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// CPU used by this process and, when a pid is given, by the server, between two points.
struct CpuMeter {
    pid_t server = 0;
    double own = 0, of_server = 0;
    struct Mark {
        double own, server;
    };
    Mark mark() const { return {own_cpu_seconds(), server > 0 ? process_cpu_seconds(server) : 0}; }
    void add_since(const Mark& start) {
        const Mark now = mark();
        own += now.own - start.own;
        of_server += now.server - start.server;
    }
};

// The exception type of --fail-job-on: never thrown, so the job never fails; what is measured is the
// guard's check before every delivery (Backend::failure_reason).
struct BenchFatalError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

struct DynamoDbChoice {
    std::string layout;              // empty: the backend's default (auto)
    std::int64_t sharded_threshold = 0;  // 0: the backend's default
    std::int64_t shard_size = 0;         // 0: the backend's default
    bool given() const { return !layout.empty() || sharded_threshold > 0 || shard_size > 0; }
};

// A new backend (nothing cached). On DynamoDB its requests that address the item of `jobid` are
// counted in `job_item` (when not null).
std::shared_ptr<wp::Backend> open_bench_backend(const std::string& uri, const DynamoDbChoice& dynamodb,
                                                [[maybe_unused]] const std::string& jobid,
                                                [[maybe_unused]] const std::shared_ptr<wp_bench::JobItemTraffic>& job_item) {
    if (!starts_with(uri, "arn:")) {
        if (!dynamodb.given()) return wp::open_backend(uri);
        throw wp::InvalidInput("--dynamodb-layout, --sharded-threshold and --shard-size apply to a DynamoDB table ARN only, not to " +
                               uri.substr(0, uri.find(':')) + ": drop them or pass --backend arn:aws:dynamodb:...");
    }
#if WP_WITH_AWS
    wp::DynamoDbOptions options;
    options.table = uri;
    if (!dynamodb.layout.empty()) options.layout = wp::parse_dynamodb_layout(dynamodb.layout);
    if (dynamodb.sharded_threshold > 0) options.sharded_threshold = dynamodb.sharded_threshold;
    if (dynamodb.shard_size > 0) options.shard_size = dynamodb.shard_size;
    if (job_item) return wp_bench::dynamodb_counting_job_item(options, jobid, job_item);
    return std::make_shared<wp::DynamoDbBackend>(options);
#else
    return wp::open_backend(uri);  // says DynamoDB is not built in
#endif
}

// The layout a DynamoDB backend gives new jobs ("sharded", "compatible", "auto"); null for others.
nlohmann::json dynamodb_layout_of(const std::shared_ptr<wp::Backend>& backend) {
#if WP_WITH_AWS
    if (auto dynamodb = std::dynamic_pointer_cast<wp::DynamoDbBackend>(backend)) {
        return std::string(wp::to_string(dynamodb->layout()));
    }
#endif
    (void)backend;
    return nullptr;
}

std::shared_ptr<wp::Notifier> open_bench_notifier(const std::string& uri) {
    if (uri == "discard://") return std::make_shared<wp_bench::DiscardNotifier>();
    try {
        return wp::open_notifier(uri);
    } catch (const wp::InvalidInput& e) {
        throw wp::InvalidInput(std::string(e.what()) + ", or discard:// (this tool only)");
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"watchbot-progress-bench: create a job of N parts and complete it from W threads; prints one JSON line"};
    std::string backend_uri, topic_uri, input = "forward";
    std::int64_t parts = 10000, sample = 0;
    std::size_t workers = 25, create_workers = 25;
    int duplicates = 1;
    unsigned seed = 1;
    pid_t server_pid = 0;
    bool keep = false, create_only = false, fail_job_on = false, baseline = false, worker_path = false;
    std::string check_interval = "5s";
    DynamoDbChoice dynamodb;
    app.add_option("--backend", backend_uri, "backend URI (arn:aws:dynamodb:..., redis://, sqlite://, memory://)")->required();
    app.add_option("--topic", topic_uri,
                   "topic URI for map and reduce messages (arn:aws:sns:..., sqlite://, memory://), or discard:// "
                   "(this tool only: keeps no message, SNS's limits)")
        ->required();
    app.add_option("--parts", parts, "number of parts N")->check(CLI::Range(std::int64_t{1}, std::int64_t{100'000'000}));
    app.add_option("--workers", workers, "threads running Part guards")->check(CLI::Range(1, 1024));
    app.add_option("--create-workers", create_workers, "batches published at once by create_job")->check(CLI::Range(1, 1024));
    app.add_option("--duplicates", duplicates, "deliveries of each part (K)")->check(CLI::Range(1, 100));
    app.add_option("--input", input,
                   "how create_job gets the parts: forward (a view it reads twice) or single-pass (a stream it reads "
                   "once, spooling the messages to a temporary file)")
        ->check(CLI::IsMember({"forward", "single-pass"}));
    app.add_flag("--create-only", create_only, "create the job and stop (no Part guards): create-phase figures only");
    app.add_option("--sample", sample,
                   "run only the first M of the shuffled deliveries and leave the job incomplete (per-completion costs "
                   "at sizes too slow to finish)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{100'000'000}));
    app.add_option("--dynamodb-layout", dynamodb.layout,
                   "DynamoDB only: layout of the new job (sharded, compatible, auto); default: the library's "
                   "(WATCHBOT_PROGRESS_DYNAMODB_LAYOUT, else sharded)")
        ->check(CLI::IsMember({"auto", "compatible", "sharded"}));
    app.add_option("--sharded-threshold", dynamodb.sharded_threshold, "DynamoDB only: auto layout's threshold (default 10000)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1'000'000'000}));
    app.add_option("--shard-size", dynamodb.shard_size, "DynamoDB only: sharded layout's parts per shard item (default: the library's)")
        ->check(CLI::Range(std::int64_t{2}, std::int64_t{4'000}));
    app.add_flag("--fail-job-on", fail_job_on,
                 "run the guards with fail_job_on set, so each delivery first checks whether the job failed (one "
                 "small read per delivery)");
    app.add_flag("--worker-path", worker_path,
                 "run each delivery as a new `watchbot-progress-cpp worker -- /bin/true` process does: a new backend "
                 "(nothing cached), the message parsed from its text, run_part_command with the worker's options "
                 "(exit 3 fails the job); one delivery at a time (--workers is ignored)");
    app.add_option("--check-interval", check_interval,
                   "with --worker-path: the worker's --check-interval (how long one delivery's check of the job spares "
                   "the next deliveries their read, through a job facts cache in a temporary directory shared by the "
                   "deliveries as by a host's worker processes); 0: every delivery reads")
        ->capture_default_str();
    app.add_flag("--baseline", baseline,
                 "DynamoDB only: run the raw loop (UpdateItem ADD of a counter, one item per thread, same threads "
                 "and client) as many times as there are deliveries, in rounds of 1000 alternating with the "
                 "deliveries (same load for both), and print its requests/s and the ratio beside ours");
    app.add_option("--server-pid", server_pid,
                   "pid of the server process (e.g. dynalite's node): also print its CPU time per delivery (and per "
                   "raw-loop request with --baseline), read from /proc")
        ->check(CLI::PositiveNumber);
    app.add_option("--seed", seed, "shuffle seed");
    app.add_flag("--keep", keep, "keep the job afterwards (deleted by default)");
    app.footer(
        "Examples:\n"
        "  watchbot-progress-bench --backend redis://127.0.0.1:6379/0 --topic memory:// --parts 10000 --workers 25 --duplicates 2\n"
        "  watchbot-progress-bench --backend redis://127.0.0.1:6379/0 --topic discard:// --parts 1000000 --input single-pass --create-only\n"
        "  watchbot-progress-bench --backend arn:aws:dynamodb:us-east-1:000000000000:table/progress --topic discard:// \\\n"
        "      --parts 5000 --dynamodb-layout compatible --workers 25\n"
        "  watchbot-progress-bench --backend arn:aws:dynamodb:us-east-1:000000000000:table/progress --topic discard:// \\\n"
        "      --parts 1000000 --sample 2000 --fail-job-on\n"
        "  watchbot-progress-bench --backend arn:aws:dynamodb:us-east-1:000000000000:table/progress --topic discard:// \\\n"
        "      --parts 100000 --workers 25 --baseline\n"
        "  watchbot-progress-bench --backend arn:aws:dynamodb:us-east-1:000000000000:table/progress --topic discard:// \\\n"
        "      --parts 10000 --worker-path\n"
        "Exit status: 0 when the job ended as expected (complete with one reduce, or as --sample/--create-only leave it) "
        "without errors; 1 otherwise.");
    CLI11_PARSE(app, argc, argv);
    if (baseline && (create_only || !starts_with(backend_uri, "arn:"))) {
        std::cerr << "watchbot-progress-bench: --baseline needs a DynamoDB table ARN as --backend and a completion "
                     "phase (not --create-only)\n";
        return 2;
    }
    if (worker_path && baseline) {
        std::cerr << "watchbot-progress-bench: --worker-path and --baseline exclude each other: pick one\n";
        return 2;
    }
    if (worker_path) workers = 1;  // run_part_command: one at a time per process
    if (create_only && sample > 0) {
        std::cerr << "watchbot-progress-bench: --create-only and --sample exclude each other: pick one\n";
        return 2;
    }

    try {
        const std::string jobid = wp::new_jobid();
        const auto job_item = starts_with(backend_uri, "arn:") ? std::make_shared<wp_bench::JobItemTraffic>() : nullptr;
        const std::shared_ptr<wp::Backend> target = open_bench_backend(backend_uri, dynamodb, jobid, job_item);
        auto backend = std::make_shared<wp::detail::CountingBackend>(target);
        auto notifier = std::make_shared<wp_bench::CountingNotifier>(open_bench_notifier(topic_uri));
        // HTTP requests made to publish the map messages, when the notifier counts them (SNS).
        std::function<std::uint64_t()> publish_requests;
#if WP_WITH_AWS
        if (auto sns = std::dynamic_pointer_cast<wp::SnsNotifier>(notifier->target())) {
            publish_requests = [sns] { return sns->stats().requests; };
        }
#endif
        const std::uint64_t publish_requests_before = publish_requests ? publish_requests() : 0;

        // Create: N empty parts from a view or a stream, never all in memory.
        const wp::CreateJobOptions create_options{.backend = backend, .notifier = notifier, .jobid = jobid, .workers = create_workers};
        const auto create_start = Clock::now();
        if (input == "single-pass") {
            wp_bench::SinglePassParts stream(parts);
            wp::create_job(stream, create_options);
        } else {
            auto view = std::views::iota(std::int64_t{0}, parts) | std::views::transform([](std::int64_t) { return nlohmann::json::object(); });
            wp::create_job(view, create_options);
        }
        const double create_s = seconds_since(create_start);
        const double create_peak_rss = peak_rss_mb();
        const nlohmann::json publish_requests_per_part =
            publish_requests ? nlohmann::json(round3(static_cast<double>(publish_requests() - publish_requests_before) /
                                                     static_cast<double>(parts)))
                             : nlohmann::json(nullptr);

        // Map: every part K times, shuffled, from W threads (or only the first M deliveries).
        std::vector<wp::PartId> deliveries;
        if (!create_only) {
            deliveries.reserve(static_cast<std::size_t>(parts) * static_cast<std::size_t>(duplicates));
            for (int k = 0; k < duplicates; ++k) {
                for (wp::PartId p = 0; p < parts; ++p) deliveries.push_back(p);
            }
            std::shuffle(deliveries.begin(), deliveries.end(), std::mt19937(seed));
            if (sample > 0 && static_cast<std::size_t>(sample) < deliveries.size()) deliveries.resize(static_cast<std::size_t>(sample));
        }
        std::int64_t expected_remaining = create_only ? parts : 0;
        if (sample > 0) {
            std::vector<bool> delivered(static_cast<std::size_t>(parts));
            for (const wp::PartId p : deliveries) delivered[static_cast<std::size_t>(p)] = true;
            expected_remaining = std::count(delivered.begin(), delivered.end(), false);
        }
        wp::PartOptions options{.backend = backend, .notifier = notifier};
        if (fail_job_on) options.fail_job_on = wp::fail_on<BenchFatalError>();
#if WP_WITH_AWS
        std::unique_ptr<wp_bench::UpdateItemBaseline> raw_loop;
        if (baseline) raw_loop = std::make_unique<wp_bench::UpdateItemBaseline>(backend_uri, jobid, workers);
#endif
        // --worker-path: one delivery as one `worker` process makes it, from a new backend (so
        // nothing is cached: no job layout, no connection), with the worker's options.
        std::atomic<std::uint64_t> fresh_requests{0}, fresh_calls{0}, fresh_bytes{0};
        // The host's job facts cache (job_facts_cache.hpp), in a directory of this run only.
        wp::JobFactsCacheOptions cache_options;
        std::filesystem::path cache_dir;
        if (worker_path) {
            cache_options.interval = wp::parse_check_interval(check_interval, "--check-interval");
            std::string pattern = (std::filesystem::temp_directory_path() / "wp-bench-cache.XXXXXX").string();
            if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot create a temporary directory");
            cache_dir = cache_options.directory = pattern;
        }
        struct RemoveDir {
            std::filesystem::path& dir;
            ~RemoveDir() {
                std::error_code ec;
                if (!dir.empty()) std::filesystem::remove_all(dir, ec);
            }
        } remove_cache_dir{cache_dir};
        const auto deliver = [&](wp::PartId partid) {
            if (!worker_path) {
                wp::Part(jobid, partid, options).run([] {});
                return;
            }
            const auto fresh = std::make_shared<wp::detail::CountingBackend>(open_bench_backend(backend_uri, dynamodb, jobid, job_item));
            const auto tally = [&] {
                const wp::BackendStats s = fresh->stats();
                fresh_requests += s.requests;
                fresh_bytes += s.bytes_sent + s.bytes_received;
                fresh_calls += fresh->calls;
            };
            wp::CommandPartOptions command;
            command.part.backend = fresh;
            command.part.notifier = notifier;
            command.fail_job_on_exit = {3};  // the worker's own: a command's 3 (watchbot's reject) fails the job
            command.facts_cache = std::make_shared<wp::JobFactsCache>(cache_options);  // a new process's
            const wp::MapMessage message =
                wp::parse_map_message(wp::map_message_body(nlohmann::json::object(), jobid, partid, "null"));
            wp::CommandPartResult result;
            try {
                result = wp::run_part_command(message, {"/bin/true"}, std::move(command));
            } catch (...) {
                tally();
                throw;
            }
            tally();
            if (result.outcome != wp::CommandPartResult::Outcome::kCompleted) {
                throw std::runtime_error("the worker path did not complete the part (outcome " +
                                         std::to_string(static_cast<int>(result.outcome)) + ")");
            }
        };
        const std::uint64_t job_item_reads_before = job_item ? job_item->reads.load() : 0;
        const std::uint64_t job_item_writes_before = job_item ? job_item->writes.load() : 0;
        const wp::BackendStats before = backend->stats();
        const std::uint64_t calls_before = backend->calls;
        std::atomic<std::uint64_t> errors{0};
        std::atomic<std::uint64_t> redeliveries{0};  // deliveries that met an unconfirmed claim (ReducePending) and came again
        // With --baseline: rounds of kRound deliveries, each after as many raw-loop requests, so that
        // both figures are measured under the same load; complete_s counts the deliveries only.
        constexpr std::size_t kRound = 1000;
        double complete_s = 0;
        CpuMeter deliveries_cpu{.server = server_pid}, baseline_cpu{.server = server_pid};
        for (std::size_t begin = 0; begin < deliveries.size();) {
            const std::size_t end = baseline ? std::min(deliveries.size(), begin + kRound) : deliveries.size();
#if WP_WITH_AWS
            if (raw_loop) {
                const CpuMeter::Mark baseline_start = baseline_cpu.mark();
                raw_loop->run(end - begin);
                baseline_cpu.add_since(baseline_start);
            }
#endif
            const CpuMeter::Mark round_cpu_start = deliveries_cpu.mark();
            std::atomic<std::size_t> next{begin};
            const auto round_start = Clock::now();
            std::vector<std::thread> threads;
            for (std::size_t t = 0; t < workers; ++t) {
                threads.emplace_back([&] {
                    for (std::size_t i = next++; i < end; i = next++) {
                        try {
                            // Delivered again while another delivery's reduce claim is unconfirmed
                            // (ReducePending), as watchbot redelivers a failed message.
                            for (std::chrono::microseconds pause{200};; pause = std::min(pause * 2, std::chrono::microseconds(20'000))) {
                                try {
                                    deliver(deliveries[i]);
                                    break;
                                } catch (const wp::ReducePending&) {
                                    ++redeliveries;
                                    std::this_thread::sleep_for(pause);
                                }
                            }
                        } catch (const std::exception& e) {
                            if (errors++ == 0) std::cerr << "watchbot-progress-bench: part " << deliveries[i] << ": " << e.what() << "\n";
                        }
                    }
                });
            }
            for (auto& t : threads) t.join();
            complete_s += seconds_since(round_start);
            deliveries_cpu.add_since(round_cpu_start);
            begin = end;
        }
        nlohmann::json baseline_out = nullptr;
#if WP_WITH_AWS
        if (raw_loop) {
            const wp_bench::BaselineResult b = raw_loop->result();
            baseline_out = {{"requests", b.requests},
                            {"http_requests", b.http_requests},
                            {"seconds", round3(b.seconds)},
                            {"requests_per_s", std::round(b.requests_per_s)},
                            {"bytes_per_request", std::round(b.bytes_per_request)},
                            {"errors", b.errors},
                            {"client_cpu_ms_per_request", round3(1000.0 * baseline_cpu.own / static_cast<double>(b.requests))}};
            if (server_pid > 0) baseline_out["server_cpu_ms_per_request"] = round3(1000.0 * baseline_cpu.of_server / static_cast<double>(b.requests));
            raw_loop.reset();
        }
#endif
        const wp::BackendStats after = backend->stats();
        const double n_deliveries = static_cast<double>(deliveries.size());
        const nlohmann::json job_item_reads = job_item ? nlohmann::json(job_item->reads - job_item_reads_before) : nlohmann::json(nullptr);
        const nlohmann::json job_item_writes = job_item ? nlohmann::json(job_item->writes - job_item_writes_before) : nlohmann::json(nullptr);
        const bool counted = worker_path ? fresh_requests > 0 : after.requests > before.requests;
        double requests = counted ? static_cast<double>(after.requests - before.requests)
                                  : static_cast<double>(backend->calls - calls_before);
        double bytes = static_cast<double>((after.bytes_sent - before.bytes_sent) + (after.bytes_received - before.bytes_received));
        if (worker_path) {
            requests = static_cast<double>(counted ? fresh_requests.load() : fresh_calls.load());
            bytes = static_cast<double>(fresh_bytes.load());
        }
        const wp::JobStatus status = backend->status(jobid);
        if (!keep) backend->delete_job(jobid);

        // Figures of the completion phase are null when it did not run.
        const auto per_completion = [&](double value) { return deliveries.empty() ? nlohmann::json(nullptr) : nlohmann::json(value); };
        nlohmann::json out = {
            {"backend", backend->describe()},
            {"topic", notifier->describe()},
            {"dynamodb_layout", dynamodb_layout_of(target)},
            {"parts", parts},
            {"input", input},
            {"workers", workers},
            {"duplicates", duplicates},
            {"fail_job_on", fail_job_on},
            {"delivery_path", worker_path ? "worker" : "part"},
            {"check_interval_ms", worker_path ? nlohmann::json(cache_options.interval.count()) : nlohmann::json(nullptr)},
            {"deliveries", deliveries.size()},
            {"create_s", round3(create_s)},
            {"create_parts_per_s", std::round(static_cast<double>(parts) / create_s)},
            {"create_peak_rss_mb", round3(create_peak_rss)},
            {"publish_requests_per_part", publish_requests_per_part},
            {"complete_s", per_completion(round3(complete_s))},
            {"complete_parts_per_s", per_completion(std::round(static_cast<double>(parts - expected_remaining) / complete_s))},
            {"deliveries_per_s", per_completion(std::round(n_deliveries / complete_s))},
            {"backend_requests_per_part", per_completion(round3(requests / n_deliveries))},
            {"backend_requests_counted_by", counted ? "backend" : "calls"},
            {"bytes_per_completion", counted ? per_completion(std::round(bytes / n_deliveries)) : nlohmann::json(nullptr)},
            {"job_item_reads", deliveries.empty() ? nlohmann::json(nullptr) : job_item_reads},
            {"job_item_writes", deliveries.empty() ? nlohmann::json(nullptr) : job_item_writes},
            {"map_messages", notifier->map_messages.load()},
            {"reduce_messages", notifier->reduce_messages.load()},
            {"remaining", status.remaining},
            {"errors", errors.load()},
            {"redeliveries", redeliveries.load()},
            {"peak_rss_mb", round3(peak_rss_mb())},
            {"client_cpu_ms_per_delivery", per_completion(round3(1000.0 * deliveries_cpu.own / n_deliveries))},
        };
        if (server_pid > 0) out["server_cpu_ms_per_delivery"] = per_completion(round3(1000.0 * deliveries_cpu.of_server / n_deliveries));
        if (!baseline_out.is_null()) {
            out["baseline"] = baseline_out;
            out["deliveries_per_baseline_request"] =
                round3(n_deliveries / complete_s / baseline_out["requests_per_s"].get<double>());
        }
        std::cout << out.dump() << std::endl;
        const std::uint64_t expected_reduces = expected_remaining == 0 ? 1 : 0;
        return (status.remaining == expected_remaining && notifier->reduce_messages == expected_reduces && errors == 0) ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "watchbot-progress-bench: " << e.what() << "\n";
        return 1;
    }
}
