#include "core/sns_message_rules.hpp"

#include <cstdint>
#include <cstdio>
#include <string>

#include "watchbot_progress/errors.hpp"

namespace watchbot_progress::detail {
namespace {

std::string hex_code_point(std::uint32_t cp) {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "U+%04X", static_cast<unsigned>(cp));
    return buffer;
}

// "SNS's limit" when `limit` is SNS's own, else "the notifier's limit" (a notifier with other limits).
std::string limit_of(std::size_t limit, std::size_t sns_limit) {
    return (limit == sns_limit ? "SNS's limit of " : "the notifier's limit of ") + std::to_string(limit);
}

void check_subject(std::string_view subject, const std::string& where) {
    if (subject.empty()) {
        throw InvalidInput("the subject of " + where +
                           " is empty: give every message a subject (the library's are \"map\" and \"reduce\")");
    }
    if (subject.size() > kSnsMaxSubjectChars) {
        throw InvalidInput("the subject of " + where + " is " + std::to_string(subject.size()) + " characters, over SNS's limit of " +
                           std::to_string(kSnsMaxSubjectChars) + ": use a shorter subject (the library's are \"map\" and \"reduce\")");
    }
    for (char c : subject) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u > 0x7E) {
            throw InvalidInput("the subject of " + where +
                               " holds a character that is not printable ASCII (a line break, tab, control or non-ASCII "
                               "character), which SNS does not accept: use a subject of printable ASCII on one line");
        }
    }
    if (subject.front() == ' ') {
        throw InvalidInput("the subject of " + where + " starts with a space, which SNS does not accept: remove the leading space");
    }
}

[[noreturn]] void not_utf8(const std::string& where, const std::string& at) {
    throw InvalidInput(where + " is not valid UTF-8 (" + at +
                       "): SNS accepts only UTF-8 text; encode the text as UTF-8 (binary data: encode it, e.g. base64, "
                       "or store it elsewhere and send its address)");
}

void check_body(std::string_view body, std::size_t max_bytes, const std::string& where) {
    if (body.empty()) {
        throw InvalidInput(where + " is empty, which SNS does not accept: send a non-empty message (the library's are JSON objects)");
    }
    if (body.size() > max_bytes) {
        throw InvalidInput(where + " is " + std::to_string(body.size()) + " bytes, over " +
                           limit_of(max_bytes, kSnsLimits.max_message_bytes) +
                           " bytes: store large data elsewhere (e.g. S3) and put its address in the message");
    }
    // UTF-8, restricted to the characters SNS accepts (the XML character set).
    const auto* p = reinterpret_cast<const unsigned char*>(body.data());
    const std::size_t n = body.size();
    for (std::size_t i = 0; i < n;) {
        const unsigned char c = p[i];
        if (c >= 0x20 && c < 0x80) {  // the common case: printable ASCII
            ++i;
            continue;
        }
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
            not_utf8(where, "byte " + std::to_string(i));
        }
        if (i + len > n) not_utf8(where, "it ends inside a character");
        for (std::size_t k = 1; k < len; ++k) {
            if ((p[i + k] & 0xC0) != 0x80) not_utf8(where, "byte " + std::to_string(i + k));
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        const bool overlong = (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
        if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) not_utf8(where, "byte " + std::to_string(i));
        const bool allowed = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
                             (cp >= 0xE000 && cp <= 0xFFFD) || cp >= 0x10000;
        if (!allowed) {
            throw InvalidInput(where + " holds the character " + hex_code_point(cp) + " at byte " + std::to_string(i) +
                               ", which SNS does not accept: remove it or escape it (in JSON text, as \\u" +
                               hex_code_point(cp).substr(2) + ")");
        }
        i += len;
    }
}

}  // namespace

void check_sns_message(std::string_view subject, std::string_view body, std::size_t max_bytes, std::string_view where) {
    const std::string w(where);
    check_subject(subject, w);
    check_body(body, max_bytes, w);
}

void check_sns_batch_entries(std::size_t entries, const NotifierLimits& limits) {
    if (entries > limits.max_batch_entries) {
        throw InvalidInput("a batch of " + std::to_string(entries) + " messages is over " +
                           limit_of(limits.max_batch_entries, kSnsLimits.max_batch_entries) +
                           " messages per batch: split it into smaller batches");
    }
}

void check_sns_batch_bytes(std::span<const OutgoingMessage> messages, const NotifierLimits& limits) {
    std::size_t bytes = 0;
    for (const auto& m : messages) bytes += m.body.size();
    if (bytes > limits.max_batch_bytes) {
        throw InvalidInput("a batch of " + std::to_string(messages.size()) + " messages holds " + std::to_string(bytes) +
                           " bytes, over " + limit_of(limits.max_batch_bytes, kSnsLimits.max_batch_bytes) +
                           " bytes per batch: split it into smaller batches");
    }
}

std::string batch_message_name(std::size_t index, std::size_t size) {
    return "message " + std::to_string(index) + " of the batch of " + std::to_string(size);
}

}  // namespace watchbot_progress::detail
