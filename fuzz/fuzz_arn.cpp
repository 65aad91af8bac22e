// ARNs (src/aws/arn), SNS topic ARNs (src/notifiers/sns/sns_batch), DynamoDB table ARNs and names
// (src/backends/dynamodb/dynamodb_config) and the region taken from them (src/aws/endpoint).
// Invariants:
//   - parse_arn throws only InvalidInput; an accepted ARN prints back exactly as given;
//   - parse_sns_topic_arn throws only ConfigError; an accepted one is an "sns" ARN with a region,
//     an account and a topic name of 1-256 letters, digits, '-' and '_';
//   - detail::dynamodb::parse_table throws only InvalidInput; the name it returns is 3-255 characters of
//     a-z A-Z 0-9 _ . -, and a table ARN's resource is "table/" + name;
//   - resolve_region throws only ConfigError;
//   - every message is one bounded line.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "aws/arn.hpp"
#include "aws/endpoint.hpp"
#include "aws/env.hpp"
#include "notifiers/sns/sns_batch.hpp"
#include "backends/dynamodb/dynamodb_config.hpp"
#include "fuzz_check.hpp"
#include "watchbot_progress/errors.hpp"

namespace wp = watchbot_progress;
namespace aws = watchbot_progress::aws;
namespace sns = watchbot_progress::detail::sns;

namespace {

bool table_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    aws::Arn arn;
    if (wp_fuzz::expect_errors<wp::InvalidInput>("parse_arn", [&] { arn = aws::parse_arn(text, "ARN"); })) {
        FUZZ_CHECK(arn.to_string() == text);
        FUZZ_CHECK(!arn.partition.empty() && !arn.service.empty() && !arn.resource.empty());
        std::string region;
        if (wp_fuzz::expect_errors<wp::ConfigError>("resolve_region", [&] {
                region = aws::resolve_region(arn, aws::map_env({{"AWS_REGION", "us-east-1"}}));
            })) {
            FUZZ_CHECK(!region.empty());
        }
    }

    aws::Arn topic;
    if (wp_fuzz::expect_errors<wp::ConfigError>("parse_sns_topic_arn", [&] { topic = sns::parse_sns_topic_arn(text, "topic"); })) {
        FUZZ_CHECK(topic.to_string() == text);
        FUZZ_CHECK(topic.service == "sns" && !topic.region.empty() && !topic.account.empty());
        FUZZ_CHECK(!topic.resource.empty() && topic.resource.size() <= 256);
    }

    wp::detail::dynamodb::ResolvedTable table;
    if (wp_fuzz::expect_errors<wp::InvalidInput>("parse_table", [&] { table = wp::detail::dynamodb::parse_table(std::string(text), "table"); })) {
        FUZZ_CHECK(table.name.size() >= 3 && table.name.size() <= 255);
        FUZZ_CHECK(std::all_of(table.name.begin(), table.name.end(), table_name_char));
        if (table.arn) {
            FUZZ_CHECK(table.arn->service == "dynamodb");
            FUZZ_CHECK(table.arn->resource == "table/" + table.name);
            FUZZ_CHECK(table.arn->to_string() == text);
        } else {
            FUZZ_CHECK(table.name == text);
        }
    }
    return 0;
}
