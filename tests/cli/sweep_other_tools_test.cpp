// `sweep` on databases that also hold jobs of the Python and Node tools (written as those tools
// write them: tests/support/other_tools.hpp), run as a real process. A job the Python tool reduced is never
// reduced again; a complete, never-claimed job without this library's record is left alone unless
// named or --include-other-tools. Redis (a database of its own on WP_TEST_REDIS_URL's server) and
// DynamoDB (a table of its own on dynalite); the tests fail when a server is missing.

#include "watchbot_progress/config.hpp"
#if WP_WITH_SQLITE  // the reduces go to a local queue

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli_runner.hpp"
#include "other_tools.hpp"
#include "test_env.hpp"
#include "watchbot_progress/local_queue.hpp"
#include "watchbot_progress/watchbot_progress.hpp"
#if WP_WITH_AWS
#include "dynamodb_test_util.hpp"
#endif
#if WP_WITH_REDIS
#include "watchbot_progress/redis_backend.hpp"
#endif

namespace wp = watchbot_progress;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

std::string unique(const std::string& prefix) { return "cli-sweep-" + prefix + "-" + wp::new_jobid(); }

// A database for the test and the ways to write the other tools' jobs into it.
struct Database {
    std::string uri;
    std::map<std::string, std::string> env;  // for the CLI process
    std::shared_ptr<wp::Backend> backend;
    // Complete, never claimed, never marked: what a tool whose users send the reduce themselves leaves.
    std::function<void(const std::string&)> write_complete_job_of_another_tool;
    // Completed and reduced by the Python tool (its mark of a sent reduce).
    std::function<void(const std::string&)> write_job_the_python_tool_reduced;
};

class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "wp-cli-sweep-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

// The job ids of the reduce messages in the queue (each received once).
std::vector<std::string> reduced_jobs(const std::string& queue_uri) {
    std::vector<std::string> out;
    auto queue = wp::LocalQueue::from_uri(queue_uri);
    for (const auto& m : queue->receive(100, std::chrono::minutes(10))) {
        if (m.subject == "reduce") out.push_back(nlohmann::json::parse(m.body).at("jobid").get<std::string>());
    }
    return out;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::string line;
    for (char c : text) {
        if (c == '\n') {
            lines.push_back(line);
            line.clear();
        } else {
            line += c;
        }
    }
    return lines;
}

void sweep_leaves_other_tools_jobs_alone(const Database& db) {
    TempDir dir;
    const std::string queue = "sqlite://" + dir.path() + "/queue.db";
    const auto sweep = [&](std::vector<std::string> args) {
        args.insert(args.begin(), "sweep");
        args.insert(args.end(), {"--topic", queue, "-d", db.uri});
        wp_test::RunOptions options;
        options.env = db.env;
        return wp_test::run_cli(args, options);
    };
    const std::string foreign = unique("foreign"), named = unique("foreign-named"), python = unique("python"),
                      ours = unique("ours");
    db.write_complete_job_of_another_tool(foreign);
    db.write_complete_job_of_another_tool(named);
    db.write_job_the_python_tool_reduced(python);
    db.backend->set_total(ours, 1);
    db.backend->complete_part(ours, 0);  // this library's job, complete, its reduce never claimed

    // The table of `info` shows no times for the other tools' jobs, which record none.
    wp_test::RunOptions table_options;
    table_options.env = db.env;
    auto table = wp_test::run_cli({"info", foreign, "--format", "table", "-d", db.uri}, table_options);
    EXPECT_EQ(table.code, 0) << table;
    EXPECT_THAT(table.out, ::testing::ContainsRegex(foreign + " +complete +2/2 +- +- +no +-\n"));
    table = wp_test::run_cli({"info", python, "--format", "table", "-d", db.uri}, table_options);
    EXPECT_THAT(table.out, ::testing::ContainsRegex(python + " +complete +2/2 +- +- +yes +-\n"));

    // Every job of the database: only this library's job is reduced; the others are left alone,
    // and the output says so.
    auto r = sweep({});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_THAT(lines_of(r.out), ::testing::Contains(ours)) << r;
    for (const auto& id : {foreign, named, python}) EXPECT_THAT(lines_of(r.out), Not(::testing::Contains(id))) << r;
    EXPECT_THAT(r.err, HasSubstr("job '" + foreign + "': complete and its reduce never claimed, but written by another tool"));
    EXPECT_THAT(r.err, HasSubstr("--include-other-tools"));
    EXPECT_THAT(r.err, Not(HasSubstr("job '" + python + "'"))) << "the Python tool's reduced job is not a candidate";
    auto reduced = reduced_jobs(queue);
    EXPECT_THAT(reduced, ::testing::Contains(ours));
    for (const auto& id : {foreign, named, python}) EXPECT_THAT(reduced, Not(::testing::Contains(id)));

    // Named, the Python tool's reduced job is still reduced already; another tool's job is sent.
    r = sweep({python, named});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, named + "\n");
    EXPECT_EQ(reduced_jobs(queue), std::vector<std::string>{named});

    // Asked for: every other complete, unclaimed job is sent.
    r = sweep({"--include-other-tools"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_THAT(lines_of(r.out), ::testing::Contains(foreign)) << r;
    reduced = reduced_jobs(queue);
    EXPECT_THAT(reduced, ::testing::Contains(foreign));
    for (const auto& id : {named, python, ours}) EXPECT_THAT(reduced, Not(::testing::Contains(id)));

    r = sweep({"--include-other-tools"});
    EXPECT_EQ(r.code, 0) << r;
    for (const auto& id : {foreign, named, python, ours}) EXPECT_THAT(lines_of(r.out), Not(::testing::Contains(id)));
    for (const auto& id : {foreign, named, python, ours}) db.backend->delete_job(id);
}

TEST(CliSweepHelp, SaysWhichJobsItLeavesAlone) {
    const auto r = wp_test::run_cli({"sweep", "--help"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_THAT(r.out, HasSubstr("--include-other-tools"));
    EXPECT_THAT(r.out, HasSubstr("metadata.reduce_message_sent"));
    EXPECT_THAT(r.out, HasSubstr("leaves it alone"));
}

#if WP_WITH_REDIS
TEST(CliSweepOtherTools, RedisJobsOfThePythonTool) {
    wp::RedisOptions options = wp::RedisBackend::parse_uri(wp_test::require_env("WP_TEST_REDIS_URL"));
    options.db = 13;  // a database of its own: sweep without job ids reads every job in it
    Database db;
    db.uri = "redis://127.0.0.1:" + std::to_string(options.port) + "/13";
    db.backend = std::make_shared<wp::RedisBackend>(options);
    auto python = std::make_shared<wp_test::other_tools::PythonRedisTool>(options);
    db.write_complete_job_of_another_tool = [python](const std::string& jobid) {
        python->set_total(jobid, 2);
        python->complete_part(jobid, 0);
        python->complete_part(jobid, 1);
    };
    db.write_job_the_python_tool_reduced = [python](const std::string& jobid) {
        python->set_total(jobid, 2);
        python->complete_part(jobid, 0);
        python->complete_part(jobid, 1);
        python->mark_reduce_sent(jobid);
    };
    sweep_leaves_other_tools_jobs_alone(db);
}
#endif

#if WP_WITH_AWS
TEST(CliSweepOtherTools, DynamoDbJobsOfThePythonAndNodeTools) {
    const std::string table = "wp-cli-sweep-other-tools";
    auto client = wp_test::dynamodb_test_client(table);
    Database db;
    db.uri = wp_test::dynamodb_test_arn(table);
    db.env = {{"AWS_ENDPOINT_URL_DYNAMODB", wp_test::require_env("WP_TEST_DYNAMODB_ENDPOINT")},
              {"AWS_ACCESS_KEY_ID", wp_test::kDynamoDbTestAccessKey},
              {"AWS_SECRET_ACCESS_KEY", wp_test::kDynamoDbTestSecretKey},
              {"AWS_SESSION_TOKEN", ""},
              {"AWS_REGION", wp_test::kDynamoDbTestRegion},
              {"AWS_PROFILE", ""},
              {"AWS_EC2_METADATA_DISABLED", "true"}};
    db.backend = std::make_shared<wp::DynamoDbBackend>(wp_test::dynamodb_test_options(table));
    using namespace wp_test::other_tools;
    db.write_complete_job_of_another_tool = [client](const std::string& jobid) {  // the Node tool's: parts 1 .. 2
        node_dynamodb_set_total(*client, jobid, 2);
        dynamodb_delete_part(*client, jobid, 1);
        dynamodb_delete_part(*client, jobid, 2);
    };
    db.write_job_the_python_tool_reduced = [client](const std::string& jobid) {
        python_dynamodb_set_total(*client, jobid, 2);
        dynamodb_delete_part(*client, jobid, 0);
        dynamodb_delete_part(*client, jobid, 1);
        python_dynamodb_mark_reduce_sent(*client, jobid);
    };
    sweep_leaves_other_tools_jobs_alone(db);
}
#endif

}  // namespace

#endif  // WP_WITH_SQLITE
