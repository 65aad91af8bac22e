#include "aws/credentials_sso.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "aws/aws_client.hpp"
#include "aws/crypto.hpp"
#include "aws/endpoint.hpp"
#include "aws/shared_config.hpp"
#include "aws/url.hpp"
#include "watchbot_progress/error_codes.hpp"

namespace watchbot_progress::aws {
namespace {

struct SsoSettings {
    std::string start_url;
    std::string region;
    std::string account_id;
    std::string role_name;
    std::optional<std::string> session;  // the sso-session's name (then the token is cached under it)
};

struct CachedToken {
    std::string access_token;
    TimePoint expires_at;
};

// botocore's SSOProvider._load_sso_config and _resolve_sso_session_reference.
std::optional<SsoSettings> load_settings(const SharedConfig& config, const std::string& name) {
    const auto profile = config.profile(name);
    if (!profile || (profile->count("sso_account_id") == 0 && profile->count("sso_role_name") == 0)) {
        return std::nullopt;
    }
    const std::string where = "profile '" + name + "' (in " + config.config_path + ")";
    IniSection resolved = *profile;
    const auto session = ini_value(*profile, "sso_session");
    if (session) {
        auto found = config.sso_sessions.find(*session);
        if (found == config.sso_sessions.end()) {
            throw ConfigError(where + " names sso_session '" + *session + "', but there is no [sso-session " +
                              *session + "] section in " + config.config_path);
        }
        for (const auto& [key, value] : found->second) {
            auto mine = resolved.find(key);
            if (mine != resolved.end() && mine->second != value) {
                throw ConfigError(where + ": " + key + " differs between the profile and [sso-session " + *session +
                                  "]: keep it in one place");
            }
            resolved[key] = value;
        }
    }
    std::string missing;
    auto required = [&](const char* key) {
        auto value = ini_value(resolved, key);
        if (!value) missing += std::string(missing.empty() ? "" : ", ") + key;
        return value.value_or("");
    };
    SsoSettings out;
    out.role_name = required("sso_role_name");
    out.account_id = required("sso_account_id");
    out.start_url = required("sso_start_url");
    out.region = required("sso_region");
    if (!missing.empty()) throw ConfigError(where + " is set up for SSO but lacks " + missing);
    out.session = session;
    return out;
}

CachedToken load_token(const EnvLookup& env, const SsoSettings& sso, const std::string& profile, TimePoint now) {
    const std::string key = sso.session ? *sso.session : sso.start_url;
    const std::string path = sso_token_cache_path(env, key);
    const std::string login = "run `aws sso login --profile " + profile + "`";
    const std::string subject = sso.session ? "sso-session '" + *sso.session + "'" : sso.start_url;
    const std::string what = "the cached SSO token for " + subject;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw ConfigError("profile '" + profile + "': there is no cached SSO token for " + subject + " (expected in " +
                          path + "): " + login);
    }
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json doc = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    auto field = [&](const char* name) -> std::string {
        if (doc.is_discarded() || !doc.is_object()) return "";
        auto it = doc.find(name);
        return it != doc.end() && it->is_string() ? it->get<std::string>() : "";
    };
    CachedToken token;
    token.access_token = field("accessToken");
    std::string expires = field("expiresAt");
    if (token.access_token.empty() || expires.empty()) {
        throw ConfigError("profile '" + profile + "': " + what + " in " + path + " has no accessToken or expiresAt: " + login);
    }
    // The AWS CLI writes "...Z"; older versions wrote "...UTC".
    if (expires.ends_with("UTC")) expires.replace(expires.size() - 3, 3, "Z");
    try {
        token.expires_at = parse_iso8601(expires);
    } catch (const InvalidInput&) {
        throw ConfigError("profile '" + profile + "': " + what + " in " + path +
                          " has an expiresAt that is not a date-time: " + login);
    }
    if (token.expires_at <= now) {
        throw ConfigError("profile '" + profile + "': " + what + " expired at " + format_iso8601(token.expires_at) +
                          ": " + login);
    }
    return token;
}

Credentials parse_role_credentials(const std::string& body, const std::string& what) {
    auto fail = [&](const std::string& why) {
        return BackendError(what + " returned unusable credentials (" + why + "); check that the endpoint is the SSO portal",
                            std::string(error_code::kInvalidCredentialsResponse), false);
    };
    nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) throw fail("the answer is not a JSON object");
    auto role = doc.find("roleCredentials");
    if (role == doc.end() || !role->is_object()) throw fail("no roleCredentials");
    auto text = [&](const char* key) {
        auto it = role->find(key);
        if (it == role->end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
            throw fail(std::string("missing ") + key);
        }
        return it->get<std::string>();
    };
    Credentials out;
    out.access_key_id = text("accessKeyId");
    out.secret_access_key = text("secretAccessKey");
    out.session_token = text("sessionToken");
    auto expiration = role->find("expiration");
    if (expiration == role->end() || !expiration->is_number()) throw fail("missing expiration");
    out.expiration = TimePoint(std::chrono::duration_cast<TimePoint::duration>(
        std::chrono::milliseconds(expiration->get<long long>())));
    return out;
}

}  // namespace

std::string sso_token_cache_path(const EnvLookup& env, const std::string& key) {
    return home_directory(env) + "/.aws/sso/cache/" + sha1_hex(key) + ".json";
}

SsoCredentialsProvider::SsoCredentialsProvider(ProfileCredentialsOptions options, std::optional<std::string> profile)
    : options_(std::move(options)), profile_(std::move(profile)) {
    options_.http = http_for_profiles(options_);
}

Credentials SsoCredentialsProvider::get_credentials() {
    const SharedConfig config = load_shared_config(options_.env);
    const std::string name = profile_.value_or(selected_profile(options_.env));
    const auto sso = load_settings(config, name);
    if (!sso) throw CredentialsNotConfigured("profile '" + name + "' has no sso_account_id or sso_role_name");
    const CachedToken token = load_token(options_.env, *sso, name, options_.clock());

    AwsClientConfig client;
    client.service = "sso";
    client.region = sso->region;
    client.endpoint = resolve_endpoint("sso", sso->region, options_.env);
    client.sign_requests = false;
    client.http = options_.http;
    client.retry = RetryPolicy::from_env(options_.env);
    client.hooks = options_.hooks;
    const std::string what = "profile '" + name + "': SSO GetRoleCredentials (account " + sso->account_id + ", role " +
                             sso->role_name + ") at " + redact_url(client.endpoint);

    AwsRequest request;
    request.operation = "GetRoleCredentials";
    request.protocol = AwsProtocol::kJson;
    request.method = "GET";
    request.path = "/federation/credentials";
    request.query = "account_id=" + uri_encode(sso->account_id) + "&role_name=" + uri_encode(sso->role_name);
    request.headers = {{"x-amz-sso_bearer_token", token.access_token}};
    request.secrets = {token.access_token};
    HttpResponse response;
    try {
        response = AwsClient(std::move(client)).send(request);
    } catch (const BackendError& e) {
        const bool unauthorized = e.code() == "UnauthorizedException" || e.code() == "Http401";
        throw BackendError(what + " failed: " + e.what() +
                               (unauthorized ? "; the SSO session has expired or was revoked: run `aws sso login "
                                               "--profile " + name + "`"
                                             : ""),
                           e.code(), e.retryable());
    }
    return parse_role_credentials(response.body, what);
}

}  // namespace watchbot_progress::aws
