// monitor: sends the alerts of jobs that went wrong (stalled, reduce overdue, failed without an
// alert) to the alert topic, and repairs what `sweep` repairs, in passes: every --interval until
// stopped (SIGINT/SIGTERM, taken between passes), or one pass with --once (cron, a scheduled ECS
// task). The finding and sending is the library's monitor_pass (watchbot_progress/monitor.hpp);
// this file reads the options and prints one JSON line per alert sent and per repair done. With
// --metrics-listen (a build with the dashboard) it also answers GET /metrics (dashboard/metrics.hpp).
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "alerting.hpp"
#include "duration.hpp"
#include "listen_address.hpp"
#include "output.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/monitor.hpp"

#if WP_CLI_DASHBOARD
#include "dashboard/metrics.hpp"
#include "dashboard/metrics_server.hpp"
#endif

namespace wp = watchbot_progress;

namespace wpcli {

namespace {

struct MonitorCommandOptions {
    std::vector<std::string> jobids;  // empty: every job
    std::string alert_topic;          // empty: AlertTopic
    std::string topic;                // the work topic for repaired reduces; empty: WorkTopic
    std::string stall_after = "30m";
    std::string reduce_lease = "5m";
    std::string interval = "1m";
    std::string ignore_older_than = "7d";
    bool once = false;
    bool no_repair = false;
    std::string metrics_listen;  // HOST:PORT for GET /metrics; empty: no metrics server
    int metrics_jobs = 20;
};

// The alert topic: --alert-topic, else AlertTopic; ConfigError when neither is set.
std::string alert_topic_of(const MonitorCommandOptions& opt) {
    std::string topic = alert_topic_or_env(opt.alert_topic);
    if (!topic.empty()) return topic;
    throw wp::ConfigError(
        "monitor has nowhere to send alerts: pass --alert-topic (an SNS topic ARN, or sqlite:///path/alerts.db for "
        "a local queue) or set AlertTopic");
}

void run_monitor(const MonitorCommandOptions& opt, Context& ctx) {
    wp::MonitorOptions options;
    options.jobids = opt.jobids;
    options.stall_after = parse_duration(opt.stall_after, "--stall-after");
    options.reduce_lease = parse_duration(opt.reduce_lease, "--reduce-lease");
    options.ignore_older_than = parse_duration(opt.ignore_older_than, "--ignore-older-than");
    const std::chrono::milliseconds interval = parse_duration(opt.interval, "--interval");
    if (!opt.once && interval.count() < 1000) throw wp::InvalidInput("--interval must be at least 1s (e.g. 30s, 1m)");
    options.alerts = ctx.open_notifier(alert_topic_of(opt));
    const auto backend = ctx.open_backend();
    if (!opt.no_repair) {
        wp::SweepOptions repair;
        repair.older_than = options.reduce_lease;
        repair.open_sink = [&] { return wp::ReduceSink{ctx.open_notifier(opt.topic), {}}; };
        options.repair = std::move(repair);
    }
    bool failures = false;
    options.on_event = print_monitor_events(&failures);
    if (!opt.metrics_listen.empty() && opt.once) {
        throw wp::InvalidInput("--metrics-listen needs a running monitor: leave out --once (a scrape would find it gone)");
    }
    if (opt.metrics_jobs < 0 || opt.metrics_jobs > 1000) {
        throw wp::InvalidInput("--metrics-jobs must be a whole number from 0 to 1000");
    }

    if (opt.once) {
        wp::monitor_pass(*backend, options);
        if (failures) ctx.exit_code = kExitJobFailed;
        return;
    }
    // Long-running: SIGINT and SIGTERM are taken only between passes (a pass is never cut in two).
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);  // before the metrics server's threads start: they inherit it
#if WP_CLI_DASHBOARD
    std::optional<dashboard::MetricsEndpoint> metrics;
    std::optional<dashboard::MetricsServer> metrics_server;
    if (!opt.metrics_listen.empty()) {
        const ListenAddress address = parse_listen(opt.metrics_listen, "--metrics-listen");
        dashboard::MetricsOptions metrics_options;
        metrics_options.max_jobs = static_cast<std::size_t>(opt.metrics_jobs);
        metrics_options.stale_after = options.stall_after;
        metrics.emplace(backend, metrics_options);
        metrics_server.emplace(*metrics);
        const int port = metrics_server->start(address.host, address.port);
        print_message("metrics on http://" + url_host(address.host) + ":" + std::to_string(port) + "/metrics");
    }
#else
    if (!opt.metrics_listen.empty()) {
        throw wp::ConfigError("--metrics-listen needs a build with the dashboard (WP_WITH_DASHBOARD, cpp-httplib)");
    }
#endif
    for (;;) {
        try {
            wp::monitor_pass(*backend, options);
        } catch (const std::exception& e) {
            print_message(std::string("a monitor pass failed (the next one tries again): ") + e.what());
        }
        timespec wait{};
        wait.tv_sec = static_cast<std::time_t>(interval.count() / 1000);
        wait.tv_nsec = static_cast<long>((interval.count() % 1000) * 1'000'000);
        int signal = -1;
        do {
            signal = sigtimedwait(&stop, nullptr, &wait);
        } while (signal < 0 && errno == EINTR);
        if (signal > 0) return;  // stopped
    }
}

}  // namespace

void setup_monitor(CLI::App& app, Context& ctx) {
    auto opt = std::make_shared<MonitorCommandOptions>();
    auto* sub = app.add_subcommand("monitor", "Send alerts about jobs that went wrong, and repair lost reduces");
    sub->add_option("jobid", opt->jobids, "Only these jobs (default: every job in the database)")->type_name("JOBID...");
    add_database_option(*sub, ctx);
    sub->add_option("--alert-topic", opt->alert_topic,
                    "Where alerts go: an SNS topic ARN or sqlite:///path/alerts.db (a local queue). Default: the "
                    "AlertTopic environment variable")
        ->type_name("URI");
    sub->add_option("--topic", opt->topic,
                    "Where repaired reduce messages go (SNS topic ARN or sqlite:///queue.db). Default: WorkTopic")
        ->type_name("URI");
    sub->add_option("--stall-after", opt->stall_after,
                    "A job with pending parts and no change for this long is stalled (e.g. 30m, 2h)")
        ->type_name("DURATION")
        ->capture_default_str();
    sub->add_option("--reduce-lease", opt->reduce_lease,
                    "A complete job whose reduce stays unconfirmed (or unclaimed) this long is reduce-overdue; the "
                    "repair takes such claims over (sweep --older-than)")
        ->type_name("DURATION")
        ->capture_default_str();
    sub->add_option("--ignore-older-than", opt->ignore_older_than,
                    "Leave alone jobs unchanged for longer than this (the jobs of before the monitor ran); 0: no limit")
        ->type_name("DURATION")
        ->capture_default_str();
    sub->add_option("--interval", opt->interval, "Time between two passes (at least 1s)")
        ->type_name("DURATION")
        ->capture_default_str();
    sub->add_flag("--once", opt->once, "One pass, then exit (for cron or a scheduled ECS task)");
    sub->add_flag("--no-repair", opt->no_repair, "Send alerts only; do not send lost reduces (no sweep)");
    sub->add_option("--metrics-listen", opt->metrics_listen,
                    "Also answer GET /metrics (Prometheus, read from the database at each scrape) on this address, "
                    "e.g. 127.0.0.1:9464 (port 0: any free one; not with --once)")
        ->type_name("HOST:PORT");
    sub->add_option("--metrics-jobs", opt->metrics_jobs,
                    "GET /metrics: per-job series for this many running jobs, the most recently created (0 to 1000)")
        ->type_name("N")
        ->capture_default_str();
    sub->footer(
        "Each pass reads the jobs and sends, at most once per job and state (the mark is taken atomically in\n"
        "the database, so any number of monitors and workers may run at once, and a restarted monitor sends\n"
        "nothing twice):\n"
        "  failed          the job failed and nobody sent its alert (the failing worker had no alert topic or died)\n"
        "  stalled         parts pending and no part completed for --stall-after\n"
        "  reduce-overdue  complete, and its reduce claimed but unconfirmed, or never claimed, for --reduce-lease\n"
        "Workers send `failed` and `part-dead` themselves (worker --alert-topic, or AlertTopic). Then, unless\n"
        "--no-repair, the pass does what `sweep --older-than <reduce-lease>` does: lost reduces are sent.\n"
        "Prints one JSON line per alert sent ({\"event\": \"alert\", \"jobid\", \"state\", ...}: the alert message's\n"
        "fields) and per reduce repaired ({\"event\": \"repair\", \"jobid\", \"action\": \"reduce-sent\"}).\n"
        "Errors go to stderr; with --once the exit code is then 1. Runs until SIGINT/SIGTERM without --once.\n"
        "With --metrics-listen it answers GET /metrics in the Prometheus text format (docs/operations.md,\n"
        "\"Metrics\"): values read from the database at each scrape; running jobs unchanged for --stall-after\n"
        "count as stale there.\n\n"
        "Example:\n"
        "  watchbot-progress-cpp monitor --once -d redis://localhost:6379/0 --alert-topic arn:aws:sns:us-east-1:123456789012:alerts\n"
        "  watchbot-progress-cpp monitor -d sqlite:///tmp/jobs.db --alert-topic sqlite:///tmp/alerts.db --interval 30s\n"
        "  watchbot-progress-cpp monitor -d redis://localhost:6379/0 --alert-topic sqlite:///tmp/alerts.db --metrics-listen 127.0.0.1:9464");
    sub->callback([opt, &ctx] { run_monitor(*opt, ctx); });
}

}  // namespace wpcli
