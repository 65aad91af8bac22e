// The command-line tool, run as a real process (wp_test::cli_path()) with stdout, stderr and the exit code
// captured separately, against the real backends: Redis (WP_TEST_REDIS_URL; the tests fail when it is
// missing) and SQLite (a temporary file). Jobs are prepared and checked through the library.

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

#include "../cli/exit_codes.hpp"
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

namespace wp = watchbot_progress;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace {

// ---------------------------------------------------------------------------------------------
// Running the binary

using wp_test::CliResult;
using wp_test::RunOptions;
using wp_test::run_cli;

// stderr holds exactly one line.
void expect_one_line(const std::string& err) {
    EXPECT_FALSE(err.empty());
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_EQ(err.back(), '\n') << err;
}

std::vector<std::string> lines_of(const std::string& text) {
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

std::string unique_jobid(const std::string& prefix) { return "cli-" + prefix + "-" + wp::new_jobid(); }

const std::regex kUuidLine("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\n$");

#if WP_CLI_TEST_DYNAMODB
// dynalite (WP_TEST_DYNAMODB_ENDPOINT) with fake static credentials: the tests never depend on the
// machine's AWS settings. The CLI gets the same settings through its environment.
constexpr const char* kAwsRegion = "us-east-1";
constexpr const char* kAwsAccessKey = "AKIDWPCLITEST0000001";
constexpr const char* kAwsSecretKey = "wpCliTestSecretKeyNeverLogged/0123456789";

std::map<std::string, std::string> dynamodb_child_env() {
    return {{"AWS_ENDPOINT_URL_DYNAMODB", wp_test::require_env("WP_TEST_DYNAMODB_ENDPOINT")},
            {"AWS_ACCESS_KEY_ID", kAwsAccessKey},
            {"AWS_SECRET_ACCESS_KEY", kAwsSecretKey},
            {"AWS_SESSION_TOKEN", ""},
            {"AWS_REGION", kAwsRegion},
            {"AWS_PROFILE", ""},
            {"AWS_EC2_METADATA_DISABLED", "true"},
            {"AWS_MAX_ATTEMPTS", "2"}};
}

wp::ProgressTableOptions table_options() {
    wp::ProgressTableOptions options;
    options.endpoint = wp_test::require_env("WP_TEST_DYNAMODB_ENDPOINT");
    options.region = kAwsRegion;
    options.access_key_id = kAwsAccessKey;
    options.secret_access_key = kAwsSecretKey;
    options.poll_interval = std::chrono::milliseconds(50);
    options.timeout = std::chrono::seconds(30);
    return options;
}

// The table every DynamoDB CLI test shares (jobs have unique ids), created once per process.
const std::string& dynamodb_test_table_arn() {
    static const std::string arn = wp::create_progress_table("wp-cli-tests", table_options()).arn;
    return arn;
}

std::shared_ptr<wp::Backend> dynamodb_test_backend(const std::string& arn) {
    wp::DynamoDbOptions options;
    options.table = arn;
    options.endpoint = wp_test::require_env("WP_TEST_DYNAMODB_ENDPOINT");
    options.region = kAwsRegion;
    options.access_key_id = kAwsAccessKey;
    options.secret_access_key = kAwsSecretKey;
    return std::make_shared<wp::DynamoDbBackend>(options);
}
#endif

// ---------------------------------------------------------------------------------------------
// Without a server: the command line itself, configuration errors, and create on memory://

const std::vector<std::string> kJobCommands = {"info",          "ls",       "pending",     "failed",      "status",
                                               "set-total",     "set-metadata", "complete-part", "fail-job",
                                               "reduce-sent",   "create",   "watch",       "delete"};
std::vector<std::string> all_commands() {
    auto commands = kJobCommands;
    commands.push_back("create-table");
    commands.push_back("sweep");
    return commands;
}

TEST(CliBasics, VersionPrintsTheLibraryVersion) {
    const auto r = run_cli({"--version"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, std::string("watchbot-progress-cpp ") + wp::version() + "\n");
    EXPECT_EQ(r.err, "");
}

TEST(CliBasics, HelpListsEveryCommandAndTheExitCodeTable) {
    const auto r = run_cli({"--help"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.err, "");
    for (const auto& command : all_commands()) EXPECT_THAT(r.out, HasSubstr("\n  " + command + " ")) << command;
    for (const auto& entry : wpcli::kExitCodes) {
        char row[64];
        std::snprintf(row, sizeof row, "  %-3d  %s", entry.code, entry.name);
        EXPECT_THAT(r.out, HasSubstr(row)) << entry.code;
    }
    EXPECT_THAT(r.out, HasSubstr("ProgressTable"));
    EXPECT_THAT(r.out, HasSubstr("WorkTopic"));
}

TEST(CliBasics, EveryCommandHasHelpWithAnExample) {
    for (const auto& command : all_commands()) {
        const auto r = run_cli({command, "--help"});
        EXPECT_EQ(r.code, 0) << command << "\n" << r;
        EXPECT_THAT(r.out, HasSubstr("Usage: watchbot-progress-cpp " + command)) << command;
        EXPECT_THAT(r.out, HasSubstr("Example")) << command;
        EXPECT_THAT(r.out, HasSubstr("watchbot-progress-cpp " + command + " ")) << command;
        EXPECT_EQ(r.err, "") << command;
    }
}

TEST(CliBasics, DatabaseOptionOnEveryJobCommand) {
    for (const auto& command : kJobCommands) {
        const auto r = run_cli({command, "--help"});
        EXPECT_THAT(r.out, HasSubstr("-d,--database URI")) << command;
    }
}

TEST(CliBasics, NoArgumentsPrintsHelpOnStderrAndExits2) {
    const auto r = run_cli({});
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    EXPECT_EQ(r.out, "");
    EXPECT_THAT(r.err, HasSubstr("Usage: watchbot-progress-cpp"));
}

TEST(CliBasics, UnknownCommandAndOptionAreOneLineUsageErrors) {
    auto r = run_cli({"frobnicate", "x"});
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "watchbot-progress-cpp: error: unknown command 'frobnicate' (see watchbot-progress-cpp --help)\n");

    r = run_cli({"--frobnicate"});
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    EXPECT_EQ(r.err, "watchbot-progress-cpp: error: unknown option '--frobnicate' (see watchbot-progress-cpp --help)\n");

    r = run_cli({"info", "job", "--frobnicate", "-d", "memory://"});
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    expect_one_line(r.err);
    EXPECT_THAT(r.err, HasSubstr("--frobnicate"));
    EXPECT_THAT(r.err, HasSubstr("watchbot-progress-cpp info --help"));
}

TEST(CliBasics, MissingArgumentsAreUsageErrors) {
    const std::vector<std::vector<std::string>> cases = {
        {"info"},
        {"pending"},
        {"failed"},
        {"status"},
        {"set-total", "job"},
        {"set-metadata", "job"},
        {"complete-part", "job"},
        {"fail-job", "job"},
        {"reduce-sent"},
        {"watch"},
        {"delete"},
        {"set-total", "job", "--total", "many"},
        {"complete-part", "job", "--part", "1.5"},
        {"status", "job", "--part", "x"},
        {"complete-part", "job", "--part", "99999999999999999999"},
        {"status", "job", "--part", "-99999999999999999999"},
        {"create", "--format", "yaml"},
        {"ls", "--status", "--jobid"},
        {"info", "a", "b"},
    };
    for (const auto& args : cases) {
        auto with_db = args;
        with_db.insert(with_db.end(), {"-d", "memory://"});
        const auto r = run_cli(with_db);
        EXPECT_EQ(r.code, wpcli::kExitUsage) << args[0] << "\n" << r;
        EXPECT_EQ(r.out, "") << args[0];
        expect_one_line(r.err);
        EXPECT_THAT(r.err, StartsWith("watchbot-progress-cpp: error: "));
    }
}

TEST(CliBasics, NoDatabaseIsAConfigurationError) {
    const auto r = run_cli({"info", "job"});
    EXPECT_EQ(r.code, wpcli::kExitConfig) << r;
    EXPECT_EQ(r.out, "");
    expect_one_line(r.err);
    EXPECT_THAT(r.err, HasSubstr("ProgressTable"));
    EXPECT_THAT(r.err, HasSubstr("--database"));
}

TEST(CliBasics, BadDatabaseValueSaysWhichFormsAreAccepted) {
    for (const std::string bad : {"mysql://localhost/db", "table-name", ""}) {
        const auto r = run_cli({"info", "job", "-d", bad});
        EXPECT_EQ(r.code, wpcli::kExitUsage) << bad << "\n" << r;
        EXPECT_EQ(r.out, "");
        expect_one_line(r.err);
        EXPECT_THAT(r.err, HasSubstr("--database"));
        EXPECT_THAT(r.err, HasSubstr("arn:aws:dynamodb:REGION:ACCOUNT:table/NAME"));
        EXPECT_THAT(r.err, HasSubstr("redis://"));
        EXPECT_THAT(r.err, HasSubstr("sqlite://"));
    }
}

TEST(CliBasics, BadProgressTableIsAConfigurationError) {
    RunOptions options;
    options.env["ProgressTable"] = "not-an-arn";
    const auto r = run_cli({"ls"}, options);
    EXPECT_EQ(r.code, wpcli::kExitConfig) << r;
    expect_one_line(r.err);
    EXPECT_THAT(r.err, HasSubstr("ProgressTable"));
    EXPECT_THAT(r.err, HasSubstr("arn:aws:dynamodb"));
}

#if WP_WITH_REDIS
TEST(CliBasics, BadRedisUriIsAUsageError) {
    const auto r = run_cli({"info", "job", "-d", "redis://localhost:99999/0"});
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    expect_one_line(r.err);
}

TEST(CliBasics, UnreachableRedisExits3WithOneLine) {
    const auto r = run_cli({"info", "job", "-d", "redis://127.0.0.1:1/0"});
    EXPECT_EQ(r.code, wpcli::kExitBackend) << r;
    EXPECT_EQ(r.out, "");
    expect_one_line(r.err);
    EXPECT_THAT(r.err, HasSubstr("127.0.0.1:1"));
}
#endif

TEST(CliBasics, UnknownJobIsOneClearLine) {
    const auto r = run_cli({"info", "no-such-job", "-d", "memory://"});
    EXPECT_EQ(r.code, wpcli::kExitJobFailed) << r;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "watchbot-progress-cpp: error: job 'no-such-job' does not exist in memory://\n");
}

TEST(CliBasics, NegativePartIsAUsageError) {
    for (const std::string command : {"status", "complete-part"}) {
        const auto r = run_cli({command, "job", "--part", "-1", "-d", "memory://"});
        EXPECT_EQ(r.code, wpcli::kExitUsage) << command << "\n" << r;
        EXPECT_EQ(r.err, "watchbot-progress-cpp: error: --part -1 is negative: part ids are numbered from 0\n");
    }
}

TEST(CliBasics, BadValuesAreUsageErrors) {
    struct Case {
        std::vector<std::string> args;
        std::string message;
    };
    const std::vector<Case> cases = {
        {{"set-metadata", "job", "--metadata", "{bad"}, "--metadata is not valid JSON"},
        {{"set-metadata", "job", "--metadata", "[1, 2]"}, "--metadata must be a JSON object, not array"},
        {{"set-total", "job", "--total", "0"}, "--total 0 is too small"},
        {{"set-total", "", "--total", "3"}, "job id is empty"},
        {{"set-total", "job", "--total", "1000000001"}, "--total 1000000001 is over the limit of 1000000000 parts"},
        {{"set-total", "job", "--total", "99999999999999999999"}, "'99999999999999999999' is out of range"},
        {{"complete-part", "job", "--part", "99999999999999999999"}, "'99999999999999999999' is out of range"},
        {{"watch", "job", "--interval", "0"}, "--interval must be a positive number"},
        {{"watch", "job", "--timeout", "-1"}, "--timeout must be a non-negative number"},
    };
    for (const auto& c : cases) {
        auto args = c.args;
        args.insert(args.end(), {"-d", "memory://"});
        const auto r = run_cli(args);
        EXPECT_EQ(r.code, wpcli::kExitUsage) << c.args[0] << "\n" << r;
        EXPECT_EQ(r.out, "");
        expect_one_line(r.err);
        EXPECT_THAT(r.err, HasSubstr(c.message));
    }
}

// create on memory:// validates and publishes inside the one process; the job is gone afterwards,
// but the output and the exit code tell everything about reading and validating the input.
TEST(CliBasics, CreateOnMemoryPrintsANewUuid) {
    const auto r = run_cli({"create", "-", "-d", "memory://", "--topic", "memory://"}, R"([{"a": 1}, {"b": "x,]}\"["}])");
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_TRUE(std::regex_match(r.out, kUuidLine)) << r.out;
    EXPECT_EQ(r.err, "");
}

TEST(CliBasics, CreateReadsJsonLinesFromStdinWithoutAFileArgument) {
    const auto r = run_cli({"create", "--jobid", "given", "-d", "memory://", "--topic", "memory://"},
                           "{\"a\": 1}\n\n  \n{\"a\": 2}\r\n{\"a\": 3}");
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "given\n");
    EXPECT_EQ(r.err, "");
}

TEST(CliBasics, CreateRejectsBadInputWithOneLineNamingThePart) {
    struct Case {
        std::string input;
        std::vector<std::string> extra;
        std::string message;
    };
    const std::vector<Case> cases = {
        {"[{\"a\": 1},]", {}, "a trailing ','"},
        {"[{\"a\": 1} {\"a\": 2}]", {}, "part 0 (line 1) is not valid JSON"},
        {"[{\"a\": 1},\n {\"a\": 2}", {}, "the input ends inside part 1"},
        {"[{\"a\": 1}] trailing", {}, "unexpected 't' on line 1 after the closing ']'"},
        {"[{\"a\": 1}}]", {}, "expected ',' or ']' after part 0"},
        {"[]", {}, "no parts: a job needs at least one part"},
        {"", {}, "no parts: a job needs at least one part"},
        {"\n\n", {}, "no parts: a job needs at least one part"},
        {"[{\"a\": 1}, 2]", {}, "part 1 is not a JSON object (it is number)"},
        {"{\"a\": 1}\n{\"a\": \n", {}, "part 1 (line 2) is not valid JSON"},
        {"{\"a\": 1}\n[1]\n", {}, "part 1 is not a JSON object (it is array)"},
        {"{\"a\": 1}\n{\"partid\": 7}\n", {}, "part 1 carries \"partid\": 7"},
        {"{\"partid\": -1}\n", {}, "part 0 carries \"partid\": -1"},
        {"{\"jobid\": \"other\"}\n", {"--jobid", "mine"}, "which is not the job's id \"mine\""},
        {"{\"a\": 1}\n", {"--format", "array"}, "expected a JSON array of parts"},
        {"[{\"a\": 1}]", {"--format", "lines"}, "part 0 is not a JSON object (it is array)"},
        {"{\"a\": 1}\n", {"--metadata", "[1]"}, "--metadata must be a JSON object"},
        {"{\"a\": 1}\n", {"--metadata", "{x"}, "--metadata is not valid JSON"},
        {"{\"a\": 1}\n", {"--jobid", "bad\tid"}, "job id contains a control character"},
        {"{\"a\": 1}\n", {"--jobid", "\xed\xa0\x80"}, "job id is not valid UTF-8 (byte 0)"},  // a surrogate
        {"{\"a\": 1}\n", {"--jobid", std::string(1025, 'j')}, "the limit is 1024 bytes"},
        {"{\"a\": 1}\n", {"--metadata", "{\"a\": \"\xff\"}"}, "--metadata is not valid JSON"},
        {"{\"a\": \"\xed\xa0\x80\"}\n", {}, "part 0 (line 1) is not valid JSON"},
        {"[{\"a\": 1}, {\"jobid\": 7}]", {"--jobid", "j"}, "part 1 carries \"jobid\": 7"},
        {"{\"a\": 1}\n", {"--topic", "kafka://x"}, "--topic: unsupported topic"},
        {"{\"a\": 1}\n", {"--workers", "0"}, "--workers must be at least 1"},
    };
    for (const auto& c : cases) {
        std::vector<std::string> args = {"create", "-d", "memory://"};
        if (std::find(c.extra.begin(), c.extra.end(), "--topic") == c.extra.end()) {
            args.insert(args.end(), {"--topic", "memory://"});
        }
        args.insert(args.end(), c.extra.begin(), c.extra.end());
        const auto r = run_cli(args, c.input);
        EXPECT_EQ(r.code, wpcli::kExitUsage) << c.input << "\n" << r;
        EXPECT_EQ(r.out, "") << c.input;
        expect_one_line(r.err);
        EXPECT_THAT(r.err, HasSubstr(c.message)) << c.input;
    }
}

TEST(CliBasics, CreateFileErrors) {
    TempDir dir;
    auto r = run_cli({"create", dir.path() + "/missing.json", "-d", "memory://", "--topic", "memory://"});
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    EXPECT_THAT(r.err, HasSubstr("cannot open the parts file"));
    EXPECT_THAT(r.err, HasSubstr("No such file or directory"));

    r = run_cli({"create", dir.path(), "-d", "memory://", "--topic", "memory://"});
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    EXPECT_THAT(r.err, HasSubstr("is a directory"));
}

TEST(CliBasics, CreateWithoutTopicIsAConfigurationError) {
    auto r = run_cli({"create", "-d", "memory://"}, "{\"a\": 1}\n");
    EXPECT_EQ(r.code, wpcli::kExitConfig) << r;
    expect_one_line(r.err);
    EXPECT_THAT(r.err, HasSubstr("WorkTopic"));

    RunOptions options;
    options.input = "{\"a\": 1}\n";
    options.env["WorkTopic"] = "not-a-topic";
    r = run_cli({"create", "-d", "memory://"}, options);
    EXPECT_EQ(r.code, wpcli::kExitConfig) << r;
    expect_one_line(r.err);
    EXPECT_THAT(r.err, HasSubstr("the WorkTopic environment variable"));

    options.env["WorkTopic"] = "memory://";
    options.env["ProgressTable"] = "memory://";
    r = run_cli({"create", "--jobid", "from-env"}, options);
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "from-env\n");
}

TEST(CliBasics, CreateIsQuietWhenStderrIsNotATerminal) {
    std::string input;
    for (int i = 0; i < 3000; ++i) input += "{\"n\": " + std::to_string(i) + "}\n";
    auto r = run_cli({"create", "--jobid", "big", "-d", "memory://", "--topic", "memory://"}, input);
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "big\n");
    EXPECT_EQ(r.err, "");

    // --progress forces the display (as plain lines, stderr being a pipe).
    r = run_cli({"create", "--jobid", "big", "--progress", "-d", "memory://", "--topic", "memory://"}, input);
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "big\n");
    EXPECT_THAT(r.err, HasSubstr("reading parts: 3000"));
    EXPECT_THAT(r.err, HasSubstr("publishing: 3000/3000 (100.0%)"));

    r = run_cli({"create", "--progress", "--no-progress", "-d", "memory://", "--topic", "memory://"}, input);
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
}

#if WP_WITH_AWS
// An ARN given on the command line is input (exit 2); one in the environment is configuration (exit 4).
TEST(CliBasics, MalformedArnsAreUsageErrorsInOptionsAndConfigErrorsInTheEnvironment) {
    RunOptions options;
    options.env["AWS_REGION"] = "us-east-1";
    options.input = "{\"a\": 1}\n";
    for (const std::string bad : {"arn:aws:dynamodb", "arn:aws:dynamodb:us-east-1:0:table/x", "arn:aws:sns:us-east-1:0:t",
                                  "arn:aws:dynamodb:us-east-1:0:table/a/stream/1", "arn:aws:dynamodb:Us:0:table/abc"}) {
        auto r = run_cli({"info", "job", "-d", bad}, options);
        EXPECT_EQ(r.code, wpcli::kExitUsage) << bad << "\n" << r;
        EXPECT_EQ(r.out, "");
        expect_one_line(r.err);
        EXPECT_THAT(r.err, HasSubstr("--database: ")) << bad;

        auto env = options;
        env.env["ProgressTable"] = bad;
        r = run_cli({"info", "job"}, env);
        EXPECT_EQ(r.code, wpcli::kExitConfig) << bad << "\n" << r;
        expect_one_line(r.err);
        EXPECT_THAT(r.err, HasSubstr("the ProgressTable environment variable: ")) << bad;
    }
    for (const std::string bad : {"arn:aws:sns:us-east-1:123", "arn:aws:sns:us-east-1:123456789012:t.fifo",
                                  "arn:aws:dynamodb:us-east-1:123456789012:table/t"}) {
        auto r = run_cli({"create", "--jobid", "arn-job", "-d", "memory://", "--topic", bad}, options);
        EXPECT_EQ(r.code, wpcli::kExitUsage) << bad << "\n" << r;
        EXPECT_EQ(r.out, "");
        expect_one_line(r.err);
        EXPECT_THAT(r.err, HasSubstr("--topic: ")) << bad;
        EXPECT_THAT(r.err, HasSubstr("arn:aws:sns:REGION:ACCOUNT:TOPIC_NAME")) << bad;

        auto env = options;
        env.env["WorkTopic"] = bad;
        r = run_cli({"create", "--jobid", "arn-job", "-d", "memory://"}, env);
        EXPECT_EQ(r.code, wpcli::kExitConfig) << bad << "\n" << r;
        expect_one_line(r.err);
        EXPECT_THAT(r.err, HasSubstr("the WorkTopic environment variable: ")) << bad;
    }
}

#if WP_CLI_TEST_SQLITE
// SNS refuses some characters (U+FFFF, U+FFFE, ...): such a part is refused before the job is
// written, not after (which would leave a job whose map message can never be sent).
TEST(CliBasics, CreateRefusesAPartSnsWouldRefuseBeforeWritingTheJob) {
    TempDir dir;
    const std::string database = "sqlite://" + dir.path() + "/jobs.db";
    RunOptions options;
    options.env = {{"AWS_REGION", "us-east-1"},
                   {"AWS_ACCESS_KEY_ID", "AKIDCLIHOSTILE000001"},
                   {"AWS_SECRET_ACCESS_KEY", "cliHostileSecret/0123456789"},
                   {"AWS_ENDPOINT_URL_SNS", "http://127.0.0.1:1"},  // never reached
                   {"AWS_EC2_METADATA_DISABLED", "true"}};
    options.input = "{\"ok\": 1}\n{\"s\": \"\xef\xbf\xbf\"}\n";
    auto r = run_cli({"create", "--jobid", "sns-refused", "-d", database, "--topic", "arn:aws:sns:us-east-1:123456789012:t"},
                     options);
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    EXPECT_EQ(r.out, "");
    expect_one_line(r.err);
    EXPECT_THAT(r.err, HasSubstr("part 1's map message cannot be sent"));
    EXPECT_THAT(r.err, HasSubstr("U+FFFF"));
    r = run_cli({"ls", "--jobid", "-d", database});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "") << "no job was written";
}
#endif
#endif

TEST(CliBasics, CreateTableBadArguments) {
    auto r = run_cli({"create-table"});
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    expect_one_line(r.err);

    r = run_cli({"create-table", "t", "--read-capacity", "5"});
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    expect_one_line(r.err);
    EXPECT_THAT(r.err, HasSubstr("--read-capacity and --write-capacity go together"));

    // A bad table name (or, without the AWS layer, any name): a configuration error.
    RunOptions options;
    options.env["AWS_REGION"] = "us-east-1";
    r = run_cli({"create-table", "bad name!"}, options);
    EXPECT_EQ(r.code, wpcli::kExitConfig) << r;
    EXPECT_EQ(r.out, "");
    expect_one_line(r.err);
}

#if WP_CLI_TEST_DYNAMODB
TEST(CliDynamoDb, CreateTablePrintsTheArnAndAcceptsAnExistingTable) {
    const std::string table = "wp-cli-table-" + wp::new_jobid().substr(0, 8);
    RunOptions options;
    options.env = dynamodb_child_env();
    auto r = run_cli({"create-table", table}, options);
    ASSERT_EQ(r.code, 0) << r;
    EXPECT_TRUE(std::regex_match(r.out, std::regex("^arn:aws:dynamodb:us-east-1:[0-9]{12}:table/" + table + "\n$"))) << r.out;
    EXPECT_EQ(r.err, "");
    const std::string arn = r.out;

    r = run_cli({"create-table", table}, options);
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, arn);
    EXPECT_EQ(r.err, "watchbot-progress-cpp: table '" + table + "' exists already (ACTIVE)\n");

    r = run_cli({"create-table", table, "--fail-if-exists"}, options);
    EXPECT_EQ(r.code, wpcli::kExitConfig) << r;
    EXPECT_EQ(r.out, "");
    expect_one_line(r.err);

    // The new table works as a database at once.
    const std::string database = arn.substr(0, arn.size() - 1);
    r = run_cli({"set-total", "j", "--total", "2", "-d", database}, options);
    EXPECT_EQ(r.code, 0) << r;
    r = run_cli({"ls", "--jobid", "-d", database}, options);
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "j\n");
}

TEST(CliDynamoDb, CreateTableWithExplicitEndpointRegionAndProvisionedCapacity) {
    const std::string table = "wp-cli-prov-" + wp::new_jobid().substr(0, 8);
    RunOptions options;
    options.env = dynamodb_child_env();
    options.env["AWS_ENDPOINT_URL_DYNAMODB"] = "";
    options.env["AWS_REGION"] = "";
    const auto r = run_cli({"create-table", table, "--endpoint", wp_test::require_env("WP_TEST_DYNAMODB_ENDPOINT"),
                            "--region", "eu-west-1", "--read-capacity", "3", "--write-capacity", "4", "--timeout", "20"},
                           options);
    ASSERT_EQ(r.code, 0) << r;
    // (dynalite names every table in us-east-1, whatever region signed the request.)
    EXPECT_THAT(r.out, StartsWith("arn:aws:dynamodb:"));
    EXPECT_THAT(r.out, ::testing::EndsWith(":table/" + table + "\n"));
    EXPECT_EQ(r.err, "");
}

TEST(CliDynamoDb, UnreachableEndpointExits3) {
    RunOptions options;
    options.env = dynamodb_child_env();
    options.env["AWS_ENDPOINT_URL_DYNAMODB"] = "http://127.0.0.1:1";
    const auto r = run_cli({"info", "job", "-d", "arn:aws:dynamodb:us-east-1:000000000000:table/nowhere"}, options);
    EXPECT_EQ(r.code, wpcli::kExitBackend) << r;
    EXPECT_EQ(r.out, "");
    expect_one_line(r.err);
    EXPECT_THAT(r.err, ::testing::Not(HasSubstr(kAwsSecretKey)));
}

TEST(CliDynamoDb, MalformedTableArnIsAUsageErrorWithDAndAConfigErrorInProgressTable) {
    RunOptions options;
    options.env = dynamodb_child_env();
    auto r = run_cli({"info", "job", "-d", "arn:aws:dynamodb:us-east-1:000000000000:table/x"}, options);
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    expect_one_line(r.err);
    EXPECT_THAT(r.err, HasSubstr("--database: "));
    EXPECT_THAT(r.err, HasSubstr("arn:aws:dynamodb:REGION:ACCOUNT:table/NAME"));

    options.env["ProgressTable"] = "arn:aws:dynamodb:us-east-1:000000000000:table/x";
    r = run_cli({"info", "job"}, options);
    EXPECT_EQ(r.code, wpcli::kExitConfig) << r;
    expect_one_line(r.err);
    EXPECT_THAT(r.err, HasSubstr("the ProgressTable environment variable: "));
}
#endif

// ---------------------------------------------------------------------------------------------
// Against each real backend

enum class Kind { Redis, Sqlite, DynamoDb };

void PrintTo(Kind kind, std::ostream* os) {
    *os << (kind == Kind::Redis ? "Redis" : kind == Kind::Sqlite ? "Sqlite" : "DynamoDb");
}

std::string kind_name(const ::testing::TestParamInfo<Kind>& info) {
    switch (info.param) {
        case Kind::Redis: return "Redis";
        case Kind::Sqlite: return "Sqlite";
        case Kind::DynamoDb: return "DynamoDb";
    }
    return "Unknown";
}


class CliBackend : public ::testing::TestWithParam<Kind> {
protected:
    void SetUp() override {
        queue_uri = "sqlite://" + dir.path() + "/queue.db";
        switch (GetParam()) {
            case Kind::Redis:
                uri = wp_test::require_env("WP_TEST_REDIS_URL");
                backend = wp::open_backend(uri);
                break;
            case Kind::Sqlite:
                uri = "sqlite://" + dir.path() + "/jobs.db";
                backend = wp::open_backend(uri);
                break;
            case Kind::DynamoDb:
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

// -- info

TEST_P(CliBackend, InfoPrintsTheStatusLikeThePythonTool) {
    const auto jobid = new_job(4);
    backend->set_metadata(jobid, {{"name", "tiles"}, {"zoom", 12}});
    backend->complete_part(jobid, 0);
    backend->complete_part(jobid, 2);
    const auto r = cli({"info", jobid});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "{\"metadata\": {\"name\": \"tiles\", \"zoom\": 12}, \"jobid\": \"" + jobid +
                         "\", \"progress\": 0.5, \"total\": 4, \"remaining\": 2, \"failed\": false, \"reduceSent\": false}\n");
    EXPECT_EQ(r.err, "");
}

TEST_P(CliBackend, InfoOfAFailedCompleteJob) {
    const auto jobid = new_job(2);
    backend->complete_part(jobid, 0);
    backend->complete_part(jobid, 1);
    ASSERT_TRUE(backend->claim_reduce(jobid));
    backend->fail_job(jobid, "bad input: \"x\"");
    const auto r = cli({"info", jobid});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "{\"metadata\": {}, \"jobid\": \"" + jobid +
                         "\", \"progress\": 1.0, \"total\": 2, \"remaining\": 0, \"failed\": true, "
                         "\"error\": \"bad input: \\\"x\\\"\", \"reduceSent\": true}\n");
}

TEST_P(CliBackend, InfoEscapesNonAsciiAsThePythonToolDoes) {
    const auto jobid = new_job(1);
    backend->set_metadata(jobid, {{"city", "Zürich"}});
    const auto r = cli({"info", jobid});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_THAT(r.out, StartsWith("{\"metadata\": {\"city\": \"Z\\u00fcrich\"}, "));
}

TEST_P(CliBackend, InfoUnknownJob) {
    const auto jobid = unique_jobid("missing");
    const auto r = cli({"info", jobid});
    EXPECT_EQ(r.code, wpcli::kExitJobFailed) << r;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, not_found(jobid));
}

TEST_P(CliBackend, DatabaseFromProgressTable) {
    const auto jobid = new_job(3);
    RunOptions with_env = options();
    with_env.env["ProgressTable"] = uri;
    const auto r = run_cli({"pending", jobid, "--array"}, with_env);
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "[0, 1, 2]\n");

    // -d wins over ProgressTable.
    with_env.env["ProgressTable"] = "memory://";
    const auto r2 = run_cli({"pending", jobid, "--array", "-d", uri}, with_env);
    EXPECT_EQ(r2.code, 0) << r2;
    EXPECT_EQ(r2.out, "[0, 1, 2]\n");
}

// -- ls

TEST_P(CliBackend, LsPrintsOneStatusObjectOrJobIdPerLine) {
    const std::string prefix = unique_jobid("ls");
    const std::string pending_job = prefix + "-pending";
    const std::string done_job = prefix + "-done";
    backend->set_total(pending_job, 3);
    backend->complete_part(pending_job, 1);
    backend->set_total(done_job, 1);
    backend->complete_part(done_job, 0);
    backend->fail_job(done_job, "late");

    const auto mine = [&](const std::string& out) {
        std::vector<std::string> found;
        for (const auto& line : lines_of(out)) {
            if (line.find(prefix) != std::string::npos) found.push_back(line);
        }
        std::sort(found.begin(), found.end());
        return found;
    };
    const std::string pending_line = "{\"metadata\": {}, \"jobid\": \"" + pending_job +
                                     "\", \"progress\": 0.3333333333333333, \"total\": 3, \"remaining\": 2, "
                                     "\"failed\": false, \"reduceSent\": false}";
    const std::string done_line = "{\"metadata\": {}, \"jobid\": \"" + done_job +
                                  "\", \"progress\": 1.0, \"total\": 1, \"remaining\": 0, \"failed\": true, "
                                  "\"error\": \"late\", \"reduceSent\": false}";

    for (const auto& args : {std::vector<std::string>{"ls"}, std::vector<std::string>{"ls", "--status"}}) {
        const auto r = cli(args);
        EXPECT_EQ(r.code, 0) << r;
        EXPECT_EQ(r.err, "");
        EXPECT_EQ(mine(r.out), (std::vector<std::string>{done_line, pending_line}));
        for (const auto& line : lines_of(r.out)) EXPECT_TRUE(json::accept(line)) << line;  // real JSON
    }

    auto r = cli({"ls", "--hide-completed"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(mine(r.out), std::vector<std::string>{pending_line});
    for (const auto& line : lines_of(r.out)) EXPECT_GT(json::parse(line).at("remaining").get<int>(), 0) << line;

    r = cli({"ls", "--jobid"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(mine(r.out), (std::vector<std::string>{done_job, pending_job}));

    r = cli({"ls", "--jobid", "--hide-completed"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(mine(r.out), std::vector<std::string>{pending_job});
}

TEST_P(CliBackend, LsOfAnEmptyDatabasePrintsNothing) {
    if (GetParam() == Kind::Redis) {
        // The shared server holds other tests' jobs: use an unused database number.
        const auto r = run_cli({"ls", "-d", uri.substr(0, uri.rfind('/')) + "/15"});
        EXPECT_EQ(r.code, 0) << r;
        EXPECT_EQ(r.err, "");
        return;
    }
#if WP_CLI_TEST_DYNAMODB
    if (GetParam() == Kind::DynamoDb) {
        // A new table, made with create-table.
        const std::string table = "wp-cli-empty-" + wp::new_jobid().substr(0, 8);
        const auto made = run_cli({"create-table", table}, options());
        ASSERT_EQ(made.code, 0) << made;
        const std::string arn = made.out.substr(0, made.out.size() - 1);
        const auto r = run_cli({"ls", "-d", arn}, options());
        EXPECT_EQ(r.code, 0) << r;
        EXPECT_EQ(r.out, "");
        EXPECT_EQ(r.err, "");
        return;
    }
#endif
    const auto r = cli({"ls"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "");
}

// -- pending

TEST_P(CliBackend, PendingPrintsPartIdsAscendingOnePerLineOrAsAnArray) {
    const auto jobid = new_job(12);
    backend->complete_part(jobid, 0);
    backend->complete_part(jobid, 5);
    auto r = cli({"pending", jobid});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "1\n2\n3\n4\n6\n7\n8\n9\n10\n11\n");
    EXPECT_EQ(r.err, "");

    r = cli({"pending", jobid, "--array"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "[1, 2, 3, 4, 6, 7, 8, 9, 10, 11]\n");

    for (int p = 0; p < 12; ++p) backend->complete_part(jobid, p);
    r = cli({"pending", jobid});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "");
    r = cli({"pending", jobid, "--array"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "[]\n");
}

TEST_P(CliBackend, PendingUnknownJob) {
    const auto jobid = unique_jobid("missing");
    const auto r = cli({"pending", jobid, "--array"});
    EXPECT_EQ(r.code, wpcli::kExitJobFailed) << r;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, not_found(jobid));
}

// -- status

TEST_P(CliBackend, StatusPrintsTheNodeToolsObject) {
    const auto jobid = new_job(3);
    backend->set_metadata(jobid, {{"name", "tiles"}});
    backend->complete_part(jobid, 0);
    auto r = cli({"status", jobid});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "{\"progress\":0.33,\"metadata\":{\"name\":\"tiles\"},\"reduceSent\":false,\"total\":3,\"remaining\":2}\n");
    EXPECT_EQ(r.err, "");

    r = cli({"status", jobid, "--part", "0"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out,
              "{\"progress\":0.33,\"metadata\":{\"name\":\"tiles\"},\"partComplete\":true,\"reduceSent\":false,"
              "\"total\":3,\"remaining\":2}\n");
    r = cli({"status", jobid, "-p", "2"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_THAT(r.out, HasSubstr("\"partComplete\":false,"));

    backend->complete_part(jobid, 1);
    backend->complete_part(jobid, 2);
    backend->claim_reduce(jobid);
    r = cli({"status", jobid});
    EXPECT_EQ(r.out, "{\"progress\":1,\"metadata\":{\"name\":\"tiles\"},\"reduceSent\":true,\"total\":3,\"remaining\":0}\n");
}

TEST_P(CliBackend, StatusRoundsProgressDownAndShowsTheFailureReason) {
    const auto jobid = new_job(200);
    for (int p = 0; p < 199; ++p) backend->complete_part(jobid, p);  // 99.5 %
    backend->fail_job(jobid, "out of memory");
    const auto r = cli({"status", jobid});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out,
              "{\"progress\":0.99,\"failed\":\"out of memory\",\"metadata\":{},\"reduceSent\":false,\"total\":200,"
              "\"remaining\":1}\n");

    const auto fresh = new_job(100);
    for (int p = 0; p < 29; ++p) backend->complete_part(fresh, p);  // 0.29 exactly (no 0.28 from float error)
    EXPECT_THAT(cli({"status", fresh}).out, StartsWith("{\"progress\":0.29,"));
    EXPECT_THAT(cli({"status", new_job(7)}).out, StartsWith("{\"progress\":0,"));
}

TEST_P(CliBackend, StatusBadPartAndUnknownJob) {
    const auto jobid = new_job(3);
    auto r = cli({"status", jobid, "--part", "3"});
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    EXPECT_EQ(r.out, "");
    expect_one_line(r.err);
    EXPECT_THAT(r.err, HasSubstr("out of range"));

    r = cli({"status", jobid, "--part", "-2"});
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    EXPECT_THAT(r.err, HasSubstr("negative"));

    const auto missing = unique_jobid("missing");
    r = cli({"status", missing});
    EXPECT_EQ(r.code, wpcli::kExitJobFailed) << r;
    EXPECT_EQ(r.err, not_found(missing));
}

// -- set-total

TEST_P(CliBackend, SetTotalCreatesAJobAndRefusesAnExistingOne) {
    const auto jobid = unique_jobid("total");
    auto r = cli({"set-total", jobid, "--total", "3"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(backend->status(jobid).total, 3);
    EXPECT_EQ(backend->list_pending_parts(jobid), (std::vector<wp::PartId>{0, 1, 2}));

    backend->complete_part(jobid, 1);
    r = cli({"set-total", jobid, "-t", "5"});
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    expect_one_line(r.err);
    EXPECT_THAT(r.err, HasSubstr("already exists"));
    EXPECT_EQ(backend->status(jobid).total, 3);

    r = cli({"set-total", jobid, "-t", "5", "--overwrite"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(backend->status(jobid).total, 5);
    EXPECT_EQ(backend->status(jobid).remaining, 5);

    r = cli({"set-total", unique_jobid("neg"), "--total", "-4"});
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    EXPECT_THAT(r.err, HasSubstr("--total -4 is too small"));
}

// -- set-metadata

TEST_P(CliBackend, SetMetadataMergesKeys) {
    const auto jobid = new_job(2);
    auto r = cli({"set-metadata", jobid, "--metadata", R"({"a": 1, "b": "x"})"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "");
    r = cli({"set-metadata", jobid, "-m", R"({"b": "y", "c": [1, 2]})"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(backend->status(jobid).metadata, (json{{"a", 1}, {"b", "y"}, {"c", {1, 2}}}));

    r = cli({"set-metadata", jobid, "--metadata", "{\"a\": }"});
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    expect_one_line(r.err);
    EXPECT_THAT(r.err, HasSubstr("--metadata is not valid JSON"));

    const auto missing = unique_jobid("missing");
    r = cli({"set-metadata", missing, "--metadata", "{}"});
    EXPECT_EQ(r.code, wpcli::kExitJobFailed) << r;
    EXPECT_EQ(r.err, not_found(missing));
}

// -- complete-part

TEST_P(CliBackend, CompletePartPrintsWhetherTheJobIsComplete) {
    const auto jobid = new_job(2);
    auto r = cli({"complete-part", jobid, "--part", "1"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "false\n");
    EXPECT_EQ(r.err, "");
    r = cli({"complete-part", jobid, "--part", "1"});  // idempotent
    EXPECT_EQ(r.out, "false\n");
    r = cli({"complete-part", jobid, "-p", "0"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "true\n");
    r = cli({"complete-part", jobid, "-p", "0"});
    EXPECT_EQ(r.out, "true\n");
    EXPECT_EQ(backend->status(jobid).remaining, 0);
    EXPECT_FALSE(backend->status(jobid).reduce_sent);  // complete-part never claims the reduce
}

TEST_P(CliBackend, CompletePartOutOfRangeNegativeAndUnknownJob) {
    const auto jobid = new_job(2);
    auto r = cli({"complete-part", jobid, "--part", "2"});
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    EXPECT_EQ(r.out, "");
    expect_one_line(r.err);
    EXPECT_THAT(r.err, HasSubstr("part id 2 is out of range"));

    r = cli({"complete-part", jobid, "--part", "-1"});
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    EXPECT_EQ(backend->status(jobid).remaining, 2);

    const auto missing = unique_jobid("missing");
    r = cli({"complete-part", missing, "--part", "0"});
    EXPECT_EQ(r.code, wpcli::kExitJobFailed) << r;
    EXPECT_EQ(r.err, not_found(missing));
    EXPECT_THROW(backend->status(missing), wp::JobDoesNotExist);  // never created as a side effect
}

// -- fail-job

TEST_P(CliBackend, FailJobRecordsTheReason) {
    const auto jobid = new_job(2);
    auto r = cli({"fail-job", jobid, "--reason", "no such bucket"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "");
    auto s = backend->status(jobid);
    EXPECT_TRUE(s.failed);
    EXPECT_EQ(s.reason, "no such bucket");

    r = cli({"fail-job", jobid, "-r", "second reason"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(backend->status(jobid).reason, "second reason");

    const auto missing = unique_jobid("missing");
    r = cli({"fail-job", missing, "--reason", "x"});
    EXPECT_EQ(r.code, wpcli::kExitJobFailed) << r;
    EXPECT_EQ(r.err, not_found(missing));
}

// -- reduce-sent

TEST_P(CliBackend, ReduceSentClaimsTheReduceOnce) {
    const auto jobid = new_job(1);
    auto r = cli({"reduce-sent", jobid});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "");
    EXPECT_TRUE(backend->status(jobid).reduce_sent);
    EXPECT_FALSE(backend->claim_reduce(jobid));  // no worker sends it now

    r = cli({"reduce-sent", jobid});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "watchbot-progress-cpp: the reduce of job '" + jobid + "' was already marked sent\n");
}

TEST_P(CliBackend, ReduceSentOnAFailedOrUnknownJob) {
    const auto jobid = new_job(1);
    backend->fail_job(jobid, "boom");
    auto r = cli({"reduce-sent", jobid});
    EXPECT_EQ(r.code, wpcli::kExitJobFailed) << r;
    EXPECT_EQ(r.err, "watchbot-progress-cpp: error: job '" + jobid + "' has failed (boom): its reduce was not marked sent\n");
    EXPECT_FALSE(backend->status(jobid).reduce_sent);

    const auto missing = unique_jobid("missing");
    r = cli({"reduce-sent", missing});
    EXPECT_EQ(r.code, wpcli::kExitJobFailed) << r;
    EXPECT_EQ(r.err, not_found(missing));
}

TEST_P(CliBackend, ReduceSentAlsoConfirmsSoSweepLeavesIt) {
    const auto jobid = new_job(1);
    backend->complete_part(jobid, 0);
    ASSERT_EQ(cli({"reduce-sent", jobid}).code, 0);
    EXPECT_TRUE(backend->status(jobid).reduce_confirmed);
    const auto r = cli({"sweep", jobid, "--older-than", "0", "--topic", queue_uri});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "");
}

// -- sweep

// The reduce messages in the test's local queue.
std::vector<nlohmann::json> reduces_in(const std::string& queue_uri) {
    std::vector<nlohmann::json> out;
    auto queue = wp::LocalQueue::from_uri(queue_uri);
    for (const auto& m : queue->receive(100, std::chrono::minutes(10))) {
        if (m.subject == "reduce") out.push_back(nlohmann::json::parse(m.body));
    }
    return out;
}

TEST_P(CliBackend, SweepSendsTheReduceOfAClaimerThatNeverConfirmed) {
    const auto jobid = new_job(2);
    backend->set_metadata(jobid, {{"owner", "sweep-test"}});
    backend->complete_part(jobid, 0);
    // The worker of part 1 wins the claim and dies before sending.
    ASSERT_TRUE(backend->complete_part_and_claim_reduce(jobid, 1).reduce_claimed());

    auto r = cli({"sweep", jobid, "--topic", queue_uri});  // default --older-than 5m: too fresh
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "");
    EXPECT_TRUE(reduces_in(queue_uri).empty());

    r = cli({"sweep", jobid, "--older-than", "0s", "--topic", queue_uri});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, jobid + "\n");
    EXPECT_THAT(r.err, HasSubstr("never confirmed sent"));
    const auto reduces = reduces_in(queue_uri);
    ASSERT_EQ(reduces.size(), 1u);
    EXPECT_EQ(reduces[0], (nlohmann::json{{"jobid", jobid}, {"metadata", {{"owner", "sweep-test"}}}}));
    EXPECT_TRUE(backend->status(jobid).reduce_confirmed);

    r = cli({"sweep", jobid, "--older-than", "0s", "--topic", queue_uri});  // confirmed now: nothing to do
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "");
    EXPECT_TRUE(reduces_in(queue_uri).empty());
}

TEST_P(CliBackend, SweepSendsTheReduceOfACompleteJobNobodyClaimed) {
    const auto jobid = new_job(1);
    backend->complete_part(jobid, 0);  // completed, claim released after a failed send, never redelivered
    const auto r = cli({"sweep", jobid, "--topic", queue_uri});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, jobid + "\n");
    EXPECT_EQ(reduces_in(queue_uri).size(), 1u);
    const auto s = backend->status(jobid);
    EXPECT_TRUE(s.reduce_sent);
    EXPECT_TRUE(s.reduce_confirmed);
}

// A claims; its lease passes; B takes over, sends and confirms; A's send fails late and A releases
// its claim. That release must change nothing: sweep finds nothing to send.
TEST_P(CliBackend, SweepSendsNothingAfterALateReleaseOfATakenOverClaim) {
    const auto jobid = new_job(1);
    const auto a = backend->complete_part_and_claim_reduce(jobid, 0).reduce_claim;
    ASSERT_TRUE(a);
    const auto b = backend->reclaim_reduce(jobid, std::chrono::milliseconds(0));
    ASSERT_TRUE(b);
    ASSERT_TRUE(backend->confirm_reduce(jobid, *b));
    backend->release_reduce(jobid, *a);
    auto r = cli({"sweep", jobid, "--older-than", "0", "--topic", queue_uri});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "");
    r = cli({"sweep", "--older-than", "0", "--topic", queue_uri, "--dry-run"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_THAT(lines_of(r.out), ::testing::Not(::testing::Contains(jobid)));
    for (const auto& reduce : reduces_in(queue_uri)) EXPECT_NE(reduce.value("jobid", ""), jobid);
}

TEST_P(CliBackend, SweepLeavesIncompleteFailedAndConfirmedJobsAlone) {
    const auto incomplete = new_job(2);
    backend->complete_part(incomplete, 0);
    const auto failed = new_job(1);
    backend->complete_part(failed, 0);
    backend->fail_job(failed, "boom");
    const auto confirmed = new_job(1);
    const auto claim = backend->complete_part_and_claim_reduce(confirmed, 0).reduce_claim;
    ASSERT_TRUE(claim);
    backend->confirm_reduce(confirmed, *claim);
    const auto r = cli({"sweep", incomplete, failed, confirmed, "--older-than", "0", "--topic", queue_uri});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "");
    EXPECT_TRUE(reduces_in(queue_uri).empty());
    EXPECT_FALSE(backend->status(incomplete).reduce_sent);
    EXPECT_FALSE(backend->status(failed).reduce_sent);
}

TEST_P(CliBackend, SweepDryRunListsButChangesNothing) {
    const auto jobid = new_job(1);
    ASSERT_TRUE(backend->complete_part_and_claim_reduce(jobid, 0).reduce_claimed());
    const auto before = backend->status(jobid);
    const auto r = cli({"sweep", jobid, "--older-than", "0", "--dry-run"});  // no topic needed
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, jobid + "\n");
    EXPECT_THAT(r.err, HasSubstr("would send"));
    const auto after = backend->status(jobid);
    EXPECT_FALSE(after.reduce_confirmed);
    EXPECT_EQ(after.reduce_claimed_at_ms, before.reduce_claimed_at_ms);
}

TEST_P(CliBackend, SweepErrors) {
    auto r = cli({"sweep", unique_jobid("missing"), "--topic", queue_uri});
    EXPECT_EQ(r.code, wpcli::kExitJobFailed) << r;
    r = cli({"sweep", "--older-than", "soon", "--topic", queue_uri});
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    expect_one_line(r.err);
    EXPECT_THAT(r.err, HasSubstr("--older-than"));
    // No topic: a configuration error before any claim is taken.
    const auto jobid = new_job(1);
    backend->complete_part(jobid, 0);
    r = cli({"sweep", jobid});
    EXPECT_EQ(r.code, wpcli::kExitConfig) << r;
    EXPECT_FALSE(backend->status(jobid).reduce_sent);
}

TEST_P(CliBackend, SweepDeletesFinishedJobsWhenAsked) {
    const auto done = new_job(1);
    const auto claim = backend->complete_part_and_claim_reduce(done, 0).reduce_claim;
    ASSERT_TRUE(claim);
    backend->confirm_reduce(done, *claim);
    const auto failed = new_job(2);
    backend->fail_job(failed, "boom");
    const auto running = new_job(2);
    backend->complete_part(running, 0);

    auto r = cli({"sweep", done, failed, running, "--delete-finished-after", "1h", "--topic", queue_uri});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_THAT(r.err, HasSubstr("deleted 0 finished jobs"));
    r = cli({"sweep", done, failed, running, "--delete-finished-after", "0", "--dry-run"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_THAT(r.err, HasSubstr("would delete"));
    EXPECT_NO_THROW(backend->status(done));

    r = cli({"sweep", done, failed, running, "--delete-finished-after", "0", "--topic", queue_uri});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_THAT(r.err, HasSubstr("deleted 2 finished jobs"));
    EXPECT_THROW(backend->status(done), wp::JobDoesNotExist);
    EXPECT_THROW(backend->status(failed), wp::JobDoesNotExist);
    EXPECT_EQ(backend->status(running).remaining, 1);
    EXPECT_TRUE(reduces_in(queue_uri).empty());
}

TEST_P(CliBackend, LsStaleListsRunningJobsWithoutRecentProgress) {
    const auto running = new_job(2);
    backend->complete_part(running, 0);
    const auto complete = new_job(1);
    backend->complete_part(complete, 0);
    const auto failed = new_job(1);
    backend->fail_job(failed, "boom");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));

    auto r = cli({"ls", "--stale", "10ms", "--jobid"});
    EXPECT_EQ(r.code, 0) << r;
    const auto ids = lines_of(r.out);
    EXPECT_THAT(ids, ::testing::Contains(running));
    EXPECT_THAT(ids, ::testing::Not(::testing::Contains(complete)));
    EXPECT_THAT(ids, ::testing::Not(::testing::Contains(failed)));

    r = cli({"ls", "--stale", "2h", "--jobid"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_THAT(lines_of(r.out), ::testing::Not(::testing::Contains(running)));

    r = cli({"ls", "--stale", "10ms"});  // status objects
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_THAT(r.out, HasSubstr("\"jobid\": \"" + running + "\""));

    r = cli({"ls", "--stale", "two hours"});
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    expect_one_line(r.err);
    EXPECT_THAT(r.err, HasSubstr("--stale"));
}

TEST_P(CliBackend, FailedListsThePartsThatFailedForGood) {
    const auto jobid = new_job(6);
    auto r = cli({"failed", jobid});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "");
    backend->record_failed_part(jobid, 4);
    backend->record_failed_part(jobid, 1);
    r = cli({"failed", jobid});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "1\n4\n");
    r = cli({"failed", jobid, "--array"});
    EXPECT_EQ(r.out, "[1, 4]\n");
    const auto missing = unique_jobid("missing");
    r = cli({"failed", missing});
    EXPECT_EQ(r.code, wpcli::kExitJobFailed) << r;
    EXPECT_EQ(r.err, not_found(missing));
}

TEST(CliSweep, WithoutJobIdsScansTheWholeDatabase) {
    // A private SQLite database: the shared Redis and DynamoDB test databases hold other tests' jobs.
    TempDir dir;
    const std::string db = "sqlite://" + dir.path() + "/jobs.db";
    const std::string queue = "sqlite://" + dir.path() + "/queue.db";
    const auto backend = wp::open_backend(db);
    const auto lost = unique_jobid("lost");
    backend->set_total(lost, 1);
    ASSERT_TRUE(backend->complete_part_and_claim_reduce(lost, 0).reduce_claimed());
    const auto fine = unique_jobid("fine");
    backend->set_total(fine, 1);
    const auto claim = backend->complete_part_and_claim_reduce(fine, 0).reduce_claim;
    ASSERT_TRUE(claim);
    backend->confirm_reduce(fine, *claim);
    backend->set_total(unique_jobid("running"), 3);
    const auto r = run_cli({"sweep", "--older-than", "0", "--topic", queue, "-d", db});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, lost + "\n");
    EXPECT_THAT(r.err, HasSubstr("sent 1 lost reduce (1 found)"));
    EXPECT_EQ(reduces_in(queue).size(), 1u);
}

// -- delete

TEST_P(CliBackend, DeleteRemovesTheJob) {
    const auto jobid = new_job(3);
    auto r = cli({"delete", jobid});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "");
    EXPECT_THROW(backend->status(jobid), wp::JobDoesNotExist);

    r = cli({"delete", jobid});
    EXPECT_EQ(r.code, wpcli::kExitJobFailed) << r;
    EXPECT_EQ(r.err, not_found(jobid));
}

// -- create

#if WP_CLI_TEST_QUEUE
// Every message in the queue file, in sending order.
std::vector<wp::QueueMessage> drain(const std::string& queue_uri) {
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

TEST_P(CliBackend, CreateFromAJsonArrayFile) {
    const auto file = dir.file("parts.json", "[\n  {\"url\": \"s3://b/0.tif\"},\n  {\"url\": \"s3://b/1.tif\", \"n\": [1, {\"x\": \"]\"}]},\n"
                                              "  {\"url\": \"s3://b/2.tif\"}\n]\n");
    const auto jobid = unique_jobid("create");
#if WP_CLI_TEST_QUEUE
    const std::string topic = queue_uri;
#else
    const std::string topic = "memory://";
#endif
    const auto r = cli({"create", file, "--jobid", jobid, "--metadata", R"({"zoom": 12})", "--topic", topic});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, jobid + "\n");
    EXPECT_EQ(r.err, "");
    const auto s = backend->status(jobid);
    EXPECT_EQ(s.total, 3);
    EXPECT_EQ(s.remaining, 3);
    EXPECT_EQ(s.metadata, (json{{"zoom", 12}}));
#if WP_CLI_TEST_QUEUE
    const auto messages = drain(queue_uri);
    ASSERT_EQ(messages.size(), 3u);
    for (std::size_t i = 0; i < messages.size(); ++i) {
        EXPECT_EQ(messages[i].subject, "map");
        const auto body = json::parse(messages[i].body);
        EXPECT_EQ(body.at("jobid"), jobid);
        EXPECT_EQ(body.at("partid"), static_cast<int>(i));
        EXPECT_EQ(body.at("metadata"), (json{{"zoom", 12}}));
        EXPECT_EQ(body.at("url"), "s3://b/" + std::to_string(i) + ".tif");
    }
    EXPECT_EQ(json::parse(messages[1].body).at("n"), json::parse(R"([1, {"x": "]"}])"));
#endif
}

TEST_P(CliBackend, CreateFromJsonLinesOnStdinWithANewJobId) {
    const auto r = cli({"create", "-", "--topic", "memory://"}, "{\"n\": 0}\n{\"n\": 1}\n");
    EXPECT_EQ(r.code, 0) << r;
    ASSERT_TRUE(std::regex_match(r.out, kUuidLine)) << r.out;
    const std::string jobid = r.out.substr(0, r.out.size() - 1);
    const auto s = backend->status(jobid);
    EXPECT_EQ(s.total, 2);
    EXPECT_EQ(s.metadata, json::object());
    backend->delete_job(jobid);
}

TEST_P(CliBackend, CreateStreamsALargeJsonLinesFileAndPipe) {
    constexpr int kParts = wp_test::scaled(20000, 2000);
    std::string input;
    for (int i = 0; i < kParts; ++i) input += "{\"n\": " + std::to_string(i) + ", \"pad\": \"........................\"}\n";
    const auto file = dir.file("big.jsonl", input);
#if WP_CLI_TEST_QUEUE
    const std::string topic = queue_uri;
#else
    const std::string topic = "memory://";
#endif
    const auto from_file = unique_jobid("big-file");
    auto r = cli({"create", file, "--jobid", from_file, "--topic", topic});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, from_file + "\n");
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(backend->status(from_file).total, kParts);

    const auto from_pipe = unique_jobid("big-pipe");
    r = cli({"create", "--jobid", from_pipe, "--topic", topic}, input);  // stdin: not seekable, spooled
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, from_pipe + "\n");
    EXPECT_EQ(backend->status(from_pipe).total, kParts);
#if WP_CLI_TEST_QUEUE
    const auto messages = drain(queue_uri);
    ASSERT_EQ(messages.size(), 2u * kParts);
    std::map<std::string, std::set<int>> partids;
    for (const auto& m : messages) {
        const auto body = json::parse(m.body);
        EXPECT_EQ(body.at("n"), body.at("partid"));
        partids[body.at("jobid").get<std::string>()].insert(body.at("partid").get<int>());
    }
    EXPECT_EQ(partids[from_file].size(), static_cast<std::size_t>(kParts));
    EXPECT_EQ(partids[from_pipe].size(), static_cast<std::size_t>(kParts));
#endif
    backend->delete_job(from_file);
    backend->delete_job(from_pipe);
}

TEST_P(CliBackend, CreateValidatesEverythingBeforeWriting) {
    std::string input;
    for (int i = 0; i < 500; ++i) input += "{\"n\": " + std::to_string(i) + "}\n";
    input += "{\"n\": 500,}\n";  // line 501
    const auto file = dir.file("bad.jsonl", input);
    const auto jobid = unique_jobid("invalid");
#if WP_CLI_TEST_QUEUE
    const std::string topic = queue_uri;
#else
    const std::string topic = "memory://";
#endif
    auto r = cli({"create", file, "--jobid", jobid, "--topic", topic});
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    EXPECT_EQ(r.out, "");
    expect_one_line(r.err);
    EXPECT_THAT(r.err, HasSubstr("part 500 (line 501) is not valid JSON"));
    EXPECT_THROW(backend->status(jobid), wp::JobDoesNotExist);

    r = cli({"create", "--jobid", jobid, "--topic", topic}, input);  // the same through a pipe
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    EXPECT_THAT(r.err, HasSubstr("part 500 (line 501) is not valid JSON"));
    EXPECT_THROW(backend->status(jobid), wp::JobDoesNotExist);
#if WP_CLI_TEST_QUEUE
    EXPECT_TRUE(drain(queue_uri).empty());
#endif
}

TEST_P(CliBackend, CreateRefusesAnExistingJobUnlessOverwrite) {
    const auto jobid = new_job(5);
    backend->set_metadata(jobid, {{"kept", true}});
    auto r = cli({"create", "--jobid", jobid, "--topic", "memory://"}, "{\"a\": 1}\n");
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    EXPECT_EQ(r.out, "");
    expect_one_line(r.err);
    EXPECT_THAT(r.err, HasSubstr("already exists"));
    EXPECT_EQ(backend->status(jobid).total, 5);

    r = cli({"create", "--jobid", jobid, "--topic", "memory://", "--overwrite", "--metadata", R"({"new": 1})"},
            "{\"a\": 1}\n{\"a\": 2}\n");
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, jobid + "\n");
    const auto s = backend->status(jobid);
    EXPECT_EQ(s.total, 2);
    EXPECT_EQ(s.metadata, (json{{"kept", true}, {"new", 1}}));
}

TEST_P(CliBackend, CreateTopicFromWorkTopic) {
    RunOptions with_env = options("{\"a\": 1}\n");
#if WP_CLI_TEST_QUEUE
    with_env.env["WorkTopic"] = queue_uri;
#else
    with_env.env["WorkTopic"] = "memory://";
#endif
    const auto jobid = unique_jobid("worktopic");
    const auto r = run_cli({"create", "--jobid", jobid, "-d", uri}, with_env);
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(backend->status(jobid).total, 1);
#if WP_CLI_TEST_QUEUE
    EXPECT_EQ(drain(queue_uri).size(), 1u);
#endif
}

// -- watch

TEST_P(CliBackend, WatchFollowsTheJobUntilItCompletes) {
    constexpr int kParts = 5;
    const auto jobid = new_job(kParts);
    backend->set_metadata(jobid, {{"name", "w"}});
    // The parts are completed once the CLI has shown 0/5, however long it takes to start.
    std::promise<void> shown_start;
    bool signalled = false;
    const auto signal_start = [&] {
        if (!signalled) shown_start.set_value();
        signalled = true;
    };
    std::thread worker([&, started = shown_start.get_future()] {
        started.wait();
        for (int p = 0; p < kParts; ++p) backend->complete_part(jobid, p);
    });
    wp_test::RunOptions options;
    options.on_stderr = [&](const std::string& err) {
        if (err.find(jobid + ": 0/5 ") != std::string::npos) signal_start();
    };
    const auto r = cli({"watch", jobid, "--interval", "0.05"}, options);
    signal_start();  // the CLI ended without showing 0/5: let the worker end (the checks below fail)
    worker.join();
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "{\"metadata\": {\"name\": \"w\"}, \"jobid\": \"" + jobid +
                         "\", \"progress\": 1.0, \"total\": 5, \"remaining\": 0, \"failed\": false, \"reduceSent\": false}\n");
    // stderr is a pipe: a plain line each time the count changed, the last one complete.
    const auto lines = lines_of(r.err);
    ASSERT_GE(lines.size(), 2u) << r.err;
    EXPECT_THAT(lines.front(), StartsWith(jobid + ": 0/5 (0.0%), "));
    EXPECT_THAT(lines.back(), StartsWith(jobid + ": 5/5 (100.0%), "));
    EXPECT_THAT(lines.back(), HasSubstr("/s, done in 0:0"));
    for (const auto& line : lines) EXPECT_THAT(line, StartsWith(jobid + ": ")) << line;
}

TEST_P(CliBackend, WatchExits1WhenTheJobFails) {
    const auto jobid = new_job(4);
    std::thread worker([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        backend->complete_part(jobid, 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        backend->fail_job(jobid, "disk full");
    });
    const auto r = cli({"watch", jobid, "-i", "0.05"});
    worker.join();
    EXPECT_EQ(r.code, wpcli::kExitJobFailed) << r;
    EXPECT_EQ(r.out, "{\"metadata\": {}, \"jobid\": \"" + jobid +
                         "\", \"progress\": 0.25, \"total\": 4, \"remaining\": 3, \"failed\": true, \"error\": \"disk full\", "
                         "\"reduceSent\": false}\n");
    EXPECT_THAT(r.err, HasSubstr("watchbot-progress-cpp: job '" + jobid + "' failed: disk full\n"));
}

TEST_P(CliBackend, WatchTimesOut) {
    const auto jobid = new_job(3);
    backend->complete_part(jobid, 2);
    const auto start = std::chrono::steady_clock::now();
    const auto r = cli({"watch", jobid, "--interval", "0.1", "--timeout", "0.4"});
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(r.code, wpcli::kExitTimeout) << r;
    EXPECT_EQ(r.out, "");
    EXPECT_THAT(r.err, HasSubstr("error: timed out after 0.4 s: job '" + jobid + "' has 2 of 3 parts pending\n"));
    EXPECT_GE(elapsed, std::chrono::milliseconds(400));  // a watch that never timed out is killed by the harness
}

TEST_P(CliBackend, WatchQuietAndAlreadyCompleteAndUnknown) {
    const auto jobid = new_job(1);
    backend->complete_part(jobid, 0);
    auto r = cli({"watch", jobid, "--quiet"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.err, "");
    EXPECT_THAT(r.out, HasSubstr("\"remaining\": 0"));

    const auto missing = unique_jobid("missing");
    r = cli({"watch", missing, "-q"});
    EXPECT_EQ(r.code, wpcli::kExitJobFailed) << r;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, not_found(missing));
}

// A whole job through the CLI alone: create, work, watch, clean up.
TEST_P(CliBackend, EndToEndThroughTheCli) {
    const auto jobid = unique_jobid("e2e");
    auto r = cli({"create", "--jobid", jobid, "--topic", "memory://"}, "[{\"a\": 0}, {\"a\": 1}]");
    ASSERT_EQ(r.code, 0) << r;
    EXPECT_EQ(cli({"pending", jobid}).out, "0\n1\n");
    EXPECT_EQ(cli({"complete-part", jobid, "-p", "0"}).out, "false\n");
    EXPECT_EQ(cli({"complete-part", jobid, "-p", "1"}).out, "true\n");
    EXPECT_EQ(cli({"reduce-sent", jobid}).code, 0);
    r = cli({"watch", jobid, "-q"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_THAT(r.out, HasSubstr("\"reduceSent\": true}"));
    EXPECT_EQ(cli({"delete", jobid}).code, 0);
    EXPECT_EQ(cli({"info", jobid}).code, wpcli::kExitJobFailed);
}

// Every refused command leaves the job exactly as it was.
TEST_P(CliBackend, RefusedCommandsChangeNothing) {
    const auto jobid = new_job(3);
    backend->set_metadata(jobid, {{"a", 1}});
    const json before = backend->status(jobid).to_json();
    const std::vector<std::vector<std::string>> refused = {
        {"set-metadata", jobid, "--metadata", "{bad"},
        {"set-metadata", jobid, "--metadata", "[1]"},
        {"set-metadata", jobid, "--metadata", "{\"a\": 2"},
        {"complete-part", jobid, "--part", "3"},
        {"complete-part", jobid, "--part", "-1"},
        {"complete-part", jobid, "--part", "99999999999999999999"},
        {"set-total", jobid, "--total", "5"},
        {"set-total", jobid, "--total", "0"},
        {"fail-job", jobid + "\t", "--reason", "x"},
        {"create", "--jobid", jobid, "--topic", "memory://"},
    };
    for (const auto& args : refused) {
        const auto r = cli(args, "{\"a\": 1}\n");
        EXPECT_EQ(r.code, wpcli::kExitUsage) << args[0] << " " << args.back() << "\n" << r;
        EXPECT_EQ(r.out, "") << args[0];
        expect_one_line(r.err);
        EXPECT_EQ(backend->status(jobid).to_json(), before) << args[0] << " " << args.back();
    }

    // Metadata this backend refuses: refused before the job is written.
    json refused_metadata;
    switch (GetParam()) {
        case Kind::Redis: refused_metadata = {{"total", 9}}; break;  // a field of the job's own hash
        case Kind::DynamoDb: {
            json deep = 1;
            for (int i = 0; i < 40; ++i) deep = json::array({deep});
            refused_metadata = {{"deep", deep}};
            break;
        }
        case Kind::Sqlite: break;  // SQLite stores any JSON object
    }
    if (!refused_metadata.is_null()) {
        const auto fresh = unique_jobid("refused-metadata");
        const auto r = cli({"create", "--jobid", fresh, "--topic", "memory://", "--metadata", refused_metadata.dump()},
                           "{\"a\": 1}\n");
        EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
        expect_one_line(r.err);
        EXPECT_THROW(backend->status(fresh), wp::JobDoesNotExist);
    }
}

std::vector<Kind> backend_kinds() {
    std::vector<Kind> kinds;
#if WP_WITH_REDIS
    kinds.push_back(Kind::Redis);
#endif
#if WP_CLI_TEST_SQLITE
    kinds.push_back(Kind::Sqlite);
#endif
#if WP_CLI_TEST_DYNAMODB
    kinds.push_back(Kind::DynamoDb);
#endif
    return kinds;
}

INSTANTIATE_TEST_SUITE_P(Cli, CliBackend, ::testing::ValuesIn(backend_kinds()), kind_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CliBackend);

}  // namespace
