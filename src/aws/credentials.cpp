#include "aws/credentials.hpp"

#include <nlohmann/json.hpp>

#include "watchbot_progress/error_codes.hpp"

namespace watchbot_progress::aws {

Credentials EnvironmentCredentialsProvider::get_credentials() {
    auto access_key = env_non_empty(env_, "AWS_ACCESS_KEY_ID");
    auto secret_key = env_non_empty(env_, "AWS_SECRET_ACCESS_KEY");
    if (!access_key && !secret_key) {
        throw CredentialsNotConfigured("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");
    }
    if (!access_key) {
        throw ConfigError("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not: set both, or neither");
    }
    if (!secret_key) {
        throw ConfigError("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: set both, or neither");
    }
    Credentials out;
    out.access_key_id = std::move(*access_key);
    out.secret_access_key = std::move(*secret_key);
    out.session_token = env_non_empty(env_, "AWS_SESSION_TOKEN");
    return out;
}

Credentials credentials_from_json(std::string_view body, std::string_view source) {
    auto fail = [&](const std::string& why) -> BackendError {
        return BackendError(std::string(source) + " returned unusable credentials (" + why +
                                "); check the credentials endpoint and the role it serves",
                            std::string(error_code::kInvalidCredentialsResponse), false);
    };
    nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) throw fail("the answer is not a JSON object");
    if (auto code = doc.find("Code"); code != doc.end() && code->is_string() && *code != "Success") {
        throw fail("its Code field is '" + code->get<std::string>() + "', not 'Success'");
    }
    auto text = [&](const char* key) -> std::string {
        auto it = doc.find(key);
        if (it == doc.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
            throw fail(std::string("missing ") + key);
        }
        return it->get<std::string>();
    };
    Credentials out;
    out.access_key_id = text("AccessKeyId");
    out.secret_access_key = text("SecretAccessKey");
    if (auto token = doc.find("Token"); token != doc.end() && token->is_string() && !token->get_ref<const std::string&>().empty()) {
        out.session_token = token->get<std::string>();
    }
    if (auto expiration = doc.find("Expiration"); expiration != doc.end() && !expiration->is_null()) {
        if (!expiration->is_string()) throw fail("Expiration is not a string");
        try {
            out.expiration = parse_iso8601(expiration->get<std::string>());
        } catch (const InvalidInput&) {
            throw fail("Expiration is not an ISO 8601 date-time");
        }
    }
    return out;
}

}  // namespace watchbot_progress::aws
