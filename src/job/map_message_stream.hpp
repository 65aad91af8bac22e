#pragma once
// Internal to create_job: validates parts and yields their map message bodies in part-id order,
// reading the caller's PartSource twice when it can rewind, else spooling validated bodies to an
// unlinked temporary file so memory stays bounded for any number of parts.

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "watchbot_progress/job.hpp"
#include "watchbot_progress/notifier.hpp"

namespace watchbot_progress::detail {

class MapMessageStream {
public:
    // Every body is checked against max_message_bytes, then with notifier.check_message (which must
    // outlive the stream).
    MapMessageStream(PartSource& source, std::string jobid, std::string metadata_json, const Notifier& notifier);
    ~MapMessageStream();
    MapMessageStream(const MapMessageStream&) = delete;
    MapMessageStream& operator=(const MapMessageStream&) = delete;

    // Reads every part, checks it, and counts them. Throws InvalidInput for the first bad part
    // (naming its position) or when there is none. Call once, before next().
    std::uint64_t validate();

    // The next map message body and its part id; false at the end.
    bool next(std::string& body, PartId& partid);

private:
    std::string body_for(const nlohmann::json& part, PartId partid) const;

    PartSource& source_;
    std::string jobid_;
    std::string metadata_json_;
    const Notifier& notifier_;
    std::size_t max_message_bytes_;
    std::uint64_t total_ = 0;
    PartId next_partid_ = 0;
    std::FILE* spool_ = nullptr;  // set when the source cannot rewind
    char* line_ = nullptr;
    std::size_t line_capacity_ = 0;
};

}  // namespace watchbot_progress::detail
