// The reduce protocol as a library function (reduce.hpp: send_claimed_reduce) and sweep (sweep.hpp),
// on the memory backend with an injected clock, and a forwarding backend that breaks one step.

#include <atomic>
#include <chrono>
#include <map>
#include <stdexcept>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "watchbot_progress/watchbot_progress.hpp"

namespace wp = watchbot_progress;
using nlohmann::json;
using ::testing::ElementsAre;

namespace {

struct SinkDown : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A memory backend whose wall clock the test moves.
struct ReduceEnv {
    std::shared_ptr<std::atomic<std::int64_t>> now = std::make_shared<std::atomic<std::int64_t>>(1'000'000);
    std::shared_ptr<wp::MemoryBackend> backend =
        std::make_shared<wp::MemoryBackend>([now = now] { return now->load(); });
    std::shared_ptr<wp::MemoryNotifier> notifier = std::make_shared<wp::MemoryNotifier>();

    // A complete job of one part, with metadata, whose claim nobody holds.
    std::string complete_job(const std::string& jobid = "job-1") {
        backend->set_total(jobid, 1);
        backend->set_metadata(jobid, {{"k", "v"}});
        EXPECT_TRUE(backend->complete_part(jobid, 0));
        return jobid;
    }
    wp::ReduceSink sink() const { return {notifier, {}}; }
};

// Fails the calls the test names.
class BreakingBackend : public wp::ForwardingBackend {
public:
    using ForwardingBackend::ForwardingBackend;
    bool fail_release = false;
    bool fail_confirm = false;
    int releases = 0;

protected:
    void do_release_reduce(const std::string& jobid, const wp::ClaimToken& token) override {
        ++releases;
        if (fail_release) throw wp::BackendError("release refused", "TestRelease", true);
        ForwardingBackend::do_release_reduce(jobid, token);
    }
    bool do_confirm_reduce(const std::string& jobid, const wp::ClaimToken& token) override {
        if (fail_confirm) throw wp::BackendError("confirm refused", "TestConfirm", true);
        return ForwardingBackend::do_confirm_reduce(jobid, token);
    }
};

// Fails confirm_reduce of one job.
class BreakingConfirm : public wp::ForwardingBackend {
public:
    BreakingConfirm(std::shared_ptr<wp::Backend> target, std::string jobid)
        : ForwardingBackend(std::move(target)), jobid_(std::move(jobid)) {}

protected:
    bool do_confirm_reduce(const std::string& jobid, const wp::ClaimToken& token) override {
        if (jobid == jobid_) throw wp::BackendError("confirm refused", "TestConfirm", true);
        return ForwardingBackend::do_confirm_reduce(jobid, token);
    }

private:
    std::string jobid_;
};

TEST(ReduceProtocol, SendsTheMetadataAndConfirms) {
    ReduceEnv env;
    const auto jobid = env.complete_job();
    const auto claim = env.backend->claim_reduce(jobid);
    ASSERT_TRUE(claim);
    const wp::SentReduce sent = wp::send_claimed_reduce(*env.backend, jobid, *claim, env.sink());
    EXPECT_EQ(sent.confirmation, wp::ReduceConfirmation::kConfirmed);
    EXPECT_FALSE(sent.confirm_error);
    const auto reduces = env.notifier->messages(wp::kReduceSubject);
    ASSERT_EQ(reduces.size(), 1u);
    EXPECT_EQ(json::parse(reduces[0].body), (json{{"jobid", jobid}, {"metadata", {{"k", "v"}}}}));
    EXPECT_TRUE(env.backend->status(jobid).reduce_confirmed);
    EXPECT_FALSE(env.backend->claim_reduce(jobid));
}

TEST(ReduceProtocol, OnReduceReplacesTheNotifier) {
    ReduceEnv env;
    const auto jobid = env.complete_job();
    std::vector<std::string> calls;
    const wp::ReduceSink sink{env.notifier, [&](const std::string& id, const json& metadata) {
                                  calls.push_back(id + " " + metadata.dump());
                              }};
    wp::send_claimed_reduce(*env.backend, jobid, env.backend->claim_reduce(jobid).value(), sink);
    EXPECT_THAT(calls, ElementsAre(jobid + " {\"k\":\"v\"}"));
    EXPECT_TRUE(env.notifier->messages().empty());
}

TEST(ReduceProtocol, AFailedSendGivesTheClaimBackAndThrowsTheSendError) {
    ReduceEnv env;
    const auto jobid = env.complete_job();
    const wp::ReduceSink failing{nullptr, [](const std::string&, const json&) { throw SinkDown("queue down"); }};
    EXPECT_THROW(wp::send_claimed_reduce(*env.backend, jobid, env.backend->claim_reduce(jobid).value(), failing),
                 SinkDown);
    EXPECT_FALSE(env.backend->status(jobid).reduce_sent);
    EXPECT_TRUE(env.backend->claim_reduce(jobid));  // the next delivery can claim it
}

// A notifier that throws the error it is given.
class ThrowingNotifier final : public wp::Notifier {
public:
    explicit ThrowingNotifier(std::exception_ptr error) : error_(std::move(error)) {}
    void do_publish(const std::string&, const std::string&) override { std::rethrow_exception(error_); }
    std::string describe() const override { return "throwing://"; }

private:
    std::exception_ptr error_;
};

TEST(ReduceProtocol, APublishRefusedForCertainGivesTheClaimBack) {
    for (const auto& error : {std::make_exception_ptr(wp::BackendError("denied", "AuthorizationError", false)),
                              std::make_exception_ptr(wp::InvalidInput("too big")),
                              std::make_exception_ptr(wp::ConfigError("no topic"))}) {
        ReduceEnv env;
        const auto jobid = env.complete_job();
        const wp::ReduceSink sink{std::make_shared<ThrowingNotifier>(error), {}};
        EXPECT_ANY_THROW(wp::send_claimed_reduce(*env.backend, jobid, env.backend->claim_reduce(jobid).value(), sink));
        EXPECT_FALSE(env.backend->status(jobid).reduce_sent) << "a refused publish kept its claim";
    }
}

// A publish that timed out (or got a 5xx, or lost its connection) may have gone through: its claim
// stays, so that no delivery sends the reduce again before the lease has passed.
TEST(ReduceProtocol, APublishOfUnknownOutcomeKeepsTheClaim) {
    for (const auto& error : {std::make_exception_ptr(wp::BackendError("timed out", "TimeoutError", true)),
                              std::make_exception_ptr(wp::BackendError("HTTP 500", "InternalError", true)),
                              std::make_exception_ptr(wp::BackendError("reset", "ConnectionError", true)),
                              std::make_exception_ptr(std::runtime_error("a notifier of the user's"))}) {
        ReduceEnv env;
        const auto jobid = env.complete_job();
        const wp::ReduceSink sink{std::make_shared<ThrowingNotifier>(error), {}};
        EXPECT_ANY_THROW(wp::send_claimed_reduce(*env.backend, jobid, env.backend->claim_reduce(jobid).value(), sink));
        const auto s = env.backend->status(jobid);
        EXPECT_TRUE(s.reduce_sent) << "a publish of unknown outcome gave its claim back";
        EXPECT_FALSE(s.reduce_confirmed);
        EXPECT_FALSE(env.backend->reclaim_reduce(jobid, std::chrono::seconds(30)));
        *env.now += 30'000;
        EXPECT_TRUE(env.backend->reclaim_reduce(jobid, std::chrono::seconds(30))) << "the lease decides";
    }
}

TEST(ReduceProtocol, PublishOutcomeUnknownTellsRefusalsFromTimeouts) {
    EXPECT_FALSE(wp::publish_outcome_unknown(std::make_exception_ptr(wp::BackendError("x", "InvalidParameter", false))));
    EXPECT_FALSE(wp::publish_outcome_unknown(std::make_exception_ptr(wp::InvalidInput("x"))));
    EXPECT_TRUE(wp::publish_outcome_unknown(std::make_exception_ptr(wp::BackendError("x", "TimeoutError", true))));
    EXPECT_TRUE(wp::publish_outcome_unknown(std::make_exception_ptr(wp::BackendError("x", "Throttling", true))));
    EXPECT_TRUE(wp::publish_outcome_unknown(std::make_exception_ptr(42)));
}

TEST(ReduceProtocol, AFailedReleaseStillThrowsTheSendError) {
    ReduceEnv env;
    const auto jobid = env.complete_job();
    BreakingBackend breaking(env.backend);
    breaking.fail_release = true;
    const wp::ReduceSink failing{nullptr, [](const std::string&, const json&) { throw SinkDown("queue down"); }};
    EXPECT_THROW(wp::send_claimed_reduce(breaking, jobid, breaking.claim_reduce(jobid).value(), failing), SinkDown);
    EXPECT_EQ(breaking.releases, 1);
}

TEST(ReduceProtocol, AClaimTakenOverWhileSendingIsReportedNotThrown) {
    ReduceEnv env;
    const auto jobid = env.complete_job();
    const auto first = env.backend->claim_reduce(jobid).value();
    *env.now += 60'000;
    ASSERT_TRUE(env.backend->reclaim_reduce(jobid, std::chrono::seconds(30)));
    const wp::SentReduce sent = wp::send_claimed_reduce(*env.backend, jobid, first, env.sink());
    EXPECT_EQ(sent.confirmation, wp::ReduceConfirmation::kTakenOver);
    EXPECT_EQ(env.notifier->messages(wp::kReduceSubject).size(), 1u);
}

TEST(ReduceProtocol, AFailedConfirmationIsReportedWithItsError) {
    ReduceEnv env;
    const auto jobid = env.complete_job();
    BreakingBackend breaking(env.backend);
    breaking.fail_confirm = true;
    const wp::SentReduce sent =
        wp::send_claimed_reduce(breaking, jobid, breaking.claim_reduce(jobid).value(), env.sink());
    EXPECT_EQ(sent.confirmation, wp::ReduceConfirmation::kUnconfirmed);
    ASSERT_TRUE(sent.confirm_error);
    EXPECT_THROW(std::rethrow_exception(sent.confirm_error), wp::BackendError);
    EXPECT_EQ(env.notifier->messages(wp::kReduceSubject).size(), 1u);
    EXPECT_EQ(breaking.releases, 0);
}

TEST(ReduceProtocol, ASinkWithNowhereToSendIsInvalidInput) {
    ReduceEnv env;
    const auto jobid = env.complete_job();
    EXPECT_THROW(wp::send_claimed_reduce(*env.backend, jobid, env.backend->claim_reduce(jobid).value(), {}),
                 wp::InvalidInput);
}

// sweep ----------------------------------------------------------------------------------------

struct SweepEnv : ReduceEnv {
    int sinks_opened = 0;
    std::vector<std::string> events;
    std::map<std::string, std::chrono::milliseconds> unchanged_for;  // would_delete events

    wp::SweepOptions options() {
        wp::SweepOptions o;
        o.older_than = std::chrono::seconds(30);
        o.clock = [now = now] { return now->load(); };
        o.open_sink = [this] {
            ++sinks_opened;
            return sink();
        };
        o.on_event = [this](const wp::SweepEvent& e) {
            static const char* const kKinds[] = {"left_alone", "would_send",    "sent",
                                                 "would_delete", "reduce_failed", "delete_failed"};
            events.push_back(std::string(kKinds[static_cast<int>(e.kind)]) + " " + e.jobid);
            if (e.kind == wp::SweepEvent::Kind::kWouldDelete) unchanged_for[e.jobid] = e.unchanged_for;
        };
        return o;
    }
};

TEST(Sweep, SendsTheReduceOfAJobNobodyClaimedAndOfAClaimNeverConfirmed) {
    SweepEnv env;
    env.complete_job("unclaimed");
    env.complete_job("crashed");
    ASSERT_TRUE(env.backend->claim_reduce("crashed"));  // the claimer never confirms
    env.complete_job("fresh-claim");
    *env.now += 60'000;
    ASSERT_TRUE(env.backend->claim_reduce("fresh-claim"));  // claimed just now: its claimer may be sending

    const wp::SweepResult result = wp::sweep(*env.backend, env.options());
    EXPECT_EQ(result.lost, 2u);
    EXPECT_EQ(result.sent, 2u);
    EXPECT_EQ(env.sinks_opened, 1);
    EXPECT_THAT(env.events, ::testing::UnorderedElementsAre("sent unclaimed", "sent crashed"));
    EXPECT_EQ(env.notifier->messages(wp::kReduceSubject).size(), 2u);
    EXPECT_TRUE(env.backend->status("unclaimed").reduce_confirmed);
    EXPECT_TRUE(env.backend->status("crashed").reduce_confirmed);
    EXPECT_FALSE(env.backend->status("fresh-claim").reduce_confirmed);

    env.events.clear();
    EXPECT_EQ(wp::sweep(*env.backend, env.options()).sent, 0u);  // nothing left to send
    EXPECT_TRUE(env.events.empty());
}

// Each reduce a sweep sends is counted on its job (Backend::record_reduce_repair), for the metrics:
// the count stays when nothing is left to send, and a job whose count cannot be written still gets
// its reduce (the sent event carries the error).
class BreakingRepairCount : public wp::ForwardingBackend {
public:
    using ForwardingBackend::ForwardingBackend;

protected:
    void do_record_reduce_repair(const std::string&) override {
        throw wp::BackendError("count refused", "TestRepairCount", true);
    }
};

TEST(Sweep, CountsEachRepairOnItsJob) {
    SweepEnv env;
    env.complete_job("unclaimed");
    env.complete_job("crashed");
    ASSERT_TRUE(env.backend->claim_reduce("crashed"));
    env.complete_job("claimed-by-a-worker");
    const auto claim = env.backend->claim_reduce("claimed-by-a-worker");
    ASSERT_TRUE(claim);
    ASSERT_TRUE(env.backend->confirm_reduce("claimed-by-a-worker", *claim));
    *env.now += 3'600'000;
    ASSERT_EQ(wp::sweep(*env.backend, env.options()).sent, 2u);
    EXPECT_EQ(env.backend->status("unclaimed").reduce_repairs, 1);
    EXPECT_EQ(env.backend->status("crashed").reduce_repairs, 1);
    EXPECT_EQ(env.backend->status("claimed-by-a-worker").reduce_repairs, 0);
    EXPECT_EQ(wp::sweep(*env.backend, env.options()).sent, 0u);
    EXPECT_EQ(env.backend->status("unclaimed").reduce_repairs, 1);

    env.complete_job("uncounted");
    auto breaking = std::make_shared<BreakingRepairCount>(env.backend);
    std::vector<wp::SweepEvent> events;
    auto options = env.options();
    options.on_event = [&](const wp::SweepEvent& e) { events.push_back(e); };
    const wp::SweepResult result = wp::sweep(*breaking, options);
    EXPECT_EQ(result.sent, 1u);
    EXPECT_EQ(result.failed, 0u);
    EXPECT_EQ(result.unrecorded, 1u);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, wp::SweepEvent::Kind::kSent);
    ASSERT_TRUE(events[0].error);
    EXPECT_THROW(std::rethrow_exception(events[0].error), wp::BackendError);
    EXPECT_TRUE(env.backend->status("uncounted").reduce_confirmed);
    EXPECT_EQ(env.backend->status("uncounted").reduce_repairs, 0);
}

// A job that finished under failure tolerance and lost its reduce: sweep's reduce says how many
// parts failed, as the Part guard's would have; a job without failed parts gets the plain message.
TEST(Sweep, TheReduceOfAToleratedJobCountsItsFailedParts) {
    SweepEnv env;
    env.backend->set_total("tolerated", 3);
    env.backend->record_failed_part("tolerated", 1);
    for (wp::PartId p : {0, 1, 2}) env.backend->complete_part("tolerated", p);
    env.complete_job("clean");
    EXPECT_EQ(wp::sweep(*env.backend, env.options()).sent, 2u);
    std::map<std::string, nlohmann::json> bodies;
    for (const auto& m : env.notifier->messages(wp::kReduceSubject)) {
        const auto body = nlohmann::json::parse(m.body);
        bodies[body.at("jobid").get<std::string>()] = body;
    }
    EXPECT_EQ(bodies["tolerated"], (nlohmann::json{{"jobid", "tolerated"}, {"metadata", nlohmann::json::object()}, {"failedParts", 1}}));
    EXPECT_EQ(bodies["clean"], (nlohmann::json{{"jobid", "clean"}, {"metadata", {{"k", "v"}}}}));
}

TEST(Sweep, DryRunReportsButChangesNothingAndOpensNoSink) {
    SweepEnv env;
    env.complete_job("unclaimed");
    auto options = env.options();
    options.dry_run = true;
    const wp::SweepResult result = wp::sweep(*env.backend, options);
    EXPECT_EQ(result.lost, 1u);
    EXPECT_EQ(result.sent, 0u);
    EXPECT_EQ(env.sinks_opened, 0);
    EXPECT_THAT(env.events, ElementsAre("would_send unclaimed"));
    EXPECT_FALSE(env.backend->status("unclaimed").reduce_sent);
}

TEST(Sweep, OpensNoSinkWhenNothingIsLostAndLeavesRunningAndFailedJobsAlone) {
    SweepEnv env;
    env.backend->set_total("running", 2);
    env.backend->complete_part("running", 0);
    env.complete_job("failed");
    env.backend->fail_job("failed", "bad input");
    const wp::SweepResult result = wp::sweep(*env.backend, env.options());
    EXPECT_EQ(result.lost, 0u);
    EXPECT_EQ(env.sinks_opened, 0);
    EXPECT_TRUE(env.events.empty());
}

TEST(Sweep, NamedJobsOnlyAndAnUnknownOneIsJobDoesNotExist) {
    SweepEnv env;
    env.complete_job("a");
    env.complete_job("b");
    auto options = env.options();
    options.jobids = {"b"};
    EXPECT_EQ(wp::sweep(*env.backend, options).sent, 1u);
    EXPECT_THAT(env.events, ElementsAre("sent b"));
    options.jobids = {"a", "missing"};
    EXPECT_THROW(wp::sweep(*env.backend, options), wp::JobDoesNotExist);
    EXPECT_FALSE(env.backend->status("a").reduce_sent);  // nothing sent before every name was read
}

TEST(Sweep, DeletesJobsFinishedForLongEnough) {
    SweepEnv env;
    env.complete_job("done");
    wp::send_claimed_reduce(*env.backend, "done", env.backend->claim_reduce("done").value(), env.sink());
    env.complete_job("failed");
    env.backend->fail_job("failed", "bad input");
    auto options = env.options();
    options.delete_finished_after = std::chrono::hours(1);
    EXPECT_EQ(wp::sweep(*env.backend, options).deleted, 0u);  // not an hour yet
    *env.now += 2 * 3'600'000;
    env.backend->set_total("new", 1);  // changed just now: kept
    options.dry_run = true;
    EXPECT_EQ(wp::sweep(*env.backend, options).deleted, 0u);
    EXPECT_THAT(env.events, ::testing::UnorderedElementsAre("would_delete done", "would_delete failed"));
    // How long each has been unchanged, not the threshold.
    EXPECT_EQ(env.unchanged_for.at("done"), std::chrono::hours(2));
    EXPECT_EQ(env.unchanged_for.at("failed"), std::chrono::hours(2));
    options.dry_run = false;
    EXPECT_EQ(wp::sweep(*env.backend, options).deleted, 2u);
    EXPECT_THROW(env.backend->status("done"), wp::JobDoesNotExist);
    EXPECT_NO_THROW(env.backend->status("new"));
}

TEST(Sweep, ASendThatFailsGivesTheClaimBackAndThrows) {
    SweepEnv env;
    env.complete_job("unclaimed");
    auto options = env.options();
    options.open_sink = [] {
        return wp::ReduceSink{nullptr, [](const std::string&, const json&) { throw SinkDown("queue down"); }};
    };
    EXPECT_THROW(wp::sweep(*env.backend, options), SinkDown);
    EXPECT_TRUE(env.backend->claim_reduce("unclaimed"));
}

// One job whose reduce cannot be sent, and one whose confirmation fails, among good ones: the sweep
// sends every other job's reduce, reports each failure, and throws the first error at the end.
TEST(Sweep, GoesOnAfterAFailedSendOrConfirmationAndThrowsTheFirstErrorAtTheEnd) {
    SweepEnv env;
    const std::vector<std::string> jobids = {"a-good", "b-unsendable", "c-good", "d-unconfirmable", "e-good"};
    for (const auto& jobid : jobids) env.complete_job(jobid);
    BreakingConfirm breaking(env.backend, "d-unconfirmable");
    auto options = env.options();
    options.jobids = jobids;  // in this order
    options.open_sink = [&] {
        return wp::ReduceSink{nullptr, [&](const std::string& jobid, const json& metadata) {
                                  if (jobid == "b-unsendable") throw SinkDown("queue down for " + jobid);
                                  env.notifier->publish(wp::kReduceSubject, wp::reduce_message_body(jobid, metadata));
                              }};
    };
    std::vector<std::string> errors;
    const auto on_event = options.on_event;
    options.on_event = [&](const wp::SweepEvent& e) {
        on_event(e);
        if (e.error) {
            try {
                std::rethrow_exception(e.error);
            } catch (const std::exception& error) {
                errors.push_back(e.jobid + ": " + error.what() +
                                 (e.confirmation == wp::ReduceConfirmation::kUnconfirmed ? " (sent)" : ""));
            }
        }
    };
    try {
        wp::sweep(breaking, options);
        ADD_FAILURE() << "no error";
    } catch (const std::exception& e) {
        EXPECT_STREQ(e.what(), "queue down for b-unsendable");
    }
    EXPECT_THAT(env.events, ElementsAre("sent a-good", "reduce_failed b-unsendable", "sent c-good",
                                        "reduce_failed d-unconfirmable", "sent e-good"));
    EXPECT_THAT(errors, ElementsAre("b-unsendable: queue down for b-unsendable",
                                                        "d-unconfirmable: confirm refused (sent)"));
    std::vector<std::string> sent;
    for (const auto& m : env.notifier->messages(wp::kReduceSubject)) sent.push_back(json::parse(m.body)["jobid"]);
    EXPECT_THAT(sent, ::testing::UnorderedElementsAre("a-good", "c-good", "d-unconfirmable", "e-good"));
    EXPECT_FALSE(env.backend->status("b-unsendable").reduce_sent) << "its claim was given back";
    EXPECT_FALSE(env.backend->status("d-unconfirmable").reduce_confirmed);
}

}  // namespace
