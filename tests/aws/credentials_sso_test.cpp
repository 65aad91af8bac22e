// SSO profiles against the test HTTP server playing the SSO portal, with the AWS CLI's token cache
// written by the test.

#include <gtest/gtest.h>

#include "aws/credentials_sso.hpp"
#include "aws/credentials_test_util.hpp"
#include "watchbot_progress/errors.hpp"

namespace aws = watchbot_progress::aws;
using watchbot_progress::BackendError;
using watchbot_progress::ConfigError;
using wp_test::RecordedRequest;
using wp_test::ScriptedResponse;
using wp_test::TestHttpServer;

namespace {

constexpr const char* kAccessToken = "aoaAAAAAGsecretSsoAccessTokenNeverLogged";
constexpr const char* kRoleSecret = "ssoRoleSecretNeverInMessages/0123456789ab";
constexpr const char* kStartUrl = "https://d-abc123.awsapps.com/start";

// The portal: checks the bearer token, answers with credentials named after the role.
void serve_portal(TestHttpServer& server, aws::TimePoint expiration) {
    server.set_handler([expiration](const RecordedRequest& r) {
        if (r.header("x-amz-sso_bearer_token") != std::optional<std::string>(kAccessToken)) {
            return ScriptedResponse::text(401, R"({"message":"Session token not found or invalid"})",
                                          {{"x-amzn-ErrorType", "UnauthorizedException:http://internal/"},
                                           {"Content-Type", "application/json"}});
        }
        return ScriptedResponse::text(200, wp_test::sso_role_credentials_json("ASIASSO", kRoleSecret, "sso-session-token",
                                                                              expiration),
                                      {{"Content-Type", "application/json"}});
    });
}

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

aws::ProfileCredentialsOptions options_for(const std::map<std::string, std::string>& env, wp_test::FakeClock& clock) {
    aws::ProfileCredentialsOptions options;
    options.env = aws::map_env(env);
    options.clock = clock.as_clock();
    return options;
}

}  // namespace

TEST(SsoCredentialsTest, TokenCacheFileIsNamedAsTheAwsCliNamesIt) {
    // sha1 of the start URL (legacy profiles) or of the sso-session's name.
    EXPECT_EQ(aws::sso_token_cache_path(aws::map_env({{"HOME", "/h"}}), kStartUrl),
              "/h/.aws/sso/cache/40a89917e3175433e361b710a9d43528d7f1890a.json");
    EXPECT_EQ(aws::sso_token_cache_path(aws::map_env({{"HOME", "/h"}}), "corp"),
              "/h/.aws/sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json");
}

TEST(SsoCredentialsTest, LegacyProfileExchangesTheCachedTokenForRoleCredentials) {
    wp_test::FakeClock clock;
    const aws::TimePoint expiration = clock.now() + std::chrono::hours(1);
    TestHttpServer portal;
    serve_portal(portal, expiration);
    wp_test::AwsSandbox sandbox;
    sandbox.config(std::string("[profile dev]\nsso_start_url = ") + kStartUrl +
                   "\nsso_region = eu-west-1\nsso_account_id = 111122223333\nsso_role_name = Developer Access\n");
    sandbox.sso_token(kStartUrl, kAccessToken, clock.now() + std::chrono::hours(8));

    aws::SsoCredentialsProvider provider(
        options_for(sandbox.env({{"AWS_PROFILE", "dev"}, {"AWS_ENDPOINT_URL_SSO", portal.base_url()}}), clock));
    const aws::Credentials creds = provider.get_credentials();
    EXPECT_EQ(creds.access_key_id, "ASIASSO");
    EXPECT_EQ(creds.secret_access_key, kRoleSecret);
    EXPECT_EQ(creds.session_token, std::optional<std::string>("sso-session-token"));
    ASSERT_TRUE(creds.expiration);
    EXPECT_EQ(aws::format_iso8601(*creds.expiration), aws::format_iso8601(expiration));

    const auto requests = portal.requests();
    ASSERT_EQ(requests.size(), 1U);
    EXPECT_EQ(requests[0].method, "GET");
    EXPECT_EQ(requests[0].target, "/federation/credentials?account_id=111122223333&role_name=Developer%20Access");
    EXPECT_FALSE(requests[0].header("Authorization")) << "GetRoleCredentials is not signed";
}

TEST(SsoCredentialsTest, SsoSessionProfileUsesTheSessionsSettingsAndToken) {
    wp_test::FakeClock clock;
    TestHttpServer portal;
    serve_portal(portal, clock.now() + std::chrono::hours(1));
    wp_test::AwsSandbox sandbox;
    sandbox.config(std::string("[default]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Admin\n"
                               "[sso-session corp]\nsso_start_url = ") +
                   kStartUrl + "\nsso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n");
    // The legacy file (keyed by the start URL) holds a stale token: the session's file must be used.
    sandbox.sso_token(kStartUrl, "stale-token-of-the-legacy-key", clock.now() + std::chrono::hours(8));
    sandbox.sso_token("corp", kAccessToken, clock.now() + std::chrono::hours(8));

    aws::SsoCredentialsProvider provider(options_for(sandbox.env({{"AWS_ENDPOINT_URL_SSO", portal.base_url()}}), clock));
    EXPECT_EQ(provider.get_credentials().access_key_id, "ASIASSO");
    EXPECT_EQ(portal.requests().at(0).target, "/federation/credentials?account_id=111122223333&role_name=Admin");
}

TEST(SsoCredentialsTest, ProblemsWithTheSetupOrTokenSayToLogIn) {
    wp_test::FakeClock clock;
    TestHttpServer portal;
    serve_portal(portal, clock.now() + std::chrono::hours(1));
    wp_test::AwsSandbox sandbox;
    sandbox.config(std::string("[profile expired]\nsso_start_url = ") + kStartUrl +
                   "\nsso_region = eu-west-1\nsso_account_id = 1\nsso_role_name = R\n"
                   "[profile no-token]\nsso_start_url = https://other.awsapps.com/start\nsso_region = eu-west-1\n"
                   "sso_account_id = 1\nsso_role_name = R\n"
                   "[profile partial]\nsso_account_id = 1\n"
                   "[profile bad-session]\nsso_session = nope\nsso_account_id = 1\nsso_role_name = R\n"
                   "[profile conflict]\nsso_session = corp\nsso_region = us-east-1\nsso_account_id = 1\nsso_role_name = R\n"
                   "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n"
                   "[profile plain]\nregion = eu-west-1\n");
    sandbox.sso_token(kStartUrl, kAccessToken, clock.now() - std::chrono::minutes(1));

    const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
        {"expired", {"expired at", "aws sso login --profile expired"}},
        {"no-token", {"no cached SSO token", "aws sso login --profile no-token"}},
        {"partial", {"sso_role_name", "sso_start_url", "sso_region", "profile 'partial'"}},
        {"bad-session", {"[sso-session nope]", "profile 'bad-session'"}},
        {"conflict", {"sso_region differs", "profile 'conflict'"}},
    };
    for (const auto& [profile, expected] : cases) {
        aws::SsoCredentialsProvider provider(
            options_for(sandbox.env({{"AWS_PROFILE", profile}, {"AWS_ENDPOINT_URL_SSO", portal.base_url()}}), clock));
        try {
            provider.get_credentials();
            ADD_FAILURE() << profile << ": accepted";
        } catch (const aws::CredentialsNotConfigured& e) {
            ADD_FAILURE() << profile << ": must stop the chain, not be skipped: " << e.what();
        } catch (const ConfigError& e) {
            for (const auto& part : expected) {
                EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << profile << ": " << e.what();
            }
            EXPECT_EQ(std::string(e.what()).find(kAccessToken), std::string::npos) << e.what();
        }
    }
    EXPECT_EQ(portal.request_count(), 0U) << "an expired token is not sent";

    aws::SsoCredentialsProvider plain(options_for(sandbox.env({{"AWS_PROFILE", "plain"}}), clock));
    EXPECT_THROW(plain.get_credentials(), aws::CredentialsNotConfigured);
}

TEST(SsoCredentialsTest, APortalRefusalNamesTheProfileWithoutTheToken) {
    wp_test::FakeClock clock;
    TestHttpServer portal;
    // The portal refuses and echoes the token it got.
    portal.set_handler([](const RecordedRequest& r) {
        return ScriptedResponse::text(
            401, R"({"message":"invalid token )" + r.header("x-amz-sso_bearer_token").value_or("") + R"("})",
            {{"x-amzn-ErrorType", "UnauthorizedException:http://internal/"}, {"Content-Type", "application/json"}});
    });
    wp_test::AwsSandbox sandbox;
    sandbox.config(std::string("[default]\nsso_start_url = ") + kStartUrl +
                   "\nsso_region = eu-west-1\nsso_account_id = 1\nsso_role_name = R\n");
    sandbox.sso_token(kStartUrl, kAccessToken, clock.now() + std::chrono::hours(1));
    aws::SsoCredentialsProvider provider(options_for(sandbox.env({{"AWS_ENDPOINT_URL_SSO", portal.base_url()}}), clock));
    try {
        provider.get_credentials();
        FAIL() << "expected BackendError";
    } catch (const BackendError& e) {
        const std::string message = e.what();
        EXPECT_EQ(e.code(), "UnauthorizedException");
        EXPECT_NE(message.find("profile 'default'"), std::string::npos) << message;
        EXPECT_NE(message.find("aws sso login"), std::string::npos) << message;
        EXPECT_EQ(message.find(kAccessToken), std::string::npos) << message;
    }
}
