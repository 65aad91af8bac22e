// Alerts (alerts.hpp) on the memory backend: the states' names, the message, send_alert's mark and
// its release, the Part guard's alerts never changing the worker's outcome, the AlertTopic default,
// and a user's backend without do_claim_alert.

#include <cstdlib>
#include <stdexcept>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "watchbot_progress/watchbot_progress.hpp"

namespace wp = watchbot_progress;
using nlohmann::json;
using ::testing::HasSubstr;

namespace {

struct FatalInput : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A notifier that refuses (not retryable: nothing went out) or times out (retryable: unknown).
struct BrokenNotifier : wp::ForwardingNotifier {
    using wp::ForwardingNotifier::ForwardingNotifier;
    bool retryable = false;
    int calls = 0;
    void do_publish(const std::string&, const std::string&) override {
        ++calls;
        throw wp::BackendError("publish broke", retryable ? "Timeout" : "AuthorizationError", retryable);
    }
};

TEST(Alerts, StateNamesRoundTrip) {
    EXPECT_EQ(wp::to_string(wp::AlertState::kFailed), "failed");
    EXPECT_EQ(wp::to_string(wp::AlertState::kStalled), "stalled");
    EXPECT_EQ(wp::to_string(wp::AlertState::kReduceOverdue), "reduce-overdue");
    EXPECT_EQ(wp::to_string(wp::AlertState::kPartDead), "part-dead");
    for (const wp::AlertState s : wp::kAlertStates) EXPECT_EQ(wp::parse_alert_state(wp::to_string(s)), s);
    try {
        wp::parse_alert_state("exploded");
        FAIL();
    } catch (const wp::InvalidInput& e) {
        EXPECT_THAT(e.what(), HasSubstr("failed, stalled, reduce-overdue or part-dead"));
    }
}

TEST(Alerts, MessageHasTheDocumentedFieldsAndReadsBack) {
    wp::Alert alert;
    alert.jobid = "job-1";
    alert.state = wp::AlertState::kPartDead;
    alert.total = 12;
    alert.remaining = 3;
    alert.failed_parts = 2;
    alert.first_failed_parts = {4, 7};
    alert.reason = "part 7 failed on its last delivery";
    alert.time_ms = 1'765'000'000'123;
    const json body = json::parse(wp::alert_message_body(alert));
    EXPECT_EQ(body, (json{{"jobid", "job-1"},
                          {"state", "part-dead"},
                          {"total", 12},
                          {"remaining", 3},
                          {"failedParts", 2},
                          {"firstFailedParts", {4, 7}},
                          {"reason", "part 7 failed on its last delivery"},
                          {"time", "2025-12-06T05:46:40.123Z"},
                          {"timeMs", 1'765'000'000'123}}));
    const wp::Alert back = wp::Alert::from_json(body);
    EXPECT_EQ(back.jobid, alert.jobid);
    EXPECT_EQ(back.state, alert.state);
    EXPECT_EQ(back.first_failed_parts, alert.first_failed_parts);
    EXPECT_EQ(back.time_ms, alert.time_ms);
    EXPECT_THROW(wp::Alert::from_json(json{{"jobid", "x"}}), wp::InvalidInput);
}

TEST(Alerts, MakeAlertListsAtMostTenFailedParts) {
    wp::MemoryBackend backend;
    backend.set_total("job", 40);
    for (wp::PartId p = 39; p >= 20; --p) backend.record_failed_part("job", p);
    backend.complete_part("job", 0);
    const wp::Alert a = wp::make_alert(backend, "job", wp::AlertState::kStalled, "why", 5);
    EXPECT_EQ(a.total, 40);
    EXPECT_EQ(a.remaining, 39);
    EXPECT_EQ(a.failed_parts, 20);
    EXPECT_EQ(a.first_failed_parts, (std::vector<std::int64_t>{20, 21, 22, 23, 24, 25, 26, 27, 28, 29}));
    EXPECT_EQ(a.reason, "why");
    EXPECT_EQ(a.time_ms, 5);
}

TEST(Alerts, SendAlertSendsOncePerJobAndState) {
    wp::MemoryBackend backend;
    wp::MemoryNotifier notifier;
    backend.set_total("job", 2);
    const wp::Alert a = wp::make_alert(backend, "job", wp::AlertState::kFailed, "broken", 1);
    EXPECT_TRUE(wp::send_alert(backend, notifier, a));
    EXPECT_FALSE(wp::send_alert(backend, notifier, a));
    const auto sent = notifier.messages();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].subject, wp::kAlertSubject);
    EXPECT_EQ(json::parse(sent[0].body)["state"], "failed");
    wp::Alert other = a;
    other.state = wp::AlertState::kStalled;
    EXPECT_TRUE(wp::send_alert(backend, notifier, other));
    EXPECT_THROW(wp::send_alert(backend, notifier, wp::Alert{.jobid = "nope"}), wp::JobDoesNotExist);
}

// A refusal gives the mark back (a later detection sends the alert); an unknown outcome keeps it
// (the alert may be out: at most once).
TEST(Alerts, RefusedPublishReleasesTheMarkUnknownOutcomeKeepsIt) {
    wp::MemoryBackend backend;
    backend.set_total("job", 1);
    auto sink = std::make_shared<wp::MemoryNotifier>();
    BrokenNotifier broken(sink);
    const wp::Alert a = wp::make_alert(backend, "job", wp::AlertState::kFailed, "x", 1);
    EXPECT_THROW(wp::send_alert(backend, broken, a), wp::BackendError);
    EXPECT_TRUE(backend.claim_alert("job", wp::AlertState::kFailed)) << "a refusal must give the mark back";

    const wp::Alert b = wp::make_alert(backend, "job", wp::AlertState::kStalled, "x", 1);
    broken.retryable = true;
    EXPECT_THROW(wp::send_alert(backend, broken, b), wp::BackendError);
    EXPECT_FALSE(backend.claim_alert("job", wp::AlertState::kStalled)) << "an unknown outcome keeps the mark";
}

// A backend of the user's that does not implement do_claim_alert: alerts cannot be sent at most once
// there, so claiming is a ConfigError saying what to implement (and unknown jobs still JobDoesNotExist).
TEST(Alerts, DefaultClaimOfAUserBackendIsAConfigError) {
    struct UserBackend : wp::ForwardingBackend {
        using wp::ForwardingBackend::ForwardingBackend;
        bool do_claim_alert(const std::string& jobid, wp::AlertState state) override {
            return Backend::do_claim_alert(jobid, state);  // the base's default
        }
        void do_release_alert(const std::string& jobid, wp::AlertState state) override {
            Backend::do_release_alert(jobid, state);
        }
    };
    UserBackend backend(std::make_shared<wp::MemoryBackend>());
    backend.set_total("job", 1);
    try {
        backend.claim_alert("job", wp::AlertState::kFailed);
        FAIL();
    } catch (const wp::ConfigError& e) {
        EXPECT_THAT(e.what(), HasSubstr("do_claim_alert"));
    }
    EXPECT_THROW(backend.claim_alert("other", wp::AlertState::kFailed), wp::JobDoesNotExist);
    EXPECT_NO_THROW(backend.release_alert("job", wp::AlertState::kFailed));
}

// Sending an alert never changes the guard's outcome: the worker's own exception propagates, the job
// is failed, and the broken notifier's error is only reported.
TEST(AlertsGuard, ABrokenAlertTopicChangesNothingForTheWorker) {
    auto backend = std::make_shared<wp::MemoryBackend>();
    backend->set_total("job", 3);
    auto broken = std::make_shared<BrokenNotifier>(std::make_shared<wp::MemoryNotifier>());
    wp::PartOptions options{.backend = backend, .notifier = std::make_shared<wp::MemoryNotifier>(),
                            .fail_job_on = wp::fail_on<FatalInput>()};
    options.alerts = broken;
    const std::exception_ptr original = std::make_exception_ptr(FatalInput("bad input"));
    try {
        wp::Part("job", 1, options).run([&] { std::rethrow_exception(original); });
        FAIL();
    } catch (const FatalInput&) {
        EXPECT_EQ(std::current_exception(), original);
    }
    EXPECT_EQ(broken->calls, 1);
    EXPECT_TRUE(backend->status("job").failed);
    EXPECT_TRUE(backend->claim_alert("job", wp::AlertState::kFailed)) << "refused: the mark was given back";

    // A part that succeeds sends nothing and still completes.
    EXPECT_THROW(wp::Part("job", 0, options).run([] {}), wp::JobFailed);
    EXPECT_EQ(broken->calls, 1);
}

TEST(AlertsGuard, OnFailedAloneIsCalledOnceAndTakesTheMark) {
    auto backend = std::make_shared<wp::MemoryBackend>();
    backend->set_total("job", 3);
    std::vector<wp::Alert> seen;
    wp::PartOptions options{.backend = backend, .notifier = std::make_shared<wp::MemoryNotifier>(),
                            .fail_job_on = wp::fail_on<FatalInput>()};
    options.on_failed = [&](const wp::Alert& a) {
        seen.push_back(a);
        throw std::runtime_error("the hook broke");  // reported, changes nothing
    };
    EXPECT_THROW(wp::Part("job", 2, options).run([] { throw FatalInput("corrupt"); }), FatalInput);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].state, wp::AlertState::kFailed);
    EXPECT_THAT(seen[0].reason, HasSubstr("part 2 failed: corrupt"));
    EXPECT_EQ(seen[0].total, 3);
    // A delivery that raced the first (it passed its failure check before the job failed) fails the
    // job again: the mark is taken, the hook is not called again.
    wp::Part("job", 1, options).fail(std::make_exception_ptr(FatalInput("also corrupt")));
    EXPECT_THAT(*backend->failure_reason("job"), HasSubstr("also corrupt"));
    EXPECT_EQ(seen.size(), 1u);
    EXPECT_FALSE(backend->claim_alert("job", wp::AlertState::kFailed));
}

// The AlertTopic environment variable is the guard's default alert topic.
TEST(AlertsGuard, AlertTopicVariableIsTheDefault) {
    auto backend = std::make_shared<wp::MemoryBackend>();
    backend->set_total("job", 2);
    ::setenv("AlertTopic", "memory://alerts-guard-test", 1);
    wp::PartOptions options{.backend = backend, .notifier = std::make_shared<wp::MemoryNotifier>(),
                            .fail_job_on = wp::fail_on<FatalInput>()};
    EXPECT_THROW(wp::Part("job", 0, options).run([] { throw FatalInput("no"); }), FatalInput);
    ::unsetenv("AlertTopic");
    auto alerts = std::dynamic_pointer_cast<wp::MemoryNotifier>(wp::open_notifier("memory://alerts-guard-test"));
    ASSERT_TRUE(alerts);
    ASSERT_EQ(alerts->messages(wp::kAlertSubject).size(), 1u);
    EXPECT_EQ(json::parse(alerts->messages()[0].body)["jobid"], "job");

    ::setenv("AlertTopic", "not-a-uri", 1);
    EXPECT_THROW(wp::Part("job", 1, options), wp::ConfigError);
    ::unsetenv("AlertTopic");
    EXPECT_EQ(wp::default_alert_notifier(), nullptr);
}

}  // namespace
