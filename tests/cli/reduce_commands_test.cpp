// The reduce commands, on each backend: reduce-sent and sweep (the library's sweep; the jobs of other
// tools are in sweep_other_tools_test.cpp).

#include "cli_test_support.hpp"

namespace {

using namespace wp_cli_test;

// -- reduce-sent

TEST_P(CliBackend, ReduceSentClaimsTheReduceOnce) {
    const auto jobid = new_job(1);
    backend->complete_part(jobid, 0);
    auto r = cli({"reduce-sent", jobid});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "");
    EXPECT_TRUE(backend->status(jobid).reduce_sent);
    EXPECT_FALSE(backend->claim_reduce(jobid));  // no worker sends it now

    r = cli({"reduce-sent", jobid});
    EXPECT_EQ(r.code, wpcli::kExitAlreadyClaimed) << r;  // found it taken: the caller must not send it
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "watchbot-progress-cpp: the reduce of job '" + jobid + "' was already marked sent\n");
}

// A claim held but not yet confirmed (a worker sending the reduce, or another reduce-sent call between
// its claim and its confirm) stays its holder's: the holder's confirm still succeeds. Taking it over
// would make two concurrent reduce-sent calls both exit 8, and the reduce would never be sent.
TEST_P(CliBackend, ReduceSentOnAnUnconfirmedClaimFindsItTakenAndLeavesItToItsHolder) {
    const auto jobid = new_job(1);
    const auto completion = backend->complete_part_and_claim_reduce(jobid, 0);  // a worker is sending it
    ASSERT_TRUE(completion.reduce_claimed());
    const auto r = cli({"reduce-sent", jobid});
    EXPECT_EQ(r.code, wpcli::kExitAlreadyClaimed) << r;
    EXPECT_FALSE(backend->status(jobid).reduce_confirmed);
    EXPECT_TRUE(backend->confirm_reduce(jobid, *completion.reduce_claim));  // still the worker's claim
    EXPECT_TRUE(backend->status(jobid).reduce_confirmed);
}

// Scripts driving the Node tool's commands: `reduce-sent JOB && send` from many processes at once
// sends once. (Label: concurrency.)
TEST_P(CliBackend, ReduceSentRaceExactlyOneCallTakesTheClaim) {
    const auto jobid = new_job(1);
    backend->complete_part(jobid, 0);
    std::vector<std::future<CliResult>> calls;
    for (int i = 0; i < 8; ++i) {
        calls.push_back(std::async(std::launch::async, [&] { return cli({"reduce-sent", jobid}); }));
    }
    int took = 0;
    for (auto& call : calls) {
        const auto r = call.get();
        if (r.code == 0) {
            ++took;
        } else {
            EXPECT_EQ(r.code, wpcli::kExitAlreadyClaimed) << r;
        }
    }
    EXPECT_EQ(took, 1);
}

// Before every part is complete the reduce is not the user's to mark: the delivery that completes the
// last part sends it. Refused with the pending count; nothing is marked, so that delivery still can.
TEST_P(CliBackend, ReduceSentRefusesAnIncompleteJob) {
    const auto jobid = new_job(3);
    backend->complete_part(jobid, 1);
    auto r = cli({"reduce-sent", jobid});
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "watchbot-progress-cpp: error: job '" + jobid +
                         "' has 2 of its 3 parts pending: its reduce cannot be marked sent before every part is "
                         "complete (the delivery that completes the last part sends it); nothing was marked\n");
    EXPECT_FALSE(backend->status(jobid).reduce_sent);
    backend->complete_part(jobid, 0);
    const auto completion = backend->complete_part_and_claim_reduce(jobid, 2);
    EXPECT_TRUE(completion.reduce_claimed());  // the last part's delivery still sends the reduce
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

}  // namespace
