#pragma once
// Helpers for the credential-source tests: the test HTTP server playing STS (XML answers of the
// query protocol) and the SSO portal (JSON), form-body decoding, executable scripts for
// credential_process, and a shared-config sandbox (its own HOME, config and credentials files).

#include <sys/stat.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "aws/aws_test_util.hpp"
#include "aws/clock.hpp"
#include "aws/crypto.hpp"
#include "aws/test_http_server.hpp"

namespace wp_test {

// The value of `name` in an application/x-www-form-urlencoded body, percent-decoded; nullopt when absent.
inline std::optional<std::string> form_value(const std::string& body, const std::string& name) {
    std::size_t pos = 0;
    while (pos <= body.size()) {
        std::size_t end = body.find('&', pos);
        if (end == std::string::npos) end = body.size();
        const std::string pair = body.substr(pos, end - pos);
        const std::size_t eq = pair.find('=');
        if (pair.substr(0, eq) == name) {
            std::string raw = eq == std::string::npos ? "" : pair.substr(eq + 1);
            std::string out;
            for (std::size_t i = 0; i < raw.size(); ++i) {
                if (raw[i] == '%' && i + 2 < raw.size()) {
                    out.push_back(static_cast<char>(std::stoi(raw.substr(i + 1, 2), nullptr, 16)));
                    i += 2;
                } else if (raw[i] == '+') {
                    out.push_back(' ');
                } else {
                    out.push_back(raw[i]);
                }
            }
            return out;
        }
        pos = end + 1;
    }
    return std::nullopt;
}

// STS's answer to AssumeRole / AssumeRoleWithWebIdentity (`action`).
inline std::string sts_credentials_xml(const std::string& action, const std::string& access_key,
                                       const std::string& secret, const std::string& token,
                                       watchbot_progress::aws::TimePoint expiration) {
    return "<" + action + "Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><" + action +
           "Result><Credentials><AccessKeyId>" + access_key + "</AccessKeyId><SecretAccessKey>" + secret +
           "</SecretAccessKey><SessionToken>" + token + "</SessionToken><Expiration>" +
           watchbot_progress::aws::format_iso8601(expiration) + "</Expiration></Credentials><AssumedRoleUser>"
           "<Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId>"
           "</AssumedRoleUser></" + action + "Result><ResponseMetadata><RequestId>req-1</RequestId>"
           "</ResponseMetadata></" + action + "Response>";
}

inline std::string sts_error_xml(const std::string& code, const std::string& message) {
    return "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>" +
           code + "</Code><Message>" + message + "</Message></Error><RequestId>req-err</RequestId></ErrorResponse>";
}

// The SSO portal's GetRoleCredentials answer.
inline std::string sso_role_credentials_json(const std::string& access_key, const std::string& secret,
                                             const std::string& token, watchbot_progress::aws::TimePoint expiration) {
    const long long ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(expiration.time_since_epoch()).count();
    return R"({"roleCredentials":{"accessKeyId":")" + access_key + R"(","secretAccessKey":")" + secret +
           R"(","sessionToken":")" + token + R"(","expiration":)" + std::to_string(ms) + "}}";
}

// One test server playing STS (POST, form body: AssumeRole and AssumeRoleWithWebIdentity) and the
// SSO portal (GET /federation/credentials). Key ids say who answered: ASIA<ROLE NAME><n> from STS
// (role/deploy, first call: ASIADEPLOY1), ASIASSO<n> from the portal; session tokens are
// "token-<key id>"; every answer expires an hour after `now()`.
class FakeStsAndSso {
public:
    explicit FakeStsAndSso(std::function<watchbot_progress::aws::TimePoint()> now) : now_(std::move(now)) {
        server_.set_handler([this](const RecordedRequest& r) {
            const auto expiration = now_() + std::chrono::hours(1);
            if (r.method == "GET") {
                const std::string key = "ASIASSO" + std::to_string(++sso_calls_);
                return ScriptedResponse::text(200, sso_role_credentials_json(key, "s", "token-" + key, expiration),
                                              {{"Content-Type", "application/json"}});
            }
            const std::string action = form_value(r.body, "Action").value_or("");
            const std::string role = form_value(r.body, "RoleArn").value_or("");
            std::string name = role.substr(role.rfind('/') + 1);
            for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            const std::string key = "ASIA" + name + std::to_string(++sts_calls_);
            return ScriptedResponse::xml(200, sts_credentials_xml(action, key, "s", "token-" + key, expiration));
        });
    }
    std::string url() const { return server_.base_url(); }
    int sts_calls() const { return sts_calls_; }
    int sso_calls() const { return sso_calls_; }
    std::vector<RecordedRequest> requests() const { return server_.requests(); }

private:
    std::function<watchbot_progress::aws::TimePoint()> now_;
    std::atomic<int> sts_calls_{0};
    std::atomic<int> sso_calls_{0};
    TestHttpServer server_;
};

// A directory standing in for a user's home: HOME, AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE
// point into it, so no test reads the machine's own AWS settings.
class AwsSandbox {
public:
    const TempDir& dir() const { return dir_; }
    std::string home() const { return dir_.path().string(); }
    std::string config_path() const { return home() + "/.aws/config"; }
    std::string credentials_path() const { return home() + "/.aws/credentials"; }

    void config(const std::string& text) const { dir_.write(".aws/config", text); }
    void credentials(const std::string& text) const { dir_.write(".aws/credentials", text); }

    // An executable shell script; returns its path.
    std::string script(const std::string& name, const std::string& body) const {
        std::string path = dir_.write(name, "#!/bin/sh\n" + body);
        ::chmod(path.c_str(), 0700);
        return path;
    }

    // The AWS CLI's cached SSO token for `key` (the sso-session name or the start URL).
    std::string sso_token(const std::string& key, const std::string& access_token,
                          watchbot_progress::aws::TimePoint expires_at) const {
        return dir_.write(".aws/sso/cache/" + watchbot_progress::aws::sha1_hex(key) + ".json",
                          R"({"startUrl":"https://d-abc123.awsapps.com/start","region":"eu-west-1","accessToken":")" +
                              access_token + R"(","expiresAt":")" + watchbot_progress::aws::format_iso8601(expires_at) +
                              "\"}");
    }

    // The variables that confine the AWS layer to this sandbox, plus `extra`; nothing from the
    // machine (instance metadata off, no container credentials).
    std::map<std::string, std::string> env(std::map<std::string, std::string> extra = {}) const {
        std::map<std::string, std::string> out{{"HOME", home()},
                                               {"AWS_CONFIG_FILE", config_path()},
                                               {"AWS_SHARED_CREDENTIALS_FILE", credentials_path()},
                                               {"AWS_EC2_METADATA_DISABLED", "true"}};
        for (auto& [k, v] : extra) out[k] = v;
        return out;
    }

    // env(extra), and every variable that could hand a child process credentials from outside the
    // sandbox (keys, profile, role, web identity, container endpoints, a general endpoint) empty,
    // unless `extra` sets it.
    std::map<std::string, std::string> env_without_outside_credentials(std::map<std::string, std::string> extra = {}) const {
        std::map<std::string, std::string> out{{"AWS_ENDPOINT_URL", ""},
                                               {"AWS_PROFILE", ""},
                                               {"AWS_ACCESS_KEY_ID", ""},
                                               {"AWS_SECRET_ACCESS_KEY", ""},
                                               {"AWS_SESSION_TOKEN", ""},
                                               {"AWS_ROLE_ARN", ""},
                                               {"AWS_WEB_IDENTITY_TOKEN_FILE", ""},
                                               {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", ""},
                                               {"AWS_CONTAINER_CREDENTIALS_FULL_URI", ""}};
        for (auto& [k, v] : extra) out[k] = v;
        return env(std::move(out));
    }

private:
    TempDir dir_;
};

}  // namespace wp_test
