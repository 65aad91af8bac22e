#include "notifiers/sns/sns_batch.hpp"

#include <string>

#include "aws/error_classification.hpp"
#include "core/excerpt.hpp"
#include "watchbot_progress/error_codes.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress::detail::sns {
namespace {

constexpr const char* kTopicForm = "arn:aws:sns:REGION:ACCOUNT:TOPIC_NAME, e.g. arn:aws:sns:us-east-1:123456789012:work";

// ARNs are not secret, but keep messages bounded and on one line.
std::string shown(std::string_view text) { return detail::excerpt(text, 300); }

bool is_topic_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
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

aws::Arn parse_sns_topic_arn(std::string_view text, std::string_view source) {
    auto fail = [&](const std::string& why) {
        return ConfigError(std::string(source) + " '" + shown(text) + "' is not an SNS topic ARN: " + why + "; expected " +
                           kTopicForm);
    };
    if (text.empty()) throw fail("it is empty");
    aws::Arn arn;
    try {
        arn = aws::parse_arn(text, source);
    } catch (const InvalidInput&) {
        // parse_arn's message shows a DynamoDB example; say it for SNS instead.
        if (!aws::looks_like_arn(text)) throw fail("it does not start with 'arn:'");
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

aws::QueryParams publish_batch_params(const std::string& topic_arn, std::span<const OutgoingMessage> messages,
                                 std::span<const std::size_t> indexes) {
    aws::QueryParams params;
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
    return !failure.sender_fault || aws::is_throttling_code(failure.code);
}

}  // namespace watchbot_progress::detail::sns
