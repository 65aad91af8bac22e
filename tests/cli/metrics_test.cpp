// Metrics from the command line, as real processes on each backend (CliBackend): GET /metrics of
// `serve` and of `monitor --metrics-listen`, checked by promtool and against what `ls`, `info` and
// `failed` print for the same jobs (a restarted monitor reports the same: the values are the
// store's); and the EMF line `worker` writes per delivery with WATCHBOT_PROGRESS_METRICS=emf.
// Synchronised on what the servers print (their address), never on time.
#include <sys/socket.h>
#include <unistd.h>

#include <future>

#include "cli_test_support.hpp"
#include "emf_check.hpp"
#include "loopback_socket.hpp"
#include "prometheus_check.hpp"

namespace {

using namespace wp_cli_test;

// A CLI command running in the background (serve, monitor) until the object goes: constructed once
// its stderr matched `ready` (a regex whose first group is the port it listens on).
class Background {
public:
    Background(std::vector<std::string> args, std::map<std::string, std::string> env, const std::string& ready) {
        auto announced = ready_.get_future();
        thread_ = std::thread([this, args, env, ready] {
            RunOptions o;
            o.env = env;
            o.timeout = std::chrono::seconds(600);
            o.interrupt_when = [this] { return stopping_.load(); };
            o.on_stderr = [this, ready](const std::string& err) {
                std::smatch m;
                if (port_ != 0 || !std::regex_search(err, m, std::regex(ready))) return;
                port_ = std::stoi(m[1]);
                ready_.set_value();
            };
            result_ = run_cli(args, o);
            if (port_ == 0) ready_.set_value();
        });
        announced.get();
        if (port_ == 0) ADD_FAILURE() << "the command did not start: " << stop();
    }
    ~Background() { stop(); }
    const CliResult& stop() {
        stopping_ = true;
        if (thread_.joinable()) thread_.join();
        return result_;
    }
    int port() const { return port_; }

private:
    std::promise<void> ready_;
    std::atomic<bool> stopping_{false};
    int port_ = 0;
    CliResult result_;
    std::thread thread_;
};

struct HttpAnswer {
    int status = 0;
    std::string content_type;
    std::string body;
};

// GET `path` from 127.0.0.1:port on a new connection (Connection: close), read to the end.
HttpAnswer http_get(int port, const std::string& path) {
    const int fd = wp_test::connect_to_loopback(port);
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
        ::close(fd);
        throw std::runtime_error("cannot send the request");
    }
    std::string raw;
    char buffer[8192];
    for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) raw.append(buffer, static_cast<std::size_t>(n));
    ::close(fd);
    HttpAnswer answer;
    const auto end = raw.find("\r\n\r\n");
    if (end == std::string::npos || raw.compare(0, 9, "HTTP/1.1 ") != 0) throw std::runtime_error("no HTTP answer: " + raw);
    answer.status = std::stoi(raw.substr(9, 3));
    std::smatch m;
    const std::string head = raw.substr(0, end);
    if (std::regex_search(head, m, std::regex("\r\n[Cc]ontent-[Tt]ype: ([^\r]*)"))) answer.content_type = m[1];
    answer.body = raw.substr(end + 4);
    return answer;
}

class CliMetrics : public CliBackend {
protected:
    // Jobs in each state: running (5 parts, 2 complete, part 4 failed for good), complete with its
    // reduce confirmed, complete and unsent, failed.
    void SetUp() override {
        CliBackend::SetUp();
        complete = new_job(1, "metrics-done");
        const auto claim = backend->complete_part_and_claim_reduce(complete, 0).reduce_claim;
        ASSERT_TRUE(claim);
        backend->confirm_reduce(complete, *claim);
        unsent = new_job(2, "metrics-unsent");
        backend->complete_part(unsent, 0);
        backend->complete_part(unsent, 1);
        failed = new_job(3, "metrics-failed");
        backend->fail_job(failed, "bad \"input\"\nsecond line");
        running = new_job(5, "metrics-running");  // the most recently created running job
        backend->complete_part(running, 0);
        backend->complete_part(running, 3);
        backend->record_failed_part(running, 4);
    }

    // Checks one scrape: the format (promtool), and the values against `ls`, `info` and `failed`.
    void expect_matches_the_cli(const HttpAnswer& answer) {
        ASSERT_EQ(answer.status, 200) << answer.body;
        EXPECT_EQ(answer.content_type, "text/plain; version=0.0.4; charset=utf-8");
        wp_test::expect_promtool_accepts(answer.body);
        const auto samples = wp_test::parse_exposition(answer.body);
        const auto value = [&](const std::string& name, const std::map<std::string, std::string>& labels = {}) {
            const auto v = wp_test::sample_value(samples, name, labels);
            EXPECT_TRUE(v) << name << " missing in\n" << answer.body;
            return v.value_or(-1);
        };

        // Every job, by what `ls` prints (its `info` objects).
        const auto ls = cli({"ls"});
        ASSERT_EQ(ls.code, 0) << ls;
        double running_jobs = 0, complete_jobs = 0, failed_jobs = 0, reduce_sent = 0;
        for (const auto& line : lines_of(ls.out)) {
            const json info = json::parse(line);
            if (info["failed"] == true) {
                ++failed_jobs;
            } else if (info["remaining"] == 0) {
                ++complete_jobs;
            } else {
                ++running_jobs;
            }
            if (info["reduceSent"] == true) ++reduce_sent;
        }
        EXPECT_EQ(value("watchbot_progress_jobs", {{"state", "running"}}) +
                      value("watchbot_progress_jobs", {{"state", "stale"}}),
                  running_jobs);
        EXPECT_EQ(value("watchbot_progress_jobs", {{"state", "complete"}}), complete_jobs);
        EXPECT_EQ(value("watchbot_progress_jobs", {{"state", "failed"}}), failed_jobs);
        EXPECT_EQ(value("watchbot_progress_reduces_sent"), reduce_sent);

        // The running job's parts, by `info` and `failed`.
        const auto info = cli({"info", running});
        ASSERT_EQ(info.code, 0) << info;
        const json status = json::parse(info.out);
        EXPECT_EQ(value("watchbot_progress_job_parts", {{"jobid", running}, {"state", "pending"}}),
                  status["remaining"].get<double>());
        EXPECT_EQ(value("watchbot_progress_job_parts", {{"jobid", running}, {"state", "complete"}}),
                  status["total"].get<double>() - status["remaining"].get<double>());
        const auto failed_parts = cli({"failed", running});
        ASSERT_EQ(failed_parts.code, 0) << failed_parts;
        EXPECT_EQ(value("watchbot_progress_job_parts", {{"jobid", running}, {"state", "failed"}}),
                  static_cast<double>(lines_of(failed_parts.out).size()));
        EXPECT_GE(value("watchbot_progress_job_oldest_pending_part_age_seconds", {{"jobid", running}}), 0);
        // Only running jobs get per-job series.
        EXPECT_FALSE(wp_test::sample_value(samples, "watchbot_progress_job_parts", {{"jobid", failed}, {"state", "pending"}}));
        EXPECT_FALSE(wp_test::sample_value(samples, "watchbot_progress_job_parts", {{"jobid", complete}, {"state", "pending"}}));
    }

    std::map<std::string, std::string> env() const { return child_env; }

    std::string running, complete, unsent, failed;
};

TEST_P(CliMetrics, ServeAnswersMetricsFromTheStore) {
    Background serve({"serve", "-d", uri, "--listen", "127.0.0.1:0", "--metrics-jobs", "5"}, env(),
                     R"(on http://127\.0\.0\.1:([0-9]+)/)");
    ASSERT_NE(serve.port(), 0);
    expect_matches_the_cli(http_get(serve.port(), "/metrics"));
}

TEST_P(CliMetrics, MonitorAnswersTheSameAfterARestart) {
    const std::vector<std::string> args = {"monitor", "-d", uri, "--alert-topic", queue_uri, "--no-repair",
                                           "--interval", "1h", "--metrics-listen", "127.0.0.1:0", "--metrics-jobs", "5"};
    std::string first;
    {
        Background monitor(args, env(), R"(metrics on http://127\.0\.0\.1:([0-9]+)/metrics)");
        ASSERT_NE(monitor.port(), 0);
        const HttpAnswer answer = http_get(monitor.port(), "/metrics");
        expect_matches_the_cli(answer);
        first = answer.body;
        EXPECT_EQ(http_get(monitor.port(), "/other").status, 404);
        EXPECT_EQ(monitor.stop().code, 0);
    }
    Background again(args, env(), R"(metrics on http://127\.0\.0\.1:([0-9]+)/metrics)");
    ASSERT_NE(again.port(), 0);
    const HttpAnswer answer = http_get(again.port(), "/metrics");
    expect_matches_the_cli(answer);
    // The counts of the first monitor, read again from the store (the ages may have grown).
    for (const std::string name : {"watchbot_progress_jobs", "watchbot_progress_reduces_sent", "watchbot_progress_job_parts"}) {
        std::vector<std::pair<std::map<std::string, std::string>, double>> before, after;
        for (const auto& s : wp_test::parse_exposition(first)) if (s.name == name) before.emplace_back(s.labels, s.value);
        for (const auto& s : wp_test::parse_exposition(answer.body)) if (s.name == name) after.emplace_back(s.labels, s.value);
        if (name == "watchbot_progress_jobs") {
            // running and stale may trade jobs as time passes; their sum may not change.
            double b = 0, a = 0;
            for (const auto& [labels, v] : before) if (labels.at("state") == "running" || labels.at("state") == "stale") b += v;
            for (const auto& [labels, v] : after) if (labels.at("state") == "running" || labels.at("state") == "stale") a += v;
            EXPECT_EQ(a, b);
            continue;
        }
        EXPECT_EQ(after, before) << name;
    }
}

// The repairs and the alerts, made by the commands that make them (sweep, monitor --once), counted
// from the store by a serve started afterwards: one lost reduce repaired, one failed job alerted.
// The Redis and DynamoDB stores are shared with other tests, so the counts are compared before and
// after, and the commands are given this test's jobs.
TEST_P(CliMetrics, RepairsAndAlertsComeFromTheStore) {
    const std::vector<std::string> states = {"failed", "stalled", "reduce-overdue", "part-dead"};
    // {reduce_repairs, alerts_sent by state...} as GET /metrics of a new serve says.
    const auto scrape = [&] {
        Background serve({"serve", "-d", uri, "--listen", "127.0.0.1:0"}, env(), R"(on http://127\.0\.0\.1:([0-9]+)/)");
        const HttpAnswer answer = http_get(serve.port(), "/metrics");
        EXPECT_EQ(answer.status, 200) << answer.body;
        wp_test::expect_promtool_accepts(answer.body);
        const auto samples = wp_test::parse_exposition(answer.body);
        std::vector<double> values{wp_test::sample_value(samples, "watchbot_progress_reduce_repairs").value_or(-1)};
        for (const auto& state : states) {
            values.push_back(wp_test::sample_value(samples, "watchbot_progress_alerts_sent", {{"state", state}}).value_or(-1));
        }
        return values;
    };
    const std::vector<double> before = scrape();
    for (const double v : before) ASSERT_GE(v, 0);

    auto r = cli({"sweep", unsent, "--topic", queue_uri});  // sends the unsent job's reduce
    ASSERT_EQ(r.code, 0) << r;
    EXPECT_EQ(lines_of(r.out), std::vector<std::string>{unsent});
    const std::vector<std::string> monitor = {"monitor", "--once", "--alert-topic", queue_uri, "--no-repair",
                                              running, complete, unsent, failed};
    r = cli(monitor);  // alerts the failed job, and only it
    ASSERT_EQ(r.code, 0) << r;
    std::size_t alerts = 0;
    for (const auto& m : drain(queue_uri)) alerts += m.subject == wp::kAlertSubject ? 1 : 0;
    EXPECT_EQ(alerts, 1u);
    EXPECT_EQ(backend->status(unsent).reduce_repairs, 1);
    EXPECT_EQ(backend->status(failed).alerts_sent, std::vector<wp::AlertState>{wp::AlertState::kFailed});

    const std::vector<double> expected = {before[0] + 1, before[1] + 1, before[2], before[3], before[4]};
    EXPECT_EQ(scrape(), expected);
    // Nothing is left to repair or to alert: the counts stay.
    ASSERT_EQ(cli({"sweep", unsent, "--topic", queue_uri}).code, 0);
    ASSERT_EQ(cli(monitor).code, 0);
    EXPECT_EQ(scrape(), expected);
}

TEST_P(CliMetrics, MetricsListenIsCheckedAndNotWithOnce) {
    auto r = cli({"monitor", "--alert-topic", queue_uri, "--metrics-listen", "nonsense"});
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    EXPECT_THAT(r.err, HasSubstr("--metrics-listen must be HOST:PORT"));
    r = cli({"monitor", "--once", "--alert-topic", queue_uri, "--metrics-listen", "127.0.0.1:0"});
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    EXPECT_THAT(r.err, HasSubstr("--metrics-listen needs a running monitor"));
}

TEST_P(CliMetrics, WorkerWritesOneEmfLinePerDeliveryAfterTheCommandsOutput) {
    const auto jobid = new_job(2, "metrics-worker");
    const auto deliver = [&](wp::PartId partid, const std::string& metrics) {
        RunOptions o = options();
        o.env["Subject"] = "map";
        o.env["Message"] = wp::map_message_body(json{{"n", partid}}, jobid, partid, "{}");
        o.env["WATCHBOT_PROGRESS_METRICS"] = metrics;
        return run_cli({"worker", "--topic", queue_uri, "-d", uri, "--", "/bin/sh", "-c", "echo work $WATCHBOT_PROGRESS_PARTID"}, o);
    };
    auto r = deliver(0, "emf");
    ASSERT_EQ(r.code, 0) << r;
    auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 2u) << r.out;
    EXPECT_EQ(lines[0], "work 0");
    json line = wp_test::expect_emf_line(lines[1]);
    EXPECT_EQ(line["Outcome"], "completed");
    EXPECT_EQ(line["ClaimOutcome"], "none");
    EXPECT_EQ(line["jobid"], jobid);
    EXPECT_EQ(line["partid"], 0);
    EXPECT_EQ(r.err, "");

    r = deliver(1, "emf");
    ASSERT_EQ(r.code, 0) << r;
    lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 2u) << r.out;
    line = wp_test::expect_emf_line(lines[1]);
    EXPECT_EQ(line["ClaimOutcome"], "sent");
    EXPECT_EQ(line["ReducesSent"], 1);

    // Another value: nothing on stdout but the command's, and a warning on stderr.
    r = deliver(1, "cloudwatch");
    ASSERT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "work 1\n");
    EXPECT_THAT(r.err, HasSubstr("WATCHBOT_PROGRESS_METRICS=cloudwatch is not a metrics format"));
}

INSTANTIATE_TEST_SUITE_P(Cli, CliMetrics, ::testing::ValuesIn(backend_kinds()), kind_name);

}  // namespace
