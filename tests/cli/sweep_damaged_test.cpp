// `sweep` over a whole DynamoDB table (one of its own on dynalite) holding jobs this library cannot
// read, one of each kind (tests/support/dynamodb_damaged_jobs.hpp), and a job whose reduce cannot be
// sent, among good jobs: the good jobs' reduces are sent, the bad jobs are reported, and the command
// exits non-zero at the end; `ls` lists the readable jobs. Run as a real process; the test fails when dynalite is missing.

#include "watchbot_progress/config.hpp"
#if WP_WITH_SQLITE && WP_WITH_AWS  // the reduces go to a local queue; the table is DynamoDB's

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli_runner.hpp"
#include "dynamodb_damaged_jobs.hpp"
#include "dynamodb_test_util.hpp"
#include "test_env.hpp"
#include "watchbot_progress/local_queue.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace wp = watchbot_progress;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAreArray;

namespace {

TEST(CliSweepDynamoDb, SendsTheGoodJobsReducesPastBadJobsAndAFailedSendThenExitsNonZero) {
    const std::string table = "wp-cli-sweep-damaged";
    auto client = wp_test::dynamodb_test_client(table);
    wp_test::empty_dynamodb_table(*client);
    wp::DynamoDbOptions options = wp_test::dynamodb_test_options(table);
    options.layout = wp::DynamoDbLayout::kSharded;
    options.shard_size = 2;
    auto backend = std::make_shared<wp::DynamoDbBackend>(options);

    // Good jobs, complete, their reduce never claimed (its sending failed earlier and was given back).
    std::vector<std::string> good;
    for (const char* name : {"a-good", "c-good", "e-good"}) {
        backend->set_total(name, 3);
        for (wp::PartId p = 0; p < 3; ++p) backend->complete_part(name, p);
        good.emplace_back(name);
    }
    // A job whose reduce message is over the 256 KiB a message may hold: its sending fails.
    const std::string unsendable = "b-unsendable";
    backend->set_total(unsendable, 1);
    backend->set_metadata(unsendable, {{"blob", std::string(300 * 1024, 'x')}});
    backend->complete_part(unsendable, 0);
    const std::vector<std::string> bad = wp_test::write_damaged_jobs(*backend, *client, "d-bad-");

    char pattern[] = "/tmp/wp-cli-sweep-damaged-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    const std::string dir = pattern;
    const std::string queue = "sqlite://" + dir + "/queue.db";
    wp_test::RunOptions run;
    run.env = {{"AWS_ENDPOINT_URL_DYNAMODB", wp_test::require_env("WP_TEST_DYNAMODB_ENDPOINT")},
               {"AWS_ACCESS_KEY_ID", wp_test::kDynamoDbTestAccessKey},
               {"AWS_SECRET_ACCESS_KEY", wp_test::kDynamoDbTestSecretKey},
               {"AWS_SESSION_TOKEN", ""},
               {"AWS_REGION", wp_test::kDynamoDbTestRegion},
               {"AWS_PROFILE", ""},
               {"AWS_EC2_METADATA_DISABLED", "true"}};
    const auto r = wp_test::run_cli({"sweep", "--topic", queue, "-d", wp_test::dynamodb_test_arn(table)}, run);

    EXPECT_NE(r.code, 0) << r;
    std::vector<std::string> printed;
    for (std::size_t start = 0, end; (end = r.out.find('\n', start)) != std::string::npos; start = end + 1) {
        printed.push_back(r.out.substr(start, end - start));
    }
    EXPECT_THAT(printed, UnorderedElementsAreArray(good)) << r;
    std::vector<std::string> reduced;
    auto received = wp::LocalQueue::from_uri(queue)->receive(100, std::chrono::minutes(10));
    for (const auto& m : received) reduced.push_back(nlohmann::json::parse(m.body).at("jobid").get<std::string>());
    EXPECT_THAT(reduced, UnorderedElementsAreArray(good));
    for (const auto& jobid : good) EXPECT_TRUE(backend->status(jobid).reduce_confirmed) << jobid;

    EXPECT_THAT(r.err, HasSubstr("job '" + unsendable + "'")) << r;
    EXPECT_THAT(r.err, HasSubstr("sending its reduce failed")) << r;
    EXPECT_FALSE(backend->status(unsendable).reduce_sent) << "the failed send's claim was not given back";
    for (const auto& jobid : bad) EXPECT_THAT(r.err, HasSubstr("skipped job '" + jobid + "'")) << r;
    EXPECT_THAT(r.err, Not(HasSubstr(wp_test::kDynamoDbTestSecretKey)));

    // `ls` lists the readable jobs of the same table and says which it skipped.
    const auto ls = wp_test::run_cli({"ls", "-d", wp_test::dynamodb_test_arn(table)}, run);
    EXPECT_EQ(ls.code, 0) << ls;
    for (const auto& jobid : good) EXPECT_THAT(ls.out, HasSubstr("\"" + jobid + "\"")) << ls;
    EXPECT_THAT(ls.out, HasSubstr("\"" + unsendable + "\"")) << ls;
    for (const auto& jobid : bad) {
        EXPECT_THAT(ls.out, Not(HasSubstr("\"" + jobid + "\""))) << ls;
        EXPECT_THAT(ls.err, HasSubstr("skipped job '" + jobid + "'")) << ls;
    }

    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
}

}  // namespace

#endif  // WP_WITH_SQLITE && WP_WITH_AWS
