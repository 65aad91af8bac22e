#pragma once
// DynamoDB expressions as the backend writes them: condition, update, filter and projection
// expressions, with the #names and :values they use gathered as they are written, and the
// conditions every job write shares written once. Not thread-safe: one Expression per request.

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace watchbot_progress::detail::dynamodb {

// The names and values of one request's expressions. name("total") is "#total" and registers it;
// value("p", v) is ":p" and registers v (a later value under the same placeholder replaces it).
// Only what an expression uses is registered, so only that is sent (DynamoDB refuses unused names
// and values).
class Expression {
public:
    std::string name(const std::string& attribute);
    // "#placeholder", standing for `attribute` (a name that is not a valid placeholder itself, such
    // as a user's metadata key).
    std::string name_as(const std::string& placeholder, const std::string& attribute);
    std::string value(const std::string& placeholder, nlohmann::json attribute_value);

    // attribute_exists(#a) / attribute_not_exists(#a).
    std::string exists(const std::string& attribute);
    std::string not_exists(const std::string& attribute);
    // #a = :placeholder.
    std::string equals(const std::string& attribute, const std::string& placeholder, nlohmann::json attribute_value);
    // #a <op> operand (operand: a :value already registered, e.g. value()'s or equals()'s result).
    std::string compare(const std::string& attribute, const char* op, const std::string& operand);
    // contains(#a, operand): a set attribute holds the value.
    std::string contains(const std::string& attribute, const std::string& operand);
    // attribute_type(path, :map): `path` (a name or a #a.#b path) is a map (M).
    std::string is_map(const std::string& path);

    // Conditions joined: all_of with AND (no parentheses around the whole: AND binds tighter than
    // OR, so it may stand in any_of as it is), any_of with OR, in parentheses (so it may stand in
    // all_of); an operand of any_of that holds an AND is put in parentheses too, for the reader.
    // Empty operands are left out (an optional condition); NOT c is negate(c).
    static std::string all_of(std::initializer_list<std::string> conditions);
    static std::string any_of(std::initializer_list<std::string> conditions);
    static std::string negate(const std::string& condition);

    // The item is a job item: it has a total and is not a shard or index item of a sharded job
    // (which carry shardOf). Every write to an existing job is conditional on it.
    std::string job_exists();
    // No job and no shard item has this id: the condition of a job's creation.
    std::string id_is_free();
    // The Python tool has not marked the reduce sent (metadata.reduce_message_sent is not BOOL true;
    // the string this library's claim writes there is no such mark).
    std::string not_marked_sent_by_python();
    // No part of the job is pending, as the job item itself records it (so a conditional write on
    // the job item tests it atomically): a compatible job item (no `layout`) without `parts`, or a
    // sharded one without `pendingShards` (the job item's set empties only after every shard below
    // it did). Any other layout is never complete.
    std::string job_complete();

    const nlohmann::json& names() const noexcept { return names_; }
    const nlohmann::json& values() const noexcept { return values_; }

    // Copies the names and values into a request (any of the client's request types with `names`
    // and `values`; GetItemRequest has only names).
    template <class Request>
    void fill(Request& request) const {
        request.names = names_;
        if constexpr (requires { request.values; }) request.values = values_;
    }

private:
    nlohmann::json names_ = nlohmann::json::object();
    nlohmann::json values_ = nlohmann::json::object();
};

// An UpdateExpression: its SET, REMOVE, ADD and DELETE clauses, each clause written where it was
// first used and its actions in the order they were added, e.g.
//   UpdateExpression().set(x.name("a"), x.value("v", ...)).remove(x.name("b")).str()
//   == "SET #a = :v REMOVE #b"
class UpdateExpression {
public:
    // SET path = operand (operand: a :value, or an expression such as if_not_exists(#m, :empty)).
    UpdateExpression& set(const std::string& path, const std::string& operand);
    UpdateExpression& remove(const std::string& path);
    // ADD path operand: adds to a number or to a set.
    UpdateExpression& add(const std::string& path, const std::string& operand);
    // DELETE path operand: takes the members of `operand` out of a set.
    UpdateExpression& delete_from_set(const std::string& path, const std::string& operand);

    bool empty() const noexcept { return clauses_.empty(); }
    std::string str() const;

private:
    UpdateExpression& action(const char* keyword, std::string text);

    std::vector<std::pair<const char*, std::vector<std::string>>> clauses_;
};

}  // namespace watchbot_progress::detail::dynamodb
