#pragma once
// An ordered list of HTTP headers, and a case-insensitive lookup. Pure, thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace watchbot_progress::aws {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// The value of the first header named `name` (ASCII case-insensitive), if any.
std::optional<std::string> find_header(const HeaderList& headers, std::string_view name);

// Replaces every header named `name` (case-insensitive) by one with `value`, at the end.
void set_header(HeaderList& headers, std::string_view name, std::string value);

bool iequals(std::string_view a, std::string_view b);

}  // namespace watchbot_progress::aws
