// The commands that change a job, on each backend: set-total, set-metadata, complete-part, fail-job,
// delete, and refused commands that change nothing.

#include "cli_test_support.hpp"
#if WP_CLI_TEST_DYNAMODB
#include "dynamodb_test_util.hpp"
#endif

namespace {

using namespace wp_cli_test;

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
    EXPECT_EQ(r.err, "watchbot-progress-cpp: error: job '" + jobid + "' already exists in " + backend->describe() +
                         ": choose another job id, or pass --overwrite to replace it\n");
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
        {"create", "--jobid", jobid, "--topic", queue_uri},
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
        case Kind::kRedis: refused_metadata = {{"total", 9}}; break;  // a field of the job's own hash
        case Kind::kDynamoDb: {
            json deep = 1;
            for (int i = 0; i < 40; ++i) deep = json::array({deep});
            refused_metadata = {{"deep", deep}};
            break;
        }
        case Kind::kSqlite: break;  // SQLite stores any JSON object
    }
    if (!refused_metadata.is_null()) {
        const auto fresh = unique_jobid("refused-metadata");
        const auto r = cli({"create", "--jobid", fresh, "--topic", queue_uri, "--metadata", refused_metadata.dump()},
                           "{\"a\": 1}\n");
        EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
        expect_one_line(r.err);
        EXPECT_THROW(backend->status(fresh), wp::JobDoesNotExist);
    }
}

// -- --dynamodb-layout (set-total, create): the layout of a new DynamoDB job

TEST(CliDynamoDbLayout, TheOptionIsForDynamoDbOnly) {
    for (const std::string command : {"set-total", "create"}) {
        SCOPED_TRACE(command);
        std::vector<std::string> args = {command, unique_jobid("layout"), "--dynamodb-layout", "compatible", "-d",
                                         "memory://"};
        if (command == "set-total") args.insert(args.end(), {"--total", "2"});
        else args = {command, "--jobid", unique_jobid("layout"), "--topic", "memory://", "--dynamodb-layout", "compatible", "-d", "memory://"};
        auto r = run_cli(args, "{\"a\": 1}\n");
        EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
        expect_one_line(r.err);
        EXPECT_THAT(r.err, HasSubstr("--dynamodb-layout applies to a DynamoDB table"));
    }
    auto r = run_cli({"set-total", "j", "--total", "2", "--dynamodb-layout", "Sharded", "-d", "memory://"});
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    EXPECT_THAT(r.err, HasSubstr("--dynamodb-layout"));
}

#if WP_CLI_TEST_DYNAMODB
TEST(CliDynamoDbLayout, SetTotalAndCreateWriteTheLayoutAsked) {
    const std::string arn = dynamodb_test_table_arn();
    auto client = wp_test::dynamodb_test_client("wp-cli-tests");
    auto backend = dynamodb_test_backend(arn);
    const auto layout_of = [&](const std::string& jobid) -> std::string {
        const auto item = client->get_item({wp_test::dynamodb_key(jobid)});
        if (!item) return "none";
        return item->contains("layout") ? "sharded" : "compatible";
    };
    RunOptions options;
    options.env = dynamodb_child_env();
    options.env[wp::kDynamoDbLayoutVariable] = "";  // unset: the library's default
    const auto cli = [&](std::vector<std::string> args, const std::string& input = "") {
        args.insert(args.end(), {"-d", arn});
        RunOptions o = options;
        o.input = input;
        return run_cli(args, o);
    };
    std::vector<std::string> jobs;
    const auto set_total = [&](const std::vector<std::string>& extra) {
        jobs.push_back(unique_jobid("layout"));
        std::vector<std::string> args = {"set-total", jobs.back(), "--total", "3"};
        args.insert(args.end(), extra.begin(), extra.end());
        const auto r = cli(args);
        EXPECT_EQ(r.code, 0) << r;
        return layout_of(jobs.back());
    };

    EXPECT_EQ(set_total({}), "sharded") << "the default";
    EXPECT_EQ(set_total({"--dynamodb-layout", "compatible"}), "compatible");
    EXPECT_EQ(set_total({"--dynamodb-layout", "sharded"}), "sharded");
    EXPECT_EQ(set_total({"--dynamodb-layout", "auto"}), "compatible") << "3 parts: under the threshold";
    options.env[wp::kDynamoDbLayoutVariable] = "compatible";
    EXPECT_EQ(set_total({}), "compatible") << "the environment variable";
    EXPECT_EQ(set_total({"--dynamodb-layout", "sharded"}), "sharded") << "the option wins";

    jobs.push_back(unique_jobid("layout-create"));
    options.env[wp::kDynamoDbLayoutVariable] = "";
    const TempDir dir;  // the map messages go to a local queue (a memory:// topic beside DynamoDB is refused)
    auto r = cli({"create", "--jobid", jobs.back(), "--topic", "sqlite://" + dir.path() + "/queue.db",
                  "--dynamodb-layout", "compatible"},
                 "{\"a\": 1}\n{\"a\": 2}\n");
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(layout_of(jobs.back()), "compatible");

    // Jobs of both layouts are read and worked the same (the worker side never chooses).
    for (const auto& jobid : jobs) {
        r = cli({"complete-part", jobid, "-p", "0"});
        EXPECT_EQ(r.code, 0) << r;
        EXPECT_EQ(json::parse(cli({"info", jobid}).out)["remaining"], jobid == jobs.back() ? 1 : 2) << jobid;
        EXPECT_TRUE(backend->delete_job(jobid));
    }
}
#endif

}  // namespace
