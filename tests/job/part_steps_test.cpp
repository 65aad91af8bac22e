// The Part guard's steps (begin / succeed / fail), which the Python binding drives around a `with`
// block: the same behaviour as run(fn), on the memory backend.

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

struct StepsEnv {
    std::shared_ptr<wp::MemoryBackend> backend = std::make_shared<wp::MemoryBackend>();
    std::shared_ptr<wp::MemoryNotifier> notifier = std::make_shared<wp::MemoryNotifier>();
    std::string jobid = wp::create_job(json::array({json::object(), json::object()}),
                                       {.backend = backend, .notifier = notifier, .metadata = {{"k", "v"}}});
    wp::PartOptions options(wp::ExceptionMatcher fail_job_on = {}) const {
        return {.backend = backend, .notifier = notifier, .fail_job_on = std::move(fail_job_on)};
    }
};

TEST(PartSteps, SucceedCompletesThePartAndTheLastSendsOneReduce) {
    StepsEnv env;
    for (int delivery = 0; delivery < 2; ++delivery) {  // every part twice: still one reduce
        for (wp::PartId partid : {0, 1}) {
            wp::Part part(env.jobid, partid, env.options());
            part.begin();
            part.succeed();
        }
    }
    EXPECT_EQ(env.backend->status(env.jobid).remaining, 0);
    const auto reduces = env.notifier->messages(wp::kReduceSubject);
    ASSERT_EQ(reduces.size(), 1u);
    EXPECT_EQ(json::parse(reduces[0].body), (json{{"jobid", env.jobid}, {"metadata", {{"k", "v"}}}}));
}

TEST(PartSteps, FailWithAMatchingErrorFailsTheJobAndBeginThenThrowsJobFailed) {
    StepsEnv env;
    wp::Part part(env.jobid, 1, env.options(wp::fail_on<FatalInput>()));
    part.begin();
    part.fail(std::make_exception_ptr(FatalInput("bad tile")));
    const auto status = env.backend->status(env.jobid);
    EXPECT_TRUE(status.failed);
    EXPECT_THAT(status.reason.value_or(""), HasSubstr("part 1"));
    EXPECT_THAT(status.reason.value_or(""), HasSubstr("bad tile"));
    EXPECT_EQ(status.remaining, 2);

    wp::Part later(env.jobid, 0, env.options(wp::fail_on<FatalInput>()));
    EXPECT_THROW(later.begin(), wp::JobFailed);
}

TEST(PartSteps, FailWithAnotherErrorLeavesTheJobUntouched) {
    StepsEnv env;
    wp::Part part(env.jobid, 0, env.options(wp::fail_on<FatalInput>()));
    part.begin();
    part.fail(std::make_exception_ptr(std::runtime_error("transient")));
    const auto status = env.backend->status(env.jobid);
    EXPECT_FALSE(status.failed);
    EXPECT_EQ(status.remaining, 2);
    EXPECT_TRUE(env.notifier->messages(wp::kReduceSubject).empty());
}

TEST(PartSteps, BeginOnAnUnknownJobWithFailJobOnThrowsJobDoesNotExist) {
    StepsEnv env;
    wp::Part part("no-such-job", 0, env.options(wp::fail_on<FatalInput>()));
    EXPECT_THROW(part.begin(), wp::JobDoesNotExist);
}

// A backend that cannot record what a failure said: the guard's outcome is the same as without it.
class RecordRefused final : public wp::ForwardingBackend {
public:
    using wp::ForwardingBackend::ForwardingBackend;

protected:
    bool do_record_part_failure(const std::string&, const wp::PartFailure&) override {
        throw wp::BackendError("the store is down", "Unavailable", true);
    }
};

TEST(PartSteps, AFailureThatCannotBeRecordedChangesNothingElse) {
    StepsEnv env;
    auto refusing = std::make_shared<RecordRefused>(env.backend);
    wp::PartOptions options{.backend = refusing, .notifier = env.notifier, .fail_job_on = wp::fail_on<FatalInput>()};
    options.failure_tolerance = wp::FailureTolerance{.max_failed_parts = 1, .max_receive_count = 2, .receive_count = 2};
    try {
        wp::Part(env.jobid, 0, options).run([] { throw std::runtime_error("flaky"); });
        FAIL() << "the exception did not propagate";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "flaky");
    }
    EXPECT_EQ(env.backend->list_failed_parts(env.jobid), std::vector<wp::PartId>{0}) << "tolerance still counted it";
    EXPECT_THROW(wp::Part(env.jobid, 1, options).run([] { throw FatalInput("corrupt"); }), FatalInput);
    EXPECT_TRUE(env.backend->status(env.jobid).failed) << "fail_job_on still failed the job";
    EXPECT_TRUE(env.backend->list_part_failures(env.jobid).empty());
}

}  // namespace
