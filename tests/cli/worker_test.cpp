// `watchbot-progress-cpp worker -- CMD`: the container command for workers in any language, run as a
// real process with shell-script workers. Without a server: other subjects pass through, malformed
// map messages. On each backend (CliBackend, reduces into the local queue): the part completed and
// one reduce, --fail-job-on-exit, other codes, a command's 3 and 4, SIGTERM while the command runs and
// after it exited, a reduce claim pending elsewhere. CliWorkerRace: every part of a job delivered
// three times to 25 worker processes at once, the reduce published to SNS (fauxqs): one reduce.

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <random>
#include <thread>

#include "cli_test_support.hpp"
#include "test_paths.hpp"
#include "watchbot_progress/config.hpp"
#if WP_WITH_AWS
#include "aws/fauxqs_test_util.hpp"
#include "aws/test_http_server.hpp"
#endif

namespace {

using namespace wp_cli_test;
namespace fs = std::filesystem;

// The map message of each part of `jobid` (parts {"n": i}), built as create_job builds them.
std::string map_body(const std::string& jobid, wp::PartId partid, const json& metadata) {
    return wp::map_message_body(json{{"n", partid}}, jobid, partid, metadata.dump());
}

// A shell worker that records each run in $dir/runs (job id, part id, and whether its stdin held
// this part's map message), then exits with the code in $dir/exit-<partid> (0 when absent), after
// writing that file's stderr-<partid> to its stderr.
std::string shell_worker(const TempDir& dir) {
    return dir.file("worker.sh",
                    "#!/bin/sh\n"
                    "d='" + dir.path() + "'\n"
                    "stdin=$(cat)\n"
                    "case \"$stdin\" in *\"\\\"partid\\\":$WATCHBOT_PROGRESS_PARTID\"*) ok=stdin-ok ;; *) ok=stdin-BAD ;; esac\n"
                    "echo \"$WATCHBOT_PROGRESS_JOBID $WATCHBOT_PROGRESS_PARTID $ok\" >> \"$d/runs\"\n"
                    "[ -e \"$d/stderr-$WATCHBOT_PROGRESS_PARTID\" ] && cat \"$d/stderr-$WATCHBOT_PROGRESS_PARTID\" >&2\n"
                    "[ -e \"$d/exit-$WATCHBOT_PROGRESS_PARTID\" ] && exit \"$(cat \"$d/exit-$WATCHBOT_PROGRESS_PARTID\")\"\n"
                    "exit 0\n");
}

std::vector<std::string> runs(const TempDir& dir) {
    std::ifstream in(dir.path() + "/runs");
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// -- Without a server

TEST(CliWorker, OtherSubjectsRunTheCommandAsItIs) {
    RunOptions o;
    o.env = {{"Subject", "start"}, {"Message", "{\"input\": \"x\"}"}};
    o.input = "from stdin\n";
    auto r = run_cli({"worker", "--", "/bin/sh", "-c", "cat; echo \"$Subject $Message\"; echo oops >&2; exit 5"}, o);
    EXPECT_EQ(r.code, 5) << r;
    EXPECT_EQ(r.out, "from stdin\nstart {\"input\": \"x\"}\n");
    EXPECT_EQ(r.err, "oops\n");

    o.env = {{"Subject", "reduce"}, {"Message", "{\"jobid\": \"j\", \"metadata\": {}}"}};
    o.input = "";
    r = run_cli({"worker", "--fail-job-on-exit", "3", "--", "/bin/sh", "-c", "exit 3"}, o);
    EXPECT_EQ(r.code, 3) << r;  // no job is touched: the code passes through
    EXPECT_EQ(r.err, "");
    o.env = {{"Subject", "custom-thing"}, {"Message", "not json at all"}};
    EXPECT_EQ(run_cli({"worker", "--", "/bin/sh", "-c", "exit 0"}, o).code, 0);
    o.env = {{"Subject", "start"}};
    r = run_cli({"worker", "--", "wp-no-such-command"}, o);
    EXPECT_EQ(r.code, wpcli::kExitNotFound) << r;
    EXPECT_THAT(r.err, HasSubstr("cannot run 'wp-no-such-command'"));
}

TEST(CliWorker, HelpHasAnExampleAndTheExitCodes) {
    const auto r = run_cli({"worker", "--help"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_THAT(r.out, HasSubstr("Usage: watchbot-progress-cpp worker"));
    EXPECT_THAT(r.out, HasSubstr("watchbot-progress-cpp worker --fail-job-on-exit 3,4 -- python3 process.py"));
    EXPECT_THAT(r.out, HasSubstr("-d,--database URI"));
    EXPECT_THAT(r.out, HasSubstr("128+N"));
    EXPECT_THAT(run_cli({"--help"}).out, HasSubstr("\n  worker "));
}

TEST(CliWorker, MalformedMapMessageExits2AndNothingRuns) {
    TempDir dir;
    const std::string marker = dir.path() + "/ran";
    for (const std::string body : {"{\"partid\": 0}", "{\"jobid\": \"j\", \"partid\": -1}", "[1, 2]", "{oops"}) {
        RunOptions o;
        o.env = {{"Subject", "map"}, {"Message", body}};
        const auto r = run_cli({"worker", "-d", "memory://", "--", "/bin/sh", "-c", "touch '" + marker + "'"}, o);
        EXPECT_EQ(r.code, wpcli::kExitUsage) << body << "\n" << r;
        expect_one_line(r.err);
        EXPECT_THAT(r.err, HasSubstr("the Message environment variable: "));
        EXPECT_THAT(r.err, HasSubstr("nothing was written"));
    }
    RunOptions unset;
    unset.env = {{"Subject", "map"}};
    EXPECT_EQ(run_cli({"worker", "-d", "memory://", "--", "/bin/sh", "-c", "touch '" + marker + "'"}, unset).code,
              wpcli::kExitUsage);
    EXPECT_FALSE(fs::exists(marker));
}

#if WP_CLI_TEST_QUEUE  // built with SQLite
// A sqlite:// database file that does not exist is configuration to fix: the message is retried
// (9), never rejected, the file is not created, and the command does not run.
TEST(CliWorker, AMissingSqliteDatabaseIsRetriedAndNotCreated) {
    TempDir dir;
    const std::string marker = dir.path() + "/ran";
    const std::string missing = dir.path() + "/none.db";
    RunOptions o;
    o.env = {{"Subject", "map"}, {"Message", R"({"jobid": "j", "partid": 0})"}};
    const auto r = run_cli({"worker", "-d", "sqlite://" + missing, "--topic", "memory://", "--", "/bin/sh", "-c",
                            "touch '" + marker + "'"}, o);
    EXPECT_EQ(r.code, wpcli::kExitWorkerRetry) << r;
    EXPECT_THAT(r.err, HasSubstr("does not exist (nothing was created)"));
    EXPECT_FALSE(fs::exists(missing));
    EXPECT_FALSE(fs::exists(marker));
}
#endif

TEST(CliWorker, NoSubjectOrNoCommandIsAUsageError) {
    auto r = run_cli({"worker", "--", "/bin/true"});
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    EXPECT_THAT(r.err, HasSubstr("Subject"));
    RunOptions o;
    o.env = {{"Subject", "map"}};
    r = run_cli({"worker"}, o);
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    for (const char* codes : {"0", "256", "3,", ",3", "3,x", "-1", "3 4"}) {
        r = run_cli({"worker", "--fail-job-on-exit", codes, "--", "/bin/true"}, o);
        EXPECT_EQ(r.code, wpcli::kExitUsage) << codes << ": " << r;
        EXPECT_THAT(r.err, HasSubstr("--fail-job-on-exit")) << codes;
        EXPECT_THAT(r.err, HasSubstr("from 1 to 255")) << codes;
    }
    r = run_cli({"worker", "--failure-tolerance", "lots", "--", "/bin/true"}, o);
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
}

// -- On each backend

class CliWorkerOn : public CliBackend {
protected:
    // Runs the worker for one delivery of `partid` with the shell worker; reduces go to the local queue.
    CliResult deliver(const std::string& jobid, wp::PartId partid, const std::vector<std::string>& flags = {},
                      int receive_count = 1) {
        std::vector<std::string> args = {"worker", "--topic", queue_uri};
        args.insert(args.end(), flags.begin(), flags.end());
        args.insert(args.end(), {"-d", uri, "--", "/bin/sh", worker});
        RunOptions o = this->options();
        o.env["Subject"] = "map";
        o.env["Message"] = map_body(jobid, partid, metadata);
        o.env["ApproximateReceiveCount"] = std::to_string(receive_count);
        o.env["WATCHBOT_PROGRESS_CACHE_DIR"] = cache_dir();  // this test's host
        return run_cli(args, o);
    }
    std::string cache_dir() const { return dir.path() + "/facts-cache"; }
    std::string job(std::int64_t total) {
        const auto jobid = new_job(total, "worker");
        backend->set_metadata(jobid, metadata);
        return jobid;
    }

    json metadata = {{"owner", "worker-test"}};
    std::string worker = shell_worker(dir);
};

TEST_P(CliWorkerOn, ExitZeroCompletesThePartAndTheLastSendsOneReduce) {
    const auto jobid = job(2);
    for (wp::PartId partid : {1, 0, 1, 0}) {
        const auto r = deliver(jobid, partid);
        EXPECT_EQ(r.code, 0) << r;
        EXPECT_EQ(r.out, "");
        EXPECT_EQ(r.err, "");
    }
    EXPECT_EQ(backend->status(jobid).remaining, 0);
    EXPECT_THAT(runs(dir), ::testing::ElementsAre(jobid + " 1 stdin-ok", jobid + " 0 stdin-ok", jobid + " 1 stdin-ok",
                                                  jobid + " 0 stdin-ok"));
    const auto reduces = reduces_in(queue_uri);
    ASSERT_EQ(reduces.size(), 1u);
    EXPECT_EQ(reduces[0], (json{{"jobid", jobid}, {"metadata", metadata}}));
}

TEST_P(CliWorkerOn, FailJobOnExitFailsTheJobAndStopsLaterParts) {
    const auto jobid = job(3);
    dir.file("exit-1", "4");
    dir.file("stderr-1", "reading tile 1\ntile 1 is corrupt\n");
    auto r = deliver(jobid, 1, {"--fail-job-on-exit", "3,4"});
    EXPECT_EQ(r.code, wpcli::kExitWorkerReject) << r;
    EXPECT_THAT(r.err, HasSubstr("reading tile 1\ntile 1 is corrupt\n"));  // passed through
    EXPECT_THAT(r.err, HasSubstr("exited with code 4 (--fail-job-on-exit): the job is marked failed"));
    auto status = backend->status(jobid);
    ASSERT_TRUE(status.failed);
    EXPECT_THAT(status.reason.value_or(""), HasSubstr("part 1 failed: the command exited with code 4"));
    EXPECT_THAT(status.reason.value_or(""), HasSubstr("reading tile 1\ntile 1 is corrupt"));

    r = deliver(jobid, 0, {"--fail-job-on-exit", "3,4"});  // a later part: the command does not run
    EXPECT_EQ(r.code, wpcli::kExitWorkerReject) << r;
    EXPECT_THAT(r.err, HasSubstr("part 0 not run: the job failed"));
    EXPECT_EQ(runs(dir).size(), 1u);
    EXPECT_EQ(backend->status(jobid).remaining, 3);
    EXPECT_TRUE(reduces_in(queue_uri).empty());
}

// A failure known on the host stops the host's later deliveries at once, though an earlier
// delivery's check of the job is still fresh (the host's job facts cache: DynamoDB keeps them):
// one its worker caused, and one `fail-job` recorded here. A failure recorded elsewhere is seen
// at the next read: at once with --check-interval 0.
TEST_P(CliWorkerOn, AFailureKnownOnTheHostStopsLaterPartsAtOnce) {
    const auto jobid = job(4);
    EXPECT_EQ(deliver(jobid, 0, {"--check-interval", "1h"}).code, 0);  // the job's facts kept for an hour
    dir.file("exit-1", "3");
    auto r = deliver(jobid, 1, {"--check-interval", "1h"});
    EXPECT_EQ(r.code, wpcli::kExitWorkerReject) << r;
    r = deliver(jobid, 2, {"--check-interval", "1h"});
    EXPECT_EQ(r.code, wpcli::kExitWorkerReject) << r;
    EXPECT_THAT(r.err, HasSubstr("part 2 not run: the job failed"));
    EXPECT_EQ(runs(dir).size(), 2u) << "the command ran for a job this host failed";

    const auto other = job(3);
    EXPECT_EQ(deliver(other, 0, {"--check-interval", "1h"}).code, 0);
    RunOptions o = this->options();
    o.env["WATCHBOT_PROGRESS_CACHE_DIR"] = cache_dir();
    const auto failed = run_cli({"fail-job", other, "--reason", "bucket gone", "-d", uri}, o);
    ASSERT_EQ(failed.code, 0) << failed;
    r = deliver(other, 1, {"--check-interval", "1h"});
    EXPECT_EQ(r.code, wpcli::kExitWorkerReject) << r;
    EXPECT_THAT(r.err, HasSubstr("part 1 not run: the job failed (bucket gone)"));
    EXPECT_EQ(runs(dir).size(), 3u);

    const auto elsewhere = job(3);
    EXPECT_EQ(deliver(elsewhere, 0, {"--check-interval", "1h"}).code, 0);
    backend->fail_job(elsewhere, "failed on another host");
    r = deliver(elsewhere, 1, {"--check-interval", "0"});
    EXPECT_EQ(r.code, wpcli::kExitWorkerReject) << r;
    EXPECT_THAT(r.err, HasSubstr("part 1 not run: the job failed (failed on another host)"));
    EXPECT_EQ(runs(dir).size(), 4u);
    EXPECT_TRUE(reduces_in(queue_uri).empty());
    EXPECT_EQ(deliver(elsewhere, 1, {"--check-interval", "5 s"}).code, wpcli::kExitUsage);
}

// The part is checked before the command runs: a job that does not exist is rejected (3) and a part
// id outside the job is a malformed message (2), and in neither case does the command run.
TEST_P(CliWorkerOn, APartOfNoJobIsRefusedBeforeTheCommandRuns) {
    auto r = deliver(unique_jobid("worker-missing"), 0);
    EXPECT_EQ(r.code, wpcli::kExitWorkerReject) << r;
    EXPECT_THAT(r.err, HasSubstr("the command did not run"));
    const auto jobid = job(2);
    r = deliver(jobid, 2);
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    EXPECT_THAT(r.err, HasSubstr("the command did not run"));
    EXPECT_TRUE(runs(dir).empty()) << "the command ran";
    EXPECT_EQ(backend->status(jobid).remaining, 2);
}

// A job deleted, or replaced by a job without the part, while the command ran (here by the command
// itself, through the CLI, so nothing depends on timing): the command did run and exit 0, and the
// message is rejected (3) with that said, not as a part that never ran. The replaced job is
// checked through this host's facts cache (--check-interval 1h), which cannot see the overwrite.
TEST_P(CliWorkerOn, AJobGoneWhileTheCommandRanIsRejectedSayingTheCommandRan) {
    const auto run = [&](const std::string& jobid, wp::PartId partid, const std::string& meanwhile) {
        RunOptions o = this->options();
        o.env["Subject"] = "map";
        o.env["Message"] = map_body(jobid, partid, metadata);
        o.env["WATCHBOT_PROGRESS_CACHE_DIR"] = cache_dir();
        return run_cli({"worker", "--topic", queue_uri, "--check-interval", "1h", "-d", uri, "--", "/bin/sh", "-c",
                        "touch '" + dir.path() + "/ran'; '" + wp_test::cli_path() + "' " + meanwhile},
                       o);
    };
    auto jobid = job(2);
    auto r = run(jobid, 1, "delete -d '" + uri + "' \"$WATCHBOT_PROGRESS_JOBID\"");
    EXPECT_TRUE(fs::exists(dir.path() + "/ran"));
    EXPECT_EQ(r.code, wpcli::kExitWorkerReject) << r;
    expect_one_line(r.err);
    EXPECT_THAT(r.err, HasSubstr("the command exited 0, but the job was deleted or replaced"));
    EXPECT_THAT(r.err, ::testing::Not(HasSubstr("did not run")));

    jobid = job(3);
    ASSERT_EQ(run(jobid, 0, "status -d '" + uri + "' \"$WATCHBOT_PROGRESS_JOBID\" >/dev/null").code, 0);  // facts cached
    r = run(jobid, 2, "set-total -d '" + uri + "' --overwrite --total 2 \"$WATCHBOT_PROGRESS_JOBID\"");
    EXPECT_EQ(r.code, wpcli::kExitWorkerReject) << r;
    EXPECT_THAT(r.err, HasSubstr("the command exited 0, but the job was deleted or replaced"));
    EXPECT_EQ(backend->status(jobid).total, 2);
    EXPECT_EQ(backend->status(jobid).remaining, 2);
    EXPECT_TRUE(reduces_in(queue_uri).empty());
}

// A failed delivery records what it said for the part (exit code, receive count, time, the end of
// its stderr), which `info --parts failed` shows; the worker's exit code is the command's as before.
TEST_P(CliWorkerOn, AFailedDeliveryIsRecordedAndShownByInfoPartsFailed) {
    const auto jobid = job(3);
    dir.file("exit-1", "6");
    dir.file("stderr-1", "opening tile 1\ntile 1 is \x1b[31mcorrupt\x1b[0m\n");
    const std::int64_t before = wp::system_time_ms();
    auto r = deliver(jobid, 1, {}, 2);
    EXPECT_EQ(r.code, 6) << r;
    EXPECT_THAT(r.err, HasSubstr("tile 1 is")) << "the command's stderr still passes through";
    const auto records = backend->list_part_failures(jobid);
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].partid, 1);
    EXPECT_EQ(records[0].exit_code, std::optional<int>(6));
    EXPECT_EQ(records[0].attempts, 2);
    EXPECT_GE(records[0].time_ms, before);
    EXPECT_THAT(records[0].text, HasSubstr("exited with code 6"));
    EXPECT_THAT(records[0].text, HasSubstr("opening tile 1\ntile 1 is"));
    EXPECT_EQ(backend->status(jobid).remaining, 3);

    RunOptions o = this->options();
    auto info = run_cli({"info", "--parts", "failed", jobid, "-d", uri}, o);
    ASSERT_EQ(info.code, 0) << info;
    const json parsed = json::parse(info.out);
    ASSERT_EQ(parsed["parts"].size(), 1u) << info.out;
    EXPECT_EQ(parsed["parts"][0]["partid"], 1);
    EXPECT_EQ(parsed["parts"][0]["exitCode"], 6);
    EXPECT_EQ(parsed["parts"][0]["attempts"], 2);
    EXPECT_EQ(parsed["parts"][0]["failedForGood"], false);
    EXPECT_THAT(parsed["parts"][0]["text"].get<std::string>(), HasSubstr("tile 1 is"));
    EXPECT_FALSE(parsed.contains("failedParts"));

    auto table = run_cli({"info", "--parts", "failed", jobid, "--format", "table", "-d", uri}, o);
    ASSERT_EQ(table.code, 0) << table;
    EXPECT_THAT(table.out, HasSubstr("Failed parts (1):"));
    EXPECT_THAT(table.out, HasSubstr("part 1, exit code 6, attempt 2"));
    EXPECT_THAT(table.out, HasSubstr("      tile 1 is ?[31mcorrupt?[0m")) << "control characters reach the terminal";
    EXPECT_EQ(table.out.find('\x1b'), std::string::npos);

    // Without --parts, info's output is the one it always was.
    auto plain = run_cli({"info", jobid, "-d", uri}, o);
    EXPECT_FALSE(json::parse(plain.out).contains("parts"));
}

TEST_P(CliWorkerOn, OtherExitCodesPassThroughAndChangeNothing) {
    const auto jobid = job(2);
    dir.file("exit-0", "5");
    auto r = deliver(jobid, 0, {"--fail-job-on-exit", "3,4"});
    EXPECT_EQ(r.code, 5) << r;
    auto status = backend->status(jobid);
    EXPECT_FALSE(status.failed);
    EXPECT_EQ(status.remaining, 2);

    // Under --failure-tolerance, the message's last delivery records the part as failed for good.
    r = deliver(jobid, 0, {"--failure-tolerance", "1", "--max-receive-count", "3"}, 3);
    EXPECT_EQ(r.code, 5) << r;
    EXPECT_EQ(backend->list_failed_parts(jobid), std::vector<wp::PartId>{0});
    EXPECT_FALSE(backend->status(jobid).failed);
    EXPECT_EQ(deliver(jobid, 1).code, 0);
    EXPECT_EQ(reduces_in(queue_uri).size(), 1u);  // part 0 tolerated: the job finished
}

// The CLI started as a process of its own (stdin /dev/null, stdout inherited, stderr a pipe).
struct Spawned {
    pid_t pid = -1;
    int err_fd = -1;  // the read end of its stderr
};

// Starts the CLI with `args` and `env` added to this environment.
Spawned spawn_cli(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
    std::vector<std::string> argv_storage = {wp_test::cli_path()};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_storage;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string entry(*e);
        if (env.count(entry.substr(0, entry.find('='))) == 0) env_storage.push_back(entry);
    }
    for (const auto& [name, value] : env) env_storage.push_back(name + "=" + value);
    std::vector<char*> envp;
    for (auto& e : env_storage) envp.push_back(e.data());
    envp.push_back(nullptr);
    int err_pipe[2];
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(err_pipe[1], STDERR_FILENO);
        const int null = ::open("/dev/null", O_RDONLY);
        ::dup2(null, STDIN_FILENO);
        ::execve(argv[0], argv.data(), envp.data());
        ::_exit(127);
    }
    ::close(err_pipe[1]);
    return {pid, err_pipe[0]};
}

// Reads the process's stderr to its end (calling `on_stderr` with all of it so far after each
// read), waits for it, and returns its exit code and stderr.
CliResult finish(const Spawned& spawned, const std::function<void(const std::string&)>& on_stderr = {}) {
    CliResult result;
    char buffer[4096];
    for (ssize_t n; (n = ::read(spawned.err_fd, buffer, sizeof buffer)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        result.err.append(buffer, static_cast<std::size_t>(n));
        if (on_stderr) on_stderr(result.err);
    }
    ::close(spawned.err_fd);
    int status = 0;
    while (::waitpid(spawned.pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

// Runs the CLI with `args` and `env` added to this environment, sends it SIGTERM once its stderr
// holds "ready\n" (the command is running), and returns its exit code and stderr.
CliResult run_and_sigterm(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
    const Spawned spawned = spawn_cli(args, env);
    bool signalled = false;
    return finish(spawned, [&](const std::string& err) {
        if (!signalled && err.find("ready\n") != std::string::npos) {
            ::kill(spawned.pid, SIGTERM);  // the worker only, as `docker stop` signals a container's first process
            signalled = true;
        }
    });
}

TEST_P(CliWorkerOn, SigtermIsForwardedToTheCommand) {
    const auto jobid = job(1);
    std::map<std::string, std::string> env = child_env;
    env["Subject"] = "map";
    env["Message"] = map_body(jobid, 0, metadata);
    env["ApproximateReceiveCount"] = "1";
    // The command starts its child, says it is ready on stderr, then waits; its trap proves the signal
    // reached it and stops the child, whose output goes nowhere (a child left running must not hold the
    // test's output open). The last delivery under a tolerance of 0: an interrupted command still
    // records nothing.
    auto r = run_and_sigterm({"worker", "--topic", queue_uri, "--failure-tolerance", "0", "--max-receive-count", "1",
                              "-d", uri, "--", "/bin/sh", "-c",
                              "trap 'kill $p 2>/dev/null; echo got-TERM >&2; exit 77' TERM; sleep 1000 </dev/null >/dev/null 2>&1 & p=$!; echo ready >&2; wait $p"},
                             env);
    EXPECT_EQ(r.code, 77) << r;
    EXPECT_THAT(r.err, HasSubstr("got-TERM"));
    auto status = backend->status(jobid);
    EXPECT_FALSE(status.failed);
    EXPECT_EQ(status.remaining, 1);
    EXPECT_TRUE(backend->list_failed_parts(jobid).empty());

    // A command that dies of it: 128 + SIGTERM, as a shell reports it.
    r = run_and_sigterm({"worker", "--topic", queue_uri, "-d", uri, "--", "/bin/sh", "-c", "echo ready >&2; exec sleep 1000"},
                        env);
    EXPECT_EQ(r.code, 128 + SIGTERM) << r;
    EXPECT_EQ(backend->status(jobid).remaining, 1);
}

// A command's 3 is watchbot's reject: the message would be deleted with its part neither complete
// nor failed, and the job would never complete. Without --fail-job-on-exit it fails the job (the
// worker exits 3 only once the job reads failed), and later parts are not run.
TEST_P(CliWorkerOn, CommandExit3FailsTheJobNeverDeletesAnUnrecordedPart) {
    const auto jobid = job(2);
    dir.file("exit-0", "3");
    dir.file("stderr-0", "tile 0 is not a tile\n");
    auto r = deliver(jobid, 0);
    EXPECT_EQ(r.code, wpcli::kExitWorkerReject) << r;
    EXPECT_THAT(r.err, HasSubstr("exited with code 3 (watchbot's reject: a rejected part fails the job): the job is "
                                 "marked failed"));
    auto status = backend->status(jobid);
    ASSERT_TRUE(status.failed);
    EXPECT_THAT(status.reason.value_or(""), HasSubstr("part 0 failed: the command exited with code 3"));
    EXPECT_THAT(status.reason.value_or(""), HasSubstr("tile 0 is not a tile"));

    r = deliver(jobid, 1);  // a later part: the command does not run
    EXPECT_EQ(r.code, wpcli::kExitWorkerReject) << r;
    EXPECT_THAT(r.err, HasSubstr("part 1 not run: the job failed"));
    EXPECT_EQ(runs(dir).size(), 1u);
    EXPECT_TRUE(reduces_in(queue_uri).empty());

    // With --fail-job-on-exit listing other codes, 3 still fails the job; listed, it says so.
    const auto other = job(1);
    r = deliver(other, 0, {"--fail-job-on-exit", "5"});
    EXPECT_EQ(r.code, wpcli::kExitWorkerReject) << r;
    EXPECT_TRUE(backend->status(other).failed);
    const auto listed = job(1);
    r = deliver(listed, 0, {"--fail-job-on-exit", "3"});
    EXPECT_EQ(r.code, wpcli::kExitWorkerReject) << r;
    EXPECT_THAT(r.err, HasSubstr("exited with code 3 (--fail-job-on-exit)"));
    EXPECT_TRUE(backend->status(listed).failed);
}

// A command's 4 is watchbot's no-op: the message comes back (no failure counted), the part stays
// pending and nothing is recorded: the state a returned message needs. Under --failure-tolerance its
// last delivery counts as the part's failure, as any other failing code.
TEST_P(CliWorkerOn, CommandExit4ReturnsTheMessageWithThePartPending) {
    const auto jobid = job(2);
    dir.file("exit-0", "4");
    auto r = deliver(jobid, 0);
    EXPECT_EQ(r.code, 4) << r;
    auto status = backend->status(jobid);
    EXPECT_FALSE(status.failed);
    EXPECT_EQ(status.remaining, 2);
    EXPECT_TRUE(backend->list_failed_parts(jobid).empty());

    r = deliver(jobid, 0, {"--failure-tolerance", "1", "--max-receive-count", "2"}, 2);
    EXPECT_EQ(r.code, 4) << r;
    EXPECT_EQ(backend->list_failed_parts(jobid), std::vector<wp::PartId>{0});
    EXPECT_FALSE(backend->status(jobid).failed);
}

// A command stopped by a forwarded SIGTERM whose trap exits 3 recorded nothing: the message must come
// back, so the worker exits kExitWorkerRetry rather than 3 (which would delete it).
TEST_P(CliWorkerOn, InterruptedCommandExiting3IsRetriedNotRejected) {
    const auto jobid = job(1);
    std::map<std::string, std::string> env = child_env;
    env["Subject"] = "map";
    env["Message"] = map_body(jobid, 0, metadata);
    env["ApproximateReceiveCount"] = "1";
    const auto r = run_and_sigterm({"worker", "--topic", queue_uri, "-d", uri, "--", "/bin/sh", "-c",
                                    "trap 'kill $p 2>/dev/null; exit 3' TERM; sleep 1000 </dev/null >/dev/null 2>&1 & p=$!; echo ready >&2; wait $p"},
                                   env);
    EXPECT_EQ(r.code, wpcli::kExitWorkerRetry) << r;
    EXPECT_THAT(r.err, HasSubstr("exited with code 3 after a SIGTERM it was sent: nothing was recorded and the "
                                 "message is retried"));
    const auto status = backend->status(jobid);
    EXPECT_FALSE(status.failed);
    EXPECT_EQ(status.remaining, 1);
}

// The job is complete and another delivery's reduce claim is unconfirmed and younger than the lease:
// this delivery cannot prove the reduce goes out, so it exits kExitWorkerRetry (the message comes
// back; a delivery after the lease sends the reduce if the claimer died), never 0 (the message
// deleted, and with it the last chance of the reduce). Needs the Part guard's ReducePending.
TEST_P(CliWorkerOn, ReducePendingOnAnothersUnconfirmedClaimIsRetried) {
    const auto jobid = job(1);
    backend->complete_part(jobid, 0);
    ASSERT_TRUE(backend->claim_reduce(jobid).has_value());  // a delivery that claimed, then died or is sending
    const auto r = deliver(jobid, 0, {"--reduce-lease", "1h"});
    EXPECT_EQ(r.code, wpcli::kExitWorkerRetry) << r;
    expect_one_line(r.err);
    EXPECT_THAT(r.err, HasSubstr("another delivery's reduce claim is unconfirmed"));
    EXPECT_TRUE(reduces_in(queue_uri).empty());
    EXPECT_FALSE(backend->status(jobid).reduce_confirmed);
}

#if WP_WITH_AWS
// Whether `signal` is still pending for process `pid` (not yet handled by any of its threads). False
// once the process is a zombie or gone.
bool signal_pending(pid_t pid, int signal) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    const unsigned long long bit = 1ull << (signal - 1);
    bool pending = false;
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("State:", 0) == 0 && line.find('Z') != std::string::npos) return false;
        if (line.rfind("ShdPnd:", 0) == 0 || line.rfind("SigPnd:", 0) == 0) {
            if (std::stoull(line.substr(line.find(':') + 1), nullptr, 16) & bit) pending = true;
        }
    }
    return pending;
}

// SIGTERM after the command exited, while the worker publishes the reduce (to an SNS endpoint of the
// test's that answers only once the worker has handled the signal): the worker finishes publishing
// and confirming, then exits with the outcome's code (0), instead of dying between the send and the
// confirmation (which would leave the claim unconfirmed, for a second reduce after the lease).
TEST_P(CliWorkerOn, SigtermAfterTheCommandWaitsUntilTheReduceIsConfirmed) {
    const auto jobid = job(1);
    wp_test::TestHttpServer sns;
    std::atomic<pid_t> worker_pid{0};
    std::atomic<int> publishes{0};
    std::atomic<bool> handled{false};
    sns.set_handler([&](const wp_test::RecordedRequest& request) {
        if (request.body.find("Action=Publish") == std::string::npos) {
            return wp_test::ScriptedResponse::xml(400, "<ErrorResponse><Error><Code>InvalidAction</Code></Error></ErrorResponse>");
        }
        ++publishes;
        pid_t pid = 0;
        while ((pid = worker_pid.load()) == 0) std::this_thread::yield();  // set right after the fork
        ::kill(pid, SIGTERM);  // the command exited long ago: the worker is in the reduce's publish
        while (signal_pending(pid, SIGTERM)) std::this_thread::yield();  // handled (or fatal) before we answer
        handled = true;
        return wp_test::ScriptedResponse::xml(
            200, "<PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><PublishResult><MessageId>"
                 "6f0c1a2b-0000-4000-8000-000000000001</MessageId></PublishResult><ResponseMetadata><RequestId>r"
                 "</RequestId></ResponseMetadata></PublishResponse>");
    });
    std::map<std::string, std::string> env = child_env;
    env["Subject"] = "map";
    env["Message"] = map_body(jobid, 0, metadata);
    env["ApproximateReceiveCount"] = "1";
    env["AWS_ENDPOINT_URL_SNS"] = sns.base_url();
    env["AWS_ACCESS_KEY_ID"] = "AKIDWPWORKERTEST0001";
    env["AWS_SECRET_ACCESS_KEY"] = "wpWorkerTestSecretNeverLogged/0123456789";
    env["AWS_SESSION_TOKEN"] = "";
    env["AWS_REGION"] = "us-east-1";
    env["AWS_PROFILE"] = "";
    env["AWS_EC2_METADATA_DISABLED"] = "true";
    const Spawned spawned = spawn_cli({"worker", "--topic", "arn:aws:sns:us-east-1:123456789012:wp-worker-reduce", "-d",
                                       uri, "--", "/bin/sh", "-c", "exit 0"},
                                      env);
    worker_pid = spawned.pid;
    const auto r = finish(spawned);
    EXPECT_TRUE(handled.load());
    EXPECT_EQ(publishes.load(), 1);
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_THAT(r.err, HasSubstr("received SIGTERM after the command exited: recorded the part's outcome first"));
    const auto status = backend->status(jobid);
    EXPECT_EQ(status.remaining, 0);
    EXPECT_TRUE(status.reduce_sent);
    EXPECT_TRUE(status.reduce_confirmed);  // the worker was not stopped between the send and the confirmation
}
#endif

INSTANTIATE_TEST_SUITE_P(Cli, CliWorkerOn, ::testing::ValuesIn(backend_kinds()), kind_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CliWorkerOn);

#if WP_CLI_TEST_QUEUE
// The demo's variant (scripts/demo --shell): examples/wordcount/worker.sh, a shell worker, through
// `worker` under `run` (the local queue, 4 at once), unchanged: every word counted, one reduce.
TEST(CliWorkerRun, ShellWordcountThroughRunCountsEveryWord) {
    TempDir dir;
    const std::string data = wp_test::source_dir() + "/examples/wordcount/data";
    const std::string output = dir.path() + "/out";
    RunOptions o;
    o.env = {{"ProgressTable", "sqlite://" + dir.path() + "/jobs.db"},
             {"WorkTopic", "sqlite://" + dir.path() + "/queue.db"},
             {"WATCHBOT_PROGRESS_CPP", wp_test::cli_path()}};
    auto r = run_cli({"send", "--subject", "start", "--message", "{}"}, o);
    ASSERT_EQ(r.code, 0) << r;
    r = run_cli({"run", "--concurrency", "4", "--backoff", "0", "-q", "--", wp_test::cli_path(), "worker",
                 "--fail-job-on-exit", "3", "--", wp_test::source_dir() + "/examples/wordcount/worker.sh", data, output},
                o);
    ASSERT_EQ(r.code, 0) << r;
    const auto summary = json::parse(r.out);
    const auto files = std::distance(fs::directory_iterator(data), fs::directory_iterator());
    EXPECT_EQ(summary.at("messages"), files + 2) << r.out;  // start, a map per file, one reduce
    EXPECT_EQ(summary.at("succeeded"), files + 2) << r.out;

    std::vector<fs::path> jobs(fs::directory_iterator(output), fs::directory_iterator{});
    ASSERT_EQ(jobs.size(), 1u);
    const auto backend = wp::open_backend("sqlite://" + dir.path() + "/jobs.db");
    const auto status = backend->status(jobs[0].filename().string());
    EXPECT_EQ(status.remaining, 0);
    EXPECT_TRUE(status.reduce_confirmed);

    std::map<std::string, long> expected;
    for (const auto& entry : fs::directory_iterator(data)) {
        std::ifstream in(entry.path(), std::ios::binary);
        std::string word;
        for (char c; in.get(c);) {
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
                word += static_cast<char>(c | 0x20);
            } else if (!word.empty()) {
                ++expected[word];
                word.clear();
            }
        }
        if (!word.empty()) ++expected[word];
    }
    std::map<std::string, long> counted;
    std::ifstream result(jobs[0] / "result.txt");
    long count = 0;
    for (std::string word; result >> count >> word;) counted[word] = count;
    EXPECT_FALSE(counted.empty());
    EXPECT_EQ(counted, expected);
}
#endif

#if WP_WITH_AWS
// Every part delivered three times, to 25 worker processes at once: the commands hold at a gate (a
// FIFO) until every process of the wave runs its command, then all complete together. The reduce
// goes to an SNS topic of fauxqs; exactly one arrives.
class CliWorkerRace : public CliBackend {};

TEST_P(CliWorkerRace, EveryPartThreeTimesFrom25ProcessesSendsOneReduce) {
    constexpr int kParts = 10;
    constexpr int kDeliveries = 3;
    constexpr std::size_t kProcesses = 25;
    const auto fauxqs = wp_test::Fauxqs::from_env();
    const auto sink = fauxqs.create_topic_with_queue("worker-race");
    const json metadata = {{"race", true}};
    const auto jobid = new_job(kParts, "race");
    backend->set_metadata(jobid, metadata);

    const std::string ready_fifo = dir.path() + "/ready", gate_fifo = dir.path() + "/gate";
    ASSERT_EQ(::mkfifo(ready_fifo.c_str(), 0600), 0);
    ASSERT_EQ(::mkfifo(gate_fifo.c_str(), 0600), 0);
    // Held open for reading and writing by the test: the commands' opens never block, and what the
    // test writes waits in the pipe for whoever reads it.
    const int ready_fd = ::open(ready_fifo.c_str(), O_RDWR | O_CLOEXEC);
    const int gate_fd = ::open(gate_fifo.c_str(), O_RDWR | O_CLOEXEC);
    ASSERT_GE(ready_fd, 0);
    ASSERT_GE(gate_fd, 0);
    const std::string worker = dir.file("race.sh",
                                        "#!/bin/sh\n"
                                        "cat > /dev/null\n"
                                        "echo \"$WATCHBOT_PROGRESS_PARTID\" > '" + ready_fifo + "'\n"
                                        "read go < '" + gate_fifo + "'\n"
                                        "exit 0\n");

    RunOptions base = options();
    for (const auto& [name, value] : fauxqs.client_env_vars()) base.env[name] = value.value_or("");
    for (const auto& [name, value] : child_env) base.env[name] = value;  // DynamoDB: its endpoint (same fake region)
    base.env["Subject"] = "map";

    std::vector<wp::PartId> deliveries;
    for (int d = 0; d < kDeliveries; ++d) {
        for (wp::PartId p = 0; p < kParts; ++p) deliveries.push_back(p);
    }
    std::shuffle(deliveries.begin(), deliveries.end(), std::mt19937(17));

    std::vector<CliResult> results;
    for (std::size_t start = 0; start < deliveries.size(); start += kProcesses) {
        const std::size_t wave = std::min(kProcesses, deliveries.size() - start);
        std::atomic<std::size_t> finished{0};
        std::vector<std::future<CliResult>> running;
        for (std::size_t i = 0; i < wave; ++i) {
            RunOptions o = base;
            o.env["Message"] = map_body(jobid, deliveries[start + i], metadata);
            running.push_back(std::async(std::launch::async, [&, o] {
                auto r = run_cli({"worker", "--topic", sink.topic_arn, "-d", uri, "--", "/bin/sh", worker}, o);
                ++finished;
                return r;
            }));
        }
        // Every command of the wave at the gate (or its process ended without reaching it), then open it.
        std::size_t at_gate = 0;
        while (at_gate + finished.load() < wave) {
            pollfd p{ready_fd, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            char chunk[256];
            const ssize_t n = ::read(ready_fd, chunk, sizeof chunk);
            if (n > 0) at_gate += static_cast<std::size_t>(std::count(chunk, chunk + n, '\n'));
        }
        std::string lines;
        for (std::size_t i = 0; i < wave; ++i) lines += "go\n";
        ASSERT_EQ(::write(gate_fd, lines.data(), lines.size()), static_cast<ssize_t>(lines.size()));
        for (auto& f : running) results.push_back(f.get());
    }
    ::close(ready_fd);
    ::close(gate_fd);

    // A delivery that found the job complete while the reduce's claimer had not confirmed it yet
    // exits with the retry code (ReducePending): watchbot delivers its message again. Every process
    // has ended now, so every claim is confirmed and each redelivery succeeds.
    const std::string quick = dir.file("quick.sh", "#!/bin/sh\ncat > /dev/null\nexit 0\n");
    for (std::size_t i = 0; i < results.size(); ++i) {
        if (results[i].code != wpcli::kExitWorkerRetry) {
            EXPECT_EQ(results[i].code, 0) << results[i];
            continue;
        }
        EXPECT_THAT(results[i].err, HasSubstr("reduce claim is unconfirmed")) << results[i];
        RunOptions o = base;
        o.env["Message"] = map_body(jobid, deliveries[i], metadata);
        const auto again = run_cli({"worker", "--topic", sink.topic_arn, "-d", uri, "--", "/bin/sh", quick}, o);
        EXPECT_EQ(again.code, 0) << again;
    }
    EXPECT_EQ(backend->status(jobid).remaining, 0);
    EXPECT_TRUE(backend->status(jobid).reduce_confirmed);
    std::vector<wp_test::SnsEnvelope> reduces;
    for (const auto& m : fauxqs.receive_all(sink.queue_url)) {
        if (m.subject == std::optional<std::string>("reduce")) reduces.push_back(m);
    }
    ASSERT_EQ(reduces.size(), 1u);
    EXPECT_EQ(json::parse(reduces[0].message), (json{{"jobid", jobid}, {"metadata", metadata}}));
}

INSTANTIATE_TEST_SUITE_P(Cli, CliWorkerRace, ::testing::ValuesIn(backend_kinds()), kind_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CliWorkerRace);
#endif

}  // namespace
