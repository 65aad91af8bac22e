#pragma once
// Amazon Resource Names: arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE.

#include <string>
#include <string_view>

namespace watchbot_progress::aws {

struct Arn {
    std::string partition;  // "aws", "aws-cn", "aws-us-gov", ...
    std::string service;    // "dynamodb", "sns", ...
    std::string region;     // may be empty (global resources)
    std::string account;    // may be empty
    std::string resource;   // everything after the fifth ':', may itself contain ':' and '/'

    std::string to_string() const;
};

// Parses an ARN. `what` names it in messages (e.g. "ProgressTable"). Throws InvalidInput when it
// does not start with "arn:", has fewer than six ':'-separated parts, an empty partition, service
// or resource, or a partition, service or region that is not lowercase letters, digits and '-';
// the message shows at most 300 bytes of the text, on one line. On success to_string() gives back
// `text` exactly. Pure, thread-safe.
Arn parse_arn(std::string_view text, std::string_view what = "ARN");

// True when text starts with "arn:".
bool looks_like_arn(std::string_view text);

}  // namespace watchbot_progress::aws
