#pragma once
// Parsers for AWS error responses: the JSON 1.0 protocol (DynamoDB) and the query protocol's XML
// (SNS). They only extract fields; classify_error() (error_classification.hpp) decides what the
// code means.
//
// Pure functions, thread-safe, never throw: a body that cannot be parsed gives empty fields. Codes
// and request ids are cut to 128 bytes, control characters shown as '?' (they end up in messages).

#include <string>
#include <string_view>

#include "aws/headers.hpp"

namespace watchbot_progress::aws {

struct ServiceError {
    std::string code;        // bare code, e.g. "ConditionalCheckFailedException"; empty if none
    std::string message;     // the service's message; empty if none
    std::string request_id;  // empty if none
};

// "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException" -> "ConditionalCheckFailedException";
// "ValidationException:http://internal.amazon.com/coral/..." -> "ValidationException".
std::string normalize_error_code(std::string_view raw);

// JSON protocol error: code from "__type", else "code"/"Code", else the X-Amzn-ErrorType header;
// message from "message", "Message" or "errorMessage"; request id from X-Amzn-RequestId.
ServiceError parse_json_error(std::string_view body, const HeaderList& headers = {});

// Query protocol error: the first <Error> element anywhere (<ErrorResponse><Error>... or
// <Response><Errors><Error>...), its <Code> and <Message>; <RequestId>/<RequestID> anywhere, else
// the X-Amzn-RequestId header.
ServiceError parse_xml_error(std::string_view body, const HeaderList& headers = {});

}  // namespace watchbot_progress::aws
