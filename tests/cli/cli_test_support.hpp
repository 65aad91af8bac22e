#pragma once
// What the CLI tests of this folder share: running the tool as a real process (wp_test::cli_path())
// with stdout, stderr and the exit code captured separately, temporary directories, the DynamoDB test
// table, and the CliBackend fixture that runs a test against each real backend: Redis
// (WP_TEST_REDIS_URL; the tests fail when it is missing), SQLite (a temporary file) and DynamoDB
// (dynalite). Jobs are prepared and checked through the library.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "exit_codes.hpp"
#include "cli_runner.hpp"
#include "test_env.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

#if WP_WITH_SQLITE && __has_include("watchbot_progress/sqlite_backend.hpp")
#include "watchbot_progress/sqlite_backend.hpp"
#define WP_CLI_TEST_SQLITE 1
#else
#define WP_CLI_TEST_SQLITE 0
#endif
#if WP_WITH_AWS && __has_include("watchbot_progress/dynamodb_backend.hpp")
#include "watchbot_progress/dynamodb_backend.hpp"
#define WP_CLI_TEST_DYNAMODB 1
#else
#define WP_CLI_TEST_DYNAMODB 0
#endif
#if WP_CLI_TEST_SQLITE && __has_include("watchbot_progress/local_queue.hpp")
#include "watchbot_progress/local_queue.hpp"
#define WP_CLI_TEST_QUEUE 1
#else
#define WP_CLI_TEST_QUEUE 0
#endif

extern char** environ;

namespace wp_cli_test {

namespace wp = watchbot_progress;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// ---------------------------------------------------------------------------------------------
// Running the binary

using wp_test::CliResult;
using wp_test::RunOptions;
using wp_test::run_cli;

// stderr holds exactly one line.
inline void expect_one_line(const std::string& err) {
    EXPECT_FALSE(err.empty());
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_EQ(err.back(), '\n') << err;
}

inline std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// A temporary directory removed when the object goes away.
class TempDir {
public:
    TempDir() {
        std::string base = ::testing::TempDir();
        if (base.empty()) base = "/tmp/";
        if (base.back() != '/') base += '/';
        std::string pattern = base + "wp-cli-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    const std::string& path() const { return path_; }
    std::string file(const std::string& name, const std::string& content) const {
        const std::string p = path_ + "/" + name;
        std::ofstream(p, std::ios::binary) << content;
        return p;
    }

private:
    std::string path_;
};

inline std::string unique_jobid(const std::string& prefix) { return "cli-" + prefix + "-" + wp::new_jobid(); }

inline const std::regex kUuidLine("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\n$");

#if WP_CLI_TEST_DYNAMODB
// dynalite (WP_TEST_DYNAMODB_ENDPOINT) with fake static credentials: the tests never depend on the
// machine's AWS settings. The CLI gets the same settings through its environment.
inline constexpr const char* kAwsRegion = "us-east-1";
inline constexpr const char* kAwsAccessKey = "AKIDWPCLITEST0000001";
inline constexpr const char* kAwsSecretKey = "wpCliTestSecretKeyNeverLogged/0123456789";

inline std::map<std::string, std::string> dynamodb_child_env() {
    return {{"AWS_ENDPOINT_URL_DYNAMODB", wp_test::require_env("WP_TEST_DYNAMODB_ENDPOINT")},
            {"AWS_ACCESS_KEY_ID", kAwsAccessKey},
            {"AWS_SECRET_ACCESS_KEY", kAwsSecretKey},
            {"AWS_SESSION_TOKEN", ""},
            {"AWS_REGION", kAwsRegion},
            {"AWS_PROFILE", ""},
            {"AWS_EC2_METADATA_DISABLED", "true"},
            {"AWS_MAX_ATTEMPTS", "2"}};
}

inline wp::ProgressTableOptions table_options() {
    wp::ProgressTableOptions options;
    options.aws.endpoint = wp_test::require_env("WP_TEST_DYNAMODB_ENDPOINT");
    options.aws.region = kAwsRegion;
    options.aws.access_key_id = kAwsAccessKey;
    options.aws.secret_access_key = kAwsSecretKey;
    options.poll_interval = std::chrono::milliseconds(50);
    options.timeout = std::chrono::seconds(30);
    return options;
}

// The table every DynamoDB CLI test shares (jobs have unique ids), created once per process.
inline const std::string& dynamodb_test_table_arn() {
    static const std::string arn = wp::create_progress_table("wp-cli-tests", table_options()).arn;
    return arn;
}

inline std::shared_ptr<wp::Backend> dynamodb_test_backend(const std::string& arn) {
    wp::DynamoDbOptions options;
    options.table = arn;
    options.aws.endpoint = wp_test::require_env("WP_TEST_DYNAMODB_ENDPOINT");
    options.aws.region = kAwsRegion;
    options.aws.access_key_id = kAwsAccessKey;
    options.aws.secret_access_key = kAwsSecretKey;
    return std::make_shared<wp::DynamoDbBackend>(options);
}
#endif

// ---------------------------------------------------------------------------------------------
// Without a server: the command line itself, configuration errors, and create on memory://

inline const std::vector<std::string> kJobCommands = {"info",          "ls",       "pending",     "failed",      "status",
                                               "set-total",     "set-metadata", "complete-part", "fail-job",
                                               "reduce-sent",   "create",   "watch",       "delete",
                                               "resend"};
inline std::vector<std::string> all_commands() {
    auto commands = kJobCommands;
    commands.push_back("create-table");
    commands.push_back("sweep");
    commands.push_back("monitor");
    commands.push_back("worker");
#if WP_CLI_TEST_QUEUE
    commands.push_back("run");
    commands.push_back("send");
    commands.push_back("dead-letters");
    commands.push_back("queue");
#endif
#if defined(WP_CLI_TEST_DASHBOARD) && WP_CLI_TEST_DASHBOARD  // tests/CMakeLists.txt, with WP_WITH_DASHBOARD
    commands.push_back("serve");
#endif
    return commands;
}

// ---------------------------------------------------------------------------------------------
// Against each real backend

enum class Kind { kRedis, kSqlite, kDynamoDb };

inline void PrintTo(Kind kind, std::ostream* os) {
    *os << (kind == Kind::kRedis ? "Redis" : kind == Kind::kSqlite ? "Sqlite" : "DynamoDb");
}

inline std::string kind_name(const ::testing::TestParamInfo<Kind>& info) {
    switch (info.param) {
        case Kind::kRedis: return "Redis";
        case Kind::kSqlite: return "Sqlite";
        case Kind::kDynamoDb: return "DynamoDb";
    }
    return "Unknown";
}


class CliBackend : public ::testing::TestWithParam<Kind> {
protected:
    void SetUp() override {
        queue_uri = "sqlite://" + dir.path() + "/queue.db";
        switch (GetParam()) {
            case Kind::kRedis:
                uri = wp_test::require_env("WP_TEST_REDIS_URL");
                backend = wp::open_backend(uri);
                break;
            case Kind::kSqlite:
                uri = "sqlite://" + dir.path() + "/jobs.db";
                backend = wp::open_backend(uri);
                break;
            case Kind::kDynamoDb:
#if WP_CLI_TEST_DYNAMODB
                uri = dynamodb_test_table_arn();
                backend = dynamodb_test_backend(uri);
                child_env = dynamodb_child_env();
#endif
                break;
        }
        ASSERT_TRUE(backend);
    }

    // Options for run_cli: the environment the backend needs (DynamoDB: endpoint, credentials).
    RunOptions options(const std::string& input = "") const {
        RunOptions o;
        o.input = input;
        o.env = child_env;
        return o;
    }

    // A job with `total` parts, created through the library.
    std::string new_job(std::int64_t total, const std::string& prefix = "job") {
        std::string jobid = unique_jobid(prefix);
        backend->set_total(jobid, total);
        return jobid;
    }

    // Runs the CLI with `-d uri` appended.
    CliResult cli(std::vector<std::string> args, const std::string& input = "") {
        args.insert(args.end(), {"-d", uri});
        return run_cli(args, options(input));
    }

    // Runs the CLI with `-d uri` appended and `extra`'s hooks (on_stderr, interrupt_when, timeout).
    CliResult cli(std::vector<std::string> args, const RunOptions& extra) {
        args.insert(args.end(), {"-d", uri});
        RunOptions o = extra;
        o.env.insert(child_env.begin(), child_env.end());
        return run_cli(args, o);
    }

    std::string not_found(const std::string& jobid) const {
        return "watchbot-progress-cpp: error: job '" + jobid + "' does not exist in " + backend->describe() + "\n";
    }

    TempDir dir;
    std::string uri;
    std::string queue_uri;
    std::shared_ptr<wp::Backend> backend;
    std::map<std::string, std::string> child_env;
};



// The reduce messages in the test's local queue.
inline std::vector<nlohmann::json> reduces_in(const std::string& queue_uri) {
    std::vector<nlohmann::json> out;
    auto queue = wp::LocalQueue::from_uri(queue_uri);
    for (const auto& m : queue->receive(100, std::chrono::minutes(10))) {
        if (m.subject == "reduce") out.push_back(nlohmann::json::parse(m.body));
    }
    return out;
}

#if WP_CLI_TEST_QUEUE
// Every message in the queue file, in sending order.
inline std::vector<wp::QueueMessage> drain(const std::string& queue_uri) {
    auto queue = wp::LocalQueue::from_uri(queue_uri);
    std::vector<wp::QueueMessage> all;
    for (;;) {
        auto batch = queue->receive(1000, std::chrono::minutes(10));
        if (batch.empty()) break;
        all.insert(all.end(), batch.begin(), batch.end());
    }
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return all;
}
#endif

// The backends CliBackend runs on (those built).
inline std::vector<Kind> backend_kinds() {
    std::vector<Kind> kinds;
#if WP_WITH_REDIS
    kinds.push_back(Kind::kRedis);
#endif
#if WP_CLI_TEST_SQLITE
    kinds.push_back(Kind::kSqlite);
#endif
#if WP_CLI_TEST_DYNAMODB
    kinds.push_back(Kind::kDynamoDb);
#endif
    return kinds;
}

}  // namespace wp_cli_test
