// The commands that read a job, on each backend: info, ls, pending, status, failed.

#include "cli_test_support.hpp"

namespace {

using namespace wp_cli_test;

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

// --format table: a header and one row, times relative to now (the job was made just before).
TEST_P(CliBackend, InfoAndLsAsATable) {
    const auto jobid = new_job(4, "table");
    backend->complete_part(jobid, 1);
    auto r = cli({"info", jobid, "--format", "table"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.err, "");
    auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 2u) << r.out;
    EXPECT_THAT(lines[0], ::testing::MatchesRegex("JOB ID +STATE +DONE/TOTAL +AGE +LAST PROGRESS +REDUCE SENT +REASON"));
    EXPECT_THAT(lines[1], ::testing::MatchesRegex(jobid + "  running  1/4 +[0-9]+s +[0-9]+s ago +no +-"));
    // The columns line up: each header starts where its cells do.
    EXPECT_EQ(lines[0].find("STATE"), lines[1].find("running"));
    EXPECT_EQ(lines[0].find("DONE/TOTAL"), lines[1].find("1/4"));

    const auto failed = new_job(2, "table-failed");
    backend->fail_job(failed, "broken");
    const auto complete = new_job(1, "table-complete");
    ASSERT_TRUE(backend->complete_part_and_claim_reduce(complete, 0).reduce_claimed());
    for (const auto& [id, row] : std::vector<std::pair<std::string, std::string>>{
             {failed, " +failed +0/2 +.* +no +broken\n"}, {complete, " +complete +1/1 +[0-9]+s +[0-9]+s ago +yes +-\n"}}) {
        r = cli({"info", id, "--format", "table"});
        EXPECT_EQ(r.code, 0) << r;
        EXPECT_THAT(r.out, ::testing::ContainsRegex(id + row)) << r.out;
    }

    // Parts failed for good: in the REASON column, and in info's JSON (only then, keeping the Python
    // tool's object for every other job).
    const auto tolerant = new_job(3, "table-failed-parts");
    backend->record_failed_part(tolerant, 2);
    r = cli({"info", tolerant, "--format", "table"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_THAT(r.out, ::testing::ContainsRegex(tolerant + " +running +0/3 .* +no +part failed: 2\n")) << r.out;
    r = cli({"info", tolerant});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_THAT(r.out, ::testing::HasSubstr(", \"failedParts\": [2]}"));
    r = cli({"info", jobid});
    EXPECT_THAT(r.out, ::testing::Not(::testing::HasSubstr("failedParts")));
    backend->delete_job(tolerant);

    // ls: the same rows, sorted by job id, after one header.
    r = cli({"ls", "--format", "table"});
    EXPECT_EQ(r.code, 0) << r;
    lines = lines_of(r.out);
    ASSERT_GE(lines.size(), 4u);
    EXPECT_THAT(lines[0], StartsWith("JOB ID "));
    std::vector<std::string> mine;  // this test's job ids, in the table's order
    for (const auto& line : lines) {
        for (const auto& id : {jobid, failed, complete}) {
            if (line.rfind(id + " ", 0) == 0) mine.push_back(id);
        }
    }
    std::vector<std::string> sorted = {jobid, failed, complete};
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(mine, sorted);
    r = cli({"ls", "--format", "table", "--jobid"});
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    r = cli({"info", jobid, "--format", "yaml"});
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    expect_one_line(r.err);
    for (const auto& id : {jobid, failed, complete}) backend->delete_job(id);
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
    if (GetParam() == Kind::kRedis) {
        // The shared server holds other tests' jobs: use an unused database number.
        const auto r = run_cli({"ls", "-d", uri.substr(0, uri.rfind('/')) + "/15"});
        EXPECT_EQ(r.code, 0) << r;
        EXPECT_EQ(r.err, "");
        return;
    }
#if WP_CLI_TEST_DYNAMODB
    if (GetParam() == Kind::kDynamoDb) {
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

}  // namespace
