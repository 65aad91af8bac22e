// Jobs of the Python and Node tools in the DynamoDB table (written item for item as those tools
// write them: tests/other_tools.hpp).

#include "watchbot_progress/config.hpp"
#if WP_WITH_AWS  // the DynamoDB backend is part of the AWS layer

#include <set>
#include <string>

#include <gtest/gtest.h>

#include "dynamodb_test_util.hpp"
#include "other_tools.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace wp = watchbot_progress;
namespace aws = watchbot_progress::aws;
using nlohmann::json;

namespace {

constexpr const char* kTable = "wp-test-other-tools";

std::string new_id(const char* prefix) { return std::string("other-tools-") + prefix + "-" + wp::new_jobid(); }

// The Python tool's Part records a reduce it published as metadata.reduce_message_sent = true, and
// never writes reduceSent. Such a job is complete and reduced: status says so, and neither a claim,
// a take-over, nor a late delivery through this library's guard sends its reduce again.
TEST(DynamoDbOtherTools, AJobThePythonToolReducedCountsAsReduced) {
    auto client = wp_test::dynamodb_test_client(kTable);
    auto backend = std::make_shared<wp::DynamoDbBackend>(wp_test::dynamodb_test_options(kTable));
    const std::string jobid = new_id("python-reduced");
    using namespace wp_test::other_tools;
    python_dynamodb_set_total(*client, jobid, 3);
    python_dynamodb_set_metadata(*client, jobid, {{"bucket", "out"}});
    for (std::int64_t p = 0; p < 3; ++p) dynamodb_delete_part(*client, jobid, p);
    python_dynamodb_mark_reduce_sent(*client, jobid);  // after its Part published the reduce

    const wp::JobStatus s = backend->status(jobid);
    EXPECT_EQ(s.remaining, 0);
    EXPECT_TRUE(s.reduce_sent);
    EXPECT_TRUE(s.reduce_confirmed) << "the Python tool marks the reduce once it is published";
    EXPECT_FALSE(s.reduce_claimed_at_ms.has_value());
    EXPECT_FALSE(s.updated_at_ms.has_value());
    EXPECT_EQ(s.to_json()["reduceSent"], true);  // what `info` prints

    EXPECT_FALSE(backend->claim_reduce(jobid));
    const wp::CompletionResult late = backend->complete_part_and_claim_reduce(jobid, 1);
    EXPECT_TRUE(late.job_complete);
    EXPECT_FALSE(late.reduce_claimed());
    EXPECT_FALSE(backend->reclaim_reduce(jobid, std::chrono::milliseconds(0)));

    auto notifier = std::make_shared<wp::MemoryNotifier>();
    const wp::PartOptions options{.backend = backend, .notifier = notifier, .reduce_lease = std::chrono::milliseconds(0)};
    for (wp::PartId p = 0; p < 3; ++p) wp::Part(jobid, p, options).run([] {});
    EXPECT_TRUE(notifier->messages("reduce").empty()) << "a late delivery sent the reduce of a job the Python tool reduced";
    EXPECT_TRUE(backend->delete_job(jobid));
}

// The same job before the Python tool marked it: complete, reduce not sent. This library's guard
// (a worker of the same job) claims and sends it, once; the mark the Python tool writes afterwards
// changes nothing more.
TEST(DynamoDbOtherTools, AJobThePythonToolCompletedButDidNotReduceIsReducedOnce) {
    auto client = wp_test::dynamodb_test_client(kTable);
    auto backend = std::make_shared<wp::DynamoDbBackend>(wp_test::dynamodb_test_options(kTable));
    const std::string jobid = new_id("python-unreduced");
    using namespace wp_test::other_tools;
    python_dynamodb_set_total(*client, jobid, 2);
    dynamodb_delete_part(*client, jobid, 0);
    EXPECT_FALSE(backend->status(jobid).reduce_sent);
    auto notifier = std::make_shared<wp::MemoryNotifier>();
    const wp::PartOptions options{.backend = backend, .notifier = notifier};
    wp::Part(jobid, 1, options).run([] {});
    wp::Part(jobid, 1, options).run([] {});
    EXPECT_EQ(notifier->messages("reduce").size(), 1u);
    python_dynamodb_mark_reduce_sent(*client, jobid);
    EXPECT_TRUE(backend->status(jobid).reduce_sent);
    wp::Part(jobid, 0, {.backend = backend, .notifier = notifier, .reduce_lease = std::chrono::milliseconds(0)}).run([] {});
    EXPECT_EQ(notifier->messages("reduce").size(), 1u);
    EXPECT_TRUE(backend->delete_job(jobid));
}

}  // namespace

#endif  // WP_WITH_AWS
