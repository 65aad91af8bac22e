// What every backend reports of a job's operating records, the values the metrics add up
// (cli/dashboard/metrics.cpp): the alert marks taken (JobStatus::alerts_sent) and the repairs of its
// reduce (Backend::record_reduce_repair, JobStatus::reduce_repairs), by status and by list_jobs alike,
// forgotten by an overwrite and by deletion.

#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "factories.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace wp = watchbot_progress;

namespace {

using States = std::vector<wp::AlertState>;

template <class Factory>
class JobRecords : public ::testing::Test {
protected:
    void SetUp() override { backend = Factory::make(); }
    void TearDown() override {
        for (const auto& jobid : jobs) backend->delete_job(jobid);
    }

    std::string new_job(std::int64_t total) {
        std::string jobid = "records-" + wp::new_jobid();
        backend->set_total(jobid, total);
        jobs.push_back(jobid);
        return jobid;
    }

    // The job as list_jobs reports it.
    std::optional<wp::JobStatus> listed(const std::string& jobid) {
        std::optional<wp::JobStatus> found;
        backend->list_jobs([&](const wp::JobStatus& s) {
            if (s.jobid == jobid) found = s;
        });
        return found;
    }

    // status and list_jobs agree on both records.
    void expect_records(const std::string& jobid, const States& alerts, std::int64_t repairs) {
        const wp::JobStatus s = backend->status(jobid);
        EXPECT_EQ(s.alerts_sent, alerts) << "status";
        EXPECT_EQ(s.reduce_repairs, repairs) << "status";
        const auto l = listed(jobid);
        ASSERT_TRUE(l) << "list_jobs did not list " << jobid;
        EXPECT_EQ(l->alerts_sent, alerts) << "list_jobs";
        EXPECT_EQ(l->reduce_repairs, repairs) << "list_jobs";
    }

    std::shared_ptr<wp::Backend> backend;
    std::vector<std::string> jobs;
};

TYPED_TEST_SUITE(JobRecords, wp_test::AllBackends, wp_test::BackendNames);

TYPED_TEST(JobRecords, ANewJobHasNone) {
    const auto jobid = this->new_job(2);
    this->expect_records(jobid, {}, 0);
}

TYPED_TEST(JobRecords, AlertMarksAreReportedInStateOrder) {
    const auto jobid = this->new_job(2);
    ASSERT_TRUE(this->backend->claim_alert(jobid, wp::AlertState::kPartDead));
    ASSERT_TRUE(this->backend->claim_alert(jobid, wp::AlertState::kStalled));
    ASSERT_FALSE(this->backend->claim_alert(jobid, wp::AlertState::kStalled));
    this->expect_records(jobid, {wp::AlertState::kStalled, wp::AlertState::kPartDead}, 0);

    this->backend->release_alert(jobid, wp::AlertState::kStalled);  // given back: not sent
    this->expect_records(jobid, {wp::AlertState::kPartDead}, 0);

    for (const wp::AlertState state : wp::kAlertStates) this->backend->claim_alert(jobid, state);
    this->expect_records(jobid, States(std::begin(wp::kAlertStates), std::end(wp::kAlertStates)), 0);
}

TYPED_TEST(JobRecords, RepairsAreCountedAndLeaveTheJobAlone) {
    const auto jobid = this->new_job(1);
    this->backend->set_metadata(jobid, {{"name", "kept"}});
    const auto done = this->backend->complete_part_and_claim_reduce(jobid, 0);
    ASSERT_TRUE(done.reduce_claimed());
    this->backend->record_reduce_repair(jobid);
    this->backend->record_reduce_repair(jobid);
    this->backend->record_reduce_repair(jobid);
    this->expect_records(jobid, {}, 3);
    const wp::JobStatus s = this->backend->status(jobid);
    EXPECT_EQ(s.remaining, 0);
    EXPECT_TRUE(s.reduce_sent);
    EXPECT_FALSE(s.reduce_confirmed);
    EXPECT_EQ(s.metadata, (nlohmann::json{{"name", "kept"}}));
    EXPECT_TRUE(this->backend->confirm_reduce(jobid, *done.reduce_claim));  // the claim is untouched
}

TYPED_TEST(JobRecords, AnOverwriteForgetsBoth) {
    const auto jobid = this->new_job(2);
    ASSERT_TRUE(this->backend->claim_alert(jobid, wp::AlertState::kFailed));
    this->backend->record_reduce_repair(jobid);
    this->expect_records(jobid, {wp::AlertState::kFailed}, 1);
    this->backend->set_total(jobid, 3, /*overwrite=*/true);
    this->expect_records(jobid, {}, 0);
}

TYPED_TEST(JobRecords, DeletionForgetsBothAndAnUnknownJobIsRefused) {
    const auto jobid = this->new_job(1);
    ASSERT_TRUE(this->backend->claim_alert(jobid, wp::AlertState::kReduceOverdue));
    this->backend->record_reduce_repair(jobid);
    ASSERT_TRUE(this->backend->delete_job(jobid));
    EXPECT_THROW(this->backend->record_reduce_repair(jobid), wp::JobDoesNotExist);
    this->backend->set_total(jobid, 1);  // the same id again: a new job
    this->expect_records(jobid, {}, 0);
    EXPECT_THROW(this->backend->record_reduce_repair("records-never-created"), wp::JobDoesNotExist);
    EXPECT_THROW(this->backend->record_reduce_repair(""), wp::InvalidInput);
}

}  // namespace
