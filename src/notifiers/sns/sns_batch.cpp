#include "notifiers/sns/sns_batch.hpp"

#include <cstdint>
#include <cstdio>

#include "aws/error_classification.hpp"
#include "core/excerpt.hpp"
#include "watchbot_progress/error_codes.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress::aws {
namespace {

constexpr const char* kTopicForm = "arn:aws:sns:REGION:ACCOUNT:TOPIC_NAME, e.g. arn:aws:sns:us-east-1:123456789012:work";

// ARNs are not secret, but keep messages bounded and on one line.
std::string shown(std::string_view text) { return detail::excerpt(text, 300); }

bool is_topic_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

std::string hex_code_point(std::uint32_t cp) {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "U+%04X", static_cast<unsigned>(cp));
    return buffer;
}

std::string_view local_name(const char* name) {
    std::string_view n(name);
    auto colon = n.rfind(':');
    return colon == std::string_view::npos ? n : n.substr(colon + 1);
}

std::string trimmed(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    const auto last = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(first, last - first + 1));
}

// SNS's code or message of a refused entry, for error messages: trimmed, at most max bytes, control
// characters shown as '?', so that messages stay bounded and on one line.
std::string printable(std::string_view text, std::size_t max) { return trimmed(detail::printable(text, max)); }

}  // namespace

Arn parse_sns_topic_arn(std::string_view text, std::string_view source) {
    auto fail = [&](const std::string& why) {
        return ConfigError(std::string(source) + " '" + shown(text) + "' is not an SNS topic ARN: " + why + "; expected " +
                           kTopicForm);
    };
    if (text.empty()) throw fail("it is empty");
    Arn arn;
    try {
        arn = parse_arn(text, source);
    } catch (const InvalidInput&) {
        // parse_arn's message shows a DynamoDB example; say it for SNS instead.
        if (!looks_like_arn(text)) throw fail("it does not start with 'arn:'");
        throw fail("it does not have the six ':'-separated fields of an ARN (or one is empty or malformed)");
    }
    if (arn.service != "sns") throw fail("its service is '" + shown(arn.service) + "', not 'sns'");
    if (arn.region.empty()) throw fail("the region is empty");
    if (arn.account.empty()) throw fail("the account is empty");
    if (arn.resource.find(':') != std::string::npos) {
        throw fail("it has more than six fields, like a subscription ARN; give the topic's ARN");
    }
    if (arn.resource.ends_with(".fifo")) {
        throw fail("it names a FIFO topic, which needs message group ids; watchbot subscribes standard topics");
    }
    if (arn.resource.size() > 256) throw fail("the topic name is longer than 256 characters");
    for (char c : arn.resource) {
        if (!is_topic_name_char(c)) {
            throw fail("the topic name may hold only letters, digits, '-' and '_'");
        }
    }
    return arn;
}

void check_sns_message(std::string_view subject, std::string_view body, std::size_t max_bytes, std::string_view where) {
    const std::string w(where);
    if (body.empty()) throw InvalidInput(w + " is empty: SNS does not accept an empty message");
    if (body.size() > max_bytes) {
        throw InvalidInput(w + " is " + std::to_string(body.size()) + " bytes, over SNS's limit of " + std::to_string(max_bytes) +
                           " bytes: store large data elsewhere (e.g. S3) and put its address in the message");
    }
    // UTF-8, restricted to the characters SNS accepts (the XML character set).
    const auto* p = reinterpret_cast<const unsigned char*>(body.data());
    const std::size_t n = body.size();
    for (std::size_t i = 0; i < n;) {
        const unsigned char c = p[i];
        std::uint32_t cp = 0;
        std::size_t len = 0;
        if (c < 0x80) {
            cp = c;
            len = 1;
        } else if ((c & 0xE0) == 0xC0) {
            cp = c & 0x1F;
            len = 2;
        } else if ((c & 0xF0) == 0xE0) {
            cp = c & 0x0F;
            len = 3;
        } else if ((c & 0xF8) == 0xF0) {
            cp = c & 0x07;
            len = 4;
        } else {
            throw InvalidInput(w + " is not valid UTF-8 (byte " + std::to_string(i) + "): SNS accepts only UTF-8 text");
        }
        if (i + len > n) throw InvalidInput(w + " is not valid UTF-8 (it ends inside a character): SNS accepts only UTF-8 text");
        for (std::size_t k = 1; k < len; ++k) {
            if ((p[i + k] & 0xC0) != 0x80) {
                throw InvalidInput(w + " is not valid UTF-8 (byte " + std::to_string(i + k) + "): SNS accepts only UTF-8 text");
            }
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        const bool overlong = (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
        if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            throw InvalidInput(w + " is not valid UTF-8 (byte " + std::to_string(i) + "): SNS accepts only UTF-8 text");
        }
        const bool allowed = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
                             (cp >= 0xE000 && cp <= 0xFFFD) || cp >= 0x10000;
        if (!allowed) {
            throw InvalidInput(w + " holds the character " + hex_code_point(cp) + " at byte " + std::to_string(i) +
                               ", which SNS does not accept: escape it (JSON text escapes control characters)");
        }
        i += len;
    }
    if (subject.empty()) return;
    if (subject.size() > kSnsMaxSubjectChars) {
        throw InvalidInput("the subject of " + w + " is " + std::to_string(subject.size()) +
                           " characters, over SNS's limit of 100");
    }
    if (subject.front() == ' ') throw InvalidInput("the subject of " + w + " starts with a space, which SNS does not accept");
    for (char c : subject) {
        if (c < 0x20 || c > 0x7E) {
            throw InvalidInput("the subject of " + w +
                               " holds a character that is not printable ASCII (a line break, control or non-ASCII "
                               "character), which SNS does not accept");
        }
    }
}

QueryParams publish_batch_params(const std::string& topic_arn, std::span<const OutgoingMessage> messages,
                                 std::span<const std::size_t> indexes) {
    QueryParams params;
    params.reserve(1 + indexes.size() * 3);
    params.emplace_back("TopicArn", topic_arn);
    std::size_t k = 0;
    for (std::size_t index : indexes) {
        const std::string prefix = "PublishBatchRequestEntries.member." + std::to_string(++k) + ".";
        const OutgoingMessage& m = messages[index];
        params.emplace_back(prefix + "Id", std::to_string(index));
        params.emplace_back(prefix + "Message", m.body);
        if (!m.subject.empty()) params.emplace_back(prefix + "Subject", m.subject);
    }
    return params;
}

pugi::xml_node find_element(const pugi::xml_node& node, std::string_view name) {
    // Iterative depth-first walk, so that a deeply nested answer cannot exhaust the stack.
    pugi::xml_node current = node.first_child();
    while (current) {
        const bool element = current.type() == pugi::node_element;
        if (element && local_name(current.name()) == name) return current;
        if (element && current.first_child()) {
            current = current.first_child();
            continue;
        }
        while (current != node && !current.next_sibling()) current = current.parent();
        if (current == node) return {};
        current = current.next_sibling();
    }
    return {};
}

std::string child_text(const pugi::xml_node& node, std::string_view name) {
    for (pugi::xml_node child = node.first_child(); child; child = child.next_sibling()) {
        if (child.type() == pugi::node_element && local_name(child.name()) == name) return trimmed(child.text().get());
    }
    return {};
}

std::string parse_publish_response(const pugi::xml_document& doc) {
    const pugi::xml_node result = find_element(doc, "PublishResult");
    std::string id = result ? child_text(result, "MessageId") : std::string();
    if (id.empty()) {
        throw BackendError("sns Publish returned XML without a PublishResult/MessageId, so the message may not have been "
                           "published: check that the endpoint is an SNS service",
                           std::string(error_code::kInvalidResponse), false);
    }
    return id;
}

SnsBatchResult parse_publish_batch_response(const pugi::xml_document& doc) {
    const pugi::xml_node result = find_element(doc, "PublishBatchResult");
    if (!result) {
        throw BackendError("sns PublishBatch returned XML without a PublishBatchResult: check that the endpoint is an SNS service",
                           std::string(error_code::kInvalidResponse), false);
    }
    SnsBatchResult out;
    for (pugi::xml_node list = result.first_child(); list; list = list.next_sibling()) {
        if (list.type() != pugi::node_element) continue;
        const std::string_view which = local_name(list.name());
        if (which != "Successful" && which != "Failed") continue;
        for (pugi::xml_node member = list.first_child(); member; member = member.next_sibling()) {
            if (member.type() != pugi::node_element || local_name(member.name()) != "member") continue;
            if (which == "Successful") {
                out.successful.push_back(child_text(member, "Id"));
            } else {
                SnsBatchFailure failure;
                failure.id = child_text(member, "Id");
                failure.code = printable(child_text(member, "Code"), 128);
                failure.message = printable(child_text(member, "Message"), 512);
                failure.sender_fault = child_text(member, "SenderFault") == "true";
                if (failure.code.empty()) failure.code = "UnknownError";
                out.failed.push_back(std::move(failure));
            }
        }
    }
    return out;
}

bool sns_entry_retryable(const SnsBatchFailure& failure) {
    return !failure.sender_fault || is_throttling_code(failure.code);
}

}  // namespace watchbot_progress::aws
