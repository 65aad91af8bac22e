// serve: a live web dashboard of the jobs in a database — the page and its JSON API from this binary
// (cli/dashboard/). Read-only unless --allow-actions, which prints a token every action must carry.
#include <pthread.h>
#include <signal.h>
#include <sys/random.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "commands.hpp"
#include "dashboard/dashboard_api.hpp"
#include "dashboard/dashboard_server.hpp"
#include "dashboard/job_monitor.hpp"
#include "dashboard/metrics.hpp"
#include "alerting.hpp"
#include "duration.hpp"
#include "listen_address.hpp"
#include "output.hpp"
#include "part_reader.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/version.hpp"

namespace wp = watchbot_progress;

namespace wpcli {

namespace {

struct ServeOptions {
    std::string listen = "127.0.0.1:8080";
    bool allow_actions = false;
    double interval = 2.0;  // seconds between reads of the job list
    std::string stale = "1h";
    std::string topic;  // where sweep sends a lost reduce and resend the map messages; empty: WorkTopic
    std::string parts_dir;  // JOBID.jsonl / JOBID.json: the parts files resend reads; empty: no resend
    std::vector<std::string> allow_hosts;  // Host header names accepted beside loopback and the listen address
    int max_streams = 16;                  // open event streams (pages) at once
    std::string alert_topic;               // alerts (monitor passes) when set; empty: AlertTopic, else none
    std::string alert_interval = "1m";
    std::string stall_after = "30m";
    std::string reduce_lease = "5m";
    int metrics_jobs = 20;  // GET /metrics: per-job series for this many running jobs
};

// 32 random bytes from the kernel as hex.
std::string new_token() {
    unsigned char bytes[32];
    std::size_t got = 0;
    while (got < sizeof bytes) {
        const ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error("cannot make the action token: the kernel's random source failed");
        }
        got += static_cast<std::size_t>(n);
    }
    static const char* digits = "0123456789abcdef";
    std::string token;
    for (unsigned char b : bytes) {
        token += digits[b >> 4];
        token += digits[b & 15];
    }
    return token;
}

// The parts file of `jobid` in `dir`: DIR/JOBID.jsonl, else DIR/JOBID.json. InvalidInput when the job
// id cannot be a file name or neither file exists.
std::unique_ptr<wp::PartSource> open_parts_file(const std::string& dir, const std::string& jobid) {
    if (jobid.find('/') != std::string::npos || jobid == "." || jobid == "..") {
        throw wp::InvalidInput("job '" + jobid + "' has an id that is no file name: resend it with the CLI's `resend`");
    }
    for (const char* extension : {".jsonl", ".json"}) {
        const std::filesystem::path path = std::filesystem::path(dir) / (jobid + extension);
        std::error_code ignored;
        if (std::filesystem::is_regular_file(path, ignored)) {
            return std::make_unique<PartReader>(path.string(), PartReader::Format::kAuto);
        }
    }
    throw wp::InvalidInput("no parts file for job '" + jobid + "' in " + dir + " (" + jobid + ".jsonl or " + jobid +
                           ".json, the file `create` read): put it there, or resend with the CLI's `resend`");
}

void run_serve(const ServeOptions& opt, Context& ctx) {
    const ListenAddress address = parse_listen(opt.listen);
    if (!(opt.interval > 0.0) || !std::isfinite(opt.interval) || opt.interval > 3600.0) {
        throw wp::InvalidInput("--interval must be a number of seconds above 0 and at most 3600");
    }
    dashboard::MonitorOptions monitor_options;
    monitor_options.interval = std::chrono::milliseconds(std::max<std::int64_t>(1, std::llround(opt.interval * 1000)));
    monitor_options.stale_after = parse_duration(opt.stale, "--stale");
    if (monitor_options.stale_after.count() <= 0) throw wp::InvalidInput("--stale must be longer than 0");
    if (opt.max_streams < 1 || opt.max_streams > 1000) {
        throw wp::InvalidInput("--max-streams must be a whole number from 1 to 1000");
    }
    if (opt.metrics_jobs < 0 || opt.metrics_jobs > 1000) {
        throw wp::InvalidInput("--metrics-jobs must be a whole number from 0 to 1000");
    }
    dashboard::ServerOptions server_options;
    server_options.max_event_streams = opt.max_streams;
    for (const auto& name : opt.allow_hosts) server_options.allowed_hosts.push_back(dashboard::normalize_allowed_host(name));

    // SIGINT and SIGTERM go to one thread, which stops the server; blocked before any thread starts
    // so that every thread (the backend's too) inherits the mask.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGUSR1);  // serve() ended by itself: wakes the signal thread
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    std::optional<wp::MonitorOptions> alert_options;
    const std::chrono::milliseconds alert_interval = parse_duration(opt.alert_interval, "--alert-interval");
    if (const std::string alert_topic = alert_topic_or_env(opt.alert_topic); !alert_topic.empty()) {
        if (alert_interval.count() < 1000) throw wp::InvalidInput("--alert-interval must be at least 1s (e.g. 30s, 1m)");
        alert_options.emplace();
        alert_options->stall_after = parse_duration(opt.stall_after, "--stall-after");
        alert_options->reduce_lease = parse_duration(opt.reduce_lease, "--reduce-lease");
        alert_options->alerts = ctx.open_notifier(alert_topic);
        wp::SweepOptions repair;
        repair.older_than = alert_options->reduce_lease;
        repair.open_sink = [&ctx, topic = opt.topic] { return wp::ReduceSink{ctx.open_notifier(topic), {}}; };
        alert_options->repair = std::move(repair);
    }

    const auto backend = ctx.open_backend();
    bool alert_pass_failed = false;  // written by the alert thread only
    if (alert_options) alert_options->on_event = print_monitor_events(&alert_pass_failed);

    dashboard::JobMonitor monitor(backend, monitor_options);
    dashboard::ApiOptions api_options;
    api_options.allow_actions = opt.allow_actions;
    if (opt.allow_actions) api_options.token = new_token();
    api_options.open_sink = [&ctx, topic = opt.topic] { return wp::ReduceSink{ctx.open_notifier(topic), {}}; };
    api_options.version = wp::version();
    if (!opt.parts_dir.empty()) {
        std::error_code ignored;
        if (!std::filesystem::is_directory(opt.parts_dir, ignored)) {
            throw wp::InvalidInput("--parts-dir " + opt.parts_dir + " is not a directory: give the directory of the jobs' "
                                   "parts files (JOBID.jsonl or JOBID.json)");
        }
        api_options.open_parts = [dir = opt.parts_dir](const std::string& jobid) { return open_parts_file(dir, jobid); };
    }
    dashboard::DashboardApi api(backend, monitor, api_options);
    dashboard::MetricsOptions metrics_options;
    metrics_options.max_jobs = static_cast<std::size_t>(opt.metrics_jobs);
    metrics_options.stale_after = monitor_options.stale_after;
    dashboard::MetricsEndpoint metrics(backend, metrics_options);
    server_options.metrics = &metrics;
    dashboard::DashboardServer server(api, monitor, server_options);
    const int port = server.bind(address.host, address.port);
    monitor.start();

    const std::string url = "http://" + url_host(address.host) + ":" + std::to_string(port) + "/";
    print_message("dashboard of " + backend->describe() + " on " + url);
    if (is_loopback(address.host)) {
        print_message("listening on " + address.host + " only: other machines cannot connect (--listen 0.0.0.0:" +
                      std::to_string(port) + " to allow them)");
    } else {
        std::string names;
        for (const auto& name : server_options.allowed_hosts) names += (names.empty() ? "" : ", ") + name;
        const bool wildcard = address.host == "0.0.0.0" || address.host == "::";
        print_message("listening on " + address.host + ": other machines may connect, over plain HTTP, " +
                      (names.empty() ? (wildcard ? std::string("by the names given with --allow-host (none given: add "
                                                               "--allow-host NAME for the name they open)")
                                                 : "as " + address.host)
                                     : "as " + (wildcard ? names : address.host + ", " + names)));
    }
    if (opt.allow_actions) {
        print_message(std::string("actions allowed (fail, sweep, delete") + (opt.parts_dir.empty() ? "" : ", resend") + ") with the token " + api_options.token + ": open " + url +
                      "#token=" + api_options.token);
    } else {
        print_message("read-only (--allow-actions to fail, sweep or delete jobs from the page)");
    }

    // With an alert topic: `monitor`'s pass (alerts, then sweep's repairs) every --alert-interval, on
    // a thread of its own, until the server stops.
    std::mutex alert_mutex;
    std::condition_variable alert_wake;
    bool stopping = false;
    std::thread alert_thread;
    if (alert_options) {
        print_message("alerts to " + alert_options->alerts->describe() + " every " + describe_duration(alert_interval));
        alert_thread = std::thread([&] {
            for (;;) {  // the first pass runs at once, whenever serve is stopped
                try {
                    wp::monitor_pass(*backend, *alert_options);
                } catch (const std::exception& e) {
                    print_message(std::string("an alert pass failed (the next one tries again): ") + e.what());
                }
                std::unique_lock lock(alert_mutex);
                if (alert_wake.wait_for(lock, alert_interval, [&] { return stopping; })) return;
            }
        });
    }
    const auto stop_alerts = [&] {
        if (!alert_thread.joinable()) return;
        {
            std::lock_guard lock(alert_mutex);
            stopping = true;
        }
        alert_wake.notify_all();
        alert_thread.join();
    };

    std::thread signal_thread([&] {
        int sig = 0;
        sigwait(&signals, &sig);
        monitor.stop();
        server.stop();
    });
    server.serve();
    pthread_kill(signal_thread.native_handle(), SIGUSR1);
    signal_thread.join();
    monitor.stop();
    stop_alerts();
    print_message("stopped");
}

}  // namespace

void setup_serve(CLI::App& app, Context& ctx) {
    auto opt = std::make_shared<ServeOptions>();
    auto* sub = app.add_subcommand("serve", "A live web dashboard of the jobs (page and JSON API)");
    add_database_option(*sub, ctx);
    sub->add_option("--listen", opt->listen, "Address and port to listen on (port 0: any free one)")
        ->type_name("HOST:PORT")
        ->capture_default_str();
    sub->add_flag("--allow-actions", opt->allow_actions,
                  "Allow failing, sweeping and deleting jobs from the page, with a token printed at start-up");
    sub->add_option("--interval", opt->interval, "Seconds between two reads of the job list")
        ->type_name("SECONDS")
        ->capture_default_str();
    sub->add_option("--stale", opt->stale, "Running jobs with no progress for this long show as stale (e.g. 30m, 2h)")
        ->type_name("DURATION")
        ->capture_default_str();
    sub->add_option("--topic", opt->topic,
                    "Where the sweep action sends a lost reduce and the resend actions the map messages (default: "
                    "WorkTopic)")
        ->type_name("URI");
    sub->add_option("--parts-dir", opt->parts_dir,
                    "A directory of the jobs' parts files, JOBID.jsonl or JOBID.json (the files `create` read): lets "
                    "the page resend a job's failed parts, or one part (with --allow-actions)")
        ->type_name("DIR");
    sub->add_option("--alert-topic", opt->alert_topic,
                    "Also send alerts, as `monitor` does (stalled, reduce-overdue, failed; then sweep's repairs to "
                    "--topic), every --alert-interval: an SNS topic ARN or sqlite:///path/alerts.db. Default: the "
                    "AlertTopic environment variable; unset: no alerts")
        ->type_name("URI");
    sub->add_option("--alert-interval", opt->alert_interval, "Time between two alert passes (at least 1s)")
        ->type_name("DURATION")
        ->capture_default_str();
    sub->add_option("--stall-after", opt->stall_after, "Alerts: pending parts and no change for this long is stalled")
        ->type_name("DURATION")
        ->capture_default_str();
    sub->add_option("--reduce-lease", opt->reduce_lease,
                    "Alerts: a reduce unconfirmed (or unclaimed) this long is overdue, and the repair takes it over")
        ->type_name("DURATION")
        ->capture_default_str();
    sub->add_option("--allow-host", opt->allow_hosts,
                    "A host name (or address) the page may be opened by, beside loopback and the --listen address; "
                    "repeatable. Other Host headers are refused (421)")
        ->type_name("NAME");
    sub->add_option("--max-streams", opt->max_streams,
                    "Pages with live updates at once (one event stream each); more are refused (503) and retry "
                    "30 s later, while the API and the actions stay answered")
        ->type_name("N")
        ->capture_default_str();
    sub->add_option("--metrics-jobs", opt->metrics_jobs,
                    "GET /metrics: per-job series (parts by state, oldest pending part's age) for this many running "
                    "jobs, the most recently created (0 to 1000)")
        ->type_name("N")
        ->capture_default_str();
    sub->footer(
        "Serves a page (the jobs with their state, progress, rate and time to finish; one job's metadata,\n"
        "failure reason, failed and pending parts, and a chart of completions while the page is open) and\n"
        "the JSON API behind it (docs/cli.md). Pages are updated by server-sent events, without reloading.\n"
        "Listens on 127.0.0.1 unless --listen says otherwise. Read-only unless --allow-actions: then each\n"
        "action (fail, sweep one job, delete; with --parts-dir, resend a job's failed parts or one part)\n"
        "asks for confirmation in the page, and every action request must carry the token printed at\n"
        "start-up. Requests whose Host header is not loopback, the --listen address (unless 0.0.0.0 or ::)\n"
        "or a name given with --allow-host are refused, so that another site cannot reach the dashboard\n"
        "through a DNS name of its own (DNS rebinding); with --listen 0.0.0.0:PORT, give --allow-host for\n"
        "each name or address other machines open it by. At most --max-streams pages get live updates at\n"
        "once. Stops on Ctrl-C or SIGTERM (exit 0).\n"
        "GET /metrics answers Prometheus metrics read from the database at each scrape (docs/operations.md).\n"
        "With --alert-topic (or AlertTopic) it also runs `monitor`'s pass every --alert-interval, printing the\n"
        "same JSON lines on stdout (see `monitor --help`).\n\n"
        "Examples:\n"
        "  watchbot-progress-cpp serve -d sqlite:///tmp/jobs.db\n"
        "  watchbot-progress-cpp serve -d redis://localhost:6379/0 --listen 127.0.0.1:9000 --allow-actions\n"
        "  watchbot-progress-cpp serve -d sqlite:///tmp/jobs.db --allow-actions --topic sqlite:///tmp/queue.db --parts-dir parts/\n"
        "  watchbot-progress-cpp serve -d sqlite:///tmp/jobs.db --listen 0.0.0.0:8080 --allow-host dash.example.com");
    sub->callback([opt, &ctx] { run_serve(*opt, ctx); });
}

}  // namespace wpcli
