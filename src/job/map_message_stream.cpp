#include "job/map_message_stream.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sys/types.h>

#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/messages.hpp"

namespace watchbot_progress::detail {

MapMessageStream::MapMessageStream(PartSource& source, std::string jobid, std::string metadata_json,
                                   const Notifier& notifier)
    : source_(source), jobid_(std::move(jobid)), metadata_json_(std::move(metadata_json)), notifier_(notifier),
      max_message_bytes_(notifier.limits().max_message_bytes) {}

MapMessageStream::~MapMessageStream() {
    if (spool_ != nullptr) std::fclose(spool_);
    std::free(line_);
}

std::string MapMessageStream::body_for(const nlohmann::json& part, PartId partid) const {
    const std::string where = "part " + std::to_string(partid);
    if (!part.is_object()) {
        throw InvalidInput(where + " is not a JSON object (it is " + std::string(part.type_name()) +
                           "): every part must be an object");
    }
    if (const auto it = part.find("jobid"); it != part.end() && !(it->is_string() && it->get_ref<const std::string&>() == jobid_)) {
        throw InvalidInput(where + " carries \"jobid\": " + it->dump() + ", which is not the job's id \"" + jobid_ +
                           "\": remove the field or give create_job that job id");
    }
    if (const auto it = part.find("partid"); it != part.end() && !(it->is_number_integer() && it->get<PartId>() == partid)) {
        throw InvalidInput(where + " carries \"partid\": " + it->dump() + ", but its position makes it part " +
                           std::to_string(partid) + ": remove the field (create_job numbers parts from 0)");
    }
    std::string body;
    try {
        body = map_message_body(part, jobid_, partid, metadata_json_);
    } catch (const nlohmann::json::type_error&) {
        throw InvalidInput(where + " holds a key or string that is not valid UTF-8: give UTF-8 text");
    }
    if (body.size() > max_message_bytes_) {
        throw InvalidInput(where + "'s map message is " + std::to_string(body.size()) + " bytes, over the notifier's limit of " +
                           std::to_string(max_message_bytes_) + " bytes: store large data elsewhere (e.g. S3) and put its address in the part");
    }
    try {
        notifier_.check_message(kMapSubject, body);
    } catch (const InvalidInput& e) {
        throw InvalidInput(where + "'s map message cannot be sent: " + e.what());
    }
    return body;
}

std::uint64_t MapMessageStream::validate() {
    const bool rewindable = source_.rewind();
    if (!rewindable) {
        spool_ = std::tmpfile();
        if (spool_ == nullptr) {
            throw Error(std::string("cannot create a temporary file to hold the parts: ") + std::strerror(errno) +
                        " (set TMPDIR to a writable directory)");
        }
    }
    nlohmann::json part;
    PartId partid = 0;
    while (source_.next(part)) {
        if (partid >= kMaxParts) {
            throw InvalidInput("more than " + std::to_string(kMaxParts) +
                               " parts: that is over the limit of parts per job; split the work into several jobs");
        }
        std::string body = body_for(part, partid);
        if (spool_ != nullptr) {
            body.push_back('\n');  // compact JSON never holds a raw newline
            if (std::fwrite(body.data(), 1, body.size(), spool_) != body.size()) {
                throw Error(std::string("cannot write the parts to a temporary file: ") + std::strerror(errno));
            }
        }
        ++partid;
    }
    if (partid == 0) throw InvalidInput("no parts: a job needs at least one part");
    total_ = static_cast<std::uint64_t>(partid);
    if (spool_ != nullptr) {
        if (std::fflush(spool_) != 0 || std::fseek(spool_, 0, SEEK_SET) != 0) {
            throw Error(std::string("cannot read back the temporary file of parts: ") + std::strerror(errno));
        }
    } else if (!source_.rewind()) {
        throw Error("the part source could not be read a second time");
    }
    return total_;
}

bool MapMessageStream::next(std::string& body, PartId& partid) {
    if (static_cast<std::uint64_t>(next_partid_) >= total_) return false;
    if (spool_ != nullptr) {
        const ssize_t n = ::getline(&line_, &line_capacity_, spool_);
        if (n <= 0) throw Error("the temporary file of parts ended early");
        body.assign(line_, static_cast<std::size_t>(n) - 1);
    } else {
        nlohmann::json part;
        if (!source_.next(part)) {
            throw InvalidInput("the part source yielded fewer parts the second time it was read (" + std::to_string(next_partid_) +
                               " instead of " + std::to_string(total_) + "): give create_job a range that reads the same twice");
        }
        body = body_for(part, next_partid_);
    }
    partid = next_partid_++;
    return true;
}

}  // namespace watchbot_progress::detail
