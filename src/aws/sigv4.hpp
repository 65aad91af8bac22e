#pragma once
// AWS Signature Version 4 (AWS4-HMAC-SHA256) as a pure function.
//
// sign_request() follows botocore's SigV4Auth (the generator of tests/data/sigv4.json):
//  - path: dot segments and empty segments removed, then percent-encoded with '/' and '~' kept
//    (so an already-encoded "%20" is encoded again, as AWS expects for every service but S3);
//  - query: the URL's raw query split on '&' and '=', pairs sorted by name then value, not
//    re-encoded (pass canonically encoded query strings);
//  - headers: every header given (names lowercased, values trimmed with inner whitespace runs
//    collapsed, repeated names joined with ','), except Authorization, User-Agent, Expect and
//    X-Amzn-Trace-Id, plus Host (from the URL unless given), X-Amz-Date and, with a session token,
//    X-Amz-Security-Token. An X-Amz-Date or X-Amz-Security-Token already in the request is
//    replaced by the signer's value;
//  - payload: hex SHA-256 of the body, or the X-Amz-Content-SHA256 header's value when given.
//
// Thread-safe and side-effect free. Throws InvalidInput when the URL cannot be parsed, or when
// credentials are empty (the message never contains a key or token).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/clock.hpp"
#include "aws/credentials.hpp"
#include "aws/headers.hpp"

namespace watchbot_progress::aws {

struct SigningRequest {
    std::string method;   // "GET", "POST", ...
    std::string url;      // absolute; query already percent-encoded
    HeaderList headers;   // as they will be sent (Host optional)
    std::string_view body;
};

struct SigningParams {
    std::string service;  // signing name: "dynamodb", "sns", ...
    std::string region;   // "us-east-1"
    Credentials credentials;
    TimePoint time;       // the request time; only whole seconds are used
};

struct SigningResult {
    // Headers to add to the request, in this order: X-Amz-Date, X-Amz-Security-Token (only with
    // a session token), Authorization.
    HeaderList headers_to_add;
    // Intermediate values, for tests and debugging. string_to_sign and canonical_request contain
    // the session token when there is one: treat them as secrets too.
    std::string canonical_request;
    std::string string_to_sign;
    std::string signed_headers;
    std::string signature;
    std::string authorization;
};

SigningResult sign_request(const SigningRequest& request, const SigningParams& params);

// Pieces of the algorithm, exposed for tests.
std::string canonical_uri_path(std::string_view raw_path);
std::string canonical_query_string(std::string_view raw_query);
std::string trim_header_value(std::string_view value);

}  // namespace watchbot_progress::aws
