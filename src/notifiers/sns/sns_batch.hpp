#pragma once
// The SNS query-protocol pieces the SnsNotifier is made of, as pure functions: topic ARN checks,
// PublishBatch request parameters and response parsing. (SNS's rules for messages are
// Notifier's checks: src/core/sns_message_rules.hpp.)
//
// Pure, thread-safe. Messages never contain message bodies (they may be large or private).

#include <cstddef>
#include <pugixml.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aws/arn.hpp"
#include "aws/url.hpp"
#include "watchbot_progress/notifier.hpp"

namespace watchbot_progress::detail::sns {

inline constexpr std::string_view kSnsApiVersion = "2010-03-31";

// Checks that `text` is an SNS topic ARN: arn:PARTITION:sns:REGION:ACCOUNT:NAME with a non-empty
// region and account and a topic name of 1-256 letters, digits, '-' and '_' (a subscription ARN,
// with a further ":ID", is refused; so is a FIFO topic, "NAME.fifo", which would need message group
// ids). `source` says where the ARN came from, for the message ("SnsOptions::topic_arn",
// "WorkTopic"). Throws ConfigError saying what is wrong and showing the expected form.
aws::Arn parse_sns_topic_arn(std::string_view text, std::string_view source);

// The parameters of PublishBatch for the messages at `indexes` (in that order): TopicArn, then for
// the k-th (1-based) PublishBatchRequestEntries.member.k.Id = the index in decimal, .Message, and
// .Subject when not empty. Action and Version are added by AwsClient::query_call.
aws::QueryParams publish_batch_params(const std::string& topic_arn, std::span<const OutgoingMessage> messages,
                                 std::span<const std::size_t> indexes);

struct SnsBatchFailure {
    std::string id;
    std::string code;     // e.g. "InternalError", "InvalidParameter"
    std::string message;  // SNS's text, may be empty
    bool sender_fault = false;
};

struct SnsBatchResult {
    std::vector<std::string> successful;  // entry ids
    std::vector<SnsBatchFailure> failed;
};

// Parses <PublishResponse><PublishResult><MessageId>ID</MessageId>... (namespace prefixes ignored)
// and returns ID. Throws BackendError "InvalidResponse" (not retryable) when there is no
// PublishResult with a non-empty MessageId: an answer that does not say the message was published.
std::string parse_publish_response(const pugi::xml_document& doc);

// Parses <PublishBatchResponse><PublishBatchResult><Successful><member><Id>... and
// <Failed><member><Id/><Code/><Message/><SenderFault/>... (namespace prefixes ignored; Code and
// Message cut to 128 and 512 bytes, control characters shown as '?'). Throws
// BackendError with code "InvalidResponse" (not retryable) when there is no PublishBatchResult.
SnsBatchResult parse_publish_batch_response(const pugi::xml_document& doc);

// Whether a refused entry may succeed when sent again: not a sender fault, or a throttling code.
bool sns_entry_retryable(const SnsBatchFailure& failure);

// The first element named `name` (ignoring any namespace prefix) below `node`, depth first; an
// empty node when there is none. Iterative: any depth of nesting is safe.
pugi::xml_node find_element(const pugi::xml_node& node, std::string_view name);

// The text of the child element named `name` (ignoring prefixes), trimmed; empty when absent.
std::string child_text(const pugi::xml_node& node, std::string_view name);

}  // namespace watchbot_progress::detail::sns
