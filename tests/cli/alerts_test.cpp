// Alerts from the CLI, as real processes on a SQLite database, into a local-queue alert topic:
// `monitor --once` sends each alert once (a second process sends nothing new), and `worker` sends
// the `failed` alert of the job its command failed.

#include <atomic>

#include "cli_test_support.hpp"
#include "watchbot_progress/alerts.hpp"
#include "watchbot_progress/local_queue.hpp"

namespace {

using namespace wp_cli_test;

// Every alert in the local queue at `uri` (received, so a second call sees only new ones).
std::vector<wp::Alert> take_alerts(const std::string& uri) {
    std::vector<wp::Alert> out;
    auto queue = wp::LocalQueue::from_uri(uri);
    for (const auto& m : queue->receive(100, std::chrono::minutes(10))) {
        EXPECT_EQ(m.subject, wp::kAlertSubject);
        out.push_back(wp::Alert::from_json(nlohmann::json::parse(m.body)));
    }
    return out;
}

TEST(CliAlerts, MonitorOnceSendsEachAlertOnceAcrossProcesses) {
    TempDir dir;
    const std::string db = "sqlite://" + dir.path() + "/jobs.db";
    const std::string alerts = "sqlite://" + dir.path() + "/alerts.db";
    auto backend = wp::open_backend(db);
    backend->set_total("stuck", 4);
    backend->complete_part("stuck", 0);
    backend->set_total("broken", 2);
    backend->fail_job("broken", "part 1 failed: bad input");
    backend->set_total("fine", 1);
    backend->complete_part_and_claim_reduce("fine", 0);

    const std::vector<std::string> args = {"monitor", "--once", "-d", db, "--alert-topic", alerts, "--stall-after", "0s"};
    auto r = run_cli(args);
    ASSERT_EQ(r.code, 0) << r;
    std::map<std::string, std::string> printed;
    for (const auto& line : lines_of(r.out)) {
        const auto event = nlohmann::json::parse(line);
        EXPECT_EQ(event["event"], "alert");
        printed[event["jobid"].get<std::string>()] = event["state"].get<std::string>();
    }
    EXPECT_EQ(printed, (std::map<std::string, std::string>{{"broken", "failed"}, {"stuck", "stalled"}}));
    auto sent = take_alerts(alerts);
    ASSERT_EQ(sent.size(), 2u);
    for (const auto& a : sent) {
        if (a.jobid == "stuck") {
            EXPECT_EQ(a.remaining, 3);
        } else {
            EXPECT_EQ(a.jobid, "broken");
            EXPECT_EQ(a.reason, "part 1 failed: bad input");
        }
    }

    // A second monitor process (a restart, or the next cron run): nothing new.
    r = run_cli(args);
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "");
    EXPECT_TRUE(take_alerts(alerts).empty());

    // The AlertTopic variable stands for --alert-topic; without either, nowhere to send: a ConfigError.
    backend->set_total("stuck", 2, /*overwrite=*/true);  // a new job: its marks are forgotten
    RunOptions o;
    o.env = {{"AlertTopic", alerts}};
    r = run_cli({"monitor", "--once", "-d", db, "--stall-after", "0s"}, o);
    EXPECT_EQ(r.code, 0) << r;
    ASSERT_EQ(take_alerts(alerts).size(), 1u);
    r = run_cli({"monitor", "--once", "-d", db});
    EXPECT_EQ(r.code, wpcli::kExitConfig) << r;
    EXPECT_THAT(r.err, HasSubstr("--alert-topic"));
}

TEST(CliAlerts, WorkerSendsTheFailedAlertOfTheJobItFailed) {
    TempDir dir;
    const std::string db = "sqlite://" + dir.path() + "/jobs.db";
    const std::string alerts = "sqlite://" + dir.path() + "/alerts.db";
    const std::string work = "sqlite://" + dir.path() + "/work.db";
    auto backend = wp::open_backend(db);
    backend->set_total("job", 3);

    const auto deliver = [&](wp::PartId partid) {
        RunOptions o;
        o.env = {{"Subject", "map"},
                 {"Message", wp::map_message_body(nlohmann::json::object(), "job", partid, "null")},
                 {"ApproximateReceiveCount", "1"}};
        return run_cli({"worker", "-d", db, "--topic", work, "--alert-topic", alerts, "--fail-job-on-exit", "5", "--",
                        "/bin/sh", "-c", "echo 'tile 7 is corrupt' >&2; exit 5"},
                       o);
    };
    auto r = deliver(1);
    EXPECT_EQ(r.code, wpcli::kExitWorkerReject) << r;  // the outcome is the worker's, alert or not
    const auto sent = take_alerts(alerts);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].jobid, "job");
    EXPECT_EQ(sent[0].state, wp::AlertState::kFailed);
    EXPECT_THAT(sent[0].reason, HasSubstr("tile 7 is corrupt"));
    EXPECT_EQ(sent[0].total, 3);

    // Later deliveries find the job failed: no second alert. Nothing went to the work topic.
    r = deliver(2);
    EXPECT_EQ(r.code, wpcli::kExitWorkerReject) << r;
    EXPECT_TRUE(take_alerts(alerts).empty());
    EXPECT_FALSE(std::filesystem::exists(dir.path() + "/work.db") &&
                 !wp::LocalQueue::from_uri(work)->receive(10, std::chrono::minutes(1)).empty());
}

#if defined(WP_CLI_TEST_DASHBOARD) && WP_CLI_TEST_DASHBOARD  // tests/CMakeLists.txt, with WP_WITH_DASHBOARD
// serve with an alert topic runs the monitor's pass (its first at once): the failed job's alert is
// printed and published; stopped by SIGINT once it says where alerts go.
TEST(CliAlerts, ServeWithAnAlertTopicSendsTheAlerts) {
    TempDir dir;
    const std::string db = "sqlite://" + dir.path() + "/jobs.db";
    const std::string alerts = "sqlite://" + dir.path() + "/alerts.db";
    auto backend = wp::open_backend(db);
    backend->set_total("broken", 2);
    backend->fail_job("broken", "bad input");
    std::atomic<bool> started{false};
    RunOptions o;
    o.on_stderr = [&](const std::string& err) {
        if (err.find("alerts to ") != std::string::npos) started = true;
    };
    o.interrupt_when = [&] { return started.load(); };
    const auto r = run_cli({"serve", "--listen", "127.0.0.1:0", "-d", db, "--alert-topic", alerts}, o);
    EXPECT_EQ(r.code, 0) << r;
    const auto printed = lines_of(r.out);
    ASSERT_EQ(printed.size(), 1u) << r;
    EXPECT_EQ(nlohmann::json::parse(printed[0])["jobid"], "broken");
    const auto sent = take_alerts(alerts);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].state, wp::AlertState::kFailed);
}
#endif

TEST(CliAlerts, MonitorHelpNamesTheStatesAndHasAnExample) {
    const auto r = run_cli({"monitor", "--help"});
    EXPECT_EQ(r.code, 0) << r;
    for (const char* text : {"stalled", "reduce-overdue", "failed", "--once", "--alert-topic", "--stall-after"}) {
        EXPECT_THAT(r.out, HasSubstr(text));
    }
    EXPECT_THAT(run_cli({"worker", "--help"}).out, HasSubstr("--alert-topic"));
    EXPECT_THAT(run_cli({"run", "--help"}).out, HasSubstr("--alert-topic"));
}

}  // namespace
