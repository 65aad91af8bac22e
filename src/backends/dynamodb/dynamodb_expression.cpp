#include "backends/dynamodb/dynamodb_expression.hpp"

#include <cstring>

#include "backends/dynamodb/dynamodb_attribute_value.hpp"
#include "backends/dynamodb/dynamodb_attribute_names.hpp"

namespace watchbot_progress::detail::dynamodb {

std::string Expression::name(const std::string& attribute) {
    names_["#" + attribute] = attribute;
    return "#" + attribute;
}

std::string Expression::name_as(const std::string& placeholder, const std::string& attribute) {
    names_["#" + placeholder] = attribute;
    return "#" + placeholder;
}

std::string Expression::value(const std::string& placeholder, nlohmann::json attribute_value) {
    values_[":" + placeholder] = std::move(attribute_value);
    return ":" + placeholder;
}

std::string Expression::exists(const std::string& attribute) { return "attribute_exists(" + name(attribute) + ")"; }

std::string Expression::not_exists(const std::string& attribute) {
    return "attribute_not_exists(" + name(attribute) + ")";
}

std::string Expression::equals(const std::string& attribute, const std::string& placeholder, nlohmann::json attribute_value) {
    return name(attribute) + " = " + value(placeholder, std::move(attribute_value));
}

std::string Expression::compare(const std::string& attribute, const char* op, const std::string& operand) {
    return name(attribute) + " " + op + " " + operand;
}

std::string Expression::contains(const std::string& attribute, const std::string& operand) {
    return "contains(" + name(attribute) + ", " + operand + ")";
}

std::string Expression::is_map(const std::string& path) {
    return "attribute_type(" + path + ", " + value("map", string_value("M")) + ")";
}

namespace {

std::string join(std::initializer_list<std::string> conditions, const char* separator, bool group_conjunctions) {
    std::string out;
    for (const std::string& c : conditions) {
        if (c.empty()) continue;
        if (!out.empty()) out += separator;
        if (group_conjunctions && c.find(" AND ") != std::string::npos) {
            out += "(" + c + ")";
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace

std::string Expression::all_of(std::initializer_list<std::string> conditions) {
    return join(conditions, " AND ", false);
}

std::string Expression::any_of(std::initializer_list<std::string> conditions) {
    return "(" + join(conditions, " OR ", true) + ")";
}

std::string Expression::negate(const std::string& condition) { return "NOT " + condition; }

std::string Expression::job_exists() { return all_of({exists(kTotal), not_exists(kShardOf)}); }

std::string Expression::id_is_free() { return all_of({not_exists(kTotal), not_exists(kShardOf)}); }

std::string Expression::not_marked_sent_by_python() {
    const std::string flag = name(kMetadata) + "." + name(kPythonReduceSent);
    return any_of({"attribute_not_exists(" + flag + ")", flag + " <> " + value("true", bool_value(true))});
}

std::string Expression::job_complete() {
    return any_of({all_of({not_exists(kLayout), not_exists(kParts)}),
                   all_of({equals(kLayout, "sharded", string_value(kShardedLayout)), not_exists(kPendingShards)})});
}

UpdateExpression& UpdateExpression::action(const char* keyword, std::string text) {
    for (auto& [clause, actions] : clauses_) {
        if (std::strcmp(clause, keyword) == 0) {
            actions.push_back(std::move(text));
            return *this;
        }
    }
    clauses_.push_back({keyword, {std::move(text)}});
    return *this;
}

UpdateExpression& UpdateExpression::set(const std::string& path, const std::string& operand) {
    return action("SET", path + " = " + operand);
}

UpdateExpression& UpdateExpression::remove(const std::string& path) { return action("REMOVE", path); }

UpdateExpression& UpdateExpression::add(const std::string& path, const std::string& operand) {
    return action("ADD", path + " " + operand);
}

UpdateExpression& UpdateExpression::delete_from_set(const std::string& path, const std::string& operand) {
    return action("DELETE", path + " " + operand);
}

std::string UpdateExpression::str() const {
    std::string out;
    for (const auto& [clause, actions] : clauses_) {
        if (!out.empty()) out += ' ';
        out += clause;
        for (std::size_t i = 0; i < actions.size(); ++i) out += (i == 0 ? " " : ", ") + actions[i];
    }
    return out;
}

}  // namespace watchbot_progress::detail::dynamodb
