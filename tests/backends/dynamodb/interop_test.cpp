// Interoperability with the Node tool @mapbox/watchbot-progress (pinned in tools/package.json,
// installed in WP_TEST_NODE_MODULES): the two share one DynamoDB table and must read and complete
// each other's jobs. The Node client is driven through the small scripts in tests/interop/, run
// with fork/exec and an explicit environment (ProgressTable, DynamoDbEndpoint, fake credentials).

#include "watchbot_progress/config.hpp"
#if WP_WITH_AWS  // the DynamoDB backend is part of the AWS layer

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <map>
#include <stdexcept>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dynamodb_test_util.hpp"
#include "fault_delivery.hpp"
#include "test_paths.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace wp = watchbot_progress;
using nlohmann::json;

namespace {

constexpr const char* kTable = "wp-test-interop";

// Absolute, from the build's source directory: __FILE__ may be relative (compiler launchers such as
// ccache with base_dir rewrite paths), and ctest runs tests from another directory.
std::string interop_dir() { return wp_test::source_dir() + "/tests/interop"; }

struct NodeRun {
    int exit_code = -1;  // -1: killed by a signal
    std::string output;  // stdout, with stderr too when asked for
};

// Runs `node <tests/interop/script> args...` with exactly the environment the Node tool needs.
// `with_stderr`: stderr goes into `output` too (else it is the test's).
NodeRun run_node_process(const std::string& script, const std::vector<std::string>& args, bool with_stderr) {
    const std::map<std::string, std::string> env = {
        {"PATH", std::getenv("PATH") ? std::getenv("PATH") : "/usr/local/bin:/usr/bin:/bin"},
        {"HOME", "/nonexistent"},  // no ~/.aws
        {"WP_TEST_NODE_MODULES", wp_test::require_env("WP_TEST_NODE_MODULES")},
        {"ProgressTable", wp_test::dynamodb_test_arn(kTable)},
        {"DynamoDbEndpoint", wp_test::require_env("WP_TEST_DYNAMODB_ENDPOINT")},
        {"AWS_ACCESS_KEY_ID", wp_test::kDynamoDbTestAccessKey},
        {"AWS_SECRET_ACCESS_KEY", wp_test::kDynamoDbTestSecretKey},
        {"AWS_REGION", wp_test::kDynamoDbTestRegion},
        {"AWS_EC2_METADATA_DISABLED", "true"},
        {"AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE", "1"},
    };
    std::vector<std::string> argv_storage = {"env", "-i"};
    for (const auto& [k, v] : env) argv_storage.push_back(k + "=" + v);
    argv_storage.push_back("node");
    argv_storage.push_back(interop_dir() + "/" + script);
    for (const auto& a : args) argv_storage.push_back(a);
    std::vector<char*> argv;
    for (auto& s : argv_storage) argv.push_back(s.data());
    argv.push_back(nullptr);

    int out[2];
    if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        ::dup2(out[1], STDOUT_FILENO);
        if (with_stderr) ::dup2(out[1], STDERR_FILENO);
        ::close(out[0]);
        ::close(out[1]);
        ::execv("/usr/bin/env", argv.data());
        ::_exit(127);
    }
    ::close(out[1]);
    std::string output;
    char buffer[4096];
    for (ssize_t n; (n = ::read(out[0], buffer, sizeof buffer)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        output.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(out[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, std::move(output)};
}

// run_node_process, stdout parsed as JSON (the scripts print one JSON line). Fails the test on a
// non-zero exit or unparsable output.
json run_node(const std::string& script, const std::vector<std::string>& args) {
    const auto [code, output] = run_node_process(script, args, false);
    if (code != 0) {
        ADD_FAILURE() << "node " << script << " exited with status " << code << "; output: " << output;
        return nullptr;
    }
    json parsed = json::parse(output, nullptr, false);
    if (parsed.is_discarded()) ADD_FAILURE() << "node " << script << " printed no JSON: " << output;
    return parsed;
}

class DynamoDbNodeInterop : public ::testing::Test {
protected:
    void SetUp() override {
        wp::DynamoDbOptions options = wp_test::dynamodb_test_options(kTable);
        options.layout = wp::DynamoDbLayout::kCompatible;  // the layout the Node tool reads
        backend = std::make_shared<wp::DynamoDbBackend>(options);
        jobid = "interop-" + wp::new_jobid();
    }
    void TearDown() override { backend->delete_job(jobid); }

    std::shared_ptr<wp::DynamoDbBackend> backend;
    std::string jobid;
};

TEST_F(DynamoDbNodeInterop, NodeStatusShowsOurJobsProgressAndReduceFlag) {
    backend->set_total(jobid, 4);
    backend->set_metadata(jobid, {{"owner", "cpp"}, {"zoom", 3}});
    json s = run_node("status.js", {jobid});
    EXPECT_EQ(s["progress"], 0);
    EXPECT_EQ(s["metadata"], (json{{"owner", "cpp"}, {"zoom", 3}}));
    EXPECT_EQ(s["reduceSent"], false);
    EXPECT_FALSE(s.contains("failed"));

    backend->complete_part(jobid, 1);
    s = run_node("status.js", {jobid, "1"});
    EXPECT_EQ(s["progress"], 0.25);
    EXPECT_EQ(s["partComplete"], true);
    EXPECT_EQ(run_node("status.js", {jobid, "2"})["partComplete"], false);

    for (wp::PartId p : {0, 2}) backend->complete_part(jobid, p);
    EXPECT_EQ(run_node("status.js", {jobid})["progress"], 0.75);
    const auto last = backend->complete_part_and_claim_reduce(jobid, 3);
    ASSERT_TRUE(last.reduce_claimed());
    s = run_node("status.js", {jobid});
    EXPECT_EQ(s["progress"], 1);
    EXPECT_EQ(s["reduceSent"], true);

    backend->fail_job(jobid, "tile 3 was corrupt");
    EXPECT_EQ(run_node("status.js", {jobid})["failed"], "tile 3 was corrupt");
}

TEST_F(DynamoDbNodeInterop, APartCompletedByNodeIsCompleteForUs) {
    backend->set_total(jobid, 3);
    EXPECT_EQ(run_node("complete_part.js", {jobid, "2"}), (json{{"complete", false}}));
    EXPECT_TRUE(backend->part_complete(jobid, 2));
    EXPECT_FALSE(backend->part_complete(jobid, 0));
    EXPECT_EQ(backend->status(jobid).remaining, 2);
    EXPECT_EQ(backend->list_pending_parts(jobid), (std::vector<wp::PartId>{0, 1}));
    backend->complete_part(jobid, 0);
    EXPECT_EQ(run_node("complete_part.js", {jobid, "1"}), (json{{"complete", true}}));
    const auto s = backend->status(jobid);
    EXPECT_TRUE(s.complete());
    EXPECT_DOUBLE_EQ(s.progress, 1.0);
    // Node's completePart left the claim to us: exactly one winner still.
    EXPECT_TRUE(backend->claim_reduce(jobid));
    EXPECT_FALSE(backend->claim_reduce(jobid));
}

TEST_F(DynamoDbNodeInterop, AJobCreatedByNodeIsCompletedByOurPartGuardWithOneReduce) {
    run_node("set_total.js", {jobid, "6"});  // parts 1 .. 6, as the Node tool numbers them
    run_node("set_metadata.js", {jobid, R"({"from":"node"})"});
    auto status = backend->status(jobid);
    EXPECT_EQ(status.total, 6);
    EXPECT_EQ(status.remaining, 6);
    EXPECT_EQ(status.metadata, (json{{"from", "node"}}));
    backend->set_metadata(jobid, {{"merged", true}});  // merges into Node's map
    EXPECT_EQ(backend->status(jobid).metadata, (json{{"from", "node"}, {"merged", true}}));

    // Node's map messages carry parts 1 .. 6; every one is delivered twice, from 6 threads.
    std::atomic<int> reduces{0};
    json reduce_metadata;
    auto notifier = std::make_shared<wp::MemoryNotifier>();
    wp::PartOptions options{.backend = backend, .notifier = notifier};
    options.on_reduce = [&](const std::string& id, const json& metadata) {
        EXPECT_EQ(id, jobid);
        reduce_metadata = metadata;
        ++reduces;
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t) {
        threads.emplace_back([&, t] {
            for (int copy = 0; copy < 2; ++copy) {
                // Delivered again while another delivery's reduce claim is unconfirmed (ReducePending).
                wp_test::redeliver_until_done([&] { wp::Part(jobid, 1 + (t + copy) % 6, options).run([] {}); });
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(reduces.load(), 1);
    EXPECT_EQ(reduce_metadata, (json{{"from", "node"}, {"merged", true}}));
    EXPECT_TRUE(notifier->messages().empty()) << "on_reduce replaces the reduce message";
    const json s = run_node("status.js", {jobid});
    EXPECT_EQ(s["progress"], 1);
    EXPECT_EQ(s["reduceSent"], true);

    // With a notifier instead: a second Node job, one reduce message.
    const std::string second = jobid + "-2";
    run_node("set_total.js", {second, "3"});
    wp::PartOptions with_notifier{.backend = backend, .notifier = notifier};
    for (int p : {3, 1, 2, 3, 1}) wp::Part(second, p, with_notifier).run([] {});
    const auto messages = notifier->messages("reduce");
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_EQ(json::parse(messages[0].body)["jobid"], second);
    backend->delete_job(second);
}

TEST_F(DynamoDbNodeInterop, FailureAndMetadataWrittenByNodeAreReadByUs) {
    backend->set_total(jobid, 2);
    backend->set_metadata(jobid, {{"a", 1}});
    run_node("fail_job.js", {jobid, "worker crashed"});
    const auto s = backend->status(jobid);
    EXPECT_TRUE(s.failed);
    EXPECT_EQ(s.reason.value_or(""), "worker crashed");
    EXPECT_EQ(s.metadata, (json{{"a", 1}}));
    EXPECT_FALSE(backend->complete_part_and_claim_reduce(jobid, 0).reduce_claimed());
}

// The Node tool on a job of the default (sharded) layout: its completePart is refused (the promise
// is rejected: a non-zero exit), never a silent success that loses the completion; its status
// fails too rather than show a made-up progress. The job itself is unharmed.
TEST_F(DynamoDbNodeInterop, NodesCompletionOfAShardedJobFailsLoudly) {
    auto sharded = std::make_shared<wp::DynamoDbBackend>(wp_test::dynamodb_test_options(kTable));
    ASSERT_EQ(sharded->layout(), wp::DynamoDbLayout::kSharded) << "the default layout";
    sharded->set_total(jobid, 4);
    for (wp::PartId p = 0; p < 3; ++p) sharded->complete_part(jobid, p);

    const NodeRun completion = run_node_process("complete_part.js", {jobid, "3"}, true);
    EXPECT_NE(completion.exit_code, 0) << "the Node tool's completePart returned normally: " << completion.output;
    EXPECT_THAT(completion.output, ::testing::HasSubstr("ValidationException"));
    EXPECT_FALSE(sharded->part_complete(jobid, 3));

    const NodeRun status = run_node_process("status.js", {jobid}, true);
    EXPECT_NE(status.exit_code, 0) << "the Node tool's status read a sharded job: " << status.output;

    const wp::CompletionResult last = sharded->complete_part_and_claim_reduce(jobid, 3);
    EXPECT_TRUE(last.job_complete);
    EXPECT_TRUE(last.reduce_claimed());
    EXPECT_NE(run_node_process("complete_part.js", {jobid, "3"}, true).exit_code, 0)
        << "a Node worker must never see a sharded job complete (it would send the reduce)";
}

}  // namespace

#endif  // WP_WITH_AWS
