#pragma once
// Splits a command line into words the way a POSIX shell quotes (Python's shlex.split, which
// botocore uses for credential_process): words are separated by unquoted blanks; '...' keeps
// everything literally; "..." keeps everything but lets a backslash escape \ " $ ` and a newline;
// an unquoted backslash escapes the next character. Nothing is expanded (no $VAR, ~, globs or
// command substitution). Pure, thread-safe.

#include <string>
#include <string_view>
#include <vector>

namespace watchbot_progress::aws {

// Throws InvalidInput ("no closing quotation" / "ends with a backslash") for an unterminated
// quote or a trailing escape; the message never repeats the text (it may hold a password).
std::vector<std::string> shell_split(std::string_view text);

}  // namespace watchbot_progress::aws
