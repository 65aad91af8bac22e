// JSON <-> DynamoDB AttributeValue conversion (src/backends/dynamodb/dynamodb_attribute_value.hpp), alone and
// through a real round trip to dynalite.

#include "watchbot_progress/config.hpp"
#if WP_WITH_AWS  // the DynamoDB backend is part of the AWS layer

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "backends/dynamodb/dynamodb_attribute_value.hpp"
#include "dynamodb_test_util.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/job.hpp"

namespace wp = watchbot_progress;
namespace aws = watchbot_progress::aws;
namespace dynamodb = watchbot_progress::detail::dynamodb;
using nlohmann::json;

namespace {

TEST(DynamoDbAttributeValue, EveryJsonTypeHasItsAttributeType) {
    EXPECT_EQ(dynamodb::to_attribute_value(nullptr), (json{{"NULL", true}}));
    EXPECT_EQ(dynamodb::to_attribute_value(true), (json{{"BOOL", true}}));
    EXPECT_EQ(dynamodb::to_attribute_value(false), (json{{"BOOL", false}}));
    EXPECT_EQ(dynamodb::to_attribute_value("text"), (json{{"S", "text"}}));
    EXPECT_EQ(dynamodb::to_attribute_value(""), (json{{"S", ""}}));
    EXPECT_EQ(dynamodb::to_attribute_value(-12), (json{{"N", "-12"}}));
    EXPECT_EQ(dynamodb::to_attribute_value(std::numeric_limits<std::uint64_t>::max()),
              (json{{"N", "18446744073709551615"}}));
    EXPECT_EQ(dynamodb::to_attribute_value(0.1), (json{{"N", "0.1"}}));
    EXPECT_EQ(dynamodb::to_attribute_value(json::array({1, "a"})),
              (json{{"L", json::array({{{"N", "1"}}, {{"S", "a"}}})}}));
    EXPECT_EQ(dynamodb::to_attribute_value(json{{"k", json{{"n", nullptr}}}}),
              (json{{"M", {{"k", {{"M", {{"n", {{"NULL", true}}}}}}}}}}));
    EXPECT_EQ(dynamodb::to_attribute_value(json::object()), (json{{"M", json::object()}}));
    EXPECT_EQ(dynamodb::to_attribute_value(json::array()), (json{{"L", json::array()}}));
}

TEST(DynamoDbAttributeValue, ConversionRoundTripsInMemory) {
    const json value = {{"s", "x"},      {"i", -7},       {"u", 18446744073709551615ULL},
                        {"d", 2.5},      {"b", true},     {"z", nullptr},
                        {"l", {1, 2.25, "three", false, nullptr, json::object()}},
                        {"m", {{"deep", {{"deeper", {1, 2}}}}}}};
    EXPECT_EQ(dynamodb::from_attribute_map(dynamodb::to_attribute_map(value)), value);
}

TEST(DynamoDbAttributeValue, ReadsTypesOtherToolsWrite) {
    EXPECT_EQ(dynamodb::from_attribute_value({{"SS", {"a", "b"}}}), (json{"a", "b"}));
    EXPECT_EQ(dynamodb::from_attribute_value({{"NS", {"3", "1.5"}}}), (json{3, 1.5}));
    EXPECT_EQ(dynamodb::from_attribute_value({{"B", "aGk="}}), "aGk=");
    EXPECT_EQ(dynamodb::from_attribute_value({{"BS", {"aGk="}}}), (json{"aGk="}));
    EXPECT_THROW(dynamodb::from_attribute_value({{"Q", 1}}), wp::InvalidInput);
    EXPECT_THROW(dynamodb::from_attribute_value(json::array()), wp::InvalidInput);
    EXPECT_THROW(dynamodb::from_attribute_value({{"N", "twelve"}}), wp::InvalidInput);
}

TEST(DynamoDbAttributeValue, NumbersParseAsIntegersWhenWholeAndSmallEnough) {
    EXPECT_TRUE(dynamodb::parse_number("42").is_number_integer());
    EXPECT_EQ(dynamodb::parse_number("-9223372036854775808"), std::numeric_limits<std::int64_t>::min());
    EXPECT_TRUE(dynamodb::parse_number("18446744073709551615").is_number_unsigned());
    const json big = dynamodb::parse_number("100000000000000000000000");
    EXPECT_TRUE(big.is_number_float());
    EXPECT_DOUBLE_EQ(big.get<double>(), 1e23);
    EXPECT_TRUE(dynamodb::parse_number("1.5").is_number_float());
    EXPECT_DOUBLE_EQ(dynamodb::parse_number("1E+20").get<double>(), 1e20);
    EXPECT_DOUBLE_EQ(dynamodb::parse_number("-1.25e-7").get<double>(), -1.25e-7);
    EXPECT_THROW(dynamodb::parse_number(""), wp::InvalidInput);
    EXPECT_THROW(dynamodb::parse_number("1.2.3"), wp::InvalidInput);
}

TEST(DynamoDbAttributeValue, NonFiniteNumbersAreRefused) {
    EXPECT_THROW(dynamodb::to_attribute_value(std::numeric_limits<double>::quiet_NaN()), wp::InvalidInput);
    EXPECT_THROW(dynamodb::to_attribute_value(json{{"x", std::numeric_limits<double>::infinity()}}), wp::InvalidInput);
}

// What DynamoDB never sends or stores is refused when read and when written, so that everything read
// can be written back (the fuzz target fuzz/fuzz_dynamodb_json.cpp checks the same on any input).
TEST(DynamoDbAttributeValue, TextsThatAreNotDynamoDbNumbersAreRefused) {
    for (const std::string bad : {"nan", "NaN", "inf", "-Infinity", "0x10", "1e999", "-1e999", "1e-999", "+-1", "++1",
                                  "1e", ".", "-", "+", "1.5.2", " 1", "1 ", "1e126", "9.99e125e1"}) {
        EXPECT_THROW(dynamodb::parse_number(bad), wp::InvalidInput) << bad;
        EXPECT_THROW(dynamodb::from_attribute_value({{"N", bad}}), wp::InvalidInput) << bad;
    }
    EXPECT_DOUBLE_EQ(dynamodb::parse_number("+1.5").get<double>(), 1.5);
    EXPECT_DOUBLE_EQ(dynamodb::parse_number("9.99E+125").get<double>(), 9.99e125);
    EXPECT_DOUBLE_EQ(dynamodb::parse_number("1E-130").get<double>(), 1e-130);
    EXPECT_THROW(dynamodb::to_attribute_value(1e126), wp::InvalidInput);
    EXPECT_THROW(dynamodb::to_attribute_value(json{{"x", -1e-131}}), wp::InvalidInput);
    EXPECT_NO_THROW(dynamodb::to_attribute_value(json{{"x", -1e-130}, {"zero", -0.0}}));
}

TEST(DynamoDbAttributeValue, NestingIsLimitedTo32LevelsBothWays) {
    json value = 1;
    for (int i = 0; i < 32; ++i) value = json::array({value});  // 32 arrays
    EXPECT_EQ(dynamodb::from_attribute_value(dynamodb::to_attribute_value(value)), value);
    EXPECT_THROW(dynamodb::to_attribute_value(json::array({value})), wp::InvalidInput);
    json attribute = {{"N", "1"}};
    for (int i = 0; i < 33; ++i) attribute = {{"L", json::array({attribute})}};
    EXPECT_THROW(dynamodb::from_attribute_value(attribute), wp::InvalidInput);
    // A hostile answer nested far deeper cannot exhaust the stack.
    attribute = {{"N", "1"}};
    for (int i = 0; i < 200'000; ++i) attribute = {{"M", {{"k", std::move(attribute)}}}};
    EXPECT_THROW(dynamodb::from_attribute_value(attribute), wp::InvalidInput);
    EXPECT_THROW(dynamodb::from_attribute_value({{"SS", {"a", 1}}}), wp::InvalidInput);
}

TEST(DynamoDbAttributeValue, NumberSizesFollowDynamoDbsRule) {
    EXPECT_EQ(dynamodb::number_size(0), 3u);
    EXPECT_EQ(dynamodb::number_size(7), 3u);
    EXPECT_EQ(dynamodb::number_size(10), 3u);     // trailing zeros are not stored
    EXPECT_EQ(dynamodb::number_size(12), 3u);
    EXPECT_EQ(dynamodb::number_size(123), 4u);
    EXPECT_EQ(dynamodb::number_size(99999), 5u);
    EXPECT_EQ(dynamodb::number_size(-5), 4u);
}

// Through dynalite: ints and doubles come back equal and of the same kind.
TEST(DynamoDbAttributeValue, NumbersRoundTripThroughDynamoDb) {
    auto client = wp_test::dynamodb_test_client("wp-test-progress");
    const json metadata = {
        {"zero", 0},
        {"neg", -5},
        {"max", std::numeric_limits<std::int64_t>::max()},
        {"min", std::numeric_limits<std::int64_t>::min()},
        {"umax", std::numeric_limits<std::uint64_t>::max()},
        {"tenth", 0.1},
        {"pi", 3.141592653589793},
        {"third", 1.0 / 3.0},
        {"neg_small", -2.5e-100},
        {"large", 1.2345678901234567e125},
        {"whole_double", 1e20},
        {"list", {1, 2.5, -3}},
        {"nested", {{"x", 0.30000000000000004}}},
    };
    const std::string id = "attr-roundtrip-" + wp::new_jobid();
    client->put_item({{{"id", {{"S", id}}}, {"metadata", dynamodb::to_attribute_value(metadata)}}});
    auto item = client->get_item({wp_test::dynamodb_key(id)});
    ASSERT_TRUE(item.has_value());
    const json back = dynamodb::from_attribute_value((*item)["metadata"]);
    for (const auto& [key, value] : metadata.items()) {
        EXPECT_EQ(back[key], value) << key << ": " << back[key].dump() << " vs " << value.dump();
        if (value.is_number_integer() && key != "whole_double") {
            EXPECT_TRUE(back[key].is_number_integer()) << key;
        }
        if (value.is_number_float() && key != "whole_double") {
            EXPECT_TRUE(back[key].is_number_float()) << key;
            EXPECT_EQ(back[key].get<double>(), value.get<double>()) << key;  // bit-exact
        }
    }
    // 1e20 is whole: it reads back as a number equal to it (a double or an unsigned integer).
    EXPECT_EQ(back["whole_double"].get<double>(), 1e20);
    client->delete_item({wp_test::dynamodb_key(id)});
}

}  // namespace

#endif  // WP_WITH_AWS
