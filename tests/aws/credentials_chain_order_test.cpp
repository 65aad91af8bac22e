// The default chain with the shared config: botocore's order and precedence, refresh before
// expiry of every temporary source (injected clock), and failures that stop the chain.

#include <gtest/gtest.h>

#include "aws/credentials_chain.hpp"
#include "aws/credentials_test_util.hpp"
#include "watchbot_progress/errors.hpp"

namespace aws = watchbot_progress::aws;
using watchbot_progress::BackendError;
using watchbot_progress::ConfigError;

namespace {

constexpr const char* kStartUrl = "https://d-abc123.awsapps.com/start";

std::string key_of(const std::map<std::string, std::string>& env, wp_test::FakeClock& clock) {
    aws::DefaultCredentialsChainOptions options;
    options.env = aws::map_env(env);
    options.cache.clock = clock.as_clock();
    aws::DefaultCredentialsChain chain(options);
    return chain.get_credentials().access_key_id;
}

}  // namespace

TEST(CredentialsChainOrderTest, SourcesAnswerInBotocoresOrder) {
    wp_test::FakeClock clock;
    wp_test::FakeStsAndSso aws_fake([&clock] { return clock.now(); });
    wp_test::AwsSandbox sandbox;
    const std::string process = sandbox.script(
        "process.sh", "echo '{\"Version\": 1, \"AccessKeyId\": \"AKIAPROCESS\", \"SecretAccessKey\": \"s\"}'\n");
    const std::string token_file = sandbox.dir().write("web-token", "web-token");
    sandbox.sso_token(kStartUrl, "sso-access-token", clock.now() + std::chrono::hours(8));
    // Each profile has its own source plus every source that comes after it in the chain.
    const std::string sso = std::string("sso_start_url = ") + kStartUrl +
                            "\nsso_region = eu-west-1\nsso_account_id = 1\nsso_role_name = R\n";
    const std::string process_line = "credential_process = " + process + "\n";
    const std::string config_keys = "aws_access_key_id = AKIACONFIG\naws_secret_access_key = s\n";
    sandbox.config("[profile role]\nrole_arn = arn:aws:iam::1:role/role\nsource_profile = keys\n" + sso + process_line +
                   config_keys + "[profile web]\nrole_arn = arn:aws:iam::1:role/web\nweb_identity_token_file = " +
                   token_file + "\n" + sso + process_line + config_keys + "[profile sso]\n" + sso + process_line +
                   config_keys + "[profile keys]\n" + process_line + config_keys + "[profile process]\n" +
                   process_line + config_keys + "[profile config]\n" + config_keys + "[profile nothing]\nregion = eu-west-1\n");
    sandbox.credentials("[role]\naws_access_key_id = AKIACREDS\naws_secret_access_key = s\n"
                        "[web]\naws_access_key_id = AKIACREDS\naws_secret_access_key = s\n"
                        "[sso]\naws_access_key_id = AKIACREDS\naws_secret_access_key = s\n"
                        "[keys]\naws_access_key_id = AKIACREDS\naws_secret_access_key = s\n");
    auto env = [&](const std::string& profile, std::map<std::string, std::string> extra = {}) {
        extra["AWS_PROFILE"] = profile;
        extra["AWS_ENDPOINT_URL_STS"] = aws_fake.url();
        extra["AWS_ENDPOINT_URL_SSO"] = aws_fake.url();
        return sandbox.env(extra);
    };
    const std::map<std::string, std::string> env_keys{{"AWS_ACCESS_KEY_ID", "AKIAENV"}, {"AWS_SECRET_ACCESS_KEY", "s"}};
    const std::map<std::string, std::string> web_env{{"AWS_ROLE_ARN", "arn:aws:iam::1:role/envweb"},
                                                     {"AWS_WEB_IDENTITY_TOKEN_FILE", token_file}};

    // 1. The environment's keys beat any profile, even an explicit AWS_PROFILE.
    EXPECT_EQ(key_of(env("role", env_keys), clock), "AKIAENV");
    // 2. Assume role beats web identity (variables included), SSO and keys of the same profile.
    EXPECT_EQ(key_of(env("role", web_env), clock), "ASIAROLE1");
    // 3. Web identity: the variables over the profile's settings.
    EXPECT_EQ(key_of(env("web", web_env), clock), "ASIAENVWEB2");
    EXPECT_EQ(key_of(env("web"), clock), "ASIAWEB3");
    EXPECT_EQ(key_of(env("sso", web_env), clock), "ASIAENVWEB4") << "the variables apply to whatever profile";
    // 4. SSO beats the credentials file, credential_process and config keys.
    EXPECT_EQ(key_of(env("sso"), clock), "ASIASSO1");
    // 5. to 7.
    EXPECT_EQ(key_of(env("keys"), clock), "AKIACREDS");
    EXPECT_EQ(key_of(env("process"), clock), "AKIAPROCESS");
    EXPECT_EQ(key_of(env("config"), clock), "AKIACONFIG");
    // Nothing left: the error lists every source tried.
    try {
        key_of(env("nothing"), clock);
        FAIL() << "expected CredentialsNotConfigured";
    } catch (const aws::CredentialsNotConfigured& e) {
        const std::string message = e.what();
        for (const char* source : {"environment", "assume role", "web identity", "SSO", "shared credentials file",
                                   "credential_process", "config file keys", "container", "EC2 instance metadata"}) {
            EXPECT_NE(message.find(source), std::string::npos) << source << " in: " << message;
        }
    }
}

TEST(CredentialsChainOrderTest, AnExplicitProfileThatExistsNowhereIsAnError) {
    wp_test::FakeClock clock;
    wp_test::AwsSandbox sandbox;
    sandbox.config("[profile other]\nregion = eu-west-1\n");
    try {
        key_of(sandbox.env({{"AWS_PROFILE", "typo"}}), clock);
        FAIL() << "expected ConfigError";
    } catch (const aws::CredentialsNotConfigured& e) {
        FAIL() << "an unknown AWS_PROFILE must not fall through to other sources: " << e.what();
    } catch (const ConfigError& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("'typo'"), std::string::npos) << message;
        EXPECT_NE(message.find(sandbox.config_path()), std::string::npos) << message;
        EXPECT_NE(message.find(sandbox.credentials_path()), std::string::npos) << message;
    }
    // A profile of the config file only is a profile: its keys are found.
    sandbox.config("[profile only-config]\naws_access_key_id = AKIAONLY\naws_secret_access_key = s\n");
    EXPECT_EQ(key_of(sandbox.env({{"AWS_PROFILE", "only-config"}}), clock), "AKIAONLY");
}

TEST(CredentialsChainOrderTest, AConfiguredSourceThatFailsStopsTheChain) {
    wp_test::FakeClock clock;
    wp_test::AwsSandbox sandbox;
    const std::string failing = sandbox.script("fail.sh", "echo 'locked' >&2\nexit 1\n");
    // credential_process comes before the config file's keys: its failure is the answer.
    sandbox.config("[default]\ncredential_process = " + failing + "\naws_access_key_id = AKIACONFIG\naws_secret_access_key = s\n");
    try {
        key_of(sandbox.env(), clock);
        FAIL() << "expected BackendError";
    } catch (const BackendError& e) {
        EXPECT_EQ(e.code(), "CredentialProcessFailed");
        EXPECT_NE(std::string(e.what()).find("locked"), std::string::npos) << e.what();
    }
}

TEST(CredentialsChainOrderTest, TemporaryCredentialsAreRefreshedBeforeTheyExpire) {
    wp_test::FakeClock clock;
    wp_test::FakeStsAndSso aws_fake([&clock] { return clock.now(); });
    wp_test::AwsSandbox sandbox;
    // credential_process: the answer (and its expiration) is a file the test rewrites.
    const std::string answer = sandbox.dir().write("answer.json", "");
    const std::string process = sandbox.script("process.sh", "cat '" + answer + "'\n");
    auto write_answer = [&](const std::string& key) {
        sandbox.dir().write("answer.json", "{\"Version\": 1, \"AccessKeyId\": \"" + key +
                                               "\", \"SecretAccessKey\": \"s\", \"SessionToken\": \"t\", "
                                               "\"Expiration\": \"" +
                                               aws::format_iso8601(clock.now() + std::chrono::hours(1)) + "\"}");
    };
    sandbox.sso_token(kStartUrl, "sso-access-token", clock.now() + std::chrono::hours(8));
    sandbox.config("[profile process]\ncredential_process = " + process +
                   "\n[profile sso]\nsso_start_url = " + kStartUrl +
                   "\nsso_region = eu-west-1\nsso_account_id = 1\nsso_role_name = R\n");

    for (const std::string profile : {"process", "sso"}) {
        SCOPED_TRACE(profile);
        aws::DefaultCredentialsChainOptions options;
        options.env = aws::map_env(sandbox.env({{"AWS_PROFILE", profile},
                                                {"AWS_ENDPOINT_URL_STS", aws_fake.url()},
                                                {"AWS_ENDPOINT_URL_SSO", aws_fake.url()}}));
        options.cache.clock = clock.as_clock();
        aws::DefaultCredentialsChain chain(options);
        write_answer("ASIAPROC1");
        const std::string first = chain.get_credentials().access_key_id;
        clock.advance(std::chrono::minutes(50));
        write_answer("ASIAPROC2");
        EXPECT_EQ(chain.get_credentials().access_key_id, first) << "still 10 minutes to go: no refresh";
        clock.advance(std::chrono::minutes(6));
        const std::string second = chain.get_credentials().access_key_id;
        EXPECT_NE(second, first) << "4 minutes before expiry: refreshed";
        if (profile == "process") {
            EXPECT_EQ(first, "ASIAPROC1");
            EXPECT_EQ(second, "ASIAPROC2");
        } else {
            EXPECT_EQ(first, "ASIASSO1");
            EXPECT_EQ(second, "ASIASSO2");
        }
    }

    // AssumeRole with a source profile, through the default chain.
    sandbox.config("[profile role]\nrole_arn = arn:aws:iam::1:role/role\nsource_profile = keys\n"
                   "[profile keys]\naws_access_key_id = AKIAKEYS\naws_secret_access_key = s\n");
    aws::DefaultCredentialsChainOptions options;
    options.env = aws::map_env(sandbox.env({{"AWS_PROFILE", "role"}, {"AWS_ENDPOINT_URL_STS", aws_fake.url()}}));
    options.cache.clock = clock.as_clock();
    aws::DefaultCredentialsChain chain(options);
    EXPECT_EQ(chain.get_credentials().access_key_id, "ASIAROLE1");
    clock.advance(std::chrono::minutes(50));
    EXPECT_EQ(chain.get_credentials().access_key_id, "ASIAROLE1");
    clock.advance(std::chrono::minutes(6));
    EXPECT_EQ(chain.get_credentials().access_key_id, "ASIAROLE2");
    EXPECT_EQ(aws_fake.sts_calls(), 2);
}
