// run_part_command (watchbot_progress/command_part.hpp): a map message's part worked by a shell
// command inside the Part guard, on the memory backend and notifier. Stop signals around the command:
// raised in this thread by a backend step (deterministic: a raised signal is handled before raise
// returns).

#include <signal.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "watchbot_progress/command_part.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace fs = std::filesystem;
namespace wp = watchbot_progress;
using nlohmann::json;
using ::testing::HasSubstr;
using Outcome = wp::CommandPartResult::Outcome;

namespace {

class CommandPart : public ::testing::Test {
protected:
    void SetUp() override {
        dir = fs::path(::testing::TempDir()) / ("wp-cmdpart-" + wp::new_jobid());
        fs::create_directories(dir);
        jobid = wp::create_job(json::array({{{"tile", "a"}}, {{"tile", "b"}}, {{"tile", "c"}}}),
                               {.backend = backend, .notifier = notifier, .metadata = {{"k", "v"}}});
    }
    void TearDown() override { fs::remove_all(dir); }

    // The map message of `partid`, as the notifier carried it.
    wp::MapMessage message(wp::PartId partid) const {
        for (const auto& m : notifier->messages(wp::kMapSubject)) {
            const wp::MapMessage parsed = wp::parse_map_message(m.body);
            if (parsed.partid == partid) return parsed;
        }
        throw std::runtime_error("no map message for part " + std::to_string(partid));
    }
    wp::CommandPartOptions options(std::vector<int> fail_codes = {}) const {
        wp::CommandPartOptions o;
        o.part.backend = backend;
        o.part.notifier = notifier;
        o.fail_job_on_exit = std::move(fail_codes);
        return o;
    }
    // A command that records that it ran (the file ran-<partid>), then runs `then`.
    std::vector<std::string> command(const std::string& then) const {
        return {"/bin/sh", "-c", "touch \"" + dir.string() + "/ran-$WATCHBOT_PROGRESS_PARTID\"; " + then};
    }
    bool ran(wp::PartId partid) const { return fs::exists(dir / ("ran-" + std::to_string(partid))); }
    std::string read(const std::string& name) const {
        std::ifstream in(dir / name);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }

    std::shared_ptr<wp::MemoryBackend> backend = std::make_shared<wp::MemoryBackend>();
    std::shared_ptr<wp::MemoryNotifier> notifier = std::make_shared<wp::MemoryNotifier>();
    fs::path dir;
    std::string jobid;
};

TEST_F(CommandPart, ExitZeroCompletesThePartAndTheLastDeliverySendsOneReduce) {
    const std::string save = "cat > \"" + dir.string() + "/stdin-$WATCHBOT_PROGRESS_PARTID\"; echo \"$WATCHBOT_PROGRESS_JOBID\" > \"" +
                             dir.string() + "/jobid\"";
    for (int delivery = 0; delivery < 3; ++delivery) {  // every part three times: still one reduce
        for (wp::PartId partid : {2, 0, 1}) {
            const auto r = wp::run_part_command(message(partid), command(save), options());
            EXPECT_EQ(r.outcome, Outcome::kCompleted);
            EXPECT_EQ(r.command.exit_code, 0);
        }
    }
    EXPECT_EQ(backend->status(jobid).remaining, 0);
    const auto reduces = notifier->messages(wp::kReduceSubject);
    ASSERT_EQ(reduces.size(), 1u);
    EXPECT_EQ(json::parse(reduces[0].body), (json{{"jobid", jobid}, {"metadata", {{"k", "v"}}}}));
    // The command read the map message on stdin and found the ids in its environment.
    EXPECT_EQ(read("stdin-1"), message(1).body.dump() + "\n");
    EXPECT_EQ(json::parse(read("stdin-1")).at("tile"), "b");
    EXPECT_EQ(read("jobid"), jobid + "\n");
}

TEST_F(CommandPart, AFailJobExitCodeFailsTheJobAndLaterDeliveriesDoNotRun) {
    const auto r = wp::run_part_command(
        message(1), command("echo 'opening tile b' >&2; echo 'tile b is corrupt' >&2; exit 4"), options({3, 4}));
    EXPECT_EQ(r.outcome, Outcome::kJobFailed);
    EXPECT_EQ(r.command.exit_code, 4);
    const auto status = backend->status(jobid);
    ASSERT_TRUE(status.failed);
    const std::string reason = status.reason.value_or("");
    EXPECT_THAT(reason, HasSubstr("part 1"));
    EXPECT_THAT(reason, HasSubstr("exited with code 4"));
    EXPECT_THAT(reason, HasSubstr("opening tile b\ntile b is corrupt"));
    EXPECT_EQ(status.remaining, 3);

    const auto later = wp::run_part_command(message(0), command("exit 0"), options({3, 4}));
    EXPECT_EQ(later.outcome, Outcome::kJobAlreadyFailed);
    EXPECT_EQ(later.failure_reason, reason);
    EXPECT_FALSE(ran(0));
    EXPECT_EQ(backend->status(jobid).remaining, 3);
    EXPECT_TRUE(notifier->messages(wp::kReduceSubject).empty());
}

TEST_F(CommandPart, TheFailureReasonQuotesABoundedTail) {
    auto o = options({3});
    o.stderr_tail_bytes = 64;
    wp::run_part_command(message(0), command("i=0; while [ $i -lt 2000 ]; do echo \"noise line $i\" >&2; i=$((i+1)); done; exit 3"), o);
    const std::string reason = backend->status(jobid).reason.value_or("");
    EXPECT_THAT(reason, HasSubstr("[...]\n"));
    EXPECT_THAT(reason, HasSubstr("noise line 1999"));
    EXPECT_LT(reason.size(), 200u) << reason;
}

// Every failed delivery is recorded for the part: the exit code, the receive count, the time and
// the end of the command's stderr, also without failure tolerance or fail_job_on_exit.
TEST_F(CommandPart, AFailedDeliveryRecordsItsExitCodeAndStderrTail) {
    auto o = options();
    o.stderr_tail_bytes = 64;
    const std::int64_t before = wp::system_time_ms();
    const auto r = wp::run_part_command(
        message(2), command("i=0; while [ $i -lt 500 ]; do echo \"noise $i\" >&2; i=$((i+1)); done; echo 'disk full' >&2; exit 5"), o);
    EXPECT_EQ(r.outcome, Outcome::kCommandFailed);
    const auto listed = backend->list_part_failures(jobid);
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].partid, 2);
    EXPECT_EQ(listed[0].exit_code, std::optional<int>(5));
    EXPECT_GE(listed[0].time_ms, before);
    EXPECT_THAT(listed[0].text, HasSubstr("exited with code 5"));
    EXPECT_THAT(listed[0].text, HasSubstr("noise 499\ndisk full"));
    EXPECT_LT(listed[0].text.size(), 200u) << listed[0].text;
    EXPECT_FALSE(backend->status(jobid).failed);
    EXPECT_TRUE(backend->list_failed_parts(jobid).empty());

    // A job-failing exit code is recorded too, with the receive count of the tolerance.
    o = options({3});
    o.part.failure_tolerance = wp::FailureTolerance{.max_failed_parts = 5, .max_receive_count = 9, .receive_count = 4};
    EXPECT_EQ(wp::run_part_command(message(0), command("echo 'bad input' >&2; exit 3"), o).outcome, Outcome::kJobFailed);
    const auto again = backend->list_part_failures(jobid);
    ASSERT_EQ(again.size(), 2u);
    EXPECT_EQ(again[0].partid, 0);
    EXPECT_EQ(again[0].exit_code, std::optional<int>(3));
    EXPECT_EQ(again[0].attempts, 4);
    EXPECT_THAT(again[0].text, HasSubstr("bad input"));
}

TEST_F(CommandPart, OtherExitCodesChangeNothing) {
    const auto r = wp::run_part_command(message(0), command("exit 5"), options({3}));
    EXPECT_EQ(r.outcome, Outcome::kCommandFailed);
    EXPECT_EQ(r.command.exit_code, 5);
    const auto status = backend->status(jobid);
    EXPECT_FALSE(status.failed);
    EXPECT_EQ(status.remaining, 3);
    EXPECT_TRUE(ran(0));

    const auto missing = wp::run_part_command(message(0), {"wp-no-such-command-" + wp::new_jobid()}, options({127}));
    EXPECT_EQ(missing.outcome, Outcome::kCommandFailed);  // a command that cannot start never fails the job
    EXPECT_EQ(missing.command.exit_code, 127);
    EXPECT_FALSE(backend->status(jobid).failed);
}

TEST_F(CommandPart, FailureToleranceCountsAFailureOnTheLastDelivery) {
    auto o = options();
    o.part.failure_tolerance = wp::FailureTolerance{.max_failed_parts = 1, .max_receive_count = 3, .receive_count = 2};
    EXPECT_EQ(wp::run_part_command(message(0), command("exit 1"), o).outcome, Outcome::kCommandFailed);
    EXPECT_TRUE(backend->list_failed_parts(jobid).empty());  // watchbot delivers it again

    o.part.failure_tolerance->receive_count = 3;  // the last delivery
    EXPECT_EQ(wp::run_part_command(message(0), command("echo 'gave up' >&2; exit 1"), o).outcome,
              Outcome::kCommandFailed);
    EXPECT_EQ(backend->list_failed_parts(jobid), std::vector<wp::PartId>{0});
    EXPECT_FALSE(backend->status(jobid).failed);  // one tolerated

    wp::run_part_command(message(1), command("exit 0"), o);
    wp::run_part_command(message(2), command("exit 0"), o);
    EXPECT_EQ(notifier->messages(wp::kReduceSubject).size(), 1u);  // the job finished despite part 0
}

// The memory backend, raising a signal in this thread when a chosen step begins.
class SignallingBackend : public wp::ForwardingBackend {
public:
    using ForwardingBackend::ForwardingBackend;
    int on_check_part = 0;  // raised before Backend::check_part (the guard's first step)
    int on_confirm = 0;     // raised before Backend::confirm_reduce (the reduce is out)

protected:
    std::optional<std::string> do_check_part(const std::string& jobid, wp::PartId partid) override {
        if (on_check_part != 0) ::raise(on_check_part);
        return ForwardingBackend::do_check_part(jobid, partid);
    }
    bool do_confirm_reduce(const std::string& jobid, const wp::ClaimToken& token) override {
        if (on_confirm != 0) ::raise(on_confirm);
        return ForwardingBackend::do_confirm_reduce(jobid, token);
    }
};

// Runs `meanwhile` right after the check that precedes the command (Backend::check_part): what
// another process does to the job while the command runs.
class JobChangedMeanwhile : public wp::ForwardingBackend {
public:
    JobChangedMeanwhile(std::shared_ptr<wp::Backend> target, std::function<void()> meanwhile)
        : ForwardingBackend(std::move(target)), meanwhile_(std::move(meanwhile)) {}

protected:
    std::optional<std::string> do_check_part(const std::string& jobid, wp::PartId partid) override {
        auto failure = ForwardingBackend::do_check_part(jobid, partid);
        meanwhile_();
        return failure;
    }

private:
    std::function<void()> meanwhile_;
};

// A job deleted, or replaced by one without the part, while the command ran: the command's success
// is recorded in no job, which the outcome says (not an error about a part that never ran).
TEST_F(CommandPart, AJobDeletedOrReplacedWhileTheCommandRanIsJobGone) {
    auto o = options();
    o.part.backend = std::make_shared<JobChangedMeanwhile>(backend, [&] { backend->delete_job(jobid); });
    auto r = wp::run_part_command(message(2), command("exit 0"), o);
    EXPECT_TRUE(ran(2));
    EXPECT_EQ(r.outcome, wp::CommandPartResult::Outcome::kJobGone);
    EXPECT_THAT(r.job_gone_reason, ::testing::HasSubstr("does not exist"));
    EXPECT_THROW(backend->status(jobid), wp::JobDoesNotExist);

    backend->set_total(jobid, 3);
    o.part.backend = std::make_shared<JobChangedMeanwhile>(backend, [&] { backend->set_total(jobid, 2, /*overwrite=*/true); });
    r = wp::run_part_command(message(2), command("exit 0"), o);
    EXPECT_EQ(r.outcome, wp::CommandPartResult::Outcome::kJobGone);
    EXPECT_THAT(r.job_gone_reason, ::testing::HasSubstr("2"));
    EXPECT_EQ(backend->status(jobid).remaining, 2);
    EXPECT_TRUE(notifier->messages(wp::kReduceSubject).empty());
}

// What SIGTERM's handler is now.
void (*sigterm_handler())(int) {
    struct sigaction now {};
    ::sigaction(SIGTERM, nullptr, &now);
    return now.sa_handler;
}

// An ECS stop between sending the reduce and confirming it must not cut the two apart (the claim left
// unconfirmed is sent again after the lease): the signal waits until the outcome is recorded, then is
// reported; this process was not stopped, and the handlers are back.
TEST_F(CommandPart, AStopSignalAfterTheCommandWaitsUntilTheReduceIsConfirmed) {
    backend->complete_part(jobid, 1);
    backend->complete_part(jobid, 2);
    const auto signalling = std::make_shared<SignallingBackend>(backend);
    signalling->on_confirm = SIGTERM;
    auto o = options();
    o.part.backend = signalling;
    const auto before = sigterm_handler();
    const auto r = wp::run_part_command(message(0), command("exit 0"), o);
    EXPECT_EQ(r.outcome, Outcome::kCompleted);
    EXPECT_EQ(r.deferred_signal, SIGTERM);
    EXPECT_EQ(r.command.forwarded_signal, 0);
    const auto status = backend->status(jobid);
    EXPECT_EQ(status.remaining, 0);
    EXPECT_TRUE(status.reduce_confirmed);
    EXPECT_EQ(notifier->messages(wp::kReduceSubject).size(), 1u);
    EXPECT_EQ(sigterm_handler(), before);
}

// A stop signal before the command started (during the guard's first read) is forwarded to it as it
// starts: it does not run to completion, and nothing is recorded.
TEST_F(CommandPart, AStopSignalBeforeTheCommandStartsIsForwardedToIt) {
    const auto signalling = std::make_shared<SignallingBackend>(backend);
    signalling->on_check_part = SIGTERM;
    auto o = options({5});
    o.part.backend = signalling;
    const auto r = wp::run_part_command(message(0), command("exit 0"), o);
    EXPECT_EQ(r.outcome, Outcome::kInterrupted);
    EXPECT_EQ(r.command.signal, SIGTERM);
    EXPECT_EQ(r.command.exit_code, 128 + SIGTERM);
    EXPECT_EQ(r.command.forwarded_signal, SIGTERM);
    EXPECT_EQ(r.deferred_signal, 0);
    EXPECT_FALSE(ran(0));
    EXPECT_EQ(backend->status(jobid).remaining, 3);
}

TEST_F(CommandPart, BadExitCodesAreRefusedBeforeAnythingRuns) {
    EXPECT_THROW(wp::run_part_command(message(0), command("exit 0"), options({0})), wp::InvalidInput);
    EXPECT_THROW(wp::run_part_command(message(0), command("exit 0"), options({256})), wp::InvalidInput);
    EXPECT_FALSE(ran(0));
    EXPECT_EQ(backend->status(jobid).remaining, 3);
}

}  // namespace
