#include "aws/headers.hpp"

#include <algorithm>

#include "core/ascii.hpp"

namespace watchbot_progress::aws {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return watchbot_progress::detail::ascii_lower(x) == watchbot_progress::detail::ascii_lower(y);
           });
}

std::optional<std::string> find_header(const HeaderList& headers, std::string_view name) {
    for (const auto& [key, value] : headers) {
        if (iequals(key, name)) return value;
    }
    return std::nullopt;
}

void set_header(HeaderList& headers, std::string_view name, std::string value) {
    std::erase_if(headers, [&](const auto& header) { return iequals(header.first, name); });
    headers.emplace_back(std::string(name), std::move(value));
}

}  // namespace watchbot_progress::aws
