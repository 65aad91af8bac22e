// Roles through STS, against the test HTTP server playing STS: AssumeRole (source_profile,
// credential_source, role chaining) and AssumeRoleWithWebIdentity (environment and profile).

#include <gtest/gtest.h>

#include <atomic>

#include "aws/credentials_assume_role.hpp"
#include "aws/credentials_test_util.hpp"
#include "watchbot_progress/errors.hpp"

namespace aws = watchbot_progress::aws;
using watchbot_progress::BackendError;
using watchbot_progress::ConfigError;
using wp_test::RecordedRequest;
using wp_test::ScriptedResponse;
using wp_test::TestHttpServer;

namespace {

constexpr const char* kBaseSecret = "baseSecretKeyNeverInMessages/0123456789ab";
constexpr const char* kRoleSecret = "roleSecretKeyNeverInMessages/0123456789ab";
constexpr const char* kWebToken = "eyJhbGciOiJSUzI1NiJ9.webIdentityTokenSECRET.sig";

const aws::TimePoint kExpiry = aws::parse_iso8601("2030-01-01T00:00:00Z");

template <typename Fn>
std::string error_message_of(Fn&& fn) {
    try {
        fn();
    } catch (const std::exception& e) {
        return e.what();
    }
    ADD_FAILURE() << "expected an exception";
    return "";
}

// STS answering every AssumeRole* with credentials named after the role's last path element:
// role/deploy -> ASIADEPLOY.
void serve_sts(TestHttpServer& server) {
    server.set_handler([](const RecordedRequest& r) {
        const std::string action = wp_test::form_value(r.body, "Action").value_or("");
        const std::string role = wp_test::form_value(r.body, "RoleArn").value_or("");
        std::string name = role.substr(role.rfind('/') + 1);
        for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        return ScriptedResponse::xml(200, wp_test::sts_credentials_xml(action, "ASIA" + name, kRoleSecret,
                                                                        "token-" + name, kExpiry));
    });
}

std::string authorization_key_id(const RecordedRequest& r) {
    const std::string auth = r.header("Authorization").value_or("");
    const auto start = auth.find("Credential=");
    if (start == std::string::npos) return "";
    return auth.substr(start + 11, auth.find('/', start) - start - 11);
}

aws::ProfileCredentialsOptions options_for(const std::map<std::string, std::string>& env) {
    aws::ProfileCredentialsOptions options;
    options.env = aws::map_env(env);
    return options;
}

}  // namespace

TEST(StsCredentialsTest, AssumeRoleIsSignedWithTheSourceProfilesKeys) {
    TestHttpServer sts;
    serve_sts(sts);
    wp_test::AwsSandbox sandbox;
    sandbox.config(
        "[profile deploy]\n"
        "role_arn = arn:aws:iam::123456789012:role/deploy\n"
        "source_profile = base\n"
        "role_session_name = ci-run\n"
        "external_id = ext-42\n"
        "duration_seconds = 900\n"
        "region = eu-west-1\n");
    sandbox.credentials("[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = " + std::string(kBaseSecret) + "\n");

    aws::AssumeRoleCredentialsProvider provider(
        options_for(sandbox.env({{"AWS_PROFILE", "deploy"}, {"AWS_ENDPOINT_URL_STS", sts.base_url()}})));
    const aws::Credentials creds = provider.get_credentials();
    EXPECT_EQ(creds.access_key_id, "ASIADEPLOY");
    EXPECT_EQ(creds.secret_access_key, kRoleSecret);
    EXPECT_EQ(creds.session_token, std::optional<std::string>("token-DEPLOY"));
    ASSERT_TRUE(creds.expiration);
    EXPECT_EQ(*creds.expiration, kExpiry);

    const auto requests = sts.requests();
    ASSERT_EQ(requests.size(), 1U);
    const RecordedRequest& r = requests[0];
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(wp_test::form_value(r.body, "Action"), std::optional<std::string>("AssumeRole"));
    EXPECT_EQ(wp_test::form_value(r.body, "Version"), std::optional<std::string>("2011-06-15"));
    EXPECT_EQ(wp_test::form_value(r.body, "RoleArn"), std::optional<std::string>("arn:aws:iam::123456789012:role/deploy"));
    EXPECT_EQ(wp_test::form_value(r.body, "RoleSessionName"), std::optional<std::string>("ci-run"));
    EXPECT_EQ(wp_test::form_value(r.body, "ExternalId"), std::optional<std::string>("ext-42"));
    EXPECT_EQ(wp_test::form_value(r.body, "DurationSeconds"), std::optional<std::string>("900"));
    EXPECT_EQ(authorization_key_id(r), "AKIABASE");
    // Signed for STS in the profile's region.
    EXPECT_NE(r.header("Authorization").value_or("").find("/eu-west-1/sts/aws4_request"), std::string::npos);
}

TEST(StsCredentialsTest, RoleChainsAndSelfReferencingProfiles) {
    TestHttpServer sts;
    serve_sts(sts);
    wp_test::AwsSandbox sandbox;
    sandbox.config(
        "[profile top]\nrole_arn = arn:aws:iam::1:role/top\nsource_profile = middle\n"
        "[profile middle]\nrole_arn = arn:aws:iam::1:role/middle\nsource_profile = keys\n"
        "[profile keys]\naws_access_key_id = AKIAKEYS\naws_secret_access_key = " + std::string(kBaseSecret) + "\n"
        "[profile self]\nrole_arn = arn:aws:iam::1:role/self\nsource_profile = self\n"
        "aws_access_key_id = AKIASELF\naws_secret_access_key = s\n");

    aws::AssumeRoleCredentialsProvider top(
        options_for(sandbox.env({{"AWS_PROFILE", "top"}, {"AWS_ENDPOINT_URL_STS", sts.base_url()}})));
    EXPECT_EQ(top.get_credentials().access_key_id, "ASIATOP");
    auto requests = sts.requests();
    ASSERT_EQ(requests.size(), 2U);
    EXPECT_EQ(wp_test::form_value(requests[0].body, "RoleArn"), std::optional<std::string>("arn:aws:iam::1:role/middle"));
    EXPECT_EQ(authorization_key_id(requests[0]), "AKIAKEYS");
    EXPECT_EQ(wp_test::form_value(requests[1].body, "RoleArn"), std::optional<std::string>("arn:aws:iam::1:role/top"));
    EXPECT_EQ(authorization_key_id(requests[1]), "ASIAMIDDLE") << "the second hop is signed with the first role's credentials";
    EXPECT_EQ(requests[1].header("X-Amz-Security-Token"), std::optional<std::string>("token-MIDDLE"));
    // No role_session_name: a generated one.
    EXPECT_EQ(wp_test::form_value(requests[1].body, "RoleSessionName").value_or("").rfind("watchbot-progress-", 0), 0U);

    aws::AssumeRoleCredentialsProvider self(
        options_for(sandbox.env({{"AWS_PROFILE", "self"}, {"AWS_ENDPOINT_URL_STS", sts.base_url()}})));
    EXPECT_EQ(self.get_credentials().access_key_id, "ASIASELF");
    EXPECT_EQ(authorization_key_id(sts.requests().back()), "AKIASELF");
}

TEST(StsCredentialsTest, CredentialSourceEnvironmentSignsWithTheEnvironmentsKeys) {
    TestHttpServer sts;
    serve_sts(sts);
    wp_test::AwsSandbox sandbox;
    sandbox.config("[default]\nrole_arn = arn:aws:iam::1:role/fromenv\ncredential_source = Environment\n");
    aws::AssumeRoleCredentialsProvider provider(options_for(sandbox.env({{"AWS_ENDPOINT_URL_STS", sts.base_url()},
                                                                         {"AWS_ACCESS_KEY_ID", "AKIAENVSRC"},
                                                                         {"AWS_SECRET_ACCESS_KEY", kBaseSecret}})));
    EXPECT_EQ(provider.get_credentials().access_key_id, "ASIAFROMENV");
    EXPECT_EQ(authorization_key_id(sts.requests().at(0)), "AKIAENVSRC");

    aws::AssumeRoleCredentialsProvider no_keys(options_for(sandbox.env({{"AWS_ENDPOINT_URL_STS", sts.base_url()}})));
    std::string message = error_message_of([&] { no_keys.get_credentials(); });
    EXPECT_NE(message.find("credential_source Environment"), std::string::npos) << message;
    EXPECT_NE(message.find("AWS_ACCESS_KEY_ID"), std::string::npos) << message;
}

TEST(StsCredentialsTest, BrokenRoleProfilesAreConfigErrorsThatNameTheProfile) {
    TestHttpServer sts;
    serve_sts(sts);
    wp_test::AwsSandbox sandbox;
    sandbox.config(
        "[profile both]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = keys\ncredential_source = Environment\n"
        "[profile neither]\nrole_arn = arn:aws:iam::1:role/r\n"
        "[profile missing]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = nowhere\n"
        "[profile loop-a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = loop-b\n"
        "[profile loop-b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = loop-a\n"
        "[profile mfa]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = keys\nmfa_serial = arn:aws:iam::1:mfa/me\n"
        "[profile duration]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = keys\nduration_seconds = 1h\n"
        "[profile unknown-source]\nrole_arn = arn:aws:iam::1:role/r\ncredential_source = Laptop\n"
        "[profile empty-source]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = bare\n"
        "[profile bare]\nregion = eu-west-1\n"
        "[profile keys]\naws_access_key_id = AKIAKEYS\naws_secret_access_key = " + std::string(kBaseSecret) + "\n");
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"both", "both source_profile and credential_source"},
        {"neither", "needs source_profile or credential_source"},
        {"missing", "source_profile 'nowhere'"},
        {"loop-a", "loop-a -> loop-b -> loop-a"},
        {"mfa", "MFA"},
        {"duration", "duration_seconds"},
        {"unknown-source", "'Laptop'"},
        {"empty-source", "'bare'"},
    };
    for (const auto& [profile, expected] : cases) {
        aws::AssumeRoleCredentialsProvider provider(
            options_for(sandbox.env({{"AWS_PROFILE", profile}, {"AWS_ENDPOINT_URL_STS", sts.base_url()}})));
        try {
            provider.get_credentials();
            ADD_FAILURE() << profile << ": accepted";
        } catch (const aws::CredentialsNotConfigured& e) {
            ADD_FAILURE() << profile << ": a broken role profile must stop the chain, not be skipped: " << e.what();
        } catch (const ConfigError& e) {
            const std::string message = e.what();
            EXPECT_NE(message.find(expected), std::string::npos) << profile << ": " << message;
            EXPECT_NE(message.find("'" + profile + "'"), std::string::npos) << profile << ": " << message;
            EXPECT_EQ(message.find(kBaseSecret), std::string::npos) << message;
        }
    }
    EXPECT_EQ(sts.request_count(), 0U);

    // A profile without role_arn (or with web_identity_token_file) is not this provider's.
    sandbox.config("[default]\naws_access_key_id = A\n[profile web]\nrole_arn = r\nweb_identity_token_file = /t\n");
    aws::AssumeRoleCredentialsProvider plain(options_for(sandbox.env()));
    EXPECT_THROW(plain.get_credentials(), aws::CredentialsNotConfigured);
    aws::AssumeRoleCredentialsProvider web(options_for(sandbox.env({{"AWS_PROFILE", "web"}})));
    EXPECT_THROW(web.get_credentials(), aws::CredentialsNotConfigured);
}

TEST(StsCredentialsTest, StsErrorsNameTheProfileAndRoleAndHideSecrets) {
    TestHttpServer sts;
    // STS refuses, and (misbehaving) echoes the source secret in its message.
    sts.set_handler([](const RecordedRequest&) {
        return ScriptedResponse::xml(403, wp_test::sts_error_xml("AccessDenied", std::string("not allowed for ") + kBaseSecret));
    });
    wp_test::AwsSandbox sandbox;
    sandbox.config("[profile deploy]\nrole_arn = arn:aws:iam::1:role/deploy\nsource_profile = base\n");
    sandbox.credentials("[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = " + std::string(kBaseSecret) + "\n");
    aws::AssumeRoleCredentialsProvider provider(
        options_for(sandbox.env({{"AWS_PROFILE", "deploy"}, {"AWS_ENDPOINT_URL_STS", sts.base_url()}})));
    try {
        provider.get_credentials();
        FAIL() << "expected BackendError";
    } catch (const BackendError& e) {
        const std::string message = e.what();
        EXPECT_EQ(e.code(), "AccessDenied");
        EXPECT_NE(message.find("profile 'deploy'"), std::string::npos) << message;
        EXPECT_NE(message.find("arn:aws:iam::1:role/deploy"), std::string::npos) << message;
        EXPECT_NE(message.find("AssumeRole"), std::string::npos) << message;
        EXPECT_EQ(message.find(kBaseSecret), std::string::npos) << message;
    }

    // An answer without credentials.
    sts.set_handler([](const RecordedRequest&) { return ScriptedResponse::xml(200, "<AssumeRoleResponse/>"); });
    try {
        provider.get_credentials();
        FAIL() << "expected BackendError";
    } catch (const BackendError& e) {
        EXPECT_EQ(e.code(), "InvalidCredentialsResponse");
        EXPECT_NE(std::string(e.what()).find("profile 'deploy'"), std::string::npos) << e.what();
    }
}

TEST(StsCredentialsTest, StsServerErrorsAreRetriedWithoutRealSleeps) {
    TestHttpServer sts;
    sts.enqueue(ScriptedResponse::xml(503, wp_test::sts_error_xml("ServiceUnavailable", "busy")));
    serve_sts(sts);
    wp_test::AwsSandbox sandbox;
    sandbox.config("[default]\nrole_arn = arn:aws:iam::1:role/retry\ncredential_source = Environment\n");
    wp_test::RecordingHooks hooks;
    aws::ProfileCredentialsOptions options = options_for(sandbox.env({{"AWS_ENDPOINT_URL_STS", sts.base_url()},
                                                                      {"AWS_ACCESS_KEY_ID", "AKIAENV"},
                                                                      {"AWS_SECRET_ACCESS_KEY", "s"}}));
    options.hooks = hooks.hooks();
    aws::AssumeRoleCredentialsProvider provider(options);
    EXPECT_EQ(provider.get_credentials().access_key_id, "ASIARETRY");
    EXPECT_EQ(sts.request_count(), 2U);
    EXPECT_EQ(hooks.recorded().size(), 1U);
}

TEST(StsCredentialsTest, WebIdentityFromTheEnvironmentIsUnsignedAndRereadsTheToken) {
    TestHttpServer sts;
    serve_sts(sts);
    wp_test::AwsSandbox sandbox;
    const std::string token_file = sandbox.dir().write("token", std::string(kWebToken) + "\n");
    aws::WebIdentityCredentialsProvider provider(options_for(sandbox.env({{"AWS_ENDPOINT_URL_STS", sts.base_url()},
                                                                          {"AWS_ROLE_ARN", "arn:aws:iam::1:role/pods"},
                                                                          {"AWS_WEB_IDENTITY_TOKEN_FILE", token_file},
                                                                          {"AWS_ROLE_SESSION_NAME", "pod-7"}})));
    const aws::Credentials creds = provider.get_credentials();
    EXPECT_EQ(creds.access_key_id, "ASIAPODS");
    EXPECT_EQ(creds.session_token, std::optional<std::string>("token-PODS"));

    auto requests = sts.requests();
    ASSERT_EQ(requests.size(), 1U);
    EXPECT_FALSE(requests[0].header("Authorization")) << "AssumeRoleWithWebIdentity is not signed";
    EXPECT_FALSE(requests[0].header("X-Amz-Security-Token"));
    EXPECT_EQ(wp_test::form_value(requests[0].body, "Action"), std::optional<std::string>("AssumeRoleWithWebIdentity"));
    EXPECT_EQ(wp_test::form_value(requests[0].body, "WebIdentityToken"), std::optional<std::string>(kWebToken));
    EXPECT_EQ(wp_test::form_value(requests[0].body, "RoleSessionName"), std::optional<std::string>("pod-7"));
    EXPECT_EQ(wp_test::form_value(requests[0].body, "RoleArn"), std::optional<std::string>("arn:aws:iam::1:role/pods"));

    // EKS rotates the token file: the next fetch reads it again.
    sandbox.dir().write("token", "rotated-token");
    provider.get_credentials();
    EXPECT_EQ(wp_test::form_value(sts.requests().back().body, "WebIdentityToken"), std::optional<std::string>("rotated-token"));
}

TEST(StsCredentialsTest, WebIdentityFromTheProfileWithVariablesWinningKeyByKey) {
    TestHttpServer sts;
    serve_sts(sts);
    wp_test::AwsSandbox sandbox;
    const std::string token_file = sandbox.dir().write("token", "profile-token");
    sandbox.config("[profile eks]\nrole_arn = arn:aws:iam::1:role/fromprofile\nweb_identity_token_file = " + token_file +
                   "\nrole_session_name = from-profile\n");
    aws::WebIdentityCredentialsProvider from_profile(
        options_for(sandbox.env({{"AWS_PROFILE", "eks"}, {"AWS_ENDPOINT_URL_STS", sts.base_url()}})));
    EXPECT_EQ(from_profile.get_credentials().access_key_id, "ASIAFROMPROFILE");
    EXPECT_EQ(wp_test::form_value(sts.requests().back().body, "RoleSessionName"),
              std::optional<std::string>("from-profile"));

    aws::WebIdentityCredentialsProvider role_from_env(options_for(sandbox.env(
        {{"AWS_PROFILE", "eks"}, {"AWS_ENDPOINT_URL_STS", sts.base_url()}, {"AWS_ROLE_ARN", "arn:aws:iam::1:role/env"}})));
    EXPECT_EQ(role_from_env.get_credentials().access_key_id, "ASIAENV");
    EXPECT_EQ(wp_test::form_value(sts.requests().back().body, "WebIdentityToken"),
              std::optional<std::string>("profile-token"));

    // For a source profile the variables are ignored (botocore's disable_env_vars).
    aws::WebIdentityCredentialsProvider profile_only(
        options_for(sandbox.env({{"AWS_ENDPOINT_URL_STS", sts.base_url()}, {"AWS_ROLE_ARN", "arn:aws:iam::1:role/env"}})),
        std::string("eks"), /*use_environment=*/false);
    EXPECT_EQ(profile_only.get_credentials().access_key_id, "ASIAFROMPROFILE");
}

TEST(StsCredentialsTest, WebIdentityFailuresSayWhatIsWrongWithoutTheToken) {
    TestHttpServer sts;
    sts.set_handler([](const RecordedRequest& r) {
        return ScriptedResponse::xml(
            400, wp_test::sts_error_xml("InvalidIdentityToken",
                                        "bad token " + wp_test::form_value(r.body, "WebIdentityToken").value_or("")));
    });
    wp_test::AwsSandbox sandbox;
    const std::string token_file = sandbox.dir().write("token", kWebToken);

    aws::WebIdentityCredentialsProvider nothing(options_for(sandbox.env()));
    EXPECT_THROW(nothing.get_credentials(), aws::CredentialsNotConfigured);

    aws::WebIdentityCredentialsProvider no_role(options_for(sandbox.env({{"AWS_WEB_IDENTITY_TOKEN_FILE", token_file}})));
    std::string message = error_message_of([&] { no_role.get_credentials(); });
    EXPECT_NE(message.find("AWS_ROLE_ARN"), std::string::npos) << message;

    aws::WebIdentityCredentialsProvider no_file(options_for(sandbox.env(
        {{"AWS_WEB_IDENTITY_TOKEN_FILE", sandbox.home() + "/gone"}, {"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"}})));
    message = error_message_of([&] { no_file.get_credentials(); });
    EXPECT_NE(message.find(sandbox.home() + "/gone"), std::string::npos) << message;
    EXPECT_NE(message.find("AWS_WEB_IDENTITY_TOKEN_FILE"), std::string::npos) << message;

    aws::WebIdentityCredentialsProvider refused(options_for(sandbox.env({{"AWS_WEB_IDENTITY_TOKEN_FILE", token_file},
                                                                         {"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"},
                                                                         {"AWS_ENDPOINT_URL_STS", sts.base_url()}})));
    try {
        refused.get_credentials();
        FAIL() << "expected BackendError";
    } catch (const BackendError& e) {
        message = e.what();
        EXPECT_EQ(e.code(), "InvalidIdentityToken");
        EXPECT_NE(message.find("AssumeRoleWithWebIdentity"), std::string::npos) << message;
        EXPECT_NE(message.find("arn:aws:iam::1:role/r"), std::string::npos) << message;
        EXPECT_EQ(message.find(kWebToken), std::string::npos) << message;
    }
}
