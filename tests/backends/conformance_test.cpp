// The backend contract (DESIGN.md section 3), typed over every backend, plus the Part guard's
// guarantees on each backend: one reduce per job under concurrent, duplicated and late deliveries.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <numeric>
#include <atomic>
#include <limits>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "factories.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace wp = watchbot_progress;

namespace {

template <class Factory>
class Conformance : public ::testing::Test {
protected:
    void SetUp() override { backend = Factory::make(); }

    std::string new_job(std::int64_t total) {
        std::string jobid = "conformance-" + wp::new_jobid();
        backend->set_total(jobid, total);
        return jobid;
    }

    std::shared_ptr<wp::Backend> backend;
};

TYPED_TEST_SUITE(Conformance, wp_test::AllBackends, wp_test::BackendNames);

TYPED_TEST(Conformance, SetTotalCreatesJobWithEveryPartPending) {
    const auto jobid = this->new_job(12);
    const wp::JobStatus s = this->backend->status(jobid);
    EXPECT_EQ(s.jobid, jobid);
    EXPECT_EQ(s.total, 12);
    EXPECT_EQ(s.remaining, 12);
    EXPECT_DOUBLE_EQ(s.progress, 0.0);
    EXPECT_FALSE(s.failed);
    EXPECT_FALSE(s.reason.has_value());
    EXPECT_FALSE(s.reduce_sent);
    EXPECT_TRUE(s.metadata.is_object());
    EXPECT_TRUE(s.metadata.empty());
    std::vector<wp::PartId> expected(12);
    std::iota(expected.begin(), expected.end(), 0);
    EXPECT_EQ(this->backend->list_pending_parts(jobid), expected);
    EXPECT_FALSE(this->backend->part_complete(jobid, 0));
    EXPECT_FALSE(this->backend->part_complete(jobid, 11));
}

TYPED_TEST(Conformance, SetTotalRejectsTotalsBelowOne) {
    const std::string jobid = "conformance-" + wp::new_jobid();
    EXPECT_THROW(this->backend->set_total(jobid, 0), wp::InvalidInput);
    EXPECT_THROW(this->backend->set_total(jobid, -3), wp::InvalidInput);
    EXPECT_THROW(this->backend->status(jobid), wp::JobDoesNotExist);
}

// A total typed by mistake (or hostile) is refused at once, not written for hours or until memory
// runs out.
TYPED_TEST(Conformance, SetTotalRejectsTotalsOverTheLimit) {
    const std::string jobid = "conformance-" + wp::new_jobid();
    for (const std::int64_t total : {wp::kMaxParts + 1, std::numeric_limits<std::int64_t>::max()}) {
        try {
            this->backend->set_total(jobid, total);
            ADD_FAILURE() << total << " accepted";
        } catch (const wp::InvalidInput& e) {
            EXPECT_THAT(e.what(), ::testing::HasSubstr("over the limit of 1000000000 parts")) << total;
        }
    }
    EXPECT_THROW(this->backend->status(jobid), wp::JobDoesNotExist);
}

TYPED_TEST(Conformance, SetTotalRejectsBadJobIds) {
    EXPECT_THROW(this->backend->set_total("", 1), wp::InvalidInput);
    EXPECT_THROW(this->backend->set_total("bad\nid", 1), wp::InvalidInput);
    EXPECT_THROW(this->backend->set_total(std::string(2000, 'x'), 1), wp::InvalidInput);
}

// The contract's checks are the Backend base class's, so every backend answers a bad job id with
// InvalidInput on every call, before it asks its store (the memory backend used to answer
// JobDoesNotExist), and metadata that is not an object likewise.
template <class Factory>
class ContractChecks : public Conformance<Factory> {};

TYPED_TEST_SUITE(ContractChecks, wp_test::AllBackends, wp_test::BackendNames);

TYPED_TEST(ContractChecks, BadJobIdsAreInvalidInputOnEveryCall) {
    wp::Backend& b = *this->backend;
    for (const std::string& bad : {std::string(), std::string("bad\nid"), std::string(1025, 'x'), std::string("\xff\xfe")}) {
        SCOPED_TRACE(::testing::PrintToString(bad.substr(0, 8)));
        EXPECT_THROW(b.set_total(bad, 1), wp::InvalidInput);
        EXPECT_THROW(b.set_metadata(bad, {{"a", 1}}), wp::InvalidInput);
        EXPECT_THROW(b.complete_part(bad, 0), wp::InvalidInput);
        EXPECT_THROW(b.complete_part_and_claim_reduce(bad, 0), wp::InvalidInput);
        EXPECT_THROW(b.claim_reduce(bad), wp::InvalidInput);
        EXPECT_THROW(b.release_reduce(bad, "token"), wp::InvalidInput);
        EXPECT_THROW(b.confirm_reduce(bad, "token"), wp::InvalidInput);
        EXPECT_THROW(b.reclaim_reduce(bad, std::chrono::milliseconds(0)), wp::InvalidInput);
        EXPECT_THROW(b.failure_reason(bad), wp::InvalidInput);
        EXPECT_THROW(b.record_failed_part(bad, 0), wp::InvalidInput);
        EXPECT_THROW(b.list_failed_parts(bad), wp::InvalidInput);
        EXPECT_THROW(b.fail_job(bad, "x"), wp::InvalidInput);
        EXPECT_THROW(b.status(bad), wp::InvalidInput);
        EXPECT_THROW(b.part_complete(bad, 0), wp::InvalidInput);
        EXPECT_THROW(b.list_pending_parts(bad), wp::InvalidInput);
        EXPECT_THROW(b.delete_job(bad), wp::InvalidInput);
    }
}

TYPED_TEST(ContractChecks, MetadataThatIsNotAnObjectIsInvalidInputBeforeTheJobIsRead) {
    const std::string unknown = "conformance-unknown-" + wp::new_jobid();
    EXPECT_THROW(this->backend->set_metadata(unknown, nlohmann::json::array({1})), wp::InvalidInput);
    EXPECT_THROW(this->backend->set_metadata(unknown, "text"), wp::InvalidInput);
    EXPECT_THROW(this->backend->check_metadata(nlohmann::json(3)), wp::InvalidInput);
    EXPECT_THROW(this->backend->status(unknown), wp::JobDoesNotExist);
}

TYPED_TEST(Conformance, SetTotalRefusesAnExistingJobUnlessOverwriting) {
    const auto jobid = this->new_job(3);
    this->backend->set_metadata(jobid, {{"name", "kept"}});
    this->backend->complete_part(jobid, 1);
    this->backend->fail_job(jobid, "broken");
    EXPECT_THROW(this->backend->set_total(jobid, 5), wp::InvalidInput);
    EXPECT_EQ(this->backend->status(jobid).total, 3);

    this->backend->set_total(jobid, 5, /*overwrite=*/true);
    const auto s = this->backend->status(jobid);
    EXPECT_EQ(s.total, 5);
    EXPECT_EQ(s.remaining, 5);
    EXPECT_FALSE(s.failed);
    EXPECT_FALSE(s.reduce_sent);
    EXPECT_EQ(s.metadata.value("name", ""), "kept");
}

TYPED_TEST(Conformance, CompletePartReportsCompletionAndIsIdempotent) {
    const auto jobid = this->new_job(3);
    EXPECT_FALSE(this->backend->complete_part(jobid, 1));
    EXPECT_FALSE(this->backend->complete_part(jobid, 1));
    EXPECT_EQ(this->backend->status(jobid).remaining, 2);
    EXPECT_TRUE(this->backend->part_complete(jobid, 1));
    EXPECT_FALSE(this->backend->complete_part(jobid, 0));
    EXPECT_TRUE(this->backend->complete_part(jobid, 2));
    EXPECT_TRUE(this->backend->complete_part(jobid, 2));
    EXPECT_TRUE(this->backend->complete_part(jobid, 0));
    const auto s = this->backend->status(jobid);
    EXPECT_EQ(s.remaining, 0);
    EXPECT_DOUBLE_EQ(s.progress, 1.0);
    EXPECT_TRUE(s.complete());
    EXPECT_TRUE(this->backend->list_pending_parts(jobid).empty());
}

TYPED_TEST(Conformance, UnknownJobIsAnErrorAndIsNeverCreated) {
    const std::string jobid = "conformance-missing-" + wp::new_jobid();
    EXPECT_THROW(this->backend->complete_part(jobid, 0), wp::JobDoesNotExist);
    EXPECT_THROW(this->backend->complete_part_and_claim_reduce(jobid, 0), wp::JobDoesNotExist);
    EXPECT_THROW(this->backend->claim_reduce(jobid), wp::JobDoesNotExist);
    EXPECT_THROW(this->backend->fail_job(jobid, "x"), wp::JobDoesNotExist);
    EXPECT_THROW(this->backend->set_metadata(jobid, {{"a", "b"}}), wp::JobDoesNotExist);
    EXPECT_THROW(this->backend->part_complete(jobid, 0), wp::JobDoesNotExist);
    EXPECT_THROW(this->backend->list_pending_parts(jobid), wp::JobDoesNotExist);
    EXPECT_THROW(this->backend->status(jobid), wp::JobDoesNotExist);
    bool seen = false;
    this->backend->list_jobs([&](const wp::JobStatus& s) { seen = seen || s.jobid == jobid; });
    EXPECT_FALSE(seen);
}

TYPED_TEST(Conformance, PartIdsOutOfRangeAreInvalid) {
    const auto jobid = this->new_job(4);
    EXPECT_THROW(this->backend->complete_part(jobid, -1), wp::InvalidInput);
    EXPECT_THROW(this->backend->complete_part(jobid, 4), wp::InvalidInput);
    EXPECT_THROW(this->backend->complete_part_and_claim_reduce(jobid, 99), wp::InvalidInput);
    EXPECT_THROW(this->backend->part_complete(jobid, 4), wp::InvalidInput);
    EXPECT_EQ(this->backend->status(jobid).remaining, 4);
}

TYPED_TEST(Conformance, ClaimReduceHasExactlyOneWinner) {
    const auto jobid = this->new_job(1);
    this->backend->complete_part(jobid, 0);
    std::atomic<int> winners{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 16; ++i) {
        threads.emplace_back([&] {
            for (int k = 0; k < 5; ++k) {
                if (this->backend->claim_reduce(jobid)) ++winners;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(winners.load(), 1);
    EXPECT_TRUE(this->backend->status(jobid).reduce_sent);
}

// The claim's condition includes "no part pending", in the same atomic step: a job that was seen
// complete and then overwritten (sweep's listing, then set_total with overwrite) is not claimed.
TYPED_TEST(Conformance, ClaimRequiresEveryPartComplete) {
    const auto jobid = this->new_job(2);
    EXPECT_FALSE(this->backend->claim_reduce(jobid)) << "a job with every part pending was claimed";
    this->backend->complete_part(jobid, 0);
    EXPECT_FALSE(this->backend->claim_reduce(jobid)) << "a job with a part pending was claimed";
    EXPECT_FALSE(this->backend->status(jobid).reduce_sent);
    this->backend->complete_part(jobid, 1);
    ASSERT_TRUE(this->backend->status(jobid).complete());  // seen complete ...
    this->backend->set_total(jobid, 3, /*overwrite=*/true);  // ... then overwritten
    EXPECT_FALSE(this->backend->claim_reduce(jobid));
    EXPECT_FALSE(this->backend->status(jobid).reduce_sent);
    for (wp::PartId p = 0; p < 3; ++p) this->backend->complete_part(jobid, p);
    EXPECT_TRUE(this->backend->claim_reduce(jobid));
}

TYPED_TEST(Conformance, ReduceClaimStateFollowsTheClaim) {
    const auto jobid = this->new_job(1);
    auto state = this->backend->reduce_claim_state(jobid);
    EXPECT_FALSE(state.claimed);
    EXPECT_FALSE(state.confirmed);
    EXPECT_FALSE(state.failed);
    const auto claim = this->backend->complete_part_and_claim_reduce(jobid, 0).reduce_claim;
    ASSERT_TRUE(claim);
    state = this->backend->reduce_claim_state(jobid);
    EXPECT_TRUE(state.claimed);
    EXPECT_FALSE(state.confirmed);
    EXPECT_TRUE(state.claimed_at_ms.has_value());
    ASSERT_TRUE(this->backend->confirm_reduce(jobid, *claim));
    state = this->backend->reduce_claim_state(jobid);
    EXPECT_TRUE(state.claimed);
    EXPECT_TRUE(state.confirmed);
    this->backend->fail_job(jobid, "x");
    EXPECT_TRUE(this->backend->reduce_claim_state(jobid).failed);
    EXPECT_THROW(this->backend->reduce_claim_state("conformance-unknown-" + wp::new_jobid()), wp::JobDoesNotExist);
}

TYPED_TEST(Conformance, ReleasedReduceCanBeClaimedAgain) {
    const auto jobid = this->new_job(1);
    const auto claim = this->backend->complete_part_and_claim_reduce(jobid, 0).reduce_claim;
    ASSERT_TRUE(claim);
    EXPECT_FALSE(claim->empty());
    EXPECT_FALSE(this->backend->claim_reduce(jobid));
    this->backend->release_reduce(jobid, *claim);
    EXPECT_FALSE(this->backend->status(jobid).reduce_sent);
    const auto again = this->backend->complete_part_and_claim_reduce(jobid, 0);
    EXPECT_TRUE(again.job_complete);
    EXPECT_TRUE(again.reduce_claimed());
    EXPECT_FALSE(this->backend->complete_part_and_claim_reduce(jobid, 0).reduce_claimed());
}

std::int64_t wall_clock_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

TYPED_TEST(Conformance, ClaimRecordsItsTimeAndConfirmMarksTheReduceSent) {
    const auto jobid = this->new_job(1);
    const std::int64_t before = wall_clock_ms();
    const auto claim = this->backend->complete_part_and_claim_reduce(jobid, 0).reduce_claim;
    ASSERT_TRUE(claim);
    const std::int64_t after = wall_clock_ms();
    auto s = this->backend->status(jobid);
    EXPECT_TRUE(s.reduce_sent);
    EXPECT_FALSE(s.reduce_confirmed);
    ASSERT_TRUE(s.reduce_claimed_at_ms.has_value());
    EXPECT_GE(*s.reduce_claimed_at_ms, before);
    EXPECT_LE(*s.reduce_claimed_at_ms, after);
    EXPECT_TRUE(this->backend->confirm_reduce(jobid, *claim));
    s = this->backend->status(jobid);
    EXPECT_TRUE(s.reduce_sent);
    EXPECT_TRUE(s.reduce_confirmed);
    EXPECT_FALSE(this->backend->reclaim_reduce(jobid, std::chrono::milliseconds(0))) << "a confirmed reduce was taken over";
    EXPECT_TRUE(this->backend->confirm_reduce(jobid, *claim));  // twice: no error
    EXPECT_TRUE(this->backend->status(jobid).reduce_confirmed);
}

TYPED_TEST(Conformance, ConfirmWithoutAClaimChangesNothing) {
    const auto jobid = this->new_job(1);
    EXPECT_FALSE(this->backend->confirm_reduce(jobid, "a-token-nobody-was-given"));
    const auto s = this->backend->status(jobid);
    EXPECT_FALSE(s.reduce_sent);
    EXPECT_FALSE(s.reduce_confirmed);
    EXPECT_TRUE(this->backend->complete_part_and_claim_reduce(jobid, 0).reduce_claimed());
    EXPECT_FALSE(this->backend->status(jobid).reduce_confirmed);
}

TYPED_TEST(Conformance, ReleaseAndOverwriteForgetTheConfirmation) {
    const auto jobid = this->new_job(1);
    const auto first = this->backend->complete_part_and_claim_reduce(jobid, 0).reduce_claim;
    ASSERT_TRUE(first);
    EXPECT_TRUE(this->backend->confirm_reduce(jobid, *first));
    this->backend->release_reduce(jobid, *first);
    auto s = this->backend->status(jobid);
    EXPECT_FALSE(s.reduce_sent);
    EXPECT_FALSE(s.reduce_confirmed);
    EXPECT_FALSE(s.reduce_claimed_at_ms.has_value());
    const auto second = this->backend->claim_reduce(jobid);
    ASSERT_TRUE(second);
    EXPECT_NE(*second, *first);
    EXPECT_FALSE(this->backend->confirm_reduce(jobid, *first)) << "a released claim's token still confirms";
    EXPECT_FALSE(this->backend->status(jobid).reduce_confirmed);
    EXPECT_TRUE(this->backend->confirm_reduce(jobid, *second));
    this->backend->set_total(jobid, 2, /*overwrite=*/true);
    s = this->backend->status(jobid);
    EXPECT_FALSE(s.reduce_sent);
    EXPECT_FALSE(s.reduce_confirmed);
    EXPECT_FALSE(s.reduce_claimed_at_ms.has_value());
    EXPECT_FALSE(this->backend->confirm_reduce(jobid, *second)) << "the overwritten job's claim still confirms";
}

// The claim is owned: release and confirm act only with the token of the claim that holds it.
TYPED_TEST(Conformance, ReleaseAndConfirmActOnlyWithTheTokenThatHoldsTheClaim) {
    const auto jobid = this->new_job(1);
    const auto claim = this->backend->complete_part_and_claim_reduce(jobid, 0).reduce_claim;
    ASSERT_TRUE(claim);
    this->backend->release_reduce(jobid, "not-the-token");
    EXPECT_TRUE(this->backend->status(jobid).reduce_sent) << "a release with another token gave the claim back";
    EXPECT_FALSE(this->backend->claim_reduce(jobid));
    EXPECT_FALSE(this->backend->confirm_reduce(jobid, "not-the-token"));
    EXPECT_FALSE(this->backend->status(jobid).reduce_confirmed);
    EXPECT_TRUE(this->backend->confirm_reduce(jobid, *claim));
    EXPECT_TRUE(this->backend->status(jobid).reduce_confirmed);
    const std::string unknown = "conformance-unknown-" + wp::new_jobid();
    EXPECT_THROW(this->backend->release_reduce(unknown, *claim), wp::JobDoesNotExist);
}

// A claims; its lease passes; B takes over, sends and confirms. A's late release must change
// nothing, and no later delivery or take-over sends the reduce again.
TYPED_TEST(Conformance, ALateReleaseOfATakenOverClaimChangesNothing) {
    const auto jobid = this->new_job(1);
    const auto a = this->backend->complete_part_and_claim_reduce(jobid, 0).reduce_claim;
    ASSERT_TRUE(a);
    const auto b = this->backend->reclaim_reduce(jobid, std::chrono::milliseconds(0));  // A's lease has passed
    ASSERT_TRUE(b);
    EXPECT_NE(*a, *b);
    EXPECT_TRUE(this->backend->confirm_reduce(jobid, *b));
    this->backend->release_reduce(jobid, *a);  // A's send failed late: it gives back what it no longer holds
    EXPECT_FALSE(this->backend->confirm_reduce(jobid, *a));
    const auto s = this->backend->status(jobid);
    EXPECT_TRUE(s.reduce_sent);
    EXPECT_TRUE(s.reduce_confirmed);
    EXPECT_FALSE(this->backend->claim_reduce(jobid));
    EXPECT_FALSE(this->backend->complete_part_and_claim_reduce(jobid, 0).reduce_claimed());
    EXPECT_FALSE(this->backend->reclaim_reduce(jobid, std::chrono::milliseconds(0)));
}

TYPED_TEST(Conformance, UpdatedAtRecordsCreationAndProgress) {
    const std::int64_t before = wall_clock_ms();
    const auto jobid = this->new_job(3);
    const auto created = this->backend->status(jobid).updated_at_ms;
    ASSERT_TRUE(created.has_value());
    EXPECT_GE(*created, before);
    EXPECT_LE(*created, wall_clock_ms());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    this->backend->complete_part(jobid, 1);
    const auto progressed = this->backend->status(jobid).updated_at_ms;
    ASSERT_TRUE(progressed.has_value());
    EXPECT_GT(*progressed, *created);
}

// check_part: what a worker checks before it works a part (run_part_command, the CLI's worker).
TYPED_TEST(Conformance, CheckPartTellsAMissingJobAPartOutsideItAndAFailure) {
    EXPECT_THROW(this->backend->check_part("conformance-" + wp::new_jobid(), 0), wp::JobDoesNotExist);
    const auto jobid = this->new_job(3);
    EXPECT_EQ(this->backend->check_part(jobid, 0), std::nullopt);
    EXPECT_EQ(this->backend->check_part(jobid, 2), std::nullopt);
    EXPECT_THROW(this->backend->check_part(jobid, 3), wp::InvalidInput);
    EXPECT_THROW(this->backend->check_part(jobid, -1), wp::InvalidInput);
    this->backend->complete_part(jobid, 1);
    EXPECT_EQ(this->backend->check_part(jobid, 1), std::nullopt) << "a complete part is one of the job's still";
    this->backend->fail_job(jobid, "tile 7 is corrupt");
    EXPECT_EQ(this->backend->check_part(jobid, 0), std::optional<std::string>("tile 7 is corrupt"));
    EXPECT_THROW(this->backend->check_part(jobid, 3), wp::InvalidInput);
    EXPECT_EQ(this->backend->status(jobid).remaining, 2) << "the check changed the job";
}

// created_at_ms: set when set_total creates the job, kept through progress, failure and metadata,
// set anew by an overwrite (the job is created again). The backend's clock is moved by hand.
TYPED_TEST(Conformance, CreatedAtRecordsCreationAndOnlyCreation) {
    std::atomic<std::int64_t> now{1'700'000'000'000};
    const auto backend = TypeParam::make([&now] { return now.load(); });
    const std::string jobid = "conformance-" + wp::new_jobid();
    backend->set_total(jobid, 3);
    EXPECT_EQ(backend->status(jobid).created_at_ms, std::optional<std::int64_t>(1'700'000'000'000));
    now += 5000;
    backend->complete_part(jobid, 1);
    backend->set_metadata(jobid, {{"k", "v"}});
    backend->record_failed_part(jobid, 2);
    auto s = backend->status(jobid);
    EXPECT_EQ(s.created_at_ms, std::optional<std::int64_t>(1'700'000'000'000)) << "progress moved the creation time";
    now += 5000;
    EXPECT_FALSE(backend->complete_part_and_claim_reduce(jobid, 0).job_complete);
    backend->fail_job(jobid, "stop");
    EXPECT_EQ(backend->status(jobid).created_at_ms, std::optional<std::int64_t>(1'700'000'000'000));
    bool listed = false;
    backend->list_jobs([&](const wp::JobStatus& st) {
        if (st.jobid != jobid) return;
        listed = true;
        EXPECT_EQ(st.created_at_ms, std::optional<std::int64_t>(1'700'000'000'000)) << "list_jobs";
    });
    EXPECT_TRUE(listed);
    now += 5000;
    backend->set_total(jobid, 2, /*overwrite=*/true);
    EXPECT_EQ(backend->status(jobid).created_at_ms, std::optional<std::int64_t>(1'700'000'015'000))
        << "an overwrite creates the job anew";
    backend->delete_job(jobid);
}

TYPED_TEST(Conformance, FailedPartsAreRecordedOnceAndListed) {
    const auto jobid = this->new_job(5);
    EXPECT_TRUE(this->backend->list_failed_parts(jobid).empty());
    EXPECT_EQ(this->backend->record_failed_part(jobid, 3), 1);
    EXPECT_EQ(this->backend->record_failed_part(jobid, 3), 1) << "recording twice counted twice";
    EXPECT_EQ(this->backend->record_failed_part(jobid, 0), 2);
    EXPECT_EQ(this->backend->list_failed_parts(jobid), (std::vector<wp::PartId>{0, 3}));
    EXPECT_EQ(this->backend->status(jobid).remaining, 5) << "recording a failure must not complete the part";
    EXPECT_THROW(this->backend->record_failed_part(jobid, 5), wp::InvalidInput);
    EXPECT_THROW(this->backend->record_failed_part(jobid, -1), wp::InvalidInput);
    this->backend->set_total(jobid, 5, /*overwrite=*/true);
    EXPECT_TRUE(this->backend->list_failed_parts(jobid).empty());
    const std::string unknown = "conformance-unknown-" + wp::new_jobid();
    EXPECT_THROW(this->backend->record_failed_part(unknown, 0), wp::JobDoesNotExist);
    EXPECT_THROW(this->backend->list_failed_parts(unknown), wp::JobDoesNotExist);
    this->backend->record_failed_part(jobid, 1);
    EXPECT_TRUE(this->backend->delete_job(jobid));
    this->backend->set_total(jobid, 2);
    EXPECT_TRUE(this->backend->list_failed_parts(jobid).empty()) << "a deleted job's failed parts came back";
}

// record_part_failure / list_part_failures: what a failed delivery said, the newest per part.
TYPED_TEST(Conformance, PartFailuresAreKeptNewestPerPartAndListed) {
    wp::Backend& b = *this->backend;
    const auto jobid = this->new_job(5);
    EXPECT_TRUE(b.list_part_failures(jobid).empty());
    wp::PartFailure first{.partid = 3, .exit_code = 2, .attempts = 1, .time_ms = 1'700'000'000'000, .text = "exit 2\nline 1"};
    EXPECT_TRUE(b.record_part_failure(jobid, first));
    wp::PartFailure thrown{.partid = 0, .exit_code = std::nullopt, .attempts = 0, .time_ms = 5, .text = "caf\xc3\xa9: no such tile"};
    EXPECT_TRUE(b.record_part_failure(jobid, thrown));
    wp::PartFailure newer{.partid = 3, .exit_code = -1, .attempts = 7, .time_ms = 1'700'000'000'500, .text = ""};
    EXPECT_TRUE(b.record_part_failure(jobid, newer)) << "a part's newer record replaces its older one";
    const std::vector<wp::PartFailure> listed = b.list_part_failures(jobid);
    ASSERT_EQ(listed.size(), 2u);
    EXPECT_EQ(listed[0].partid, 0);
    EXPECT_FALSE(listed[0].exit_code.has_value());
    EXPECT_EQ(listed[0].attempts, 0);
    EXPECT_EQ(listed[0].time_ms, 5);
    EXPECT_EQ(listed[0].text, "caf\xc3\xa9: no such tile");
    EXPECT_EQ(listed[1].partid, 3);
    EXPECT_EQ(listed[1].exit_code, std::optional<int>(-1));
    EXPECT_EQ(listed[1].attempts, 7);
    EXPECT_EQ(listed[1].time_ms, 1'700'000'000'500);
    EXPECT_EQ(listed[1].text, "");
    const wp::JobStatus s = b.status(jobid);
    EXPECT_EQ(s.remaining, 5) << "a record must not complete the part";
    EXPECT_FALSE(s.failed) << "a record must not fail the job";
    EXPECT_TRUE(b.list_failed_parts(jobid).empty()) << "a record is not a part failed for good";

    EXPECT_THROW(b.record_part_failure(jobid, {.partid = 5}), wp::InvalidInput);
    EXPECT_THROW(b.record_part_failure(jobid, {.partid = -1}), wp::InvalidInput);
    EXPECT_THROW(b.record_part_failure(jobid, {.partid = 1, .attempts = -1}), wp::InvalidInput);
    EXPECT_THROW(b.record_part_failure(jobid, {.partid = 1, .time_ms = -1}), wp::InvalidInput);
    const std::string unknown = "conformance-unknown-" + wp::new_jobid();
    EXPECT_THROW(b.record_part_failure(unknown, {.partid = 0}), wp::JobDoesNotExist);
    EXPECT_THROW(b.list_part_failures(unknown), wp::JobDoesNotExist);
    EXPECT_THROW(b.record_part_failure("bad\nid", {.partid = 0}), wp::InvalidInput);
    EXPECT_THROW(b.list_part_failures("bad\nid"), wp::InvalidInput);

    b.set_total(jobid, 5, /*overwrite=*/true);
    EXPECT_TRUE(b.list_part_failures(jobid).empty()) << "an overwrite keeps the old job's records";
    EXPECT_TRUE(b.record_part_failure(jobid, {.partid = 1, .text = "again"}));
    EXPECT_EQ(b.list_part_failures(jobid).size(), 1u);
    EXPECT_TRUE(b.delete_job(jobid));
    b.set_total(jobid, 5);
    EXPECT_TRUE(b.list_part_failures(jobid).empty()) << "a deleted job's records came back";
    b.delete_job(jobid);
}

// At most kMaxPartFailureRecords parts' records per job, however many parts fail: the first parts
// to fail are kept, a later part's record is not, a kept part's newer record still replaces its own.
TYPED_TEST(Conformance, PartFailureRecordsAreBoundedPerJob) {
    wp::Backend& b = *this->backend;
    const std::int64_t max = static_cast<std::int64_t>(wp::kMaxPartFailureRecords);
    const auto jobid = this->new_job(max + 20);
    for (wp::PartId p = 0; p < max; ++p) {
        ASSERT_TRUE(b.record_part_failure(jobid, {.partid = p, .attempts = 1, .text = "failure " + std::to_string(p)})) << p;
    }
    for (wp::PartId p = max; p < max + 20; ++p) {
        EXPECT_FALSE(b.record_part_failure(jobid, {.partid = p, .text = "one too many"})) << p;
    }
    EXPECT_TRUE(b.record_part_failure(jobid, {.partid = 7, .attempts = 2, .text = "newer"}));
    const auto listed = b.list_part_failures(jobid);
    ASSERT_EQ(listed.size(), wp::kMaxPartFailureRecords);
    EXPECT_EQ(listed.front().partid, 0);
    EXPECT_EQ(listed.back().partid, max - 1);
    EXPECT_EQ(listed[7].text, "newer");
    EXPECT_EQ(listed[7].attempts, 2);
    b.delete_job(jobid);
}

// Each record's text is bounded: valid UTF-8, at most kMaxPartFailureTextBytes, the end kept (where
// a stderr's last lines are) after the line "[...]".
TYPED_TEST(Conformance, PartFailureTextIsBoundedToItsEndAndValidUtf8) {
    wp::Backend& b = *this->backend;
    const auto jobid = this->new_job(2);
    std::string text = "first line\n";
    while (text.size() < 3 * wp::kMaxPartFailureTextBytes) text += "\xc3\xa9t\xc3\xa9 line " + std::to_string(text.size()) + "\n";
    text += "bad byte \xff here\nthe last line";
    ASSERT_TRUE(b.record_part_failure(jobid, {.partid = 1, .exit_code = 1, .text = text}));
    const auto listed = b.list_part_failures(jobid);
    ASSERT_EQ(listed.size(), 1u);
    const std::string& kept = listed[0].text;
    EXPECT_LE(kept.size(), wp::kMaxPartFailureTextBytes);
    EXPECT_EQ(kept.rfind("[...]\n", 0), 0u) << kept.substr(0, 40);
    EXPECT_THAT(kept, ::testing::EndsWith("bad byte \xef\xbf\xbd here\nthe last line"));
    EXPECT_EQ(kept.find("first line"), std::string::npos);
    EXPECT_NO_THROW((void)nlohmann::json(kept).dump()) << "not valid UTF-8";
    b.delete_job(jobid);
}

TYPED_TEST(Conformance, ReclaimTakesOverOnlyAnUnconfirmedClaimOlderThanTheLease) {
    const auto jobid = this->new_job(1);
    const auto claim = this->backend->complete_part_and_claim_reduce(jobid, 0).reduce_claim;
    ASSERT_TRUE(claim);
    EXPECT_FALSE(this->backend->reclaim_reduce(jobid, std::chrono::hours(1))) << "took over a fresh claim";
    const auto first = this->backend->status(jobid).reduce_claimed_at_ms;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const auto taken = this->backend->reclaim_reduce(jobid, std::chrono::milliseconds(0));
    ASSERT_TRUE(taken);
    EXPECT_NE(*taken, *claim);
    const auto s = this->backend->status(jobid);
    EXPECT_TRUE(s.reduce_sent);
    EXPECT_FALSE(s.reduce_confirmed);
    ASSERT_TRUE(s.reduce_claimed_at_ms && first);
    EXPECT_GT(*s.reduce_claimed_at_ms, *first) << "the claim time must restart";
    EXPECT_FALSE(this->backend->claim_reduce(jobid));
}

TYPED_TEST(Conformance, ReclaimIsWonByOneOfManyRacingCallers) {
    // The backend's clock stands still while the callers race, whenever each of them arrives: the
    // claim is an hour old for the first caller, the winner's new claim is no time old for the rest.
    std::atomic<std::int64_t> now{wall_clock_ms()};
    const auto backend = TypeParam::make([&now] { return now.load(); });
    const std::string jobid = "conformance-" + wp::new_jobid();
    backend->set_total(jobid, 1);
    ASSERT_TRUE(backend->complete_part_and_claim_reduce(jobid, 0).reduce_claimed());
    now += 60 * 60 * 1000;
    constexpr int kCallers = 8;
    std::atomic<int> winners{0};
    std::atomic<int> waiting{kCallers};
    std::vector<std::thread> threads;
    for (int i = 0; i < kCallers; ++i) {
        threads.emplace_back([&] {
            --waiting;
            while (waiting.load() > 0) std::this_thread::yield();  // start together
            if (backend->reclaim_reduce(jobid, std::chrono::minutes(30))) ++winners;
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(winners.load(), 1);
    backend->delete_job(jobid);
}

// failure_reason: what the Part guard reads before each delivery when fail_job_on is set.
TYPED_TEST(Conformance, FailureReasonTellsWhetherAndWhyTheJobFailed) {
    const auto jobid = this->new_job(3);
    EXPECT_EQ(this->backend->failure_reason(jobid), std::nullopt);
    this->backend->complete_part(jobid, 1);
    EXPECT_EQ(this->backend->failure_reason(jobid), std::nullopt);
    this->backend->fail_job(jobid, "part 2 failed: corrupt tile");
    EXPECT_EQ(this->backend->failure_reason(jobid), std::optional<std::string>("part 2 failed: corrupt tile"));
    this->backend->set_total(jobid, 3, /*overwrite=*/true);
    EXPECT_EQ(this->backend->failure_reason(jobid), std::nullopt);
    EXPECT_THROW(this->backend->failure_reason("conformance-unknown-" + wp::new_jobid()), wp::JobDoesNotExist);
}

TYPED_TEST(Conformance, ReclaimRefusesIncompleteFailedUnclaimedAndUnknownJobs) {
    const auto incomplete = this->new_job(2);
    EXPECT_FALSE(this->backend->claim_reduce(incomplete));  // an incomplete job is never claimed
    EXPECT_FALSE(this->backend->reclaim_reduce(incomplete, std::chrono::milliseconds(0)));
    this->backend->complete_part(incomplete, 0);
    EXPECT_FALSE(this->backend->claim_reduce(incomplete));
    EXPECT_FALSE(this->backend->reclaim_reduce(incomplete, std::chrono::milliseconds(0)));

    const auto unclaimed = this->new_job(1);
    this->backend->complete_part(unclaimed, 0);
    EXPECT_FALSE(this->backend->reclaim_reduce(unclaimed, std::chrono::milliseconds(0)));
    EXPECT_FALSE(this->backend->status(unclaimed).reduce_sent);

    const auto failed = this->new_job(1);
    ASSERT_TRUE(this->backend->complete_part_and_claim_reduce(failed, 0).reduce_claimed());
    this->backend->fail_job(failed, "broken");
    EXPECT_FALSE(this->backend->reclaim_reduce(failed, std::chrono::milliseconds(0)));

    const std::string unknown = "conformance-unknown-" + wp::new_jobid();
    EXPECT_THROW(this->backend->reclaim_reduce(unknown, std::chrono::milliseconds(0)), wp::JobDoesNotExist);
    EXPECT_THROW(this->backend->confirm_reduce(unknown, "token"), wp::JobDoesNotExist);
}

TYPED_TEST(Conformance, CompleteAndClaimOnlyClaimsWhenTheLastPartCompletes) {
    const auto jobid = this->new_job(2);
    auto r = this->backend->complete_part_and_claim_reduce(jobid, 0);
    EXPECT_FALSE(r.job_complete);
    EXPECT_FALSE(r.reduce_claimed());
    EXPECT_FALSE(this->backend->status(jobid).reduce_sent);
    r = this->backend->complete_part_and_claim_reduce(jobid, 1);
    EXPECT_TRUE(r.job_complete);
    EXPECT_TRUE(r.reduce_claimed());
    r = this->backend->complete_part_and_claim_reduce(jobid, 1);
    EXPECT_TRUE(r.job_complete);
    EXPECT_FALSE(r.reduce_claimed());
}

TYPED_TEST(Conformance, FailJobRecordsTheReasonAndBlocksTheReduce) {
    const auto jobid = this->new_job(2);
    this->backend->fail_job(jobid, "part 1 failed: bad input");
    auto s = this->backend->status(jobid);
    EXPECT_TRUE(s.failed);
    ASSERT_TRUE(s.reason.has_value());
    EXPECT_EQ(*s.reason, "part 1 failed: bad input");
    this->backend->complete_part(jobid, 0);
    const auto r = this->backend->complete_part_and_claim_reduce(jobid, 1);
    EXPECT_TRUE(r.job_complete);
    EXPECT_FALSE(r.reduce_claimed());
    EXPECT_FALSE(this->backend->claim_reduce(jobid));
    this->backend->fail_job(jobid, "second reason");
    EXPECT_EQ(this->backend->status(jobid).reason.value_or(""), "second reason");
}

TYPED_TEST(Conformance, SetMetadataMergesTopLevelKeys) {
    const auto jobid = this->new_job(1);
    this->backend->set_metadata(jobid, {{"name", "alpha"}, {"count", 3}, {"nested", {{"a", 1}}}});
    this->backend->set_metadata(jobid, {{"name", "beta"}, {"flag", true}});
    const auto m = this->backend->status(jobid).metadata;
    EXPECT_EQ(m.value("name", ""), "beta");
    EXPECT_EQ(m.value("count", 0), 3);
    EXPECT_EQ(m.value("flag", false), true);
    EXPECT_EQ(m["nested"], (nlohmann::json{{"a", 1}}));
    EXPECT_EQ(m.size(), 4u);
    EXPECT_THROW(this->backend->set_metadata(jobid, nlohmann::json::array({1, 2})), wp::InvalidInput);
}

TYPED_TEST(Conformance, StatusFiguresFollowCompletions) {
    const auto jobid = this->new_job(8);
    for (wp::PartId p : {0, 3, 5}) this->backend->complete_part(jobid, p);
    const auto s = this->backend->status(jobid);
    EXPECT_EQ(s.total, 8);
    EXPECT_EQ(s.remaining, 5);
    EXPECT_DOUBLE_EQ(s.progress, 3.0 / 8.0);
    EXPECT_FALSE(s.complete());
    const nlohmann::json j = s.to_json();
    EXPECT_EQ(j["total"], 8);
    EXPECT_EQ(j["remaining"], 5);
    EXPECT_EQ(j["reduceSent"], false);
    EXPECT_FALSE(j.contains("error"));
}

TYPED_TEST(Conformance, PendingPartsAreListedInAscendingNumericOrder) {
    const auto jobid = this->new_job(25);
    for (wp::PartId p = 0; p < 25; p += 3) this->backend->complete_part(jobid, p);
    std::vector<wp::PartId> expected;
    for (wp::PartId p = 0; p < 25; ++p) {
        if (p % 3 != 0) expected.push_back(p);
    }
    EXPECT_EQ(this->backend->list_pending_parts(jobid), expected);
}

TYPED_TEST(Conformance, ListJobsVisitsEveryJob) {
    std::set<std::string> created;
    for (int i = 0; i < 150; ++i) created.insert(this->new_job(1 + i % 4));
    const auto done = *created.begin();
    this->backend->complete_part(done, 0);
    std::set<std::string> seen;
    int duplicates = 0;
    this->backend->list_jobs([&](const wp::JobStatus& s) {
        if (!created.count(s.jobid)) return;
        if (!seen.insert(s.jobid).second) ++duplicates;
        if (s.jobid == done) {
            EXPECT_EQ(s.remaining, s.total - 1);
        }
        EXPECT_GE(s.total, 1);
    });
    EXPECT_EQ(seen, created);
    EXPECT_EQ(duplicates, 0);
    for (const auto& jobid : created) this->backend->delete_job(jobid);
}

TYPED_TEST(Conformance, DeleteJobRemovesEveryRecord) {
    const auto jobid = this->new_job(3);
    this->backend->set_metadata(jobid, {{"k", "v"}});
    this->backend->complete_part(jobid, 0);
    EXPECT_TRUE(this->backend->delete_job(jobid));
    EXPECT_THROW(this->backend->status(jobid), wp::JobDoesNotExist);
    EXPECT_THROW(this->backend->complete_part(jobid, 1), wp::JobDoesNotExist);
    EXPECT_FALSE(this->backend->delete_job(jobid));
    this->backend->set_total(jobid, 2);  // the id is free again
    EXPECT_EQ(this->backend->status(jobid).remaining, 2);
    EXPECT_TRUE(this->backend->status(jobid).metadata.empty());
}

// ---------------------------------------------------------------------------------------------
// The Part guard on every backend.

struct FatalInput : std::runtime_error {
    using std::runtime_error::runtime_error;
};
struct Transient : std::runtime_error {
    using std::runtime_error::runtime_error;
};

template <class Factory>
class GuardConformance : public Conformance<Factory> {};
TYPED_TEST_SUITE(GuardConformance, wp_test::AllBackends, wp_test::BackendNames);

// 25 threads complete a job where every part is delivered 3 times in random order. A delivery that
// fails with ReducePending (it found the job complete while another delivery's claim was still
// unconfirmed) is delivered again, as watchbot redelivers a message whose worker failed, until one
// succeeds: none may be dropped.
template <class Options>
void run_duplicated_job(wp::Backend& backend, const std::string& jobid, std::int64_t total, unsigned seed,
                        const Options& options) {
    std::vector<wp::PartId> deliveries;
    for (int copy = 0; copy < 3; ++copy) {
        for (wp::PartId p = 0; p < total; ++p) deliveries.push_back(p);
    }
    std::mt19937 rng(seed);
    std::shuffle(deliveries.begin(), deliveries.end(), rng);
    std::atomic<std::size_t> next{0};
    std::atomic<int> ran{0};
    std::mutex redeliver_mutex;
    std::vector<wp::PartId> redeliver;
    std::vector<std::thread> threads;
    for (int t = 0; t < 25; ++t) {
        threads.emplace_back([&] {
            for (std::size_t i = next++; i < deliveries.size(); i = next++) {
                try {
                    wp::Part(jobid, deliveries[i], options).run([&] { ++ran; });
                } catch (const wp::ReducePending&) {
                    std::lock_guard lock(redeliver_mutex);
                    redeliver.push_back(deliveries[i]);
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(ran.load(), static_cast<int>(deliveries.size()));
    // Every thread is done, so every claim is confirmed: each redelivery succeeds at once.
    for (const wp::PartId p : redeliver) EXPECT_NO_THROW(wp::Part(jobid, p, options).run([] {}));
    (void)backend;
}

TYPED_TEST(GuardConformance, DuplicatedConcurrentDeliveriesSendExactlyOneReduce) {
    const int parts = wp_test::scaled(TypeParam::kStressParts, 50);
    for (unsigned seed : {1u, 7u, 42u}) {
        auto notifier = std::make_shared<wp::MemoryNotifier>();
        const auto jobid = this->new_job(parts);
        this->backend->set_metadata(jobid, {{"seed", seed}});
        run_duplicated_job(*this->backend, jobid, parts, seed,
                           wp::PartOptions{.backend = this->backend, .notifier = notifier});
        const auto s = this->backend->status(jobid);
        EXPECT_EQ(s.remaining, 0) << "seed " << seed;
        EXPECT_TRUE(s.reduce_sent);
        const auto reduces = notifier->messages("reduce");
        ASSERT_EQ(reduces.size(), 1u) << "seed " << seed;
        EXPECT_EQ(nlohmann::json::parse(reduces[0].body),
                  (nlohmann::json{{"jobid", jobid}, {"metadata", {{"seed", seed}}}}));
        this->backend->delete_job(jobid);
    }
}

TYPED_TEST(GuardConformance, DuplicatedConcurrentDeliveriesCallOnReduceExactlyOnce) {
    std::atomic<int> calls{0};
    const int parts = wp_test::scaled(TypeParam::kStressParts, 50);
    const auto jobid = this->new_job(parts);
    wp::PartOptions options{.backend = this->backend};
    options.on_reduce = [&](const std::string& id, const nlohmann::json& metadata) {
        EXPECT_EQ(id, jobid);
        EXPECT_TRUE(metadata.is_object());
        ++calls;
    };
    run_duplicated_job(*this->backend, jobid, parts, 99u, options);
    EXPECT_EQ(calls.load(), 1);
    this->backend->delete_job(jobid);
}

TYPED_TEST(GuardConformance, LateDuplicateAfterCompletionSendsNoSecondReduce) {
    auto notifier = std::make_shared<wp::MemoryNotifier>();
    const auto jobid = this->new_job(3);
    const wp::PartOptions options{.backend = this->backend, .notifier = notifier};
    for (wp::PartId p = 0; p < 3; ++p) wp::Part(jobid, p, options).run([] {});
    EXPECT_EQ(notifier->messages("reduce").size(), 1u);
    for (wp::PartId p = 0; p < 3; ++p) wp::Part(jobid, p, options).run([] {});
    EXPECT_EQ(notifier->messages("reduce").size(), 1u);
}

TYPED_TEST(GuardConformance, MatchingExceptionFailsTheJobAndIsRethrownUnchanged) {
    auto notifier = std::make_shared<wp::MemoryNotifier>();
    const auto jobid = this->new_job(3);
    const wp::PartOptions options{.backend = this->backend, .notifier = notifier,
                                  .fail_job_on = wp::fail_on<FatalInput, std::bad_alloc>()};
    const std::exception_ptr original = std::make_exception_ptr(FatalInput("corrupt tile"));
    try {
        wp::Part(jobid, 1, options).run([&] { std::rethrow_exception(original); });
        FAIL() << "the guard swallowed the exception";
    } catch (const FatalInput& e) {
        EXPECT_STREQ(e.what(), "corrupt tile");
        EXPECT_EQ(std::current_exception(), original) << "not the same exception object";
    }
    const auto s = this->backend->status(jobid);
    EXPECT_TRUE(s.failed);
    ASSERT_TRUE(s.reason.has_value());
    EXPECT_THAT(*s.reason, ::testing::HasSubstr("part 1"));
    EXPECT_THAT(*s.reason, ::testing::HasSubstr("corrupt tile"));
    EXPECT_FALSE(this->backend->part_complete(jobid, 1));

    bool ran = false;
    EXPECT_THROW(wp::Part(jobid, 2, options).run([&] { ran = true; }), wp::JobFailed);
    EXPECT_FALSE(ran);
    EXPECT_TRUE(notifier->messages("reduce").empty());
}

TYPED_TEST(GuardConformance, NonMatchingExceptionLeavesTheJobUntouched) {
    const auto jobid = this->new_job(2);
    auto notifier = std::make_shared<wp::MemoryNotifier>();
    const wp::PartOptions options{.backend = this->backend, .notifier = notifier,
                                  .fail_job_on = wp::fail_on<FatalInput>()};
    EXPECT_THROW(wp::Part(jobid, 0, options).run([] { throw Transient("network blip"); }), Transient);
    EXPECT_THROW(wp::Part(jobid, 0, options).run([] { throw 42; }), int);
    const auto s = this->backend->status(jobid);
    EXPECT_FALSE(s.failed);
    EXPECT_EQ(s.remaining, 2);
    // The retry succeeds.
    EXPECT_EQ(wp::Part(jobid, 0, options).run([] { return 7; }), 7);
    EXPECT_EQ(this->backend->status(jobid).remaining, 1);
}

TYPED_TEST(GuardConformance, WithoutFailJobOnNoExceptionFailsTheJob) {
    const auto jobid = this->new_job(1);
    auto notifier = std::make_shared<wp::MemoryNotifier>();
    EXPECT_THROW(wp::with_part(jobid, 0, {.backend = this->backend, .notifier = notifier},
                               [] { throw FatalInput("x"); }),
                 FatalInput);
    EXPECT_FALSE(this->backend->status(jobid).failed);
}

// A notifier that fails its first `failures` publishes, with a refusal (not retryable: nothing went
// out) or with an error that leaves the outcome unknown (retryable: a timeout, a 5xx).
class FlakyNotifier final : public wp::Notifier {
public:
    explicit FlakyNotifier(int failures, bool refusal = true) : failures_(failures), refusal_(refusal) {}
    void do_publish(const std::string& subject, const std::string& body) override {
        if (failures_-- > 0) {
            if (refusal_) throw wp::BackendError("injected publish refusal", "AuthorizationError", false);
            throw wp::BackendError("injected publish timeout", "TimeoutError", true);
        }
        inner.publish(subject, body);
    }
    std::string describe() const override { return "flaky://"; }
    wp::MemoryNotifier inner;

private:
    std::atomic<int> failures_;
    bool refusal_;
};

TYPED_TEST(GuardConformance, RefusedReduceIsReleasedAndSentOnRedelivery) {
    auto notifier = std::make_shared<FlakyNotifier>(1);
    const auto jobid = this->new_job(2);
    const wp::PartOptions options{.backend = this->backend, .notifier = notifier};
    wp::Part(jobid, 0, options).run([] {});
    EXPECT_THROW(wp::Part(jobid, 1, options).run([] {}), wp::BackendError);
    EXPECT_FALSE(this->backend->status(jobid).reduce_sent);
    EXPECT_TRUE(notifier->inner.messages("reduce").empty());
    wp::Part(jobid, 1, options).run([] {});  // watchbot redelivers the message
    EXPECT_EQ(notifier->inner.messages("reduce").size(), 1u);
    wp::Part(jobid, 0, options).run([] {});
    EXPECT_EQ(notifier->inner.messages("reduce").size(), 1u);
}

// A publish whose outcome is unknown (it timed out: SNS may have taken it) keeps the claim: a
// redelivery within the lease fails retryably, one after the lease takes the claim over and sends.
TYPED_TEST(GuardConformance, ReduceOfUnknownOutcomeKeepsItsClaimUntilTheLease) {
    auto notifier = std::make_shared<FlakyNotifier>(1, /*refusal=*/false);
    const auto jobid = this->new_job(1);
    wp::PartOptions options{.backend = this->backend, .notifier = notifier};
    EXPECT_THROW(wp::Part(jobid, 0, options).run([] {}), wp::BackendError);
    auto s = this->backend->status(jobid);
    EXPECT_TRUE(s.reduce_sent) << "the claim of a send of unknown outcome was given back";
    EXPECT_FALSE(s.reduce_confirmed);
    EXPECT_THROW(wp::Part(jobid, 0, options).run([] {}), wp::ReducePending);
    EXPECT_TRUE(notifier->inner.messages("reduce").empty());
    options.reduce_lease = std::chrono::milliseconds(0);
    wp::Part(jobid, 0, options).run([] {});
    EXPECT_EQ(notifier->inner.messages("reduce").size(), 1u);
    EXPECT_TRUE(this->backend->status(jobid).reduce_confirmed);
}

// Publishes nothing on its first call: waits there until `release_first` is called, then fails.
// Later calls are recorded in `inner`.
class HeldNotifier final : public wp::Notifier {
public:
    void do_publish(const std::string& subject, const std::string& body) override {
        std::unique_lock lock(mutex_);
        if (calls_++ == 0) {
            entered_ = true;
            changed_.notify_all();
            changed_.wait(lock, [&] { return released_; });
            throw wp::BackendError("injected publish failure after a long wait", "InternalError", true);
        }
        lock.unlock();
        inner.publish(subject, body);
    }
    std::string describe() const override { return "held://"; }
    void wait_until_first_entered() {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return entered_; });
    }
    void release_first() {
        std::lock_guard lock(mutex_);
        released_ = true;
        changed_.notify_all();
    }
    wp::MemoryNotifier inner;

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    int calls_ = 0;
    bool entered_ = false;
    bool released_ = false;
};

// Worker A claims the reduce and is still publishing when its lease passes; a redelivery (B)
// takes the claim over, sends and confirms. Then A's publish fails and A releases its claim: that
// must change nothing, so no later delivery sends a second reduce.
TYPED_TEST(GuardConformance, ALateReleaseAfterATakeOverSendsNoSecondReduce) {
    auto notifier = std::make_shared<HeldNotifier>();
    const auto jobid = this->new_job(1);
    std::thread a([&] {
        EXPECT_THROW(wp::Part(jobid, 0, {.backend = this->backend, .notifier = notifier}).run([] {}), wp::BackendError);
    });
    notifier->wait_until_first_entered();
    const wp::PartOptions after_lease{.backend = this->backend, .notifier = notifier,
                                      .reduce_lease = std::chrono::milliseconds(0)};
    wp::Part(jobid, 0, after_lease).run([] {});  // B
    EXPECT_EQ(notifier->inner.messages("reduce").size(), 1u);
    EXPECT_TRUE(this->backend->status(jobid).reduce_confirmed);
    notifier->release_first();
    a.join();
    const auto s = this->backend->status(jobid);
    EXPECT_TRUE(s.reduce_sent) << "A's late release gave B's claim back";
    EXPECT_TRUE(s.reduce_confirmed);
    for (int i = 0; i < 3; ++i) wp::Part(jobid, 0, after_lease).run([] {});
    EXPECT_EQ(notifier->inner.messages("reduce").size(), 1u);
}

TYPED_TEST(GuardConformance, SentReduceIsConfirmed) {
    auto notifier = std::make_shared<wp::MemoryNotifier>();
    const auto jobid = this->new_job(2);
    const wp::PartOptions options{.backend = this->backend, .notifier = notifier};
    wp::Part(jobid, 0, options).run([] {});
    EXPECT_FALSE(this->backend->status(jobid).reduce_confirmed);
    wp::Part(jobid, 1, options).run([] {});
    const auto s = this->backend->status(jobid);
    EXPECT_TRUE(s.reduce_sent);
    EXPECT_TRUE(s.reduce_confirmed);
    EXPECT_EQ(notifier->messages("reduce").size(), 1u);
}

TYPED_TEST(GuardConformance, ClaimOfACrashedWorkerIsTakenOverAfterTheLease) {
    auto notifier = std::make_shared<wp::MemoryNotifier>();
    const auto jobid = this->new_job(2);
    wp::PartOptions options{.backend = this->backend, .notifier = notifier};
    wp::Part(jobid, 0, options).run([] {});
    // The worker of part 1 completes it and wins the claim, then dies before publishing.
    ASSERT_TRUE(this->backend->complete_part_and_claim_reduce(jobid, 1).reduce_claimed());
    // Redelivered within the lease: the claim stands, nothing is sent, and the delivery must not
    // report success (the queue would delete the message, and no delivery would come after the
    // lease): it fails retryably.
    try {
        wp::Part(jobid, 1, options).run([] {});
        FAIL() << "a delivery within another's unconfirmed claim reported success";
    } catch (const wp::ReducePending& e) {
        EXPECT_EQ(e.jobid(), jobid);
        EXPECT_TRUE(e.retryable());
        EXPECT_EQ(e.code(), "ReducePending");
        EXPECT_GT(e.retry_after_ms(), 0);
    }
    EXPECT_THROW(wp::Part(jobid, 0, options).run([] {}), wp::ReducePending) << "any part's late delivery";
    EXPECT_TRUE(notifier->messages("reduce").empty());
    // Redelivered after the lease: this delivery takes the claim over and sends the reduce, once.
    options.reduce_lease = std::chrono::milliseconds(0);
    wp::Part(jobid, 1, options).run([] {});
    ASSERT_EQ(notifier->messages("reduce").size(), 1u);
    EXPECT_EQ(nlohmann::json::parse(notifier->messages("reduce")[0].body)["jobid"], jobid);
    EXPECT_TRUE(this->backend->status(jobid).reduce_confirmed);
    wp::Part(jobid, 0, options).run([] {});
    EXPECT_EQ(notifier->messages("reduce").size(), 1u) << "a confirmed reduce was sent again";
}

// The last part's completion was written, and its worker died before it claimed (or its claim was
// given back): the redelivery claims and sends.
TYPED_TEST(GuardConformance, CompletionWithoutAClaimIsClaimedByTheRedelivery) {
    auto notifier = std::make_shared<wp::MemoryNotifier>();
    const auto jobid = this->new_job(2);
    const wp::PartOptions options{.backend = this->backend, .notifier = notifier};
    wp::Part(jobid, 0, options).run([] {});
    ASSERT_TRUE(this->backend->complete_part(jobid, 1));
    wp::Part(jobid, 0, options).run([] {});  // a late duplicate of another part
    EXPECT_EQ(notifier->messages("reduce").size(), 1u);
    wp::Part(jobid, 1, options).run([] {});
    EXPECT_EQ(notifier->messages("reduce").size(), 1u);
    EXPECT_TRUE(this->backend->status(jobid).reduce_confirmed);
}

// A failed job gets no reduce, and its late deliveries succeed (nothing to wait for).
TYPED_TEST(GuardConformance, LateDeliveryOfACompleteFailedJobSucceedsWithoutAReduce) {
    auto notifier = std::make_shared<wp::MemoryNotifier>();
    const auto jobid = this->new_job(1);
    ASSERT_TRUE(this->backend->complete_part(jobid, 0));
    this->backend->fail_job(jobid, "given up");
    wp::Part(jobid, 0, {.backend = this->backend, .notifier = notifier}).run([] {});
    EXPECT_TRUE(notifier->messages("reduce").empty());
}

TYPED_TEST(GuardConformance, NegativeLeaseNeverTakesAClaimOver) {
    auto notifier = std::make_shared<wp::MemoryNotifier>();
    const auto jobid = this->new_job(1);
    ASSERT_TRUE(this->backend->complete_part_and_claim_reduce(jobid, 0).reduce_claimed());
    wp::Part(jobid, 0, {.backend = this->backend, .notifier = notifier, .reduce_lease = std::chrono::milliseconds(-1)})
        .run([] {});
    EXPECT_TRUE(notifier->messages("reduce").empty());
}

TYPED_TEST(GuardConformance, FailureToleranceCountsOnlyLastAttemptsAndFailsPastTheLimit) {
    auto notifier = std::make_shared<wp::MemoryNotifier>();
    const auto jobid = this->new_job(4);
    wp::PartOptions options{.backend = this->backend, .notifier = notifier};
    options.failure_tolerance = wp::FailureTolerance{.max_failed_parts = 1, .max_receive_count = 3, .receive_count = 2};
    // Not the last attempt: nothing recorded, watchbot retries.
    EXPECT_THROW(wp::Part(jobid, 0, options).run([] { throw Transient("flaky"); }), Transient);
    EXPECT_TRUE(this->backend->list_failed_parts(jobid).empty());
    // The last attempt: recorded, tolerated (1 <= 1), counted as done.
    options.failure_tolerance->receive_count = 3;
    EXPECT_THROW(wp::Part(jobid, 0, options).run([] { throw Transient("still flaky"); }), Transient);
    EXPECT_EQ(this->backend->list_failed_parts(jobid), (std::vector<wp::PartId>{0}));
    auto s = this->backend->status(jobid);
    EXPECT_FALSE(s.failed);
    EXPECT_EQ(s.remaining, 3);
    // A second part fails for good: over the limit, the job fails; later parts raise JobFailed.
    EXPECT_THROW(wp::Part(jobid, 2, options).run([] { throw Transient("broken"); }), Transient);
    s = this->backend->status(jobid);
    EXPECT_TRUE(s.failed);
    ASSERT_TRUE(s.reason.has_value());
    EXPECT_THAT(*s.reason, ::testing::HasSubstr("2 of 4 parts failed for good"));
    EXPECT_THAT(*s.reason, ::testing::HasSubstr("broken"));
    EXPECT_EQ(this->backend->list_failed_parts(jobid), (std::vector<wp::PartId>{0, 2}));
    options.fail_job_on = wp::fail_on<FatalInput>();
    EXPECT_THROW(wp::Part(jobid, 1, options).run([] {}), wp::JobFailed);
    EXPECT_TRUE(notifier->messages("reduce").empty());
}

TYPED_TEST(GuardConformance, ToleratedFailureOfTheLastPartSendsTheReduce) {
    auto notifier = std::make_shared<wp::MemoryNotifier>();
    const auto jobid = this->new_job(10);
    wp::PartOptions options{.backend = this->backend, .notifier = notifier};
    options.failure_tolerance = wp::FailureTolerance{.max_failed_fraction = 0.1, .max_receive_count = 10, .receive_count = 10};
    for (wp::PartId p = 0; p < 9; ++p) wp::Part(jobid, p, options).run([] {});
    EXPECT_THROW(wp::Part(jobid, 9, options).run([] { throw Transient("gone"); }), Transient);
    const auto s = this->backend->status(jobid);
    EXPECT_FALSE(s.failed);
    EXPECT_TRUE(s.complete());
    EXPECT_TRUE(s.reduce_confirmed);
    EXPECT_EQ(notifier->messages("reduce").size(), 1u);
    EXPECT_EQ(this->backend->list_failed_parts(jobid), (std::vector<wp::PartId>{9}));
}

// The guard records what a failed delivery said, on every failed delivery, and the exception
// still propagates unchanged.
TYPED_TEST(GuardConformance, AFailedDeliveryRecordsTheExceptionsText) {
    auto notifier = std::make_shared<wp::MemoryNotifier>();
    const auto jobid = this->new_job(3);
    wp::PartOptions options{.backend = this->backend, .notifier = notifier};
    options.failure_tolerance = wp::FailureTolerance{.max_failed_parts = 1, .max_receive_count = 5, .receive_count = 2};
    const std::int64_t before = wp::system_time_ms();
    try {
        wp::Part(jobid, 1, options).run([] { throw Transient("tile 1/2/3: no such object"); });
        FAIL() << "the exception did not propagate";
    } catch (const Transient& e) {
        EXPECT_STREQ(e.what(), "tile 1/2/3: no such object");
    }
    auto listed = this->backend->list_part_failures(jobid);
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].partid, 1);
    EXPECT_EQ(listed[0].text, "tile 1/2/3: no such object");
    EXPECT_EQ(listed[0].attempts, 2);
    EXPECT_FALSE(listed[0].exit_code.has_value());
    EXPECT_GE(listed[0].time_ms, before);
    EXPECT_TRUE(this->backend->list_failed_parts(jobid).empty()) << "not the last delivery";
    // The next delivery's failure replaces it; a job-failing one is recorded too.
    options.failure_tolerance->receive_count = 3;
    options.fail_job_on = wp::fail_on<FatalInput>();
    EXPECT_THROW(wp::Part(jobid, 1, options).run([] { throw FatalInput("corrupt"); }), FatalInput);
    listed = this->backend->list_part_failures(jobid);
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].text, "corrupt");
    EXPECT_EQ(listed[0].attempts, 3);
    EXPECT_TRUE(this->backend->status(jobid).failed);
}

// Failure tolerance let the job finish without a part: the reduce message says how many failed;
// a job without failed parts gets the message the other tools send.
TYPED_TEST(GuardConformance, AToleratedJobsReduceCountsItsFailedParts) {
    auto notifier = std::make_shared<wp::MemoryNotifier>();
    wp::PartOptions options{.backend = this->backend, .notifier = notifier};
    options.failure_tolerance = wp::FailureTolerance{.max_failed_parts = 2, .max_receive_count = 3, .receive_count = 3};
    const auto tolerated = this->new_job(4);
    wp::Part(tolerated, 0, options).run([] {});
    EXPECT_THROW(wp::Part(tolerated, 1, options).run([] { throw Transient("gone"); }), Transient);
    EXPECT_THROW(wp::Part(tolerated, 2, options).run([] { throw Transient("gone too"); }), Transient);
    wp::Part(tolerated, 3, options).run([] {});
    const auto clean = this->new_job(2);
    wp::Part(clean, 0, options).run([] {});
    wp::Part(clean, 1, options).run([] {});
    const auto reduces = notifier->messages("reduce");
    ASSERT_EQ(reduces.size(), 2u);
    EXPECT_EQ(nlohmann::json::parse(reduces[0].body),
              (nlohmann::json{{"jobid", tolerated}, {"metadata", nlohmann::json::object()}, {"failedParts", 2}}));
    EXPECT_EQ(nlohmann::json::parse(reduces[1].body), (nlohmann::json{{"jobid", clean}, {"metadata", nlohmann::json::object()}}));
}

TYPED_TEST(GuardConformance, FailureToleranceReadsTheReceiveCountFromTheEnvironment) {
    const auto jobid = this->new_job(2);
    wp::PartOptions options{.backend = this->backend, .notifier = std::make_shared<wp::MemoryNotifier>()};
    options.failure_tolerance = wp::FailureTolerance{.max_failed_parts = 5, .max_receive_count = 4};
    ::setenv("ApproximateReceiveCount", "3", 1);
    EXPECT_THROW(wp::Part(jobid, 1, options).run([] { throw Transient("x"); }), Transient);
    EXPECT_TRUE(this->backend->list_failed_parts(jobid).empty());
    ::setenv("ApproximateReceiveCount", "4", 1);
    EXPECT_THROW(wp::Part(jobid, 1, options).run([] { throw Transient("x"); }), Transient);
    ::unsetenv("ApproximateReceiveCount");
    EXPECT_EQ(this->backend->list_failed_parts(jobid), (std::vector<wp::PartId>{1}));
}

TYPED_TEST(GuardConformance, FailJobOnStillFailsAtOnceWithTolerance) {
    const auto jobid = this->new_job(3);
    wp::PartOptions options{.backend = this->backend, .notifier = std::make_shared<wp::MemoryNotifier>(),
                            .fail_job_on = wp::fail_on<FatalInput>()};
    options.failure_tolerance = wp::FailureTolerance{.max_failed_parts = 2, .receive_count = 1};
    EXPECT_THROW(wp::Part(jobid, 0, options).run([] { throw FatalInput("corrupt"); }), FatalInput);
    EXPECT_TRUE(this->backend->status(jobid).failed);
    EXPECT_TRUE(this->backend->list_failed_parts(jobid).empty());
}

TYPED_TEST(GuardConformance, CreateJobWritesTheJobAndPublishesEveryPart) {
    auto notifier = std::make_shared<wp::MemoryNotifier>();
    nlohmann::json parts = nlohmann::json::array();
    for (int i = 0; i < 23; ++i) parts.push_back({{"url", "s3://bucket/" + std::to_string(i)}});
    const std::string jobid = wp::create_job(
        parts, {.backend = this->backend, .notifier = notifier, .metadata = {{"owner", "me"}}, .workers = 4});
    const auto s = this->backend->status(jobid);
    EXPECT_EQ(s.total, 23);
    EXPECT_EQ(s.remaining, 23);
    EXPECT_EQ(s.metadata, (nlohmann::json{{"owner", "me"}}));
    const auto maps = notifier->messages("map");
    ASSERT_EQ(maps.size(), 23u);
    std::set<wp::PartId> partids;
    for (const auto& m : maps) {
        const auto msg = wp::parse_map_message(m.body);
        EXPECT_EQ(msg.jobid, jobid);
        EXPECT_EQ(msg.metadata, (nlohmann::json{{"owner", "me"}}));
        EXPECT_EQ(msg.body["url"], "s3://bucket/" + std::to_string(msg.partid));
        partids.insert(msg.partid);
    }
    EXPECT_EQ(partids.size(), 23u);
    EXPECT_EQ(*partids.begin(), 0);
    EXPECT_EQ(*partids.rbegin(), 22);
}

}  // namespace
