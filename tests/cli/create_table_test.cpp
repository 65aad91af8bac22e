// create-table on DynamoDB (dynalite), and the DynamoDB forms of -d and --progress-table.

#include "cli_test_support.hpp"

namespace {

using namespace wp_cli_test;

#if WP_CLI_TEST_DYNAMODB
TEST(CliDynamoDb, CreateTablePrintsTheArnAndAcceptsAnExistingTable) {
    const std::string table = "wp-cli-table-" + wp::new_jobid().substr(0, 8);
    RunOptions options;
    options.env = dynamodb_child_env();
    auto r = run_cli({"create-table", table}, options);
    ASSERT_EQ(r.code, 0) << r;
    EXPECT_TRUE(std::regex_match(r.out, std::regex("^arn:aws:dynamodb:us-east-1:[0-9]{12}:table/" + table + "\n$"))) << r.out;
    EXPECT_EQ(r.err, "");
    const std::string arn = r.out;

    r = run_cli({"create-table", table}, options);
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, arn);
    EXPECT_EQ(r.err, "watchbot-progress-cpp: table '" + table + "' exists already (ACTIVE)\n");

    r = run_cli({"create-table", table, "--fail-if-exists"}, options);
    EXPECT_EQ(r.code, wpcli::kExitConfig) << r;
    EXPECT_EQ(r.out, "");
    expect_one_line(r.err);

    // The new table works as a database at once.
    const std::string database = arn.substr(0, arn.size() - 1);
    r = run_cli({"set-total", "j", "--total", "2", "-d", database}, options);
    EXPECT_EQ(r.code, 0) << r;
    r = run_cli({"ls", "--jobid", "-d", database}, options);
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.out, "j\n");
}

TEST(CliDynamoDb, CreateTableWithExplicitEndpointRegionAndProvisionedCapacity) {
    const std::string table = "wp-cli-prov-" + wp::new_jobid().substr(0, 8);
    RunOptions options;
    options.env = dynamodb_child_env();
    options.env["AWS_ENDPOINT_URL_DYNAMODB"] = "";
    options.env["AWS_REGION"] = "";
    const auto r = run_cli({"create-table", table, "--endpoint", wp_test::require_env("WP_TEST_DYNAMODB_ENDPOINT"),
                            "--region", "eu-west-1", "--read-capacity", "3", "--write-capacity", "4", "--timeout", "20"},
                           options);
    ASSERT_EQ(r.code, 0) << r;
    // (dynalite names every table in us-east-1, whatever region signed the request.)
    EXPECT_THAT(r.out, StartsWith("arn:aws:dynamodb:"));
    EXPECT_THAT(r.out, ::testing::EndsWith(":table/" + table + "\n"));
    EXPECT_EQ(r.err, "");
}

TEST(CliDynamoDb, UnreachableEndpointExits3) {
    RunOptions options;
    options.env = dynamodb_child_env();
    options.env["AWS_ENDPOINT_URL_DYNAMODB"] = "http://127.0.0.1:1";
    const auto r = run_cli({"info", "job", "-d", "arn:aws:dynamodb:us-east-1:000000000000:table/nowhere"}, options);
    EXPECT_EQ(r.code, wpcli::kExitBackend) << r;
    EXPECT_EQ(r.out, "");
    expect_one_line(r.err);
    EXPECT_THAT(r.err, ::testing::Not(HasSubstr(kAwsSecretKey)));
}

TEST(CliDynamoDb, MalformedTableArnIsAUsageErrorWithDAndAConfigErrorInProgressTable) {
    RunOptions options;
    options.env = dynamodb_child_env();
    auto r = run_cli({"info", "job", "-d", "arn:aws:dynamodb:us-east-1:000000000000:table/x"}, options);
    EXPECT_EQ(r.code, wpcli::kExitUsage) << r;
    expect_one_line(r.err);
    EXPECT_THAT(r.err, HasSubstr("--database: "));
    EXPECT_THAT(r.err, HasSubstr("arn:aws:dynamodb:REGION:ACCOUNT:table/NAME"));

    options.env["ProgressTable"] = "arn:aws:dynamodb:us-east-1:000000000000:table/x";
    r = run_cli({"info", "job"}, options);
    EXPECT_EQ(r.code, wpcli::kExitConfig) << r;
    expect_one_line(r.err);
    EXPECT_THAT(r.err, HasSubstr("the ProgressTable environment variable: "));
}
#endif

}  // namespace
