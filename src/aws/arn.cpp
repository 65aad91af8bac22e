#include "aws/arn.hpp"

#include <algorithm>
#include <cctype>

#include "core/excerpt.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress::aws {
namespace {

// Lowercase letters, digits and '-': the characters of partitions ("aws-us-gov"), services
// ("execute-api") and regions ("us-east-1").
bool is_region_text(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](unsigned char c) {
        return std::islower(c) != 0 || std::isdigit(c) != 0 || c == '-';
    });
}

// For messages: at most 300 bytes, on one line.
std::string shown(std::string_view text) { return detail::excerpt(text, 300); }

}  // namespace

std::string Arn::to_string() const {
    return "arn:" + partition + ":" + service + ":" + region + ":" + account + ":" + resource;
}

bool looks_like_arn(std::string_view text) { return text.starts_with("arn:"); }

Arn parse_arn(std::string_view text, std::string_view what) {
    auto fail = [&](const std::string& why) {
        return InvalidInput(std::string(what) + " '" + shown(text) + "' is not a valid ARN: " + why +
                            "; expected arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE, e.g. "
                            "arn:aws:dynamodb:us-east-1:123456789012:table/progress");
    };
    if (!looks_like_arn(text)) throw fail("it does not start with 'arn:'");
    std::string_view parts[6];
    std::string_view rest = text;
    for (int i = 0; i < 5; ++i) {
        auto colon = rest.find(':');
        if (colon == std::string_view::npos) throw fail("it has fewer than six ':'-separated parts");
        parts[i] = rest.substr(0, colon);
        rest = rest.substr(colon + 1);
    }
    parts[5] = rest;
    Arn arn{std::string(parts[1]), std::string(parts[2]), std::string(parts[3]), std::string(parts[4]),
            std::string(parts[5])};
    if (arn.partition.empty()) throw fail("the partition is empty");
    if (arn.service.empty()) throw fail("the service is empty");
    if (!is_region_text(arn.partition)) throw fail("the partition '" + shown(arn.partition) + "' is malformed");
    if (!is_region_text(arn.service)) throw fail("the service '" + shown(arn.service) + "' is malformed");
    if (arn.resource.empty()) throw fail("the resource is empty");
    if (!is_region_text(arn.region)) throw fail("the region '" + shown(arn.region) + "' is malformed");
    return arn;
}

}  // namespace watchbot_progress::aws
