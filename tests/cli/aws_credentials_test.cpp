// End to end: the CLI reaches DynamoDB (dynalite, through a recording proxy) with credentials from
// each kind of source of the shared config, STS and the SSO portal played by the test HTTP server.
// dynalite accepts any key, so the proxy records which key signed each request.

#include "cli_test_support.hpp"

#if WP_CLI_TEST_DYNAMODB
#include <sys/stat.h>

#include <mutex>

#include "aws/credentials_test_util.hpp"
#include "aws/http_client.hpp"

namespace {

using namespace wp_cli_test;
namespace aws = watchbot_progress::aws;

// Forwards every request to dynalite and remembers the key id and session token that signed it.
class RecordingDynamoDbProxy {
public:
    RecordingDynamoDbProxy() : upstream_(wp_test::require_env("WP_TEST_DYNAMODB_ENDPOINT")) {
        server_.set_handler([this](const wp_test::RecordedRequest& r) {
            aws::HttpRequest forward;
            forward.method = r.method;
            forward.url = upstream_ + r.target;
            forward.body = r.body;
            for (const char* name : {"Content-Type", "X-Amz-Target", "X-Amz-Date", "X-Amz-Security-Token", "Authorization"}) {
                if (auto value = r.header(name)) forward.headers.emplace_back(name, *value);
            }
            {
                std::lock_guard lock(mutex_);
                const std::string auth = r.header("Authorization").value_or("");
                const auto start = auth.find("Credential=");
                key_ids_.push_back(start == std::string::npos ? "" : auth.substr(start + 11, auth.find('/', start) - start - 11));
                tokens_.push_back(r.header("X-Amz-Security-Token").value_or(""));
            }
            const aws::HttpResponse answer = http_.send(forward);
            wp_test::TestHeaders headers;
            for (const auto& [name, value] : answer.headers) {
                if (name == "content-type" || name == "x-amz-crc32" || name == "x-amzn-requestid") {
                    headers.emplace_back(name, value);
                }
            }
            return wp_test::ScriptedResponse::text(answer.status, answer.body, headers);
        });
    }
    std::string url() const { return server_.base_url(); }
    std::vector<std::string> key_ids() const {
        std::lock_guard lock(mutex_);
        return key_ids_;
    }
    std::vector<std::string> tokens() const {
        std::lock_guard lock(mutex_);
        return tokens_;
    }

private:
    std::string upstream_;
    aws::CurlHttpClient http_;
    mutable std::mutex mutex_;
    std::vector<std::string> key_ids_;
    std::vector<std::string> tokens_;
    wp_test::TestHttpServer server_;  // last: stopped (its handler threads joined) first
};

constexpr const char* kStartUrl = "https://d-cli123.awsapps.com/start";

class CliAwsCredentials : public ::testing::Test {
protected:
    void SetUp() override {
        arn_ = dynamodb_test_table_arn();
        jobid_ = unique_jobid("aws-creds");
        dynamodb_test_backend(arn_)->set_total(jobid_, 2);
        sandbox_.credentials("[keys]\naws_access_key_id = AKIACLIKEYS\naws_secret_access_key = secret-keys\n");
    }

    // The child's environment: AWS_PROFILE=profile, the proxy, STS and the portal, and nothing from
    // the machine's or the test runner's own AWS settings.
    std::map<std::string, std::string> child_env(const std::string& profile) const {
        return sandbox_.env_without_outside_credentials({{"AWS_ENDPOINT_URL_DYNAMODB", proxy_.url()},
                             {"AWS_ENDPOINT_URL_STS", fake_.url()},
                             {"AWS_ENDPOINT_URL_SSO", fake_.url()},
                             {"AWS_PROFILE", profile},
                             {"AWS_REGION", ""},
                             {"AWS_DEFAULT_REGION", ""},
                             {"AWS_MAX_ATTEMPTS", "2"}});
    }

    // Runs `info JOBID` with child_env(profile) plus `extra`; expects success.
    void run_info(const std::string& profile, std::map<std::string, std::string> extra = {}) {
        RunOptions options;
        options.env = child_env(profile);
        for (auto& [k, v] : extra) options.env[k] = v;
        const auto r = run_cli({"info", jobid_, "-d", arn_}, options);
        ASSERT_EQ(r.code, 0) << r;
        EXPECT_NE(r.out.find("\"total\": 2"), std::string::npos) << r;
    }

    // The key id and session token that signed the CLI's DynamoDB requests (all of them the same).
    void expect_signed_by(const std::string& key_id, const std::string& token) {
        const auto keys = proxy_.key_ids();
        const auto tokens = proxy_.tokens();
        ASSERT_FALSE(keys.empty());
        for (std::size_t i = 0; i < keys.size(); ++i) {
            EXPECT_EQ(keys[i], key_id) << "request " << i;
            EXPECT_EQ(tokens[i], token) << "request " << i;
        }
    }

    wp_test::AwsSandbox sandbox_;
    wp_test::FakeStsAndSso fake_{aws::system_clock_now};
    RecordingDynamoDbProxy proxy_;
    std::string arn_;
    std::string jobid_;
};

TEST_F(CliAwsCredentials, SharedCredentialsFileKeys) {
    run_info("keys");
    expect_signed_by("AKIACLIKEYS", "");
}

TEST_F(CliAwsCredentials, ConfigFileKeysAndRegionFromTheProfile) {
    sandbox_.config("[profile cfg]\nregion = us-east-1\naws_access_key_id = AKIACLICONFIG\naws_secret_access_key = s\n"
                    "aws_session_token = cfg-token\n");
    run_info("cfg");
    expect_signed_by("AKIACLICONFIG", "cfg-token");
}

TEST_F(CliAwsCredentials, CredentialProcess) {
    const std::string script = sandbox_.script(
        "creds.sh", "echo '{\"Version\": 1, \"AccessKeyId\": \"ASIACLIPROCESS\", \"SecretAccessKey\": \"s\", "
                    "\"SessionToken\": \"process-token\", \"Expiration\": \"2099-01-01T00:00:00Z\"}'\n");
    sandbox_.config("[profile proc]\ncredential_process = " + script + "\n");
    run_info("proc");
    expect_signed_by("ASIACLIPROCESS", "process-token");
}

TEST_F(CliAwsCredentials, AssumeRoleWithSourceProfile) {
    sandbox_.config("[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/deploy\nsource_profile = keys\n");
    run_info("deploy");
    expect_signed_by("ASIADEPLOY1", "token-ASIADEPLOY1");
    const auto sts = fake_.requests();
    ASSERT_EQ(sts.size(), 1U);
    EXPECT_NE(sts[0].header("Authorization").value_or("").find("Credential=AKIACLIKEYS/"), std::string::npos);
}

TEST_F(CliAwsCredentials, WebIdentityFromTheEnvironment) {
    const std::string token_file = sandbox_.dir().write("eks-token", "eks-web-identity-token");
    run_info("", {{"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/pods"}, {"AWS_WEB_IDENTITY_TOKEN_FILE", token_file}});
    expect_signed_by("ASIAPODS1", "token-ASIAPODS1");
    const auto sts = fake_.requests();
    ASSERT_EQ(sts.size(), 1U);
    EXPECT_FALSE(sts[0].header("Authorization"));
    EXPECT_EQ(wp_test::form_value(sts[0].body, "WebIdentityToken"), std::optional<std::string>("eks-web-identity-token"));
}

TEST_F(CliAwsCredentials, SsoLegacyAndSsoSessionProfiles) {
    sandbox_.config(std::string("[profile legacy]\nsso_start_url = ") + kStartUrl +
                    "\nsso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = Dev\n"
                    "[profile session]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Dev\n"
                    "[sso-session corp]\nsso_start_url = " + kStartUrl + "\nsso_region = us-east-1\n");
    const auto expires = aws::system_clock_now() + std::chrono::hours(8);
    sandbox_.sso_token(kStartUrl, "legacy-access-token", expires);
    sandbox_.sso_token("corp", "session-access-token", expires);

    run_info("legacy");
    expect_signed_by("ASIASSO1", "token-ASIASSO1");
    run_info("session");
    const auto portal = fake_.requests();
    ASSERT_EQ(portal.size(), 2U);
    EXPECT_EQ(portal[0].header("x-amz-sso_bearer_token"), std::optional<std::string>("legacy-access-token"));
    EXPECT_EQ(portal[1].header("x-amz-sso_bearer_token"), std::optional<std::string>("session-access-token"));
    EXPECT_EQ(proxy_.key_ids().back(), "ASIASSO2");
}

TEST_F(CliAwsCredentials, AFailingSourceIsAConfigOrBackendErrorWithoutSecrets) {
    const std::string script = sandbox_.script("locked.sh", "echo 'vault is locked' >&2\nexit 2\n");
    sandbox_.config("[profile proc]\ncredential_process = " + script + " --password hunter2cli\n"
                    "[profile sso]\nsso_start_url = https://expired.awsapps.com/start\nsso_region = us-east-1\n"
                    "sso_account_id = 1\nsso_role_name = R\n");
    RunOptions options;
    options.env = child_env("proc");
    auto r = run_cli({"info", jobid_, "-d", arn_}, options);
    EXPECT_EQ(r.code, wpcli::kExitBackend) << r;
    EXPECT_NE(r.err.find("credential_process"), std::string::npos) << r;
    EXPECT_NE(r.err.find("vault is locked"), std::string::npos) << r;
    EXPECT_EQ(r.err.find("hunter2cli"), std::string::npos) << r;

    options.env["AWS_PROFILE"] = "sso";
    r = run_cli({"info", jobid_, "-d", arn_}, options);
    EXPECT_EQ(r.code, wpcli::kExitConfig) << r;
    EXPECT_NE(r.err.find("aws sso login --profile sso"), std::string::npos) << r;
    EXPECT_TRUE(proxy_.key_ids().empty()) << "nothing reached DynamoDB";
}

}  // namespace
#endif
