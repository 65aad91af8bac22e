// The monitor pass (monitor.hpp) on every backend, with an injected clock: stalled, reduce-overdue
// and failed jobs are alerted exactly once per job and state, across repeated passes, 25 passes at
// once and a new monitor (a restart); and the pass repairs what sweep repairs.

#include <atomic>
#include <barrier>
#include <chrono>
#include <map>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "factories.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace wp = watchbot_progress;
using namespace std::chrono_literals;

namespace {

template <class Factory>
class AlertMonitor : public ::testing::Test {
protected:
    void SetUp() override {
        now = wp::system_time_ms();
        backend = Factory::make([this] { return now.load(); });
    }
    void TearDown() override {
        for (const auto& jobid : jobs) backend->delete_job(jobid);
    }

    std::string new_job(std::int64_t total) {
        std::string jobid = "monitor-" + wp::new_jobid();
        backend->set_total(jobid, total);
        jobs.push_back(jobid);
        return jobid;
    }

    // A monitor of these jobs, as a new process would make it: its own options and notifier state.
    wp::MonitorOptions monitor(std::shared_ptr<wp::MemoryNotifier> alerts) {
        wp::MonitorOptions options;
        options.alerts = std::move(alerts);
        options.jobids = jobs;
        options.stall_after = 30min;
        options.reduce_lease = 5min;
        options.clock = [this] { return now.load(); };
        return options;
    }

    void advance(std::chrono::milliseconds by) { now += by.count(); }

    static std::vector<wp::Alert> alerts_in(const wp::MemoryNotifier& notifier) {
        std::vector<wp::Alert> out;
        for (const auto& m : notifier.messages(wp::kAlertSubject)) out.push_back(wp::Alert::from_json(nlohmann::json::parse(m.body)));
        return out;
    }

    std::atomic<std::int64_t> now{0};
    std::shared_ptr<wp::Backend> backend;
    std::vector<std::string> jobs;
};

TYPED_TEST_SUITE(AlertMonitor, wp_test::AllBackends, wp_test::BackendNames);

// A job's workers stop: some parts complete, the others never do. Before stall_after nothing is
// sent; after it, several passes and a restarted monitor send exactly one `stalled` alert.
TYPED_TEST(AlertMonitor, StoppedWorkersGiveExactlyOneStalledAlert) {
    auto alerts = std::make_shared<wp::MemoryNotifier>();
    const auto jobid = this->new_job(10);
    const wp::PartOptions part_options{.backend = this->backend, .notifier = std::make_shared<wp::MemoryNotifier>()};
    for (wp::PartId p = 0; p < 4; ++p) wp::Part(jobid, p, part_options).run([] {});

    this->advance(29min);
    EXPECT_EQ(wp::monitor_pass(*this->backend, this->monitor(alerts)).alerts_sent, 0u);
    EXPECT_TRUE(alerts->messages().empty());

    this->advance(2min);
    for (int pass = 0; pass < 4; ++pass) wp::monitor_pass(*this->backend, this->monitor(alerts));
    auto sent = this->alerts_in(*alerts);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].jobid, jobid);
    EXPECT_EQ(sent[0].state, wp::AlertState::kStalled);
    EXPECT_EQ(sent[0].total, 10);
    EXPECT_EQ(sent[0].remaining, 6);
    EXPECT_THAT(sent[0].reason, ::testing::HasSubstr("6 of 10 parts pending"));
    EXPECT_EQ(sent[0].time_ms, this->now.load());

    // A restarted monitor (new options, a new notifier) much later: nothing new.
    auto after_restart = std::make_shared<wp::MemoryNotifier>();
    this->advance(10h);
    const wp::MonitorResult r = wp::monitor_pass(*this->backend, this->monitor(after_restart));
    EXPECT_EQ(r.alerts_sent, 0u);
    EXPECT_TRUE(after_restart->messages().empty());
}

// One job in each state the monitor watches; 25 passes at once (threads released by a barrier),
// then again after a restart: each job gets exactly its one alert.
TYPED_TEST(AlertMonitor, TwentyFiveConcurrentPassesSendEachAlertOnce) {
    const auto stalled = this->new_job(3);
    const auto failed = this->new_job(3);
    this->backend->fail_job(failed, "part 1 failed: corrupt tile");
    const auto unconfirmed = this->new_job(1);
    ASSERT_TRUE(this->backend->complete_part_and_claim_reduce(unconfirmed, 0).reduce_claimed());  // the claimer dies
    const auto never_claimed = this->new_job(1);
    ASSERT_TRUE(this->backend->complete_part(never_claimed, 0));  // completed, the claimer died before claiming
    const auto healthy = this->new_job(2);
    const auto done = this->new_job(1);
    const auto claim = this->backend->complete_part_and_claim_reduce(done, 0).reduce_claim;
    ASSERT_TRUE(claim);
    ASSERT_TRUE(this->backend->confirm_reduce(done, *claim));

    this->advance(31min);
    this->backend->complete_part(healthy, 0);  // progress just now: not stalled

    auto alerts = std::make_shared<wp::MemoryNotifier>();
    constexpr int kThreads = 25;
    std::barrier start(kThreads);
    std::atomic<std::size_t> sent{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            const wp::MonitorOptions options = this->monitor(alerts);
            start.arrive_and_wait();
            try {
                sent += wp::monitor_pass(*this->backend, options).alerts_sent;
            } catch (const std::exception& e) {
                ADD_FAILURE() << e.what();
            }
        });
    }
    for (auto& t : threads) t.join();

    std::map<std::string, std::vector<wp::AlertState>> by_job;
    for (const wp::Alert& a : this->alerts_in(*alerts)) by_job[a.jobid].push_back(a.state);
    using S = wp::AlertState;
    EXPECT_EQ(by_job[stalled], std::vector<S>{S::kStalled});
    EXPECT_EQ(by_job[failed], std::vector<S>{S::kFailed});
    EXPECT_EQ(by_job[unconfirmed], std::vector<S>{S::kReduceOverdue});
    EXPECT_EQ(by_job[never_claimed], std::vector<S>{S::kReduceOverdue});
    EXPECT_TRUE(by_job[healthy].empty());
    EXPECT_TRUE(by_job[done].empty());
    EXPECT_EQ(alerts->messages().size(), 4u);
    EXPECT_EQ(sent.load(), 4u);

    // A restarted monitor 10 minutes later (the healthy job's last progress is not yet 30 minutes
    // old): nothing new.
    auto after_restart = std::make_shared<wp::MemoryNotifier>();
    this->advance(10min);
    EXPECT_EQ(wp::monitor_pass(*this->backend, this->monitor(after_restart)).alerts_sent, 0u);
    EXPECT_TRUE(after_restart->messages().empty());

    // Once the healthy job has been idle for stall_after it is stalled: one alert, once.
    this->advance(25min);
    EXPECT_EQ(wp::monitor_pass(*this->backend, this->monitor(after_restart)).alerts_sent, 1u);
    EXPECT_EQ(wp::monitor_pass(*this->backend, this->monitor(after_restart)).alerts_sent, 0u);
    const auto late = this->alerts_in(*after_restart);
    ASSERT_EQ(late.size(), 1u);
    EXPECT_EQ(late[0].jobid, healthy);
    EXPECT_EQ(late[0].state, S::kStalled);
}

// With repair, the pass also does sweep's work: the lost reduces go out, once.
TYPED_TEST(AlertMonitor, RepairSendsTheLostReduces) {
    const auto unconfirmed = this->new_job(1);
    ASSERT_TRUE(this->backend->complete_part_and_claim_reduce(unconfirmed, 0).reduce_claimed());
    const auto never_claimed = this->new_job(1);
    ASSERT_TRUE(this->backend->complete_part(never_claimed, 0));
    this->advance(6min);

    auto alerts = std::make_shared<wp::MemoryNotifier>();
    auto work = std::make_shared<wp::MemoryNotifier>();
    wp::MonitorOptions options = this->monitor(alerts);
    options.repair = wp::SweepOptions{};
    options.repair->older_than = 5min;
    options.repair->open_sink = [&] { return wp::ReduceSink{work, {}}; };
    std::vector<wp::MonitorEvent> events;
    options.on_event = [&](const wp::MonitorEvent& e) { events.push_back(e); };
    const wp::MonitorResult r = wp::monitor_pass(*this->backend, options);
    EXPECT_EQ(r.alerts_sent, 2u);
    ASSERT_TRUE(r.repair);
    EXPECT_EQ(r.repair->sent, 2u);
    EXPECT_EQ(work->messages("reduce").size(), 2u);
    EXPECT_TRUE(alerts->messages("reduce").empty());
    EXPECT_TRUE(this->backend->status(unconfirmed).reduce_confirmed);
    EXPECT_TRUE(this->backend->status(never_claimed).reduce_confirmed);
    int repairs = 0;
    for (const auto& e : events) repairs += e.kind == wp::MonitorEvent::Kind::kRepair ? 1 : 0;
    EXPECT_EQ(repairs, 2);

    EXPECT_EQ(wp::monitor_pass(*this->backend, options).repair->sent, 0u);
    EXPECT_EQ(work->messages("reduce").size(), 2u);
}

// A first pass over an old database alerts no old job: jobs unchanged for longer than
// ignore_older_than are left alone (zero: no limit).
TYPED_TEST(AlertMonitor, JobsOlderThanTheLimitAreLeftAlone) {
    const auto old_failure = this->new_job(2);
    this->backend->fail_job(old_failure, "long ago");
    this->advance(std::chrono::hours(24 * 8));
    auto alerts = std::make_shared<wp::MemoryNotifier>();
    EXPECT_EQ(wp::monitor_pass(*this->backend, this->monitor(alerts)).alerts_sent, 0u);
    wp::MonitorOptions unlimited = this->monitor(alerts);
    unlimited.ignore_older_than = std::chrono::milliseconds(0);
    EXPECT_EQ(wp::monitor_pass(*this->backend, unlimited).alerts_sent, 1u);
    ASSERT_EQ(this->alerts_in(*alerts).size(), 1u);
    EXPECT_EQ(this->alerts_in(*alerts)[0].reason, "long ago");
}

// A failed alert that cannot be published is given back and sent by a later pass.
TYPED_TEST(AlertMonitor, AnAlertRefusedByTheNotifierIsSentByALaterPass) {
    struct Refusing : wp::ForwardingNotifier {
        using wp::ForwardingNotifier::ForwardingNotifier;
        std::atomic<bool> refuse{true};
        void do_publish(const std::string& subject, const std::string& body) override {
            if (refuse) throw wp::BackendError("refused", "AuthorizationError", /*retryable=*/false);
            wp::ForwardingNotifier::do_publish(subject, body);
        }
    };
    const auto failed = this->new_job(2);
    this->backend->fail_job(failed, "broken");
    auto sink = std::make_shared<wp::MemoryNotifier>();
    auto refusing = std::make_shared<Refusing>(sink);
    wp::MonitorOptions options = this->monitor(sink);
    options.alerts = refusing;
    const wp::MonitorResult first = wp::monitor_pass(*this->backend, options);
    EXPECT_EQ(first.alerts_sent, 0u);
    EXPECT_EQ(first.alerts_failed, 1u);
    refusing->refuse = false;
    EXPECT_EQ(wp::monitor_pass(*this->backend, options).alerts_sent, 1u);
    EXPECT_EQ(wp::monitor_pass(*this->backend, options).alerts_sent, 0u);
    EXPECT_EQ(sink->messages(wp::kAlertSubject).size(), 1u);
}

}  // namespace
