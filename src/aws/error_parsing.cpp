#include "aws/error_parsing.hpp"

#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "core/excerpt.hpp"

namespace watchbot_progress::aws {
namespace {

std::string trim(std::string_view text) {
    auto begin = text.find_first_not_of(" \t\r\n");
    if (begin == std::string_view::npos) return "";
    auto end = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(begin, end - begin + 1));
}

// Codes and request ids go into messages: at most 128 bytes of printable text.
std::string bounded(std::string_view text) { return detail::printable(text, 128); }

std::string request_id_header(const HeaderList& headers) {
    if (auto id = find_header(headers, "x-amzn-RequestId")) return bounded(*id);
    if (auto id = find_header(headers, "x-amz-request-id")) return bounded(*id);
    return "";
}

}  // namespace

std::string normalize_error_code(std::string_view raw) {
    std::string_view code = raw;
    if (auto colon = code.find(':'); colon != std::string_view::npos) code = code.substr(0, colon);
    if (auto hash = code.rfind('#'); hash != std::string_view::npos) code = code.substr(hash + 1);
    return bounded(trim(code));
}

ServiceError parse_json_error(std::string_view body, const HeaderList& headers) {
    ServiceError out;
    out.request_id = request_id_header(headers);
    nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_discarded() && doc.is_object()) {
        for (const char* key : {"__type", "code", "Code"}) {
            auto it = doc.find(key);
            if (it != doc.end() && it->is_string()) {
                out.code = normalize_error_code(it->get_ref<const std::string&>());
                if (!out.code.empty()) break;
            }
        }
        for (const char* key : {"message", "Message", "errorMessage"}) {
            auto it = doc.find(key);
            if (it != doc.end() && it->is_string()) {
                out.message = it->get<std::string>();
                break;
            }
        }
    }
    if (out.code.empty()) {
        if (auto type = find_header(headers, "x-amzn-ErrorType")) out.code = normalize_error_code(*type);
    }
    return out;
}

ServiceError parse_xml_error(std::string_view body, const HeaderList& headers) {
    ServiceError out;
    pugi::xml_document doc;
    pugi::xml_parse_result parsed = doc.load_buffer(body.data(), body.size());
    if (parsed) {
        pugi::xml_node error = doc.select_node("//*[local-name()='Error']").node();
        if (error) {
            out.code = normalize_error_code(error.child_value("Code"));
            out.message = trim(error.child_value("Message"));
        }
        pugi::xml_node id = doc.select_node("//*[local-name()='RequestId' or local-name()='RequestID']").node();
        if (id) out.request_id = bounded(trim(id.child_value()));
    }
    if (out.request_id.empty()) out.request_id = request_id_header(headers);
    return out;
}

}  // namespace watchbot_progress::aws
