// The command line itself without a server: help, usage and configuration errors, bad values, and
// create on memory://.

#include "cli_test_support.hpp"

namespace {

using namespace wp_cli_test;
using ::testing::Not;

TEST(CliBasics, VersionPrintsTheLibraryVersionAndWhatIsBuiltIn) {
    const auto r = run_cli({"--version"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.err, "");
    // This build's parts, spelled out from the build configuration rather than from the function
    // the CLI prints, so that a list that forgets a part fails here.
    std::string backends, notifiers;
    if (WP_WITH_AWS) backends += "dynamodb ", notifiers += "sns ";
    if (WP_WITH_REDIS) backends += "redis ";
    if (WP_WITH_SQLITE) backends += "sqlite ", notifiers += "local-queue ";
    backends += "memory", notifiers += "memory";
    EXPECT_EQ(r.out, std::string("watchbot-progress-cpp ") + wp::version() + "\n" +
                         "backends: " + backends + "\n" +
                         "notifiers: " + notifiers + "\n" +
                         "local queue (run, send): " + (WP_WITH_SQLITE ? "yes" : "no (built without WP_WITH_SQLITE)") +
                         "\n");
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

    // A mistyped option of a command names the option, not CLI11's list of leftover words, and
    // suggests the options it could be.
    r = run_cli({"info", "job", "--db", "memory://"});
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    EXPECT_EQ(r.err, "watchbot-progress-cpp: error: unknown option '--db' for info: did you mean --database? "
                     "(see watchbot-progress-cpp info --help)\n");
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
        EXPECT_THAT(r.err, HasSubstr("redis[s]://"));
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

TEST(CliBasics, NoSpellingOfADatabaseOrTopicUriPrintsItsPassword) {
    const std::string pw = "s3cretPW";
    for (const std::string& uri : {"REDIS://:" + pw + "@h:6379/0", " redis://:" + pw + "@h", "redis://:" + pw + "@h ",
                                   "\tREDISS://:" + pw + "@h", "rediss://:" + pw + "@h:0", "REDSI://user:" + pw + "@h",
                                   "redis://:" + pw + "@x@h:99999", pw + "@h:6379", ":" + pw + "@h"}) {
        SCOPED_TRACE(uri);
        auto r = run_cli({"info", "job", "-d", uri});
        EXPECT_NE(r.code, 0) << r;
        EXPECT_THAT(r.err, Not(HasSubstr(pw))) << r;
        r = run_cli({"set-total", "job", "--total", "2", "--dynamodb-layout", "compatible", "-d", uri});
        EXPECT_NE(r.code, 0) << r;
        EXPECT_THAT(r.err, Not(HasSubstr(pw))) << r;
        RunOptions options;
        options.env["ProgressTable"] = uri;
        r = run_cli({"ls"}, options);
        EXPECT_NE(r.code, 0) << r;
        EXPECT_THAT(r.err, Not(HasSubstr(pw))) << r;
        options.env.clear();
        options.env["WorkTopic"] = uri;
        options.input = "{\"a\": 1}\n";
        r = run_cli({"create", "--jobid", "j", "-d", "memory://"}, options);
        EXPECT_NE(r.code, 0) << r;
        EXPECT_THAT(r.err, Not(HasSubstr(pw))) << r;
        r = run_cli({"create", "--jobid", "j", "-d", "memory://", "--topic", uri}, options.input);
        EXPECT_NE(r.code, 0) << r;
        EXPECT_THAT(r.err, Not(HasSubstr(pw))) << r;
    }
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
    // What a command-line user can do, not only a C++ option as if it were theirs.
    EXPECT_THAT(r.err, HasSubstr("check that redis-server is running"));
    EXPECT_THAT(r.err, ::testing::Not(HasSubstr("(RedisOptions:")));
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
        {{"complete-part", "job", "--part", "abc"}, "--part: 'abc' is not a whole number: expected a part id, 0 or more"},
        {{"status", "job", "-p", "1.5"}, "--part: '1.5' is not a whole number: expected a part id, 0 or more"},
        {{"set-total", "job", "--total", "ten"}, "--total: 'ten' is not a whole number: expected the number of parts"},
        {{"create", "--workers", "x"}, "--workers: 'x' is not a whole number: expected a number of batches"},
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
        // One line number per message: the column on the part's line, not nlohmann's own "line 1".
        {"{\"a\": 1}\n{\"a\": x}\n", {}, "part 1 (line 2) is not valid JSON: parse error at column 7: "},
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

#if WP_CLI_TEST_SQLITE
// Commands that read or change existing jobs never create a SQLite database: a path that does not
// exist (a typo) is an error, exit 1, and leaves no file behind; set-total, which creates jobs, may.
TEST(CliBasics, CommandsOnAMissingSqliteFileFailAndCreateNothing) {
    TempDir dir;
    const std::string path = dir.path() + "/missing.db";
    const std::string uri = "sqlite://" + path;
    const std::vector<std::vector<std::string>> commands = {
        {"info", "job"},          {"ls"},
        {"ls", "--format", "table"}, {"pending", "job"},
        {"failed", "job"},        {"status", "job"},
        {"watch", "job"},         {"delete", "job"},
        {"complete-part", "job", "-p", "0"}, {"fail-job", "job", "-r", "x"},
        {"set-metadata", "job", "-m", "{}"}, {"reduce-sent", "job"},
        {"sweep", "--dry-run"},
    };
    for (const auto& command : commands) {
        auto args = command;
        args.insert(args.end(), {"-d", uri});
        const auto r = run_cli(args);
        EXPECT_EQ(r.code, wpcli::kExitJobFailed) << command[0] << "\n" << r;
        EXPECT_EQ(r.out, "") << command[0];
        EXPECT_EQ(r.err, "watchbot-progress-cpp: error: SQLite database '" + path +
                             "' does not exist (nothing was created): check the path, or create a job there first "
                             "with `create` or `set-total`\n")
            << command[0];
        EXPECT_FALSE(std::filesystem::exists(path)) << command[0];
    }
    // The same through ProgressTable.
    RunOptions env;
    env.env["ProgressTable"] = uri;
    auto r = run_cli({"info", "job"}, env);
    EXPECT_EQ(r.code, wpcli::kExitJobFailed) << r;
    EXPECT_FALSE(std::filesystem::exists(path));

    r = run_cli({"set-total", "job", "-t", "2", "-d", uri});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_TRUE(std::filesystem::exists(path));
    r = run_cli({"pending", "job", "-d", uri});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "0\n1\n");
}

// A memory:// topic ends with the command: beside a database that outlives it, create would leave a
// job whose map messages reached nobody. Refused before anything is written.
TEST(CliBasics, CreateRefusesAMemoryTopicBesideADatabaseThatOutlivesTheCommand) {
    TempDir dir;
    const std::string path = dir.path() + "/jobs.db";
    auto r = run_cli({"create", "--jobid", "j", "-d", "sqlite://" + path, "--topic", "memory://"}, "{\"a\": 1}\n");
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    EXPECT_EQ(r.out, "");
    expect_one_line(r.err);
    EXPECT_THAT(r.err, HasSubstr("--topic is memory://, an in-process topic that ends with this command"));
    EXPECT_FALSE(std::filesystem::exists(path));

    RunOptions env;
    env.input = "{\"a\": 1}\n";
    env.env["WorkTopic"] = "memory://";
    env.env["ProgressTable"] = "sqlite://" + path;
    r = run_cli({"create", "--jobid", "j"}, env);
    EXPECT_EQ(r.code, wpcli::kExitConfig) << r;
    expect_one_line(r.err);
    EXPECT_THAT(r.err, HasSubstr("the WorkTopic environment variable is memory://"));
    EXPECT_FALSE(std::filesystem::exists(path));
}
#endif

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

}  // namespace
