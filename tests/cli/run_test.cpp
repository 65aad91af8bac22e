// `watchbot-progress-cpp run` and `send`: the local watcher, run as a real process against a SQLite
// queue, with small shell workers that exit as told, and the wordcount example end to end.

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "watchbot_progress/config.hpp"
#if WP_WITH_SQLITE

#include "cli_runner.hpp"
#include "test_paths.hpp"
#include "watchbot_progress/watchbot_progress.hpp"
#include "watchbot_progress/local_queue.hpp"
#include "watchbot_progress/sqlite_backend.hpp"

namespace fs = std::filesystem;
namespace wp = watchbot_progress;
using nlohmann::json;
using ::testing::HasSubstr;
using wp_test::run_cli;

namespace {

class CliRun : public ::testing::Test {
protected:
    void SetUp() override {
        dir = fs::path(::testing::TempDir()) / ("wp-run-" + wp::new_jobid());
        fs::create_directories(dir);
        queue_uri = "sqlite://" + (dir / "queue.db").string();
        jobs_uri = "sqlite://" + (dir / "jobs.db").string();
        log = dir / "worker.log";
    }
    void TearDown() override { fs::remove_all(dir); }

    // A shell worker: logs its environment, then acts on its Subject.
    //   ok -> 0, reject -> 3, return-once -> 4 the first time then 0, fail -> 1, hang -> logs
    //   "hang" to $log.hang and sleeps, slow -> logs start, waits until three workers have started
    //   (at most 30 s), sleeps a little and logs end. block -> logs "block" to $log.hang and waits
    //   until $log.release exists (at most 60 s), then 0.
    std::string worker() {
        const fs::path path = dir / "worker.sh";
        std::ofstream out(path);
        out << "#!/bin/sh\n"
               "log='" << log.string() << "'\n"
               "echo \"run subject=$Subject id=$MessageId count=$ApproximateReceiveCount sent=$SentTimestamp "
               "first=$ApproximateFirstReceiveTimestamp topic=$WorkTopic message=$Message at=$(date +%s%3N)\" >> \"$log\"\n"
               "case \"$Subject\" in\n"
               "  ok) exit 0 ;;\n"
               "  reject) exit 3 ;;\n"
               "  return-once) if [ -e \"$log.returned\" ]; then exit 0; fi; touch \"$log.returned\"; exit 4 ;;\n"
               "  fail) exit 1 ;;\n"
               "  hang) echo hang >> \"$log.hang\"; sleep 30; exit 0 ;;\n"
               "  block) echo block >> \"$log.hang\"; i=0\n"
               "    while [ ! -e \"$log.release\" ] && [ $i -lt 6000 ]; do sleep 0.01; i=$((i+1)); done; exit 0 ;;\n"
               "  slow) echo start >> \"$log.overlap\"; i=0\n"
               "    while [ \"$(grep -c start \"$log.overlap\")\" -lt 3 ] && [ $i -lt 3000 ]; do sleep 0.01; i=$((i+1)); done\n"
               "    sleep 0.3; echo end >> \"$log.overlap\"; exit 0 ;;\n"
               "esac\n"
               "exit 9\n";
        out.close();
        fs::permissions(path, fs::perms::owner_all);
        return path.string();
    }

    void send(const std::string& subject, const std::string& message = "{}") {
        const auto r = run_cli({"send", "--queue", queue_uri, "--subject", subject, "--message", message});
        ASSERT_EQ(r.code, 0) << r;
    }

    std::vector<std::string> log_lines(const fs::path& file) const {
        std::ifstream in(file);
        std::vector<std::string> lines;
        for (std::string line; std::getline(in, line);) lines.push_back(line);
        return lines;
    }

    wp::QueueCounts counts() { return wp::LocalQueue::from_uri(queue_uri)->counts(); }

    json summary_of(const wp_test::CliResult& r) { return json::parse(r.out); }

    fs::path dir, log;
    std::string queue_uri, jobs_uri;
};

TEST_F(CliRun, SuccessDeletesTheMessageAndTheWorkerGetsWatchbotsEnvironment) {
    send("ok", R"({"n": 1})");
    send("ok", R"({"n": 2})");
    const auto r = run_cli({"run", "--no-database", "--queue", queue_uri, "--", worker()});
    ASSERT_EQ(r.code, 0) << r;
    const json s = summary_of(r);
    EXPECT_EQ(s["messages"], 2);
    EXPECT_EQ(s["attempts"], 2);
    EXPECT_EQ(s["succeeded"], 2);
    EXPECT_THAT(r.err, HasSubstr("ran 2 messages in 2 attempts: 2 succeeded, 0 rejected, 0 dead letters; "
                                 "0 failed attempts, 0 returned attempts\n"));
    EXPECT_EQ(s["failures"], 0);
    EXPECT_EQ(s["dead_letters"], 0);
    const auto lines = log_lines(log);
    ASSERT_EQ(lines.size(), 2u);
    for (const auto& line : lines) {
        EXPECT_THAT(line, HasSubstr("subject=ok"));
        EXPECT_THAT(line, HasSubstr("count=1"));
        EXPECT_THAT(line, HasSubstr("topic=" + queue_uri));
        EXPECT_THAT(line, ::testing::ContainsRegex("id=[0-9a-f-]{36} "));
        EXPECT_THAT(line, ::testing::ContainsRegex("sent=[0-9]{13} first=[0-9]{13} "));
        EXPECT_THAT(line, ::testing::ContainsRegex(R"(message=\{"n":[12]\})"));
    }
    const auto c = counts();
    EXPECT_EQ(c.visible + c.in_flight + c.delayed + c.dead_letters, 0);
}

TEST_F(CliRun, ExitThreeRejectsTheMessage) {
    send("reject");
    const auto r = run_cli({"run", "--no-database", "--queue", queue_uri, "--", worker()});
    EXPECT_EQ(r.code, 1) << r;  // a rejected message never succeeds: the run did not do all its work
    EXPECT_EQ(summary_of(r)["rejected"], 1);
    EXPECT_THAT(r.err, HasSubstr("rejected"));
    EXPECT_EQ(log_lines(log).size(), 1u);
    EXPECT_EQ(counts().visible + counts().dead_letters, 0);
}

TEST_F(CliRun, ExitFourReturnsTheMessageWithoutCountingAnAttempt) {
    send("return-once");
    const auto r = run_cli({"run", "--no-database", "--queue", queue_uri, "--backoff", "0.05", "--max-attempts", "1", "--", worker()});
    ASSERT_EQ(r.code, 0) << r;
    const json s = summary_of(r);
    EXPECT_EQ(s["messages"], 1);
    EXPECT_EQ(s["attempts"], 2);
    EXPECT_EQ(s["returned"], 1);
    EXPECT_EQ(s["succeeded"], 1);
    EXPECT_EQ(s["dead_letters"], 0);
    const auto lines = log_lines(log);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_THAT(lines[0], HasSubstr("count=1"));
    EXPECT_THAT(lines[1], HasSubstr("count=1"));  // the returned attempt did not count
}

TEST_F(CliRun, FailuresAreRetriedWithBackoffThenDeadLettered) {
    send("fail");
    const auto r = run_cli({"run", "--no-database", "--queue", queue_uri, "--backoff", "0.1", "--max-attempts", "3", "--", worker()});
    EXPECT_EQ(r.code, 1) << r;
    const json s = summary_of(r);
    EXPECT_EQ(s["messages"], 1);  // one message ...
    EXPECT_EQ(s["attempts"], 3);  // ... run three times
    EXPECT_EQ(s["failures"], 3);
    EXPECT_EQ(s["dead_letters"], 1);
    EXPECT_THAT(r.err, HasSubstr("ran 1 message in 3 attempts: 0 succeeded, 0 rejected, 1 dead letter; "
                                 "3 failed attempts, 0 returned attempts\n"));
    EXPECT_THAT(r.err, HasSubstr("dead letter"));
    const auto lines = log_lines(log);
    ASSERT_EQ(lines.size(), 3u);
    std::vector<long long> at;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        EXPECT_THAT(lines[i], HasSubstr("count=" + std::to_string(i + 1)));
        at.push_back(std::stoll(lines[i].substr(lines[i].rfind("at=") + 3)));
    }
    EXPECT_GE(at[1] - at[0], 100);  // first retry after the base backoff
    EXPECT_GE(at[2] - at[1], 200);  // then doubled
    const auto letters = wp::LocalQueue::from_uri(queue_uri)->list_dead_letters();
    ASSERT_EQ(letters.size(), 1u);
    EXPECT_EQ(letters[0].subject, "fail");
    EXPECT_THAT(letters[0].reason, HasSubstr("exit 1"));
}

TEST_F(CliRun, AHangingWorkerIsKilledAtTheTimeoutAndCountsAsAFailure) {
    send("hang");
    const auto started = std::chrono::steady_clock::now();
    const auto r = run_cli({"run", "--no-database", "--queue", queue_uri, "--timeout", "0.3", "--max-attempts", "1", "--", worker()});
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(25)) << "the worker was not killed";
    EXPECT_EQ(r.code, 1) << r;
    const json s = summary_of(r);
    EXPECT_EQ(s["timeouts"], 1);
    EXPECT_EQ(s["failures"], 1);
    EXPECT_EQ(s["dead_letters"], 1);
    EXPECT_THAT(wp::LocalQueue::from_uri(queue_uri)->list_dead_letters().at(0).reason, HasSubstr("timed out"));
}

TEST_F(CliRun, NoMoreWorkersRunThanTheConcurrencyLimit) {
    for (int i = 0; i < 8; ++i) send("slow");
    const auto r = run_cli({"run", "--no-database", "--queue", queue_uri, "--concurrency", "3", "--", worker()});
    ASSERT_EQ(r.code, 0) << r;
    EXPECT_EQ(summary_of(r)["succeeded"], 8);
    int running = 0, most = 0;
    for (const auto& line : log_lines(log.string() + ".overlap")) {
        running += line == "start" ? 1 : -1;
        most = std::max(most, running);
    }
    // The first three workers wait for each other, so with a limit of 3 exactly three ran at once.
    EXPECT_EQ(most, 3);
}

TEST_F(CliRun, InterruptStopsWorkersAndReturnsTheirMessages) {
    for (int i = 0; i < 2; ++i) send("hang");
    wp_test::RunOptions options;
    // Ctrl-C once both workers are running, however long the CLI takes to start them.
    const fs::path hanging = log.string() + ".hang";
    options.interrupt_when = [&] { return log_lines(hanging).size() >= 2; };
    const auto started = std::chrono::steady_clock::now();
    const auto r = run_cli({"run", "--no-database", "--queue", queue_uri, "--concurrency", "2", "--", worker()}, options);
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(25));
    EXPECT_EQ(r.code, 130) << r;
    EXPECT_EQ(summary_of(r)["interrupted"], true);
    const auto c = counts();
    EXPECT_EQ(c.visible, 2);
    EXPECT_EQ(c.in_flight, 0);
    EXPECT_EQ(c.dead_letters, 0);
    // The returned messages did not count an attempt: the next run sees receive count 1.
    auto received = wp::LocalQueue::from_uri(queue_uri)->receive(2, std::chrono::seconds(5));
    ASSERT_EQ(received.size(), 2u);
    for (const auto& m : received) EXPECT_EQ(m.receive_count, 1);
}

TEST_F(CliRun, AWorkerThatCannotStartIsRefusedBeforeAnyMessageIsTaken) {
    send("ok");
    for (const std::string& program : {(dir / "no-such-worker").string(), std::string("no-such-worker-on-path"),
                                      dir.string()}) {
        const auto r = run_cli({"run", "--no-database", "--queue", queue_uri, "--", program});
        EXPECT_EQ(r.code, 2) << r;
        EXPECT_THAT(r.err, HasSubstr("cannot start the worker"));
        EXPECT_THAT(r.err, HasSubstr("no message was taken"));
        const auto c = counts();
        EXPECT_EQ(c.visible, 1) << program;
        EXPECT_EQ(c.in_flight, 0) << program;
    }
    const auto r = run_cli({"run", "--no-database", "--queue", queue_uri, "--", worker()});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(summary_of(r)["succeeded"], 1);
}

TEST_F(CliRun, TheWorkersDatabaseIsCheckedBeforeAnyMessageIsTaken) {
    send("ok");
    auto r = run_cli({"run", "--queue", queue_uri, "--", worker()});
    EXPECT_EQ(r.code, 4) << r;
    EXPECT_THAT(r.err, HasSubstr("no database for the workers"));
    EXPECT_THAT(r.err, HasSubstr("--no-database"));
    r = run_cli({"run", "--queue", queue_uri, "-d", "memory://", "--", worker()});
    EXPECT_EQ(r.code, 2) << r;
    EXPECT_THAT(r.err, HasSubstr("memory://"));
    r = run_cli({"run", "--queue", queue_uri, "-d", "nosuch://x", "--", worker()});
    EXPECT_EQ(r.code, 2) << r;
    r = run_cli({"run", "--queue", queue_uri, "-d", jobs_uri, "--no-database", "--", worker()});
    EXPECT_EQ(r.code, 2) << r;
    EXPECT_EQ(counts().visible, 1);
    EXPECT_TRUE(log_lines(log).empty()) << "a worker ran";
    r = run_cli({"run", "--queue", queue_uri, "-d", jobs_uri, "--", worker()});
    EXPECT_EQ(r.code, 0) << r;
}

TEST_F(CliRun, AMissingQueueFileIsRefusedAndNotCreated) {
    const fs::path missing = dir / "none.db";
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"run", "--no-database", "--queue", "sqlite://" + missing.string(), "--", worker()},
          std::vector<std::string>{"queue", "--queue", "sqlite://" + missing.string()}}) {
        const auto r = run_cli(args);
        EXPECT_EQ(r.code, 1) << r;
        EXPECT_THAT(r.err, HasSubstr("does not exist (nothing was created)"));
        EXPECT_FALSE(fs::exists(missing)) << args[0];
    }
}

// A runner killed with SIGKILL holds its message one lease at most: the next runner waits for the
// lease to end, as it waits for any message in flight, and then runs it.
TEST_F(CliRun, ARunnerKilledWithSigkillHoldsItsMessageForOneLeaseAtMost) {
    send("block");
    wp_test::RunOptions options;
    const fs::path blocked = log.string() + ".hang";
    options.interrupt_when = [&] { return log_lines(blocked).size() >= 1; };
    options.interrupt_signal = SIGKILL;
    auto r = run_cli({"run", "--no-database", "--queue", queue_uri, "--lease", "1", "--", worker()}, options);
    EXPECT_NE(r.code, 0) << r;
    EXPECT_EQ(counts().in_flight + counts().visible, 1);
    std::ofstream(log.string() + ".release").close();  // the orphaned worker and the next one finish at once
    r = run_cli({"run", "--no-database", "--queue", queue_uri, "--lease", "1", "--", worker()});
    ASSERT_EQ(r.code, 0) << r;
    EXPECT_EQ(summary_of(r)["succeeded"], 1);
    const auto c = counts();
    EXPECT_EQ(c.visible + c.in_flight + c.delayed + c.dead_letters, 0);
}

// While its worker runs, the runner renews the message's lease, and `queue` shows who holds it.
TEST_F(CliRun, TheLeaseIsRenewedWhileTheWorkerRunsAndQueueShowsItsHolder) {
    send("block");
    wp_test::RunOptions options;
    std::optional<std::chrono::system_clock::time_point> first_lease_end;
    bool renewed = false;
    std::string holder, listed;
    options.interrupt_when = [&] {
        const auto messages = wp::LocalQueue::from_uri(queue_uri)->list_messages();
        if (renewed || messages.size() != 1 || messages[0].state != wp::QueueMessageState::kInFlight) return false;
        if (!first_lease_end) {
            first_lease_end = messages[0].visible_at;
            holder = messages[0].lease_owner;
            listed = run_cli({"queue", "--queue", queue_uri}).out;
        } else if (messages[0].visible_at > *first_lease_end) {
            renewed = true;
            std::ofstream(log.string() + ".release").close();
        }
        return false;
    };
    const auto r = run_cli({"run", "--no-database", "--queue", queue_uri, "--lease", "2", "--", worker()}, options);
    ASSERT_EQ(r.code, 0) << r;
    EXPECT_TRUE(renewed) << "the lease was never renewed";
    EXPECT_THAT(holder, ::testing::MatchesRegex(".+:[0-9]+"));
    const json line = json::parse(listed);
    EXPECT_EQ(line.at("subject"), "block");
    EXPECT_EQ(line.at("state"), "in_flight");
    EXPECT_EQ(line.at("holder"), holder);
    EXPECT_THAT(line.at("lease_ends").get<std::string>(), ::testing::MatchesRegex("20[0-9][0-9]-.*Z"));
    EXPECT_EQ(line.at("receive_count"), 1);
}

TEST_F(CliRun, QueueListsWaitingAndDelayedMessages) {
    send("ok", R"({"n": 1})");
    wp::LocalQueue::from_uri(queue_uri)->send("later", "{}", std::chrono::hours(1));
    const auto r = run_cli({"queue", "--queue", queue_uri});
    ASSERT_EQ(r.code, 0) << r;
    std::vector<json> lines;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
    ASSERT_EQ(lines.size(), 2u) << r.out;
    EXPECT_EQ(lines[0].at("state"), "visible");
    EXPECT_EQ(lines[0].at("message"), R"({"n":1})");
    EXPECT_EQ(lines[1].at("state"), "delayed");
    EXPECT_TRUE(lines[1].contains("visible_at"));
    EXPECT_THAT(r.err, HasSubstr("1 visible, 0 in flight, 1 delayed, 0 dead letters"));
    EXPECT_EQ(run_cli({"queue", "--queue", queue_uri, "--limit", "1"}).out.find('\n'), r.out.find('\n'));
}

// A map message that goes to the dead letters is recorded as a failed part of its job.
TEST_F(CliRun, ADeadLetteredMapMessageIsRecordedAsAFailedPartOfItsJob) {
    const std::string jobid = wp::new_jobid();
    wp::open_backend(jobs_uri)->set_total(jobid, 3);
    send("map", json{{"jobid", jobid}, {"partid", 1}, {"metadata", nullptr}}.dump());
    auto r = run_cli({"run", "--queue", queue_uri, "-d", jobs_uri, "--max-attempts", "1", "--", worker()});
    EXPECT_EQ(r.code, 1) << r;
    EXPECT_EQ(summary_of(r)["dead_letters"], 1);
    EXPECT_EQ(summary_of(r)["failed_parts"], 1);
    EXPECT_THAT(r.err, HasSubstr("failed 1 time (last: exit 9)"));
    r = run_cli({"failed", jobid, "-d", jobs_uri});
    ASSERT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "1\n");
}

TEST_F(CliRun, SendRefusesBadJsonAndRunNeedsAQueue) {
    auto r = run_cli({"send", "--queue", queue_uri, "--subject", "map", "--message", "{bad"});
    EXPECT_EQ(r.code, 2) << r;
    EXPECT_THAT(r.err, HasSubstr("--message"));
    r = run_cli({"run", "--", worker()});
    EXPECT_EQ(r.code, 4) << r;
    EXPECT_THAT(r.err, HasSubstr("--queue"));
    r = run_cli({"run", "--queue", queue_uri});
    EXPECT_EQ(r.code, 2) << r;
}

TEST_F(CliRun, DeadLettersAreListedAndRedriven) {
    send("fail", R"({"n": 7})");
    auto r = run_cli({"run", "--no-database", "--queue", queue_uri, "--max-attempts", "1", "-q", "--", worker()});
    ASSERT_EQ(r.code, 1) << r;
    r = run_cli({"dead-letters", "ls", "--queue", queue_uri});
    ASSERT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.err, "");
    ASSERT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
    const json letter = json::parse(r.out);
    EXPECT_EQ(letter.at("subject"), "fail");
    EXPECT_EQ(letter.at("message"), R"({"n":7})");
    EXPECT_EQ(letter.at("receive_count"), 1);
    EXPECT_THAT(letter.at("reason").get<std::string>(), HasSubstr("exit 1 on attempt 1"));
    EXPECT_THAT(letter.at("dead_lettered").get<std::string>(), ::testing::MatchesRegex("20[0-9][0-9]-.*Z"));
    const std::string id = letter.at("id");

    // An id that is not a dead letter: nothing moves.
    r = run_cli({"dead-letters", "redrive", id, "no-such-id", "--queue", queue_uri});
    EXPECT_EQ(r.code, 2) << r;
    EXPECT_THAT(r.err, HasSubstr("'no-such-id' is not the message id of a dead letter"));
    EXPECT_EQ(counts().dead_letters, 1);

    r = run_cli({"dead-letters", "redrive", id, "--queue", queue_uri});
    ASSERT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, id + "\n");
    EXPECT_EQ(r.err, "watchbot-progress-cpp: redrove 1 dead letter into " + queue_uri + "\n");
    EXPECT_EQ(counts().dead_letters, 0);
    EXPECT_EQ(counts().visible, 1);
    r = run_cli({"dead-letters", "ls", "--queue", queue_uri});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "");

    // The message runs again, with a fresh count of attempts.
    r = run_cli({"run", "--no-database", "--queue", queue_uri, "--max-attempts", "1", "-q", "--", worker()});
    EXPECT_EQ(r.code, 1) << r;
    const auto lines = log_lines(log);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_THAT(lines[1], HasSubstr("id=" + id));
    EXPECT_THAT(lines[1], HasSubstr("count=1"));
    r = run_cli({"dead-letters", "redrive", "--queue", queue_uri});  // every one
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, id + "\n");

    // A queue file that does not exist is not created.
    const std::string missing = (dir / "missing.db").string();
    r = run_cli({"dead-letters", "ls", "--queue", "sqlite://" + missing});
    EXPECT_EQ(r.code, 1) << r;
    EXPECT_THAT(r.err, HasSubstr("SQLite database '" + missing + "' does not exist (nothing was created)"));
    EXPECT_FALSE(fs::exists(missing));
    r = run_cli({"dead-letters"});
    EXPECT_EQ(r.code, 2) << r;
}

TEST_F(CliRun, HelpShowsTheDefaults) {
    const auto r = run_cli({"run", "--help"});
    ASSERT_EQ(r.code, 0) << r;
    EXPECT_THAT(r.out, ::testing::ContainsRegex(R"(--concurrency N=1 )"));
    EXPECT_THAT(r.out, ::testing::ContainsRegex(R"(--max-attempts N=10 )"));
    EXPECT_THAT(r.out, ::testing::ContainsRegex(R"(--timeout SECONDS=0 )"));
    EXPECT_THAT(r.out, ::testing::ContainsRegex(R"(--backoff SECONDS=1 )"));
    EXPECT_THAT(r.out, ::testing::ContainsRegex(R"(--max-backoff SECONDS=900 )"));
}

// ---------------------------------------------------------------------------------------------
// The wordcount example, end to end: start -> map (with duplicated deliveries) -> one reduce.

// The expected counts, computed independently with the shell's tr/sort/uniq.
std::map<std::string, std::uint64_t> expected_counts(const fs::path& data) {
    const std::string command = "cat '" + data.string() + "'/*.txt | tr -cs 'A-Za-z' '\\n' | tr 'A-Z' 'a-z' | grep -v '^$' | sort | uniq -c";
    FILE* pipe = ::popen(command.c_str(), "r");
    std::map<std::string, std::uint64_t> counts;
    char line[512];
    while (pipe != nullptr && std::fgets(line, sizeof line, pipe) != nullptr) {
        std::istringstream in(line);
        std::uint64_t n = 0;
        std::string word;
        in >> n >> word;
        counts[word] = n;
    }
    if (pipe != nullptr) ::pclose(pipe);
    return counts;
}

TEST_F(CliRun, TheWordcountExampleComputesTheKnownAnswerWithOneReduceDespiteDuplicates) {
    const std::string& worker = wp_test::wordcount_worker_path();
    ASSERT_FALSE(worker.empty()) << "the wordcount example is not built (WP_BUILD_EXAMPLES=OFF)";
    const fs::path data = fs::path(wp_test::source_dir()) / "examples" / "wordcount" / "data";
    const fs::path output = dir / "output";
    wp_test::RunOptions env;
    env.env = {{"ProgressTable", jobs_uri}, {"WorkTopic", queue_uri}};
    // The start step, as the runner would run it; then every map message is delivered twice.
    const std::string start_command = "Subject=start Message='" +
                                      json{{"input", data.string()}, {"output", output.string()}}.dump() +
                                      "' ProgressTable='" + jobs_uri + "' WorkTopic='" + queue_uri + "' '" +
                                      worker + "'";
    ASSERT_EQ(std::system(start_command.c_str()), 0);
    auto queue = wp::LocalQueue::from_uri(queue_uri);
    auto maps = queue->receive(1000, std::chrono::seconds(5));
    ASSERT_EQ(maps.size(), 10u);
    for (const auto& m : maps) {
        EXPECT_EQ(m.subject, "map");
        queue->send(m.subject, m.body);
        queue->return_message(m.receipt_handle, std::chrono::milliseconds(0), false);
    }
    const auto r = run_cli({"run", "--queue", queue_uri, "--concurrency", "4", "--", worker}, env);
    ASSERT_EQ(r.code, 0) << r;
    const json s = summary_of(r);
    EXPECT_EQ(s["dead_letters"], 0);
    // Two deliveries of the last part may run at once: the one that does not hold the reduce claim fails with
    // ReducePending and is retried, as watchbot would retry it. Whether that happens depends on the scheduler, so
    // every failed attempt must be one of those, and nothing else may fail.
    std::size_t pending_retries = 0;
    for (std::size_t pos = r.err.find("its reduce is claimed by another delivery"); pos != std::string::npos;
         pos = r.err.find("its reduce is claimed by another delivery", pos + 1))
        ++pending_retries;
    EXPECT_EQ(s["failures"], pending_retries) << r;
    // One reduce ran.
    std::size_t reduces = 0;
    for (std::size_t pos = r.err.find("reduce: job"); pos != std::string::npos; pos = r.err.find("reduce: job", pos + 1)) ++reduces;
    EXPECT_EQ(reduces, 1u) << r;

    std::string jobid;
    wp::open_backend(jobs_uri)->list_jobs([&](const wp::JobStatus& st) { jobid = st.jobid; });
    ASSERT_FALSE(jobid.empty());
    const auto status = wp::open_backend(jobs_uri)->status(jobid);
    EXPECT_EQ(status.remaining, 0);
    EXPECT_TRUE(status.reduce_sent);
    std::ifstream in(output / jobid / "result.json");
    ASSERT_TRUE(in) << "no result";
    const json result = json::parse(in);
    const auto expected = expected_counts(data);
    ASSERT_GT(expected.size(), 50u);
    EXPECT_EQ(result.size(), expected.size());
    for (const auto& [word, n] : expected) EXPECT_EQ(result.value(word, 0u), n) << word;
}

}  // namespace

#endif  // WP_WITH_SQLITE
