#pragma once
// Plain JSON <-> DynamoDB AttributeValue (the wire JSON {"S": "..."}, {"N": "12"}, {"M": {...}}, ...).
//
//   JSON            AttributeValue        back to JSON
//   null            {"NULL": true}        null
//   true/false      {"BOOL": b}           true/false
//   "text"          {"S": "text"}         "text"
//   integer         {"N": "-12"}          integer (int64, else uint64 when it fits)
//   float           {"N": "0.1"}          float (shortest text that reads back as the same double)
//   [..]            {"L": [..]}           [..]
//   {..}            {"M": {..}}           {..}
// Types the library never writes but other tools may: SS -> array of strings, NS -> array of
// numbers, B -> its base64 text, BS -> array of base64 texts.
//
// Numbers: DynamoDB stores up to 38 significant digits, magnitudes 1E-130 to 9.99E+125, and
// normalizes the text ("1.0" comes back as "1"); a number that has no fraction and fits in 64 bits
// reads back as an integer (nlohmann::json compares 1 and 1.0 as equal). NaN and infinities cannot
// be stored (JSON has none either): InvalidInput.
//
// Pure functions, thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace watchbot_progress::detail::dynamodb {

// Throws InvalidInput for what DynamoDB cannot store: a float that is not finite or outside
// DynamoDB's range, or arrays/objects nested more than 32 levels deep (the value itself is level 1).
nlohmann::json to_attribute_value(const nlohmann::json& value);
// Throws InvalidInput for something that is not an AttributeValue (also: nested more than 32
// levels deep, a set holding an element of the wrong type, a number parse_number refuses).
// Invariant: from_attribute_value(to_attribute_value(v)) == v for every v to_attribute_value takes,
// and to_attribute_value(from_attribute_value(a)) succeeds for every a this accepts.
nlohmann::json from_attribute_value(const nlohmann::json& attribute);

// Plain JSON object -> a DynamoDB map's contents ({"k": {"S": ..}, ...}) and back.
nlohmann::json to_attribute_map(const nlohmann::json& object);
nlohmann::json from_attribute_map(const nlohmann::json& map);

// The text of a DynamoDB number -> JSON number (integer when it has no fraction and fits in 64
// bits, else double). Throws InvalidInput when the text is not a decimal number ("nan", "inf" and
// hexadecimal are not) or is outside DynamoDB's range (magnitudes 1E-130 to 9.99E+125, and 0).
nlohmann::json parse_number(std::string_view text);

// Small builders for the attributes the backend writes.
nlohmann::json string_value(std::string text);             // {"S": text}
nlohmann::json number_value(std::int64_t n);               // {"N": "n"}
nlohmann::json bool_value(bool b);                         // {"BOOL": b}
nlohmann::json number_set(const std::vector<std::int64_t>& numbers);  // {"NS": [...]}, numbers non-empty
nlohmann::json number_set_range(std::int64_t first, std::int64_t end); // {"NS": [first .. end-1]}, first < end

// Reads an integer attribute ({"N": "12"}, or an {"S": "12"} written by hand). nullopt when it is
// absent, of another type, or not an integer that fits in int64.
std::optional<std::int64_t> get_int(const nlohmann::json& item, const std::string& name);
// The integers of a number set attribute (empty when absent or not an NS), in stored order.
std::vector<std::int64_t> get_number_set(const nlohmann::json& item, const std::string& name);
// Number of elements of a set attribute (NS/SS/BS), 0 when absent.
std::size_t set_size(const nlohmann::json& item, const std::string& name);

// The size DynamoDB counts for a number attribute value (its significant digits, two per byte,
// plus one byte; one more byte kept as margin for how emulators round). For size checks.
std::size_t number_size(std::int64_t n);

}  // namespace watchbot_progress::detail::dynamodb
