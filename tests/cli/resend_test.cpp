// resend on each backend: re-publishing the map messages of a job's pending or failed parts from the
// parts file create read, refused (nothing sent) when the file is not the job's.

#include "cli_test_support.hpp"

namespace {

using namespace wp_cli_test;

#if WP_CLI_TEST_QUEUE
// The map messages in the queue, by part id.
std::map<std::int64_t, std::string> maps_in(const std::string& queue_uri) {
    std::map<std::int64_t, std::string> out;
    for (const auto& m : drain(queue_uri)) {
        if (m.subject == "map") out[json::parse(m.body).at("partid").get<std::int64_t>()] = m.body;
    }
    return out;
}

TEST_P(CliBackend, ResendPublishesThePendingPartsAgain) {
    std::string parts;
    for (int i = 0; i < 5; ++i) parts += "{\"url\": \"s3://b/" + std::to_string(i) + ".tif\"}\n";
    const auto file = dir.file("parts.jsonl", parts);
    const auto jobid = unique_jobid("resend");
    auto r = cli({"create", file, "--jobid", jobid, "--metadata", R"({"zoom": 3})", "--topic", queue_uri});
    ASSERT_EQ(r.code, 0) << r;
    const auto created = maps_in(queue_uri);
    ASSERT_EQ(created.size(), 5u);
    backend->complete_part(jobid, 0);
    backend->complete_part(jobid, 2);

    r = cli({"resend", jobid, file, "--pending", "--topic", queue_uri});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "watchbot-progress-cpp: re-sent the map messages of 3 pending parts of job '" + jobid + "' to " +
                         queue_uri + "\n");
    const auto resent = maps_in(queue_uri);
    ASSERT_EQ(resent.size(), 3u);
    for (const std::int64_t p : {1, 3, 4}) EXPECT_EQ(resent.at(p), created.at(p)) << "part " << p;

    // --failed: the parts recorded failed; with --progress, a display on stderr.
    backend->record_failed_part(jobid, 3);
    r = cli({"resend", jobid, file, "--failed", "--topic", queue_uri, "--progress"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_THAT(r.err, HasSubstr("re-sending: 1/1 (100.0%)"));
    EXPECT_THAT(r.err, HasSubstr("re-sent the map messages of 1 failed part of job"));
    EXPECT_EQ(maps_in(queue_uri).size(), 1u);

    // Nothing left to send.
    for (const std::int64_t p : {1, 3, 4}) backend->complete_part(jobid, p);
    r = cli({"resend", jobid, file, "--pending", "--topic", queue_uri});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.err, "watchbot-progress-cpp: job '" + jobid + "' has no pending part: nothing to re-send\n");
    EXPECT_TRUE(maps_in(queue_uri).empty());
    backend->delete_job(jobid);
}

TEST_P(CliBackend, ResendRefusesAFileThatIsNotTheJobsAndSendsNothing) {
    const auto jobid = unique_jobid("resend-refused");
    auto r = cli({"create", "--jobid", jobid, "--topic", queue_uri}, "[{\"a\": 0}, {\"a\": 1}, {\"a\": 2}]");
    ASSERT_EQ(r.code, 0) << r;
    drain(queue_uri);
    const auto two = dir.file("two.json", "[{\"a\": 0}, {\"a\": 1}]");
    const auto other = dir.file("other.jsonl", "{\"a\": 0, \"jobid\": \"other\"}\n{\"a\": 1}\n{\"a\": 2}\n");
    const auto three = dir.file("three.json", "[{\"a\": 0}, {\"a\": 1}, {\"a\": 2}]");
    const std::vector<std::pair<std::vector<std::string>, std::string>> refused = {
        {{"resend", jobid, two, "--pending"}, "the parts given hold 2 parts but job '" + jobid + "' has 3"},
        {{"resend", jobid, other, "--pending"}, "part 0 carries \"jobid\": \"other\""},
        {{"resend", jobid, three}, "say which parts to re-send: --pending"},
        {{"resend", jobid, three, "--pending", "--failed"}, "--pending excludes --failed"},
        {{"resend", jobid, dir.path() + "/missing.json", "--pending"}, "cannot open the parts file"},
        {{"resend", jobid, three, "--pending", "--workers", "x"}, "--workers: 'x' is not a whole number"},
    };
    for (const auto& [args, message] : refused) {
        auto with_topic = args;
        with_topic.insert(with_topic.end(), {"--topic", queue_uri});
        r = cli(with_topic);
        EXPECT_EQ(r.code, wpcli::kExitUsage) << message << "\n" << r;
        EXPECT_EQ(r.out, "");
        expect_one_line(r.err);
        EXPECT_THAT(r.err, HasSubstr(message));
        EXPECT_TRUE(drain(queue_uri).empty()) << message;
    }
    const auto missing = unique_jobid("resend-missing");
    r = cli({"resend", missing, three, "--pending", "--topic", queue_uri});
    EXPECT_EQ(r.code, wpcli::kExitJobFailed) << r;
    EXPECT_EQ(r.err, not_found(missing));
    backend->fail_job(jobid, "gave up");
    r = cli({"resend", jobid, three, "--pending", "--topic", queue_uri});
    EXPECT_EQ(r.code, wpcli::kExitJobFailed) << r;
    EXPECT_THAT(r.err, HasSubstr("gave up"));
    EXPECT_TRUE(drain(queue_uri).empty());
    backend->delete_job(jobid);
}

// A tolerated failed part counts as done, so its job can complete and send its reduce without it.
// Once that reduce is claimed or sent, running the failed parts again cannot take part in any
// reduce: resend --failed refuses (nothing sent) rather than redo their work for nothing.
TEST_P(CliBackend, ResendFailedRefusesAJobWhoseReduceWasSent) {
    const auto jobid = unique_jobid("resend-reduced");
    const auto file = dir.file("parts.json", "[{\"a\": 0}, {\"a\": 1}, {\"a\": 2}]");
    auto r = cli({"create", file, "--jobid", jobid, "--topic", queue_uri});
    ASSERT_EQ(r.code, 0) << r;
    drain(queue_uri);
    backend->record_failed_part(jobid, 1);  // failed for good, tolerated: counted done
    for (const wp::PartId p : {0, 1}) backend->complete_part(jobid, p);
    const auto claim = backend->complete_part_and_claim_reduce(jobid, 2).reduce_claim;
    ASSERT_TRUE(claim.has_value());  // the last delivery is sending the reduce

    const std::string refusal = "job '" + jobid + "' already sent its reduce (";
    r = cli({"resend", jobid, file, "--failed", "--topic", queue_uri});
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    EXPECT_EQ(r.out, "");
    expect_one_line(r.err);
    EXPECT_THAT(r.err, HasSubstr(refusal + "claimed, not yet confirmed): its failed parts were counted done"));
    EXPECT_TRUE(drain(queue_uri).empty());

    ASSERT_TRUE(backend->confirm_reduce(jobid, *claim));
    r = cli({"resend", jobid, file, "--failed", "--topic", queue_uri});
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    EXPECT_THAT(r.err, HasSubstr(refusal + "confirmed)"));
    EXPECT_TRUE(drain(queue_uri).empty());

    // --pending of the same job: nothing pending, nothing sent, as before.
    r = cli({"resend", jobid, file, "--pending", "--topic", queue_uri});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_TRUE(drain(queue_uri).empty());
    backend->delete_job(jobid);
}
#endif

}  // namespace
