// list_jobs over a table holding jobs this library cannot read, one of each kind, among good jobs:
// every good job is visited, each bad one is skipped and reported, and the walk goes on (one bad
// job must not stop `ls`, `sweep` and `serve` for the whole table).

#include "watchbot_progress/config.hpp"
#if WP_WITH_AWS  // the DynamoDB backend is part of the AWS layer

#include <set>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dynamodb_damaged_jobs.hpp"
#include "dynamodb_test_util.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace wp = watchbot_progress;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

TEST(DynamoDbListJobs, SkipsAndReportsEachJobItCannotReadAndGoesOn) {
    const std::string table = "wp-test-list-damaged";
    auto client = wp_test::dynamodb_test_client(table);
    wp_test::empty_dynamodb_table(*client);
    wp::DynamoDbOptions options = wp_test::dynamodb_test_options(table);
    options.layout = wp::DynamoDbLayout::kSharded;
    options.shard_size = 2;
    options.scan_page_limit = 3;  // several pages, bad jobs among them
    auto backend = std::make_shared<wp::DynamoDbBackend>(options);
    options.layout = wp::DynamoDbLayout::kCompatible;
    auto compatible = std::make_shared<wp::DynamoDbBackend>(options);

    std::set<std::string> good;
    for (int i = 0; i < 3; ++i) {
        const std::string sharded_job = "good-sharded-" + std::to_string(i);
        backend->set_total(sharded_job, 5);
        backend->complete_part(sharded_job, 1);
        good.insert(sharded_job);
        const std::string compatible_job = "good-compatible-" + std::to_string(i);
        compatible->set_total(compatible_job, 3);
        good.insert(compatible_job);
    }
    const std::vector<std::string> bad = wp_test::write_damaged_jobs(*backend, *client, "bad-");
    for (const auto& jobid : bad) EXPECT_THROW(backend->status(jobid), wp::BackendError) << jobid;

    std::set<std::string> visited;
    ::testing::internal::CaptureStderr();
    EXPECT_NO_THROW(backend->list_jobs([&](const wp::JobStatus& s) {
        visited.insert(s.jobid);
        if (s.jobid.rfind("good-sharded-", 0) == 0) {
            EXPECT_EQ(s.remaining, 4);
        }
    }));
    const std::string warnings = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(visited, good);
    for (const auto& jobid : bad) EXPECT_THAT(warnings, HasSubstr("skipped job '" + jobid + "'"));
    EXPECT_THAT(warnings, HasSubstr("upgrade watchbot-progress"));       // the unknown layout
    EXPECT_THAT(warnings, HasSubstr("cannot read"));                     // the metadata
    EXPECT_THAT(warnings, HasSubstr("delete the job and create it again"));  // the damaged attributes
    EXPECT_THAT(warnings, Not(HasSubstr(wp_test::kDynamoDbTestSecretKey)));
}

}  // namespace

#endif  // WP_WITH_AWS
