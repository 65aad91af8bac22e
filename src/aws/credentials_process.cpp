#include "aws/credentials_process.hpp"

#include <nlohmann/json.hpp>
#include <system_error>

#include "aws/shared_config.hpp"
#include "aws/shell_split.hpp"
#include "aws/subprocess.hpp"
#include "watchbot_progress/error_codes.hpp"

namespace watchbot_progress::aws {
namespace {

constexpr std::size_t kMaxStderrInMessage = 400;

// The start of the process's stderr, on one line, for a message.
std::string stderr_excerpt(const std::string& err) {
    std::string text = err.substr(0, kMaxStderrInMessage);
    for (char& c : text) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    while (!text.empty() && text.front() == ' ') text.erase(0, 1);
    if (err.size() > kMaxStderrInMessage) text += "...";
    return text;
}

}  // namespace

Credentials credentials_from_process_output(std::string_view out, const std::string& source) {
    auto fail = [&](const std::string& why) -> BackendError {
        return BackendError(source + " printed unusable credentials (" + why +
                                "); it must print {\"Version\": 1, \"AccessKeyId\": ..., \"SecretAccessKey\": ..., "
                                "\"SessionToken\": ..., \"Expiration\": ...} on its stdout",
                            std::string(error_code::kInvalidCredentialsResponse), false);
    };
    nlohmann::json doc = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) throw fail("its stdout is not a JSON object");
    auto version = doc.find("Version");
    if (version == doc.end()) throw fail("no Version key");
    if (!version->is_number_integer() || version->get<long long>() != 1) {
        throw fail("Version is " + version->dump().substr(0, 20) + ", but only version 1 is supported");
    }
    auto text = [&](const char* key) -> std::optional<std::string> {
        auto it = doc.find(key);
        if (it == doc.end() || it->is_null()) return std::nullopt;
        if (!it->is_string()) throw fail(std::string(key) + " is not a string");
        if (it->get_ref<const std::string&>().empty()) return std::nullopt;
        return it->get<std::string>();
    };
    Credentials creds;
    auto access_key = text("AccessKeyId");
    if (!access_key) throw fail("missing AccessKeyId");
    auto secret_key = text("SecretAccessKey");
    if (!secret_key) throw fail("missing SecretAccessKey");
    creds.access_key_id = std::move(*access_key);
    creds.secret_access_key = std::move(*secret_key);
    creds.session_token = text("SessionToken");
    if (auto expiration = text("Expiration")) {
        try {
            creds.expiration = parse_iso8601(*expiration);
        } catch (const InvalidInput&) {
            throw fail("Expiration is not an ISO 8601 date-time");
        }
    }
    return creds;
}

Credentials ProcessCredentialsProvider::get_credentials() {
    const SharedConfig config = load_shared_config(env_);
    const std::string profile_name = profile_.value_or(selected_profile(env_));
    const auto profile = config.profile(profile_name);
    if (!profile) throw CredentialsNotConfigured("no profile '" + profile_name + "'");
    const auto command = ini_value(*profile, "credential_process");
    if (!command) throw CredentialsNotConfigured("profile '" + profile_name + "' has no credential_process");

    const std::string where = "the credential_process of profile '" + profile_name + "' (" + config.describe_files() + ")";
    std::vector<std::string> argv;
    try {
        argv = shell_split(*command);
    } catch (const InvalidInput& e) {
        throw ConfigError(where + " cannot be split into words: " + e.what() + "; fix its quoting");
    }
    if (argv.empty()) throw ConfigError(where + " is empty: give the command to run");
    const std::string source = "the credential_process '" + argv[0] + "' of profile '" + profile_name + "'";

    ProcessOutput output;
    try {
        output = run_process(argv);
    } catch (const std::system_error& e) {
        throw ConfigError("cannot run " + source + ": " + e.code().message() +
                          "; check the program's path and permissions in " + config.describe_files());
    }
    if (output.signal != 0 || output.exit_status != 0) {
        std::string how = output.signal != 0 ? "was killed by signal " + std::to_string(output.signal)
                                              : "exited with status " + std::to_string(output.exit_status);
        std::string err = stderr_excerpt(output.err);
        throw BackendError(source + " " + how + (err.empty() ? std::string() : ": " + err) +
                               "; run it by hand to see what it needs",
                           std::string(kCredentialProcessFailed), false);
    }
    if (output.out_truncated) {
        throw BackendError(source + " printed more than 1 MiB on its stdout; it must print one JSON object",
                           std::string(error_code::kInvalidCredentialsResponse), false);
    }
    return credentials_from_process_output(output.out, source);
}

}  // namespace watchbot_progress::aws
