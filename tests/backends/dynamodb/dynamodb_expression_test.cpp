// The DynamoDB backend's expression builder (src/backends/dynamodb/dynamodb_expression.hpp): the
// names and values an expression uses are gathered as it is written, and update clauses keep the
// order they were first used in.

#include <gtest/gtest.h>

#include "backends/dynamodb/dynamodb_attribute_value.hpp"
#include "backends/dynamodb/dynamodb_client.hpp"
#include "backends/dynamodb/dynamodb_expression.hpp"

namespace aws = watchbot_progress::aws;
namespace ddb = watchbot_progress::detail::dynamodb;
namespace dynamodb = watchbot_progress::detail::dynamodb;
using nlohmann::json;

TEST(DynamoDbExpression, GathersTheNamesAndValuesItUses) {
    ddb::Expression x;
    EXPECT_EQ(x.job_exists(), "attribute_exists(#total) AND attribute_not_exists(#shardOf)");
    EXPECT_EQ(x.equals("reduceClaim", "token", dynamodb::string_value("t")), "#reduceClaim = :token");
    EXPECT_EQ(x.name_as("k0", "a key with spaces"), "#k0");
    EXPECT_EQ(x.names(), json({{"#total", "total"}, {"#shardOf", "shardOf"}, {"#reduceClaim", "reduceClaim"},
                               {"#k0", "a key with spaces"}}));
    EXPECT_EQ(x.values(), json({{":token", dynamodb::string_value("t")}}));
}

TEST(DynamoDbExpression, CreationAndPythonMarkConditions) {
    ddb::Expression x;
    EXPECT_EQ(x.id_is_free(), "attribute_not_exists(#total) AND attribute_not_exists(#shardOf)");
    EXPECT_EQ(x.not_marked_sent_by_python(),
              "(attribute_not_exists(#metadata.#reduce_message_sent) OR #metadata.#reduce_message_sent <> :true)");
    EXPECT_EQ(x.values(), json({{":true", dynamodb::bool_value(true)}}));
}

// Completeness as the job item records it, for either layout: what every reduce claim requires.
TEST(DynamoDbExpression, TheCompletenessCondition) {
    ddb::Expression x;
    EXPECT_EQ(x.job_complete(),
              "((attribute_not_exists(#layout) AND attribute_not_exists(#parts)) OR (#layout = :sharded AND "
              "attribute_not_exists(#pendingShards)))");
    EXPECT_EQ(x.values(), json({{":sharded", dynamodb::string_value("sharded")}}));
}

TEST(DynamoDbExpression, UpdateClausesKeepTheOrderTheyWereFirstUsedIn) {
    ddb::UpdateExpression update;
    EXPECT_TRUE(update.empty());
    update.set("#a", ":a").delete_from_set("#p", ":p").set("#b", ":b").remove("#c").remove("#d").add("#n", ":one");
    EXPECT_FALSE(update.empty());
    EXPECT_EQ(update.str(), "SET #a = :a, #b = :b DELETE #p :p REMOVE #c, #d ADD #n :one");
}

TEST(DynamoDbExpression, FillsARequestWithWhatItGathered) {
    ddb::Expression x;
    dynamodb::UpdateItemRequest update;
    update.condition = x.equals("total", "n", dynamodb::number_value(3));
    x.fill(update);
    EXPECT_EQ(update.names, json({{"#total", "total"}}));
    EXPECT_EQ(update.values, json({{":n", dynamodb::number_value(3)}}));
    dynamodb::GetItemRequest get;  // names only
    x.fill(get);
    EXPECT_EQ(get.names, json({{"#total", "total"}}));
}

// Conditions are joined by the builder, never by hand: AND without parentheses around the whole
// (it binds tighter than OR), OR in parentheses, a conjunction inside an OR in its own.
TEST(DynamoDbExpression, JoinsConditions) {
    ddb::Expression x;
    EXPECT_EQ(ddb::Expression::all_of({"a", "b", "c"}), "a AND b AND c");
    EXPECT_EQ(ddb::Expression::all_of({"a", "", "c"}), "a AND c") << "an empty operand is an absent condition";
    EXPECT_EQ(ddb::Expression::all_of({"a"}), "a");
    EXPECT_EQ(ddb::Expression::any_of({"a", "b"}), "(a OR b)");
    EXPECT_EQ(ddb::Expression::any_of({ddb::Expression::all_of({"a", "b"}), "c"}), "((a AND b) OR c)");
    EXPECT_EQ(ddb::Expression::all_of({ddb::Expression::any_of({"a", "b"}), "c"}), "(a OR b) AND c");
    EXPECT_EQ(ddb::Expression::negate("a"), "NOT a");
    const std::string n = x.value("n", dynamodb::number_value(4));
    EXPECT_EQ(x.compare("total", ">", n), "#total > :n");
    EXPECT_EQ(x.contains("parts", n), "contains(#parts, :n)");
    EXPECT_EQ(x.is_map(x.name("metadata")), "attribute_type(#metadata, :map)");
    EXPECT_EQ(x.names(), json({{"#total", "total"}, {"#parts", "parts"}, {"#metadata", "metadata"}}));
    EXPECT_EQ(x.values(), json({{":n", dynamodb::number_value(4)}, {":map", dynamodb::string_value("M")}}));
}
