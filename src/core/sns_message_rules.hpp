#pragma once
// SNS's rules for a message and a batch, in one place: Notifier's public methods apply them to every
// notifier (include/watchbot_progress/notifier.hpp lists them), so that the memory notifier, the
// local queue and a user's notifier refuse what SNS refuses, with the same answer.
//
// Pure, thread-safe. Messages never quote a message body (it may be large or private).

#include <cstddef>
#include <span>
#include <string_view>

#include "watchbot_progress/notifier.hpp"

namespace watchbot_progress::detail {

// Checks one message against SNS's rules; `where` names it in messages ("the message",
// "message 3 of the batch of 10"); `max_bytes` is the notifier's limit on a body
// (NotifierLimits::max_message_bytes; SNS's is kSnsLimits.max_message_bytes). Throws InvalidInput
// saying which rule the message breaks and what to do:
//   subject: 1 to kSnsMaxSubjectChars characters of printable ASCII, not starting with a space;
//   body: not empty, at most max_bytes bytes, valid UTF-8 of the characters SNS accepts (tab, line
//         feed, carriage return, U+0020..U+D7FF, U+E000..U+FFFD, U+10000..U+10FFFF).
void check_sns_message(std::string_view subject, std::string_view body, std::size_t max_bytes, std::string_view where);

// Checks a batch's size: at most limits.max_batch_entries messages. Throws InvalidInput.
void check_sns_batch_entries(std::size_t entries, const NotifierLimits& limits);

// Checks a batch's bytes (the sum of its bodies): at most limits.max_batch_bytes. Throws InvalidInput.
void check_sns_batch_bytes(std::span<const OutgoingMessage> messages, const NotifierLimits& limits);

// How a batch's message is named in messages: "message 3 of the batch of 10".
std::string batch_message_name(std::size_t index, std::size_t size);

}  // namespace watchbot_progress::detail
