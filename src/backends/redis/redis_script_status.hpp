#pragma once
// Private to the Redis backend: the status codes the Lua scripts answer with, one enum for both
// sides. script_source() writes them into every script as Lua constants (`local JOB_DOES_NOT_EXIST
// = -1`, ...), so the scripts return names and the C++ side reads the same enum: a code is defined
// in one place only.

#include <array>
#include <string>
#include <string_view>

namespace watchbot_progress::detail::redis {

// The first element of every script's array reply.
enum class ScriptStatus : long long {
    kOk = 0,
    kJobDoesNotExist = -1,      // `<jobid>-metadata` has no `total`; nothing was written
    kPartOutOfRange = -2,       // second element: the job's total
    kTotalNotANumber = -3,      // the hash was not written by a watchbot-progress tool
    kMetadataNotAHash = -4,     // second element: the key's type
    kTemporaryKeyMissing = -5,  // set_total's temporary parts key is gone (renamed by a lost earlier attempt?)
    kJobExists = -6,            // set_total: the job exists and overwrite was not asked for
};

// Each status and the name the scripts use for it.
struct ScriptStatusName {
    ScriptStatus status;
    std::string_view lua_name;
};
inline constexpr std::array<ScriptStatusName, 7> kScriptStatusNames = {{
    {ScriptStatus::kOk, "OK"},
    {ScriptStatus::kJobDoesNotExist, "JOB_DOES_NOT_EXIST"},
    {ScriptStatus::kPartOutOfRange, "PART_OUT_OF_RANGE"},
    {ScriptStatus::kTotalNotANumber, "TOTAL_NOT_A_NUMBER"},
    {ScriptStatus::kMetadataNotAHash, "METADATA_NOT_A_HASH"},
    {ScriptStatus::kTemporaryKeyMissing, "TEMPORARY_KEY_MISSING"},
    {ScriptStatus::kJobExists, "JOB_EXISTS"},
}};

// A script's full source: the status constants, then `parts` in order (a prelude of helpers, the
// script's body).
template <class... Parts>
std::string script_source(Parts... parts) {
    std::string source;
    for (const auto& [status, name] : kScriptStatusNames) {
        source += "local " + std::string(name) + " = " + std::to_string(static_cast<long long>(status)) + "\n";
    }
    (source.append(std::string_view(parts)), ...);
    return source;
}

}  // namespace watchbot_progress::detail::redis
