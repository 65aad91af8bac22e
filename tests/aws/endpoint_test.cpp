// ARN parsing, endpoint and region resolution.

#include <gtest/gtest.h>

#include "aws/arn.hpp"
#include "aws/endpoint.hpp"
#include "watchbot_progress/errors.hpp"

namespace aws = watchbot_progress::aws;
using watchbot_progress::ConfigError;
using watchbot_progress::InvalidInput;

TEST(ArnTest, ParsesTableAndTopicArns) {
    auto table = aws::parse_arn("arn:aws:dynamodb:us-east-1:123456789012:table/progress");
    EXPECT_EQ(table.partition, "aws");
    EXPECT_EQ(table.service, "dynamodb");
    EXPECT_EQ(table.region, "us-east-1");
    EXPECT_EQ(table.account, "123456789012");
    EXPECT_EQ(table.resource, "table/progress");
    EXPECT_EQ(table.to_string(), "arn:aws:dynamodb:us-east-1:123456789012:table/progress");

    auto topic = aws::parse_arn("arn:aws-cn:sns:cn-north-1:123456789012:work-topic");
    EXPECT_EQ(topic.partition, "aws-cn");
    EXPECT_EQ(topic.resource, "work-topic");

    auto with_colons = aws::parse_arn("arn:aws:sns:us-west-2:123456789012:topic:sub-id:extra");
    EXPECT_EQ(with_colons.resource, "topic:sub-id:extra");

    auto global = aws::parse_arn("arn:aws:iam::aws:policy/ReadOnly");
    EXPECT_EQ(global.region, "");
    EXPECT_EQ(global.account, "aws");
    EXPECT_TRUE(aws::looks_like_arn("arn:x"));
    EXPECT_FALSE(aws::looks_like_arn("table-name"));
}

TEST(ArnTest, RejectsMalformedArnsWithClearMessages) {
    for (const char* bad : {"", "progress-table", "arn:aws:dynamodb:us-east-1:123", "arn::dynamodb:us-east-1:1:table/x",
                            "arn:aws::us-east-1:1:table/x", "arn:aws:dynamodb:us-east-1:1:",
                            "arn:aws:dynamodb:US_EAST:1:table/x", "ARN:aws:sns:us-east-1:1:t"}) {
        SCOPED_TRACE(bad);
        try {
            aws::parse_arn(bad, "ProgressTable");
            ADD_FAILURE() << "accepted";
        } catch (const InvalidInput& e) {
            std::string message = e.what();
            EXPECT_NE(message.find("ProgressTable"), std::string::npos) << message;
            EXPECT_NE(message.find("arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE"), std::string::npos) << message;
        }
    }
}

TEST(EndpointTest, DefaultEndpoints) {
    auto env = aws::map_env({});
    EXPECT_EQ(aws::resolve_endpoint("dynamodb", "us-east-1", env), "https://dynamodb.us-east-1.amazonaws.com");
    EXPECT_EQ(aws::resolve_endpoint("sns", "eu-west-1", env), "https://sns.eu-west-1.amazonaws.com");
    EXPECT_EQ(aws::resolve_endpoint("sns", "cn-north-1", env), "https://sns.cn-north-1.amazonaws.com.cn");
    EXPECT_THROW(aws::resolve_endpoint("sns", "", env), ConfigError);
    EXPECT_EQ(aws::service_endpoint_variable("dynamodb"), "AWS_ENDPOINT_URL_DYNAMODB");
    EXPECT_EQ(aws::service_endpoint_variable("sns"), "AWS_ENDPOINT_URL_SNS");
    EXPECT_EQ(aws::service_endpoint_variable("elastic-beanstalk"), "AWS_ENDPOINT_URL_ELASTIC_BEANSTALK");
}

TEST(EndpointTest, OverridesInOrder) {
    auto all = aws::map_env({{"AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000/"},
                             {"AWS_ENDPOINT_URL_SNS", "http://127.0.0.1:9000"},
                             {"AWS_ENDPOINT_URL", "http://127.0.0.1:4566"},
                             {"DynamoDbEndpoint", "http://127.0.0.1:7000"}});
    EXPECT_EQ(aws::resolve_endpoint("dynamodb", "us-east-1", all), "http://127.0.0.1:8000");
    EXPECT_EQ(aws::resolve_endpoint("sns", "us-east-1", all), "http://127.0.0.1:9000");
    EXPECT_EQ(aws::resolve_endpoint("sqs", "us-east-1", all), "http://127.0.0.1:4566");

    auto general = aws::map_env({{"AWS_ENDPOINT_URL", "http://127.0.0.1:4566"}, {"DynamoDbEndpoint", "http://127.0.0.1:7000"}});
    EXPECT_EQ(aws::resolve_endpoint("dynamodb", "us-east-1", general), "http://127.0.0.1:4566");

    auto node = aws::map_env({{"DynamoDbEndpoint", "http://localhost:7000"}, {"AWS_ENDPOINT_URL_DYNAMODB", ""}});
    EXPECT_EQ(aws::resolve_endpoint("dynamodb", "us-east-1", node), "http://localhost:7000");
    EXPECT_EQ(aws::resolve_endpoint("sns", "us-east-1", node), "https://sns.us-east-1.amazonaws.com")
        << "DynamoDbEndpoint is for DynamoDB only";

    // Endpoint overrides work without a region (a local emulator).
    EXPECT_EQ(aws::resolve_endpoint("dynamodb", "", node), "http://localhost:7000");

    auto ignored = aws::map_env({{"AWS_ENDPOINT_URL", "http://127.0.0.1:4566"}, {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"}});
    EXPECT_EQ(aws::resolve_endpoint("sns", "us-east-1", ignored), "https://sns.us-east-1.amazonaws.com");
}

TEST(EndpointTest, MalformedOverrideNamesTheVariable) {
    for (const char* bad : {"localhost:8000", "ftp://host", "http://", "http://host:99999", "http://host?x=1"}) {
        SCOPED_TRACE(bad);
        try {
            aws::resolve_endpoint("sns", "us-east-1", aws::map_env({{"AWS_ENDPOINT_URL_SNS", bad}}));
            ADD_FAILURE() << "accepted";
        } catch (const ConfigError& e) {
            EXPECT_NE(std::string(e.what()).find("AWS_ENDPOINT_URL_SNS"), std::string::npos);
        }
    }
    try {
        aws::resolve_endpoint("sns", "us-east-1", aws::map_env({{"AWS_ENDPOINT_URL", "http//user:pw@x"}}));
        ADD_FAILURE() << "accepted";
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()).find("pw"), std::string::npos);
    }
}

TEST(EndpointTest, RegionFromArnThenEnvironment) {
    auto arn = aws::parse_arn("arn:aws:dynamodb:eu-west-1:123456789012:table/t");
    auto env = aws::map_env({{"AWS_REGION", "us-west-2"}, {"AWS_DEFAULT_REGION", "ap-south-1"}});
    EXPECT_EQ(aws::resolve_region(arn, env), "eu-west-1");
    EXPECT_EQ(aws::resolve_region(std::nullopt, env), "us-west-2");
    EXPECT_EQ(aws::resolve_region(aws::parse_arn("arn:aws:iam::aws:policy/x"), env), "us-west-2");
    EXPECT_EQ(aws::resolve_region(std::nullopt, aws::map_env({{"AWS_DEFAULT_REGION", "ap-south-1"}})), "ap-south-1");
    EXPECT_EQ(aws::resolve_region(std::nullopt, aws::map_env({{"AWS_REGION", ""}, {"AWS_DEFAULT_REGION", "ap-south-1"}})),
              "ap-south-1");
    try {
        aws::resolve_region(std::nullopt, aws::map_env({}));
        ADD_FAILURE() << "expected ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("AWS_REGION"), std::string::npos);
    }
    EXPECT_THROW(aws::resolve_region(std::nullopt, aws::map_env({{"AWS_REGION", "us east 1"}})), ConfigError);
}
