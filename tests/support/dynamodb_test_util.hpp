#pragma once
// Helpers for the DynamoDB tests: a raw client on the test server (to read items back exactly as
// stored), and backends with chosen options.

#include <memory>
#include <string>

#include "aws/aws_client.hpp"
#include "aws/credentials.hpp"
#include "backends/dynamodb/dynamodb_client.hpp"
#include "factories/dynamodb_factory.hpp"
#include "watchbot_progress/dynamodb_backend.hpp"

namespace wp_test {

namespace dynamodb = watchbot_progress::detail::dynamodb;

// An AwsClient configuration for the test server with the fake static credentials.
inline watchbot_progress::aws::AwsClientConfig dynamodb_test_config(const std::string& endpoint = "") {
    namespace aws = watchbot_progress::aws;
    aws::AwsClientConfig config;
    config.service = "dynamodb";
    config.region = kDynamoDbTestRegion;
    config.endpoint = endpoint.empty() ? require_env("WP_TEST_DYNAMODB_ENDPOINT") : endpoint;
    aws::Credentials credentials;
    credentials.access_key_id = kDynamoDbTestAccessKey;
    credentials.secret_access_key = kDynamoDbTestSecretKey;
    config.credentials = std::make_shared<aws::StaticCredentialsProvider>(credentials);
    return config;
}

// A raw client on `table` of the test server (the table is created when missing).
inline std::shared_ptr<dynamodb::DynamoDbClient> dynamodb_test_client(const std::string& table) {
    ensure_dynamodb_test_table(table);
    return std::make_shared<dynamodb::DynamoDbClient>(dynamodb_test_config(), table);
}

inline nlohmann::json dynamodb_key(const std::string& id) { return {{"id", {{"S", id}}}}; }

}  // namespace wp_test
