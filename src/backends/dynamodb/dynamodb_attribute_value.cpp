#include "backends/dynamodb/dynamodb_attribute_value.hpp"

#include <charconv>
#include <cmath>

#include "core/excerpt.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress::detail::dynamodb {

namespace {

// DynamoDB keeps documents up to 32 levels deep: deeper values are refused before a request is
// sent, and refused when read (so that a hostile response cannot exhaust the stack either).
constexpr int kMaxDepth = 32;

// DynamoDB's number range: magnitudes from 1E-130 to 9.99...E+125, and zero.
bool in_dynamodb_range(double d) {
    const double a = std::fabs(d);
    return a == 0.0 || (a >= 1e-130 && a < 1e126);
}

bool all_digits(std::string_view text) {
    if (!text.empty() && text.front() == '-') text.remove_prefix(1);
    return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

std::string type_list(const nlohmann::json& attribute) {
    std::string out;
    if (attribute.is_object()) {
        for (const auto& [key, value] : attribute.items()) {
            if (out.size() > 60) {
                out += ", ...";
                break;
            }
            out += (out.empty() ? "" : ", ") + detail::printable(key, 32);
        }
    }
    return out.empty() ? attribute.type_name() : out;
}

}  // namespace

nlohmann::json parse_number(std::string_view text) {
    if (all_digits(text)) {
        std::int64_t i = 0;
        auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
        if (ec == std::errc() && p == text.data() + text.size()) return i;
        if (text.front() != '-') {
            std::uint64_t u = 0;
            auto [q, ec2] = std::from_chars(text.data(), text.data() + text.size(), u);
            if (ec2 == std::errc() && q == text.data() + text.size()) return u;
        }
    }
    // Only decimal text: from_chars would also read "inf", "nan" and hexadecimal-looking forms.
    const bool decimal = !text.empty() && text.find_first_not_of("0123456789+-.eE") == std::string_view::npos &&
                         text.find_first_of("0123456789") != std::string_view::npos;
    double d = 0;
    const char* begin = text.data();
    const char* end = text.data() + text.size();
    if (!text.empty() && text.front() == '+') ++begin;
    const bool second_sign = begin != text.data() && begin < end && (*begin == '-' || *begin == '+');
    auto [p, ec] = std::from_chars(begin, end, d);
    // A mantissa with a non-zero digit that reads as 0 underflowed.
    const std::string_view mantissa = text.substr(0, text.find_first_of("eE"));
    const bool underflow = d == 0.0 && mantissa.find_first_of("123456789") != std::string_view::npos;
    if (!decimal || second_sign || p != end || ec != std::errc() || !std::isfinite(d) || underflow ||
        !in_dynamodb_range(d)) {
        throw InvalidInput(detail::quoted_excerpt(text, 64) + " is not a DynamoDB number");
    }
    // A whole number too large for 64 bits in exponent form ("1E+20") stays a double; so does a
    // value with a fraction.
    return d;
}

namespace {

nlohmann::json to_attribute_value_at(const nlohmann::json& value, int depth);
nlohmann::json from_attribute_value_at(const nlohmann::json& attribute, int depth);

nlohmann::json to_attribute_map_at(const nlohmann::json& object, int depth) {
    nlohmann::json map = nlohmann::json::object();
    for (const auto& [key, value] : object.items()) map[key] = to_attribute_value_at(value, depth);
    return map;
}

nlohmann::json from_attribute_map_at(const nlohmann::json& map, int depth) {
    nlohmann::json object = nlohmann::json::object();
    if (!map.is_object()) return object;
    for (const auto& [key, value] : map.items()) object[key] = from_attribute_value_at(value, depth);
    return object;
}

nlohmann::json to_attribute_value_at(const nlohmann::json& value, int depth) {
    if ((value.is_array() || value.is_object()) && depth >= kMaxDepth) {
        throw InvalidInput("a value is nested more than " + std::to_string(kMaxDepth) +
                           " levels deep, which DynamoDB cannot store: flatten it");
    }
    switch (value.type()) {
        case nlohmann::json::value_t::null: return {{"NULL", true}};
        case nlohmann::json::value_t::boolean: return {{"BOOL", value.get<bool>()}};
        case nlohmann::json::value_t::string: return {{"S", value.get<std::string>()}};
        case nlohmann::json::value_t::number_integer: return {{"N", std::to_string(value.get<std::int64_t>())}};
        case nlohmann::json::value_t::number_unsigned: return {{"N", std::to_string(value.get<std::uint64_t>())}};
        case nlohmann::json::value_t::number_float: {
            const double d = value.get<double>();
            if (!std::isfinite(d)) throw InvalidInput("metadata holds a number that is not finite; DynamoDB cannot store it");
            if (!in_dynamodb_range(d)) {
                throw InvalidInput("metadata holds the number " + value.dump() +
                                   ", outside DynamoDB's range (magnitudes 1E-130 to 9.99E+125): store it as a string");
            }
            return {{"N", value.dump()}};  // shortest text that reads back as the same double
        }
        case nlohmann::json::value_t::array: {
            nlohmann::json list = nlohmann::json::array();
            for (const auto& element : value) list.push_back(to_attribute_value_at(element, depth + 1));
            return {{"L", std::move(list)}};
        }
        case nlohmann::json::value_t::object: return {{"M", to_attribute_map_at(value, depth + 1)}};
        case nlohmann::json::value_t::binary:
        case nlohmann::json::value_t::discarded: break;
    }
    throw InvalidInput(std::string("a JSON ") + value.type_name() + " value cannot be stored in DynamoDB");
}

nlohmann::json from_attribute_value_at(const nlohmann::json& attribute, int depth) {
    if (!attribute.is_object() || attribute.size() != 1) {
        throw InvalidInput("not a DynamoDB attribute value (expected one type key, got " + type_list(attribute) + ")");
    }
    const auto only = attribute.begin();
    const std::string& type = only.key();
    const nlohmann::json& v = only.value();
    const bool container = type == "M" || type == "L" || type == "SS" || type == "NS" || type == "BS";
    if (container && depth >= kMaxDepth) {
        throw InvalidInput("an attribute value is nested more than " + std::to_string(kMaxDepth) + " levels deep");
    }
    if (type == "S" && v.is_string()) return v;
    if (type == "N" && v.is_string()) return parse_number(v.get_ref<const std::string&>());
    if (type == "BOOL" && v.is_boolean()) return v;
    if (type == "NULL") return nullptr;
    if (type == "M" && v.is_object()) return from_attribute_map_at(v, depth + 1);
    if (type == "L" && v.is_array()) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& element : v) list.push_back(from_attribute_value_at(element, depth + 1));
        return list;
    }
    if (type == "B" && v.is_string()) return v;  // base64 text as sent on the wire
    if ((type == "SS" || type == "BS") && v.is_array()) {
        for (const auto& element : v) {
            if (!element.is_string()) throw InvalidInput("a DynamoDB " + type + " set holds a non-string element");
        }
        return v;
    }
    if (type == "NS" && v.is_array()) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& n : v) {
            if (!n.is_string()) throw InvalidInput("a DynamoDB number set holds a non-string element");
            list.push_back(parse_number(n.get_ref<const std::string&>()));
        }
        return list;
    }
    throw InvalidInput("not a DynamoDB attribute value of a known type: " + detail::excerpt(type, 32));
}

}  // namespace

nlohmann::json to_attribute_value(const nlohmann::json& value) { return to_attribute_value_at(value, 0); }
nlohmann::json to_attribute_map(const nlohmann::json& object) { return to_attribute_map_at(object, 1); }
nlohmann::json from_attribute_value(const nlohmann::json& attribute) { return from_attribute_value_at(attribute, 0); }
nlohmann::json from_attribute_map(const nlohmann::json& map) { return from_attribute_map_at(map, 1); }

nlohmann::json string_value(std::string text) { return {{"S", std::move(text)}}; }
nlohmann::json number_value(std::int64_t n) { return {{"N", std::to_string(n)}}; }
nlohmann::json bool_value(bool b) { return {{"BOOL", b}}; }

nlohmann::json number_set(const std::vector<std::int64_t>& numbers) {
    nlohmann::json list = nlohmann::json::array();
    for (std::int64_t n : numbers) list.push_back(std::to_string(n));
    return {{"NS", std::move(list)}};
}

nlohmann::json number_set_range(std::int64_t first, std::int64_t end) {
    nlohmann::json list = nlohmann::json::array();
    for (std::int64_t n = first; n < end; ++n) list.push_back(std::to_string(n));
    return {{"NS", std::move(list)}};
}

std::optional<std::int64_t> get_int(const nlohmann::json& item, const std::string& name) {
    auto it = item.find(name);
    if (it == item.end() || !it->is_object()) return std::nullopt;
    const nlohmann::json* text = nullptr;
    if (auto n = it->find("N"); n != it->end() && n->is_string()) text = &*n;
    else if (auto s = it->find("S"); s != it->end() && s->is_string()) text = &*s;
    if (text == nullptr) return std::nullopt;
    const std::string& t = text->get_ref<const std::string&>();
    std::int64_t value = 0;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
    if (ec != std::errc() || p != t.data() + t.size()) return std::nullopt;
    return value;
}

std::vector<std::int64_t> get_number_set(const nlohmann::json& item, const std::string& name) {
    std::vector<std::int64_t> out;
    auto it = item.find(name);
    if (it == item.end() || !it->is_object()) return out;
    auto ns = it->find("NS");
    if (ns == it->end() || !ns->is_array()) return out;
    out.reserve(ns->size());
    for (const auto& n : *ns) {
        if (!n.is_string()) continue;
        const std::string& t = n.get_ref<const std::string&>();
        std::int64_t value = 0;
        auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
        if (ec == std::errc() && p == t.data() + t.size()) out.push_back(value);
    }
    return out;
}

std::size_t set_size(const nlohmann::json& item, const std::string& name) {
    auto it = item.find(name);
    if (it == item.end() || !it->is_object() || it->size() != 1) return 0;
    const auto& v = it->begin().value();
    return v.is_array() ? v.size() : 0;
}

std::size_t number_size(std::int64_t n) {
    std::uint64_t u = n < 0 ? static_cast<std::uint64_t>(-(n + 1)) + 1 : static_cast<std::uint64_t>(n);
    while (u != 0 && u % 10 == 0) u /= 10;  // trailing zeros are not stored
    std::size_t digits = 0;
    do {
        ++digits;
        u /= 10;
    } while (u != 0);
    return (digits + 1) / 2 + 1 + 1 + (n < 0 ? 1 : 0);
}

}  // namespace watchbot_progress::detail::dynamodb
