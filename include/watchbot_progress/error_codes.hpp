#pragma once
// The codes BackendError::code() carries when the library itself names a failure. Codes from a
// service pass through unchanged and are not listed here: DynamoDB's and SNS's error codes
// ("ConditionalCheckFailedException", "NotFound"), Redis's error prefixes ("WRONGTYPE",
// "NOSCRIPT"), SQLite's result codes ("SQLITE_BUSY"). Compare code() with these names, not with
// their spellings.

#include <string_view>

namespace watchbot_progress::error_code {

// No answer from the server: refused, reset, DNS, broken pipe (Redis, and the AWS transport).
inline constexpr std::string_view kConnection = "ConnectionError";
// An AWS answer, or a credentials endpoint's, the library could not read.
inline constexpr std::string_view kInvalidResponse = "InvalidResponse";
inline constexpr std::string_view kInvalidCredentialsResponse = "InvalidCredentialsResponse";
// Another writer kept changing the job while this call retried; trying again later may succeed.
inline constexpr std::string_view kConcurrentModification = "ConcurrentModification";
// A DynamoDB item that is not a job this library can read, or a layout it does not know.
inline constexpr std::string_view kInvalidJobItem = "InvalidJobItem";
inline constexpr std::string_view kUnknownLayout = "UnknownLayout";
// create_progress_table: the table did not become ACTIVE in time.
inline constexpr std::string_view kTableNotActive = "TableNotActive";
// Redis: a reply of a type the command never returns; a key that is not a job's; set_total's
// temporary key gone.
inline constexpr std::string_view kUnexpectedReply = "UnexpectedReply";
inline constexpr std::string_view kInvalidData = "InvalidData";
inline constexpr std::string_view kTemporaryKeyLost = "TemporaryKeyLost";
// SQLite: a job's stored metadata is not JSON; the database cannot use WAL journal mode.
inline constexpr std::string_view kCorruptMetadata = "CorruptMetadata";
inline constexpr std::string_view kSqliteWalUnavailable = "SQLITE_WAL_UNAVAILABLE";
// The operating system's random source (getrandom) failed.
inline constexpr std::string_view kRandomUnavailable = "RandomUnavailable";
// create_job: some map messages were not published after the retries (PublishError).
inline constexpr std::string_view kPublishFailed = "PublishFailed";

}  // namespace watchbot_progress::error_code
