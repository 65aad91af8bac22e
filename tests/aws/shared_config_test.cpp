// The shared config files (~/.aws/config, ~/.aws/credentials) as botocore reads them, the region
// they give, the command-line splitting of credential_process, and the STS / SSO endpoints.

#include <gtest/gtest.h>

#include "aws/credentials_test_util.hpp"
#include "aws/endpoint.hpp"
#include "aws/shared_config.hpp"
#include "aws/shell_split.hpp"
#include "aws/sts_client.hpp"
#include "watchbot_progress/errors.hpp"

namespace aws = watchbot_progress::aws;
using watchbot_progress::ConfigError;
using watchbot_progress::InvalidInput;

TEST(SharedConfigTest, ReadsProfilesAndSsoSessionsAndMergesTheCredentialsFile) {
    wp_test::AwsSandbox sandbox;
    sandbox.config(
        "[default]\n"
        "region = us-west-2\n"
        "[profile dev]\n"
        "region = eu-west-1\n"
        "aws_access_key_id = AKIACONFIG\n"
        "s3 =\n"
        "    region = ap-south-1\n"
        "    addressing_style = path\n"
        "output = json\n"
        "[profile \"team x\"]\n"
        "region = eu-central-1\n"
        "[sso-session corp]\n"
        "sso_start_url = https://d-abc123.awsapps.com/start\n"
        "[preview]\n"
        "cloudfront = true\n"
        "[profiledev]\n"
        "region = nope\n"
        "[dev]\n"
        "region = not-a-profile-in-the-config-file\n");
    sandbox.credentials("[dev]\naws_access_key_id = AKIACREDS\naws_secret_access_key = s\n[other]\nregion=x\n");

    const aws::SharedConfig config = aws::load_shared_config(aws::map_env(sandbox.env()));
    EXPECT_TRUE(config.config_found);
    EXPECT_TRUE(config.credentials_found);
    EXPECT_EQ(config.config_path, sandbox.config_path());

    auto dev = config.profile("dev");
    ASSERT_TRUE(dev);
    EXPECT_EQ((*dev)["region"], "eu-west-1") << "the nested s3 block must not leak its region";
    EXPECT_EQ((*dev)["output"], "json") << "the key after a nested block is the profile's again";
    EXPECT_EQ(dev->count("addressing_style"), 0U);
    EXPECT_EQ((*dev)["aws_access_key_id"], "AKIACREDS") << "the credentials file wins key by key";
    EXPECT_EQ((*dev)["aws_secret_access_key"], "s");

    EXPECT_EQ((*config.profile("default"))["region"], "us-west-2");
    EXPECT_EQ((*config.profile("team x"))["region"], "eu-central-1");
    EXPECT_TRUE(config.has_profile("other")) << "a profile of the credentials file only";
    EXPECT_FALSE(config.has_profile("preview"));
    EXPECT_FALSE(config.has_profile("profiledev"));
    ASSERT_EQ(config.sso_sessions.count("corp"), 1U);
    EXPECT_EQ(config.sso_sessions.at("corp").at("sso_start_url"), "https://d-abc123.awsapps.com/start");
}

TEST(SharedConfigTest, IniAcceptsColonsAndKeepsValuesWithDelimiters) {
    auto sections = aws::parse_ini(
        "[profile a]\n"
        "region: eu-west-1\n"
        "role_arn = arn:aws:iam::123456789012:role/x\n"
        "credential_process = /bin/tool --opt=a:b\n");
    EXPECT_EQ(sections["profile a"]["region"], "eu-west-1");
    EXPECT_EQ(sections["profile a"]["role_arn"], "arn:aws:iam::123456789012:role/x");
    EXPECT_EQ(sections["profile a"]["credential_process"], "/bin/tool --opt=a:b");
}

TEST(SharedConfigTest, FileLocationsAndProfileSelection) {
    auto env = aws::map_env({{"HOME", "/home/u"}});
    EXPECT_EQ(aws::config_file_path(env), "/home/u/.aws/config");
    EXPECT_EQ(aws::credentials_file_path(env), "/home/u/.aws/credentials");
    EXPECT_EQ(aws::selected_profile(env), "default");
    EXPECT_FALSE(aws::profile_is_explicit(env));

    auto custom = aws::map_env({{"HOME", "/home/u"},
                                {"AWS_CONFIG_FILE", "~/conf/aws"},
                                {"AWS_SHARED_CREDENTIALS_FILE", "/etc/creds"},
                                {"AWS_PROFILE", "ops"}});
    EXPECT_EQ(aws::config_file_path(custom), "/home/u/conf/aws");
    EXPECT_EQ(aws::credentials_file_path(custom), "/etc/creds");
    EXPECT_EQ(aws::selected_profile(custom), "ops");
    EXPECT_TRUE(aws::profile_is_explicit(custom));

    // Missing files are empty, not errors.
    wp_test::AwsSandbox empty;
    const aws::SharedConfig none = aws::load_shared_config(aws::map_env(empty.env()));
    EXPECT_FALSE(none.config_found);
    EXPECT_FALSE(none.credentials_found);
    EXPECT_FALSE(none.has_profile("default"));
}

TEST(SharedConfigTest, RegionPrecedenceArnThenVariablesThenProfile) {
    wp_test::AwsSandbox sandbox;
    sandbox.config("[default]\nregion = us-west-2\n[profile eu]\nregion = eu-west-1\n[profile bad]\nregion = Not A Region\n");
    const aws::Arn arn = aws::parse_arn("arn:aws:dynamodb:ap-south-1:123456789012:table/t", "test");

    EXPECT_EQ(aws::resolve_region(arn, aws::map_env(sandbox.env({{"AWS_REGION", "ca-central-1"}}))), "ap-south-1");
    EXPECT_EQ(aws::resolve_region(std::nullopt, aws::map_env(sandbox.env({{"AWS_REGION", "ca-central-1"},
                                                                          {"AWS_DEFAULT_REGION", "sa-east-1"}}))),
              "ca-central-1");
    EXPECT_EQ(aws::resolve_region(std::nullopt, aws::map_env(sandbox.env({{"AWS_DEFAULT_REGION", "sa-east-1"}}))),
              "sa-east-1");
    EXPECT_EQ(aws::resolve_region(std::nullopt, aws::map_env(sandbox.env())), "us-west-2");
    EXPECT_EQ(aws::resolve_region(std::nullopt, aws::map_env(sandbox.env({{"AWS_PROFILE", "eu"}}))), "eu-west-1");

    try {
        aws::resolve_region(std::nullopt, aws::map_env(sandbox.env({{"AWS_PROFILE", "bad"}})));
        FAIL() << "a malformed region in the profile must be refused";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("profile 'bad'"), std::string::npos) << e.what();
    }
    wp_test::AwsSandbox empty;
    try {
        aws::resolve_region(std::nullopt, aws::map_env(empty.env({{"AWS_PROFILE", "missing"}})));
        FAIL() << "no region anywhere";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("AWS_REGION"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(empty.config_path()), std::string::npos) << e.what();
    }
}

TEST(SharedConfigTest, ShellSplitQuotesLikeAPosixShell) {
    using V = std::vector<std::string>;
    EXPECT_EQ(aws::shell_split("  /bin/tool  --a  b "), (V{"/bin/tool", "--a", "b"}));
    EXPECT_EQ(aws::shell_split("'/opt/my tools/get' \"x y\" z\\ w"), (V{"/opt/my tools/get", "x y", "z w"}));
    EXPECT_EQ(aws::shell_split(R"(a"b"'c' "q\"\\\$" 'no\escape' $HOME ~)"),
              (V{"abc", "q\"\\$", "no\\escape", "$HOME", "~"}));
    EXPECT_EQ(aws::shell_split("''"), (V{""}));
    EXPECT_TRUE(aws::shell_split("   ").empty());
    for (const char* bad : {"tool 'secret", "tool \"secret", "tool \\"}) {
        try {
            aws::shell_split(bad);
            ADD_FAILURE() << "accepted: " << bad;
        } catch (const InvalidInput& e) {
            EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos) << "the text may hold a password";
        }
    }
}

TEST(SharedConfigTest, StsAndSsoEndpointsFollowTheRegionUnlessOverridden) {
    EXPECT_EQ(aws::resolve_endpoint("sts", "eu-west-1", aws::map_env({})), "https://sts.eu-west-1.amazonaws.com");
    EXPECT_EQ(aws::resolve_endpoint("sts", "cn-north-1", aws::map_env({})), "https://sts.cn-north-1.amazonaws.com.cn");
    EXPECT_EQ(aws::resolve_endpoint("sso", "eu-west-1", aws::map_env({})),
              "https://portal.sso.eu-west-1.amazonaws.com");
    EXPECT_EQ(aws::resolve_endpoint("sts", "eu-west-1", aws::map_env({{"AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9/"}})),
              "http://127.0.0.1:9");
    EXPECT_EQ(aws::resolve_endpoint("sso", "eu-west-1", aws::map_env({{"AWS_ENDPOINT_URL_SSO", "http://127.0.0.1:8"}})),
              "http://127.0.0.1:8");

    wp_test::AwsSandbox sandbox;
    sandbox.config("[profile eu]\nregion = eu-north-1\n");
    auto from_profile = aws::resolve_sts_endpoint(aws::map_env(sandbox.env({{"AWS_PROFILE", "eu"}})));
    EXPECT_EQ(from_profile.region, "eu-north-1");
    EXPECT_EQ(from_profile.endpoint, "https://sts.eu-north-1.amazonaws.com");
    auto from_variable = aws::resolve_sts_endpoint(aws::map_env(sandbox.env({{"AWS_REGION", "ap-east-1"}})));
    EXPECT_EQ(from_variable.endpoint, "https://sts.ap-east-1.amazonaws.com");
    auto nowhere = aws::resolve_sts_endpoint(aws::map_env(sandbox.env()));
    EXPECT_EQ(nowhere.region, "us-east-1");
    EXPECT_EQ(nowhere.endpoint, "https://sts.us-east-1.amazonaws.com");
    EXPECT_THROW(aws::resolve_sts_endpoint(aws::map_env(sandbox.env({{"AWS_REGION", "Bad Region"}}))), ConfigError);
}
