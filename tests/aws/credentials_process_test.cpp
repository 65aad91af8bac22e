// credential_process: a real script run as botocore's ProcessProvider runs it.

#include <gtest/gtest.h>

#include "aws/credentials_process.hpp"
#include "aws/credentials_test_util.hpp"
#include "watchbot_progress/errors.hpp"

namespace aws = watchbot_progress::aws;
using watchbot_progress::BackendError;
using watchbot_progress::ConfigError;

namespace {

constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzPROCESSzz";
constexpr const char* kToken = "IQoJb3JpZ2luX2VjPROCESStokenTOKEN////wEaCXVz";

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

}  // namespace

TEST(CredentialProcessTest, RunsTheCommandWithItsQuotedArgumentsAndParsesVersion1) {
    wp_test::AwsSandbox sandbox;
    // The script checks it got its arguments split as a shell would and that stdin is empty.
    const std::string script = sandbox.script(
        "bin dir/get creds.sh",
        "[ \"$1\" = 'ASIA PROC' ] || { echo \"bad argument 1: $1\" >&2; exit 5; }\n"
        "[ \"$2\" = '--flag=a b' ] || { echo \"bad argument 2: $2\" >&2; exit 6; }\n"
        "if read line; then echo 'stdin was not empty' >&2; exit 7; fi\n"
        "printf '{\"Version\": 1, \"AccessKeyId\": \"%s\", \"SecretAccessKey\": \"" + std::string(kSecret) +
            "\", \"SessionToken\": \"" + kToken + "\", \"Expiration\": \"2026-11-27T21:15:01Z\"}' \"$1\"\n");
    sandbox.config("[profile tool]\ncredential_process = \"" + script + "\" 'ASIA PROC' \"--flag=a b\"\n");

    aws::ProcessCredentialsProvider provider(aws::map_env(sandbox.env({{"AWS_PROFILE", "tool"}})));
    const aws::Credentials creds = provider.get_credentials();
    EXPECT_EQ(creds.access_key_id, "ASIA PROC");
    EXPECT_EQ(creds.secret_access_key, kSecret);
    EXPECT_EQ(creds.session_token, std::optional<std::string>(kToken));
    ASSERT_TRUE(creds.expiration);
    EXPECT_EQ(aws::format_iso8601(*creds.expiration), "2026-11-27T21:15:01Z");
}

TEST(CredentialProcessTest, WithoutExpirationTheCredentialsAreLongTerm) {
    wp_test::AwsSandbox sandbox;
    const std::string script = sandbox.script(
        "creds.sh", "echo '{\"Version\": 1, \"AccessKeyId\": \"AKIALONG\", \"SecretAccessKey\": \"s\"}'\n");
    // In the credentials file too: botocore reads credential_process from the merged profile.
    sandbox.credentials("[default]\ncredential_process = " + script + "\n");
    aws::ProcessCredentialsProvider provider(aws::map_env(sandbox.env()));
    const aws::Credentials creds = provider.get_credentials();
    EXPECT_EQ(creds.access_key_id, "AKIALONG");
    EXPECT_FALSE(creds.session_token);
    EXPECT_FALSE(creds.expiration);
}

TEST(CredentialProcessTest, AFailingProcessIsNamedWithItsStderrButNoArgumentsOrOutput) {
    wp_test::AwsSandbox sandbox;
    const std::string script = sandbox.script(
        "fails.sh", "echo '{\"Version\": 1, \"AccessKeyId\": \"AKIA\", \"SecretAccessKey\": \"" + std::string(kSecret) +
                        "\"}'\necho 'the session expired: log in again' >&2\nexit 3\n");
    sandbox.config("[profile tool]\ncredential_process = " + script + " --password hunter2secret\n");
    aws::ProcessCredentialsProvider provider(aws::map_env(sandbox.env({{"AWS_PROFILE", "tool"}})));
    try {
        provider.get_credentials();
        FAIL() << "expected BackendError";
    } catch (const BackendError& e) {
        const std::string message = e.what();
        EXPECT_EQ(e.code(), "CredentialProcessFailed");
        EXPECT_FALSE(e.retryable());
        EXPECT_NE(message.find("profile 'tool'"), std::string::npos) << message;
        EXPECT_NE(message.find(script), std::string::npos) << message;
        EXPECT_NE(message.find("status 3"), std::string::npos) << message;
        EXPECT_NE(message.find("the session expired: log in again"), std::string::npos) << message;
        EXPECT_EQ(message.find("hunter2secret"), std::string::npos) << "arguments may hold passwords";
        EXPECT_EQ(message.find(kSecret), std::string::npos) << "stdout is never quoted";
    }
}

TEST(CredentialProcessTest, UnusableOutputIsRefusedWithoutQuotingIt) {
    wp_test::AwsSandbox sandbox;
    const std::string secret(kSecret);
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"" + secret + "\"}", "only version 1"},
        {"{\"AccessKeyId\": \"A\", \"SecretAccessKey\": \"" + secret + "\"}", "no Version"},
        {"{\"Version\": 1, \"AccessKeyId\": \"A\"}", "missing SecretAccessKey"},
        {"{\"Version\": 1, \"SecretAccessKey\": \"" + secret + "\"}", "missing AccessKeyId"},
        {"{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"" + secret +
             "\", \"Expiration\": \"soon\"}",
         "ISO 8601"},
        {"AccessKeyId=A SecretAccessKey=" + secret, "not a JSON object"},
    };
    const std::string script = sandbox.script("cat.sh", "cat '" + sandbox.home() + "/out.txt'\n");
    sandbox.config("[default]\ncredential_process = " + script + "\n");
    aws::ProcessCredentialsProvider provider(aws::map_env(sandbox.env()));
    for (const auto& [output, why] : cases) {
        sandbox.dir().write("out.txt", output);
        try {
            provider.get_credentials();
            ADD_FAILURE() << "accepted: " << output;
        } catch (const BackendError& e) {
            EXPECT_EQ(e.code(), "InvalidCredentialsResponse");
            EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
            EXPECT_EQ(std::string(e.what()).find(secret), std::string::npos) << e.what();
        }
    }
}

TEST(CredentialProcessTest, NotConfiguredOrNotRunnable) {
    wp_test::AwsSandbox sandbox;
    sandbox.config("[default]\nregion = eu-west-1\n[profile gone]\ncredential_process = " + sandbox.home() +
                   "/no-such-program --token abcsecret\n[profile quotes]\ncredential_process = tool 'unbalanced secret\n");
    aws::ProcessCredentialsProvider none(aws::map_env(sandbox.env()));
    EXPECT_THROW(none.get_credentials(), aws::CredentialsNotConfigured);

    aws::ProcessCredentialsProvider gone(aws::map_env(sandbox.env({{"AWS_PROFILE", "gone"}})));
    std::string message = error_message_of([&] { gone.get_credentials(); });
    EXPECT_NE(message.find("no-such-program"), std::string::npos) << message;
    EXPECT_NE(message.find("profile 'gone'"), std::string::npos) << message;
    EXPECT_EQ(message.find("abcsecret"), std::string::npos) << message;
    EXPECT_THROW(gone.get_credentials(), ConfigError);

    aws::ProcessCredentialsProvider quotes(aws::map_env(sandbox.env({{"AWS_PROFILE", "quotes"}})));
    message = error_message_of([&] { quotes.get_credentials(); });
    EXPECT_NE(message.find("quotation"), std::string::npos) << message;
    EXPECT_EQ(message.find("unbalanced secret"), std::string::npos) << message;
}
