// create on each backend: JSON arrays and JSON lines from files and pipes, streaming, validation
// before writing, --overwrite, WorkTopic.

#include "cli_test_support.hpp"
#if WP_CLI_TEST_QUEUE && WP_CLI_TEST_DYNAMODB
#include "aws/credentials_test_util.hpp"
#endif

namespace {

using namespace wp_cli_test;

// -- create

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
    const auto r = cli({"create", "-", "--topic", queue_uri}, "{\"n\": 0}\n{\"n\": 1}\n");
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
    auto r = cli({"create", "--jobid", jobid, "--topic", queue_uri}, "{\"a\": 1}\n");
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    EXPECT_EQ(r.out, "");
    expect_one_line(r.err);
    EXPECT_THAT(r.err, HasSubstr("already exists"));
    EXPECT_THAT(r.err, HasSubstr("pass --overwrite to replace it"));
    EXPECT_EQ(backend->status(jobid).total, 5);

    r = cli({"create", "--jobid", jobid, "--topic", queue_uri, "--overwrite", "--metadata", R"({"new": 1})"},
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

#if WP_CLI_TEST_QUEUE && WP_CLI_TEST_DYNAMODB
// An SNS topic whose credentials cannot be found is refused before the job is written: no job is left
// without its map messages (exit 4, not 5 after writing).
TEST(CliCreate, AnSnsTopicWithoutCredentialsIsRefusedBeforeTheJobIsWritten) {
    wp_test::AwsSandbox sandbox;  // no credentials anywhere
    const std::string db = "sqlite://" + sandbox.home() + "/jobs.db";
    wp_test::RunOptions options;
    options.env = sandbox.env_without_outside_credentials(
        {{"AWS_REGION", "us-east-1"}, {"AWS_ENDPOINT_URL_SNS", "http://127.0.0.1:9"}});
    options.input = "{\"n\": 0}\n{\"n\": 1}\n";
    auto r = wp_test::run_cli(
        {"create", "--jobid", "no-credentials", "--topic", "arn:aws:sns:us-east-1:000000000000:work", "-d", db}, options);
    EXPECT_EQ(r.code, wpcli::kExitConfig) << r;
    EXPECT_THAT(r.err, ::testing::HasSubstr("no AWS credentials found"));
    // What the chain tried, one source per line, not one line of a thousand characters.
    std::istringstream lines(r.err);
    std::size_t count = 0;
    for (std::string line; std::getline(lines, line); ++count) {
        EXPECT_LT(line.size(), 400u) << line;
        EXPECT_EQ(line.rfind("watchbot-progress-cpp: ", 0), 0u) << line;
    }
    EXPECT_GE(count, 4u) << r.err;
    r = wp_test::run_cli({"info", "no-credentials", "-d", db});
    EXPECT_EQ(r.code, wpcli::kExitJobFailed) << r;  // the job does not exist
}
#endif

}  // namespace
