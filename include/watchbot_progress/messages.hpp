#pragma once
// The wire format of map and reduce messages (compatible with the Python and Node tools):
//   map:    Subject "map",    Message = the part's JSON object plus "jobid", "partid", "metadata"
//   reduce: Subject "reduce", Message = {"jobid": ..., "metadata": {...}}, plus "failedParts": N
//           when failure tolerance let the job finish with N parts failed for good (never 0: a job
//           without failed parts gets the message the Python and Node tools send)

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "watchbot_progress/backend.hpp"
#include "watchbot_progress/export.hpp"

namespace watchbot_progress {

inline constexpr const char* kMapSubject = "map";
inline constexpr const char* kReduceSubject = "reduce";

// The map message body for one part. `metadata_json` is the metadata already serialized (an object
// or "null"); "jobid", "partid" and "metadata" replace any keys of those names in the part.
WATCHBOT_PROGRESS_EXPORT std::string map_message_body(const nlohmann::json& part, const std::string& jobid, PartId partid,
                                                      const std::string& metadata_json);

// The reduce message body.
WATCHBOT_PROGRESS_EXPORT std::string reduce_message_body(const std::string& jobid, const nlohmann::json& metadata);
// The reduce message body of a job that finished with `failed_parts` parts failed for good (failure
// tolerance; Backend::list_failed_parts lists them): the body above plus "failedParts" when
// failed_parts > 0, so that a reducer tells a tolerated result from a complete one.
WATCHBOT_PROGRESS_EXPORT std::string reduce_message_body(const std::string& jobid, const nlohmann::json& metadata,
                                                         std::int64_t failed_parts);

// A map message as a worker receives it.
struct MapMessage {
    std::string jobid;
    PartId partid = 0;
    nlohmann::json metadata;  // null when the job has none
    nlohmann::json body;      // the whole message object, part fields included
};

// Parses a map message body (e.g. the `Message` environment variable watchbot sets). Throws
// InvalidInput when it is not a JSON object with a string "jobid" that validate_jobid accepts and
// an integer "partid" from 0 to 2^63-1. Only InvalidInput escapes, whatever the body holds.
WATCHBOT_PROGRESS_EXPORT MapMessage parse_map_message(std::string_view body);

// Reads and parses the `Message` environment variable. Throws ConfigError when it is unset,
// InvalidInput (naming the variable) when it holds no map message.
WATCHBOT_PROGRESS_EXPORT MapMessage map_message_from_env();

}  // namespace watchbot_progress
