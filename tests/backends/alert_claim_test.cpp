// Alerts on every backend: the alert mark (Backend::claim_alert) is taken once per job and state,
// however many callers race, and the Part guard sends each of its alert states (failed, part-dead)
// exactly once per job when 25 workers hit the state at once.

#include <atomic>
#include <barrier>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "factories.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace wp = watchbot_progress;

namespace {

template <class Factory>
class AlertClaim : public ::testing::Test {
protected:
    void SetUp() override { backend = Factory::make(); }

    std::string new_job(std::int64_t total) {
        std::string jobid = "alerts-" + wp::new_jobid();
        backend->set_total(jobid, total);
        return jobid;
    }

    std::shared_ptr<wp::Backend> backend;
};

TYPED_TEST_SUITE(AlertClaim, wp_test::AllBackends, wp_test::BackendNames);

TYPED_TEST(AlertClaim, EachStateIsClaimedOnceThenRefused) {
    const auto jobid = this->new_job(3);
    for (const wp::AlertState state : wp::kAlertStates) {
        SCOPED_TRACE(wp::to_string(state));
        EXPECT_TRUE(this->backend->claim_alert(jobid, state));
        EXPECT_FALSE(this->backend->claim_alert(jobid, state));
        EXPECT_FALSE(this->backend->claim_alert(jobid, state));
    }
    this->backend->delete_job(jobid);
}

TYPED_TEST(AlertClaim, MarksLeaveTheJobAndItsReduceAlone) {
    const auto jobid = this->new_job(2);
    this->backend->set_metadata(jobid, {{"name", "kept"}});
    for (const wp::AlertState state : wp::kAlertStates) ASSERT_TRUE(this->backend->claim_alert(jobid, state));
    EXPECT_FALSE(this->backend->complete_part_and_claim_reduce(jobid, 0).job_complete);
    const wp::CompletionResult last = this->backend->complete_part_and_claim_reduce(jobid, 1);
    ASSERT_TRUE(last.reduce_claimed());
    EXPECT_TRUE(this->backend->confirm_reduce(jobid, *last.reduce_claim));
    const wp::JobStatus s = this->backend->status(jobid);
    EXPECT_EQ(s.remaining, 0);
    EXPECT_FALSE(s.failed);
    EXPECT_TRUE(s.reduce_sent);
    EXPECT_TRUE(s.reduce_confirmed);
    EXPECT_EQ(s.metadata, (nlohmann::json{{"name", "kept"}}));
    this->backend->delete_job(jobid);
}

TYPED_TEST(AlertClaim, OverwriteForgetsTheMarks) {
    const auto jobid = this->new_job(3);
    for (const wp::AlertState state : wp::kAlertStates) ASSERT_TRUE(this->backend->claim_alert(jobid, state));
    this->backend->set_total(jobid, 4, /*overwrite=*/true);
    for (const wp::AlertState state : wp::kAlertStates) {
        EXPECT_TRUE(this->backend->claim_alert(jobid, state)) << wp::to_string(state);
        EXPECT_FALSE(this->backend->claim_alert(jobid, state)) << wp::to_string(state);
    }
    this->backend->delete_job(jobid);
}

TYPED_TEST(AlertClaim, DeletingTheJobRemovesTheMarks) {
    const auto jobid = this->new_job(1);
    ASSERT_TRUE(this->backend->claim_alert(jobid, wp::AlertState::kFailed));
    ASSERT_TRUE(this->backend->delete_job(jobid));
    EXPECT_THROW(this->backend->claim_alert(jobid, wp::AlertState::kFailed), wp::JobDoesNotExist);
    this->backend->set_total(jobid, 1);
    EXPECT_TRUE(this->backend->claim_alert(jobid, wp::AlertState::kFailed));
    this->backend->delete_job(jobid);
}

TYPED_TEST(AlertClaim, UnknownJobIsJobDoesNotExistAndBadIdsInvalidInput) {
    const std::string unknown = "alerts-unknown-" + wp::new_jobid();
    EXPECT_THROW(this->backend->claim_alert(unknown, wp::AlertState::kStalled), wp::JobDoesNotExist);
    EXPECT_NO_THROW(this->backend->release_alert(unknown, wp::AlertState::kStalled));
    EXPECT_THROW(this->backend->status(unknown), wp::JobDoesNotExist);  // nothing created
    EXPECT_THROW(this->backend->claim_alert("", wp::AlertState::kFailed), wp::InvalidInput);
    EXPECT_THROW(this->backend->claim_alert("bad\nid", wp::AlertState::kFailed), wp::InvalidInput);
    EXPECT_THROW(this->backend->release_alert("", wp::AlertState::kFailed), wp::InvalidInput);
    const auto jobid = this->new_job(1);
    EXPECT_THROW(this->backend->claim_alert(jobid, static_cast<wp::AlertState>(42)), wp::InvalidInput);
    this->backend->delete_job(jobid);
}

TYPED_TEST(AlertClaim, ReleaseLetsTheNextCallerClaimAgain) {
    const auto jobid = this->new_job(2);
    this->backend->release_alert(jobid, wp::AlertState::kReduceOverdue);  // not taken: nothing happens
    ASSERT_TRUE(this->backend->claim_alert(jobid, wp::AlertState::kReduceOverdue));
    ASSERT_TRUE(this->backend->claim_alert(jobid, wp::AlertState::kStalled));
    this->backend->release_alert(jobid, wp::AlertState::kReduceOverdue);
    EXPECT_TRUE(this->backend->claim_alert(jobid, wp::AlertState::kReduceOverdue));
    EXPECT_FALSE(this->backend->claim_alert(jobid, wp::AlertState::kStalled));  // the other state's mark stays
    this->backend->delete_job(jobid);
}

// 25 threads released at once by a barrier claim every state of one job: exactly one wins each.
TYPED_TEST(AlertClaim, TwentyFiveConcurrentClaimersOneWinnerPerState) {
    constexpr int kThreads = 25;
    const int rounds = wp_test::scaled(4, 1);
    for (int round = 0; round < rounds; ++round) {
        const auto jobid = this->new_job(5);
        std::barrier start(kThreads);
        std::map<wp::AlertState, std::atomic<int>> wins;
        for (const wp::AlertState state : wp::kAlertStates) wins[state] = 0;
        std::atomic<int> errors{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                start.arrive_and_wait();
                for (int i = 0; i < 4; ++i) {
                    const wp::AlertState state = wp::kAlertStates[(t + i) % 4];
                    try {
                        if (this->backend->claim_alert(jobid, state)) ++wins.at(state);
                    } catch (...) {
                        ++errors;
                    }
                }
            });
        }
        for (auto& t : threads) t.join();
        EXPECT_EQ(errors.load(), 0);
        for (const wp::AlertState state : wp::kAlertStates) EXPECT_EQ(wins.at(state).load(), 1) << wp::to_string(state);
        this->backend->delete_job(jobid);
    }
}

// ---------------------------------------------------------------------------------------------
// The Part guard's alerts on every backend, 25 workers at once.

struct FatalInput : std::runtime_error {
    using std::runtime_error::runtime_error;
};
struct Flaky : std::runtime_error {
    using std::runtime_error::runtime_error;
};

template <class Factory>
class AlertGuard : public AlertClaim<Factory> {
protected:
    // Runs part i of `jobid` on thread i (25 threads released by a barrier), each throwing `Error`.
    template <class Error>
    void run_failing_parts(const std::string& jobid, const wp::PartOptions& options) {
        constexpr int kThreads = 25;
        std::barrier start(kThreads);
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                start.arrive_and_wait();
                try {
                    wp::Part(jobid, t, options).run([] { throw Error("part broke"); });
                } catch (const Error&) {
                } catch (const wp::JobFailed&) {
                } catch (const std::exception& e) {
                    ADD_FAILURE() << "part " << t << ": " << e.what();
                }
            });
        }
        for (auto& t : threads) t.join();
    }

    static std::vector<wp::Alert> alerts_of(const wp::MemoryNotifier& notifier, wp::AlertState state) {
        std::vector<wp::Alert> out;
        for (const auto& m : notifier.messages(wp::kAlertSubject)) {
            wp::Alert a = wp::Alert::from_json(nlohmann::json::parse(m.body));
            if (a.state == state) out.push_back(std::move(a));
        }
        return out;
    }
};
TYPED_TEST_SUITE(AlertGuard, wp_test::AllBackends, wp_test::BackendNames);

TYPED_TEST(AlertGuard, TwentyFiveWorkersFailingTheJobSendOneFailedAlertAndCallOnFailedOnce) {
    auto work = std::make_shared<wp::MemoryNotifier>();
    auto alerts = std::make_shared<wp::MemoryNotifier>();
    const auto jobid = this->new_job(25);
    std::atomic<int> hook_calls{0};
    wp::PartOptions options{.backend = this->backend, .notifier = work, .fail_job_on = wp::fail_on<FatalInput>()};
    options.alerts = alerts;
    options.on_failed = [&](const wp::Alert& alert) {
        EXPECT_EQ(alert.jobid, jobid);
        EXPECT_EQ(alert.state, wp::AlertState::kFailed);
        ++hook_calls;
    };
    this->template run_failing_parts<FatalInput>(jobid, options);
    EXPECT_TRUE(this->backend->status(jobid).failed);
    const auto failed = this->alerts_of(*alerts, wp::AlertState::kFailed);
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_EQ(failed[0].jobid, jobid);
    EXPECT_EQ(failed[0].total, 25);
    EXPECT_THAT(failed[0].reason, ::testing::HasSubstr("part broke"));
    EXPECT_EQ(hook_calls.load(), 1);
    EXPECT_EQ(alerts->messages().size(), 1u);
    EXPECT_TRUE(work->messages().empty()) << "an alert went to the work topic";

    // A later delivery, and a guard of a new process, send nothing more.
    EXPECT_THROW(wp::Part(jobid, 0, options).run([] {}), wp::JobFailed);
    EXPECT_EQ(alerts->messages().size(), 1u);
    this->backend->delete_job(jobid);
}

TYPED_TEST(AlertGuard, TwentyFiveLastDeliveriesFailingUnderToleranceSendOnePartDeadAlert) {
    auto alerts = std::make_shared<wp::MemoryNotifier>();
    const auto jobid = this->new_job(26);
    wp::PartOptions options{.backend = this->backend, .notifier = std::make_shared<wp::MemoryNotifier>()};
    options.failure_tolerance = wp::FailureTolerance{.max_failed_parts = 100, .max_receive_count = 3, .receive_count = 3};
    options.alerts = alerts;
    this->template run_failing_parts<Flaky>(jobid, options);
    const auto dead = this->alerts_of(*alerts, wp::AlertState::kPartDead);
    ASSERT_EQ(dead.size(), 1u);
    EXPECT_EQ(alerts->messages().size(), 1u);
    EXPECT_FALSE(this->backend->status(jobid).failed);
    EXPECT_EQ(this->backend->list_failed_parts(jobid).size(), 25u);
    EXPECT_THAT(dead[0].reason, ::testing::HasSubstr("last delivery"));
    EXPECT_GE(dead[0].failed_parts, 1);
    EXPECT_LE(dead[0].first_failed_parts.size(), wp::kAlertMaxListedParts);
    this->backend->delete_job(jobid);
}

TYPED_TEST(AlertGuard, ToleranceExceededByTwentyFiveWorkersSendsOneFailedAlert) {
    auto alerts = std::make_shared<wp::MemoryNotifier>();
    const auto jobid = this->new_job(30);
    wp::PartOptions options{.backend = this->backend, .notifier = std::make_shared<wp::MemoryNotifier>()};
    options.failure_tolerance = wp::FailureTolerance{.max_failed_parts = 2, .max_receive_count = 1, .receive_count = 1};
    options.alerts = alerts;
    this->template run_failing_parts<Flaky>(jobid, options);
    EXPECT_TRUE(this->backend->status(jobid).failed);
    const auto failed = this->alerts_of(*alerts, wp::AlertState::kFailed);
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_THAT(failed[0].reason, ::testing::HasSubstr("failed for good"));
    EXPECT_LE(this->alerts_of(*alerts, wp::AlertState::kPartDead).size(), 1u);
    this->backend->delete_job(jobid);
}

// No alert notifier and no hook: a failing guard takes no mark (no extra request), so a monitor
// configured later still sends the job's `failed` alert.
TYPED_TEST(AlertGuard, WithoutAnAlertTopicNoMarkIsTaken) {
    const auto jobid = this->new_job(2);
    const wp::PartOptions options{.backend = this->backend, .notifier = std::make_shared<wp::MemoryNotifier>(),
                                  .fail_job_on = wp::fail_on<FatalInput>()};
    EXPECT_THROW(wp::Part(jobid, 0, options).run([] { throw FatalInput("bad"); }), FatalInput);
    EXPECT_TRUE(this->backend->status(jobid).failed);
    EXPECT_TRUE(this->backend->claim_alert(jobid, wp::AlertState::kFailed));
    this->backend->delete_job(jobid);
}

}  // namespace
