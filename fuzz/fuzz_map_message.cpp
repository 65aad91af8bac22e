// Map messages as a worker receives them (include/watchbot_progress/messages.hpp), and job ids.
// Invariants:
//   - parse_map_message throws only InvalidInput, with a one-line message;
//   - an accepted message has a valid job id and a part id >= 0, and the body create_job would send
//     for it (map_message_body) parses back to the same job id, part id, metadata and fields;
//   - validate_jobid throws only InvalidInput; an id it accepts is at most 1024 bytes and can be
//     written into a message (JSON serialization does not throw).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz_check.hpp"
#include "watchbot_progress/backend.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/messages.hpp"

namespace wp = watchbot_progress;
using nlohmann::json;

namespace {

json without_ids(json body) {
    for (const char* key : {"jobid", "partid", "metadata"}) body.erase(key);
    return body;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    wp::MapMessage message;
    if (wp_fuzz::expect_errors<wp::InvalidInput>("parse_map_message", [&] { message = wp::parse_map_message(text); })) {
        FUZZ_CHECK(message.partid >= 0);
        FUZZ_CHECK(message.body.is_object());
        FUZZ_CHECK(wp_fuzz::expect_errors<>("validate_jobid of a parsed id", [&] { wp::validate_jobid(message.jobid); }));
        std::string body;
        FUZZ_CHECK(wp_fuzz::expect_errors<>("map_message_body", [&] {
            body = wp::map_message_body(message.body, message.jobid, message.partid, message.metadata.dump());
        }));
        wp::MapMessage again;
        FUZZ_CHECK(wp_fuzz::expect_errors<>("parse_map_message of a written body", [&] { again = wp::parse_map_message(body); }));
        FUZZ_CHECK(again.jobid == message.jobid);
        FUZZ_CHECK(again.partid == message.partid);
        FUZZ_CHECK(again.metadata == message.metadata);
        FUZZ_CHECK(without_ids(again.body) == without_ids(message.body));
    }

    const std::string jobid(text);
    if (wp_fuzz::expect_errors<wp::InvalidInput>("validate_jobid", [&] { wp::validate_jobid(jobid); })) {
        FUZZ_CHECK(!jobid.empty() && jobid.size() <= 1024);
        FUZZ_CHECK(wp_fuzz::expect_errors<>("an accepted id in a message", [&] {
            const std::string body = wp::map_message_body(json::object(), jobid, 0, "null");
            FUZZ_CHECK(wp::parse_map_message(body).jobid == jobid);
        }));
    }
    return 0;
}
