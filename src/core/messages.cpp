#include "watchbot_progress/messages.hpp"

#include <cstdint>
#include <cstdlib>

#include "watchbot_progress/errors.hpp"

namespace watchbot_progress {

namespace {
constexpr const char* kReservedKeys[] = {"jobid", "partid", "metadata"};

bool has_reserved_key(const nlohmann::json& part) {
    for (const char* key : kReservedKeys) {
        if (part.contains(key)) return true;
    }
    return false;
}
}  // namespace

std::string map_message_body(const nlohmann::json& part, const std::string& jobid, PartId partid,
                             const std::string& metadata_json) {
    std::string body;
    if (has_reserved_key(part)) {
        nlohmann::json copy = part;
        for (const char* key : kReservedKeys) copy.erase(key);
        body = copy.dump();
    } else {
        body = part.dump();
    }
    // body is "{...}"; append the three fields before the closing brace.
    body.pop_back();
    if (body.size() > 1) body.push_back(',');
    body += "\"jobid\":";
    body += nlohmann::json(jobid).dump();
    body += ",\"partid\":";
    body += std::to_string(partid);
    body += ",\"metadata\":";
    body += metadata_json;
    body.push_back('}');
    return body;
}

std::string reduce_message_body(const std::string& jobid, const nlohmann::json& metadata) {
    return nlohmann::json{{"jobid", jobid}, {"metadata", metadata}}.dump();
}

std::string reduce_message_body(const std::string& jobid, const nlohmann::json& metadata, std::int64_t failed_parts) {
    if (failed_parts <= 0) return reduce_message_body(jobid, metadata);
    return nlohmann::json{{"jobid", jobid}, {"metadata", metadata}, {"failedParts", failed_parts}}.dump();
}

MapMessage parse_map_message(std::string_view body) {
    nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) {
        throw InvalidInput("map message is not valid JSON: expected an object with \"jobid\" and \"partid\"");
    }
    if (!parsed.is_object()) throw InvalidInput("map message is not a JSON object: expected {\"jobid\": ..., \"partid\": ...}");
    const auto jobid = parsed.find("jobid");
    if (jobid == parsed.end() || !jobid->is_string()) {
        throw InvalidInput("map message has no string \"jobid\": was it sent by create_job?");
    }
    const auto partid = parsed.find("partid");
    if (partid == parsed.end() || !partid->is_number_integer()) {
        throw InvalidInput("map message has no integer \"partid\": was it sent by create_job?");
    }
    if (partid->is_number_unsigned() && partid->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
        throw InvalidInput("map message has a \"partid\" too large to be a part id (" + partid->dump() +
                           "): was it sent by create_job?");
    }
    MapMessage out;
    out.jobid = jobid->get<std::string>();
    try {
        validate_jobid(out.jobid);
    } catch (const InvalidInput& e) {
        throw InvalidInput(std::string("map message has a bad \"jobid\": ") + e.what());
    }
    out.partid = partid->get<PartId>();
    if (out.partid < 0) {
        throw InvalidInput("map message has a negative \"partid\" (" + std::to_string(out.partid) +
                           "): part ids are numbered from 0; was it sent by create_job?");
    }
    const auto metadata = parsed.find("metadata");
    out.metadata = metadata == parsed.end() ? nlohmann::json(nullptr) : *metadata;
    out.body = std::move(parsed);
    return out;
}

MapMessage map_message_from_env() {
    const char* message = std::getenv("Message");
    if (message == nullptr) {
        throw ConfigError("the Message environment variable is not set: watchbot sets it for each message; set it to a map message to run by hand");
    }
    try {
        return parse_map_message(message);
    } catch (const InvalidInput& e) {
        throw InvalidInput(std::string("the Message environment variable does not hold a map message: ") + e.what());
    }
}

}  // namespace watchbot_progress
