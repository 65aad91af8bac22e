// Credentials: environment, shared file, ECS container endpoint, EC2 IMDSv2 (against a local test
// server), the caching/refreshing wrapper (injected clock) and the default chain.

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <thread>

#include "aws/aws_test_util.hpp"
#include "aws/credentials.hpp"
#include "aws/credentials_cache.hpp"
#include "aws/credentials_chain.hpp"
#include "aws/credentials_file.hpp"
#include "aws/credentials_remote.hpp"
#include "aws/test_http_server.hpp"
#include "watchbot_progress/errors.hpp"

namespace aws = watchbot_progress::aws;
using watchbot_progress::BackendError;
using watchbot_progress::ConfigError;
using wp_test::ScriptedResponse;
using wp_test::TestHttpServer;

namespace {

constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzSECRETzz";
constexpr const char* kToken = "IQoJb3JpZ2luX2VjTOKENtokenTOKEN//////////wEaCXVz";

std::string credentials_json(const std::string& access_key, const std::string& expiration) {
    return R"({"Code":"Success","Type":"AWS-HMAC","AccessKeyId":")" + access_key + R"(","SecretAccessKey":")" +
           kSecret + R"(","Token":")" + kToken + R"(","Expiration":")" + expiration + R"("})";
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

// A provider that counts calls and hands out credentials expiring at a settable time.
class CountingProvider : public aws::CredentialsProvider {
public:
    std::atomic<int> calls{0};
    std::atomic<bool> fail{false};
    std::chrono::milliseconds delay{0};
    std::optional<aws::TimePoint> expiration;

    aws::Credentials get_credentials() override {
        int n = ++calls;
        if (delay.count() > 0) std::this_thread::sleep_for(delay);
        if (fail) throw BackendError("credentials service failed", "CredentialsServiceError", true);
        return {"AKID" + std::to_string(n), kSecret, std::string(kToken), expiration};
    }
    std::string name() const override { return "counting"; }
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Environment

TEST(CredentialsTest, EnvironmentProviderReadsKeysAndToken) {
    aws::EnvironmentCredentialsProvider provider(aws::map_env(
        {{"AWS_ACCESS_KEY_ID", "AKIAENV"}, {"AWS_SECRET_ACCESS_KEY", kSecret}, {"AWS_SESSION_TOKEN", kToken}}));
    auto creds = provider.get_credentials();
    EXPECT_EQ(creds.access_key_id, "AKIAENV");
    EXPECT_EQ(creds.secret_access_key, kSecret);
    EXPECT_EQ(creds.session_token, std::optional<std::string>(kToken));
    EXPECT_FALSE(creds.expiration);

    aws::EnvironmentCredentialsProvider no_token(
        aws::map_env({{"AWS_ACCESS_KEY_ID", "AKIAENV"}, {"AWS_SECRET_ACCESS_KEY", kSecret}, {"AWS_SESSION_TOKEN", ""}}));
    EXPECT_FALSE(no_token.get_credentials().session_token);
}

TEST(CredentialsTest, EnvironmentProviderNotConfiguredOrPartial) {
    aws::EnvironmentCredentialsProvider none(aws::map_env({}));
    EXPECT_THROW(none.get_credentials(), aws::CredentialsNotConfigured);
    aws::EnvironmentCredentialsProvider empty(aws::map_env({{"AWS_ACCESS_KEY_ID", ""}, {"AWS_SECRET_ACCESS_KEY", ""}}));
    EXPECT_THROW(empty.get_credentials(), aws::CredentialsNotConfigured);

    aws::EnvironmentCredentialsProvider partial(aws::map_env({{"AWS_SECRET_ACCESS_KEY", kSecret}}));
    std::string message = error_message_of([&] { partial.get_credentials(); });
    EXPECT_NE(message.find("AWS_ACCESS_KEY_ID"), std::string::npos);
    EXPECT_EQ(message.find(kSecret), std::string::npos) << "the secret must never appear in messages";
    try {
        partial.get_credentials();
    } catch (const aws::CredentialsNotConfigured&) {
        FAIL() << "a half-configured environment is an error, not 'not configured'";
    } catch (const ConfigError&) {
    }
}

// ---------------------------------------------------------------------------------------------
// Shared credentials file

TEST(CredentialsTest, IniParserHandlesCommentsWhitespaceAndCase) {
    auto sections = aws::parse_ini(
        "# comment\n"
        "orphan = ignored\n"
        "[default]\n"
        "  AWS_Access_Key_ID =  AKIADEF  \r\n"
        "; another comment\n"
        "aws_secret_access_key=abc=def\n"
        "[ prod ]\n"
        "aws_access_key_id = AKIAPROD\n"
        "aws_access_key_id = AKIAPROD2\n"
        "garbage line\n"
        "[broken\n"
        "x = y\n");
    ASSERT_EQ(sections.count("default"), 1U);
    EXPECT_EQ(sections["default"]["aws_access_key_id"], "AKIADEF");
    EXPECT_EQ(sections["default"]["aws_secret_access_key"], "abc=def");
    EXPECT_EQ(sections["prod"]["aws_access_key_id"], "AKIAPROD2");
    EXPECT_EQ(sections.count("broken"), 0U);
}

TEST(CredentialsTest, ProfileProviderReadsDefaultAndNamedProfiles) {
    wp_test::TempDir dir;
    std::string file = dir.write("creds",
                                 "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = " +
                                     std::string(kSecret) +
                                     "\n\n[worker]\naws_access_key_id=AKIAWORKER\naws_secret_access_key=s2\n"
                                     "aws_session_token=tok2\n\n[legacy]\naws_access_key_id=AKIALEGACY\n"
                                     "aws_secret_access_key=s3\naws_security_token=tok3\n");
    aws::ProfileCredentialsProvider by_default(aws::map_env({{"AWS_SHARED_CREDENTIALS_FILE", file}}));
    auto creds = by_default.get_credentials();
    EXPECT_EQ(creds.access_key_id, "AKIADEFAULT");
    EXPECT_EQ(creds.secret_access_key, kSecret);
    EXPECT_FALSE(creds.session_token);

    aws::ProfileCredentialsProvider worker(
        aws::map_env({{"AWS_SHARED_CREDENTIALS_FILE", file}, {"AWS_PROFILE", "worker"}}));
    creds = worker.get_credentials();
    EXPECT_EQ(creds.access_key_id, "AKIAWORKER");
    EXPECT_EQ(creds.session_token, std::optional<std::string>("tok2"));

    aws::ProfileCredentialsProvider legacy(
        aws::map_env({{"AWS_SHARED_CREDENTIALS_FILE", file}, {"AWS_PROFILE", "legacy"}}));
    EXPECT_EQ(legacy.get_credentials().session_token, std::optional<std::string>("tok3"));
}

TEST(CredentialsTest, ProfileProviderUsesHomeDirectoryByDefault) {
    wp_test::TempDir home;
    home.write(".aws/credentials", "[default]\naws_access_key_id=AKIAHOME\naws_secret_access_key=x\n");
    aws::ProfileCredentialsProvider provider(aws::map_env({{"HOME", home.path().string()}}));
    EXPECT_EQ(provider.file_path(), (home.path() / ".aws/credentials").string());
    EXPECT_EQ(provider.get_credentials().access_key_id, "AKIAHOME");

    aws::ProfileCredentialsProvider tilde(
        aws::map_env({{"HOME", home.path().string()}, {"AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"}}));
    EXPECT_EQ(tilde.get_credentials().access_key_id, "AKIAHOME");
}

TEST(CredentialsTest, ProfileProviderMissingThings) {
    wp_test::TempDir dir;
    // No file, no AWS_PROFILE: not configured, the chain moves on.
    aws::ProfileCredentialsProvider no_file(aws::map_env({{"AWS_SHARED_CREDENTIALS_FILE", (dir.path() / "nope").string()}}));
    EXPECT_THROW(no_file.get_credentials(), aws::CredentialsNotConfigured);
    // No file but an explicit profile: a configuration error.
    aws::ProfileCredentialsProvider no_file_profile(aws::map_env(
        {{"AWS_SHARED_CREDENTIALS_FILE", (dir.path() / "nope").string()}, {"AWS_PROFILE", "prod"}}));
    EXPECT_THROW(
        try { no_file_profile.get_credentials(); } catch (const aws::CredentialsNotConfigured&) {
            FAIL() << "explicit profile";
        },
        ConfigError);

    std::string file = dir.write("creds", "[other]\naws_access_key_id=A\naws_secret_access_key=" + std::string(kSecret) +
                                              "\n[half]\naws_secret_access_key=" + kSecret + "\n[empty]\nregion=x\n");
    aws::ProfileCredentialsProvider no_default(aws::map_env({{"AWS_SHARED_CREDENTIALS_FILE", file}}));
    EXPECT_THROW(no_default.get_credentials(), aws::CredentialsNotConfigured);

    aws::ProfileCredentialsProvider missing(aws::map_env({{"AWS_SHARED_CREDENTIALS_FILE", file}, {"AWS_PROFILE", "prod"}}));
    std::string message = error_message_of([&] { missing.get_credentials(); });
    EXPECT_NE(message.find("'prod'"), std::string::npos);
    EXPECT_NE(message.find(file), std::string::npos);

    aws::ProfileCredentialsProvider half(aws::map_env({{"AWS_SHARED_CREDENTIALS_FILE", file}, {"AWS_PROFILE", "half"}}));
    message = error_message_of([&] { half.get_credentials(); });
    EXPECT_NE(message.find("aws_access_key_id"), std::string::npos);
    EXPECT_EQ(message.find(kSecret), std::string::npos) << "the secret must never appear in messages";

    aws::ProfileCredentialsProvider empty(aws::map_env({{"AWS_SHARED_CREDENTIALS_FILE", file}, {"AWS_PROFILE", "empty"}}));
    EXPECT_THROW(empty.get_credentials(), aws::CredentialsNotConfigured);
}

// ---------------------------------------------------------------------------------------------
// JSON answers of credential services

TEST(CredentialsTest, CredentialsJsonParsing) {
    auto creds = aws::credentials_from_json(credentials_json("ASIAJSON", "2026-11-27T21:15:01Z"), "test");
    EXPECT_EQ(creds.access_key_id, "ASIAJSON");
    EXPECT_EQ(creds.secret_access_key, kSecret);
    EXPECT_EQ(creds.session_token, std::optional<std::string>(kToken));
    ASSERT_TRUE(creds.expiration);
    EXPECT_EQ(aws::format_iso8601(*creds.expiration), "2026-11-27T21:15:01Z");

    // Bad answers: the message must not echo the document (it holds the secret).
    for (const std::string& bad :
         {credentials_json("ASIAJSON", "tomorrow"), std::string(R"({"AccessKeyId":"A","Token":"t"})"),
          std::string(R"({"Code":"Failure","AccessKeyId":"A","SecretAccessKey":")") + kSecret + "\"}",
          std::string("not json ") + kSecret}) {
        try {
            aws::credentials_from_json(bad, "test service");
            ADD_FAILURE() << "accepted: " << bad;
        } catch (const BackendError& e) {
            EXPECT_EQ(e.code(), "InvalidCredentialsResponse");
            EXPECT_FALSE(e.retryable());
            EXPECT_EQ(std::string(e.what()).find(kSecret), std::string::npos);
            EXPECT_EQ(std::string(e.what()).find(kToken), std::string::npos);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// ECS container credentials

TEST(CredentialsTest, ContainerProviderRelativeUri) {
    TestHttpServer server;
    server.enqueue(ScriptedResponse::text(200, credentials_json("ASIACONTAINER", "2026-11-27T21:15:01Z")));
    aws::ContainerCredentialsOptions options;
    options.relative_uri_base = server.base_url();
    aws::ContainerCredentialsProvider provider(
        aws::map_env({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/1234-abcd"}}), nullptr, options);
    auto creds = provider.get_credentials();
    EXPECT_EQ(creds.access_key_id, "ASIACONTAINER");
    EXPECT_EQ(creds.session_token, std::optional<std::string>(kToken));
    ASSERT_TRUE(creds.expiration);

    auto requests = server.requests();
    ASSERT_EQ(requests.size(), 1U);
    EXPECT_EQ(requests[0].method, "GET");
    EXPECT_EQ(requests[0].target, "/v2/credentials/1234-abcd");
    EXPECT_FALSE(requests[0].header("Authorization"));
}

TEST(CredentialsTest, ContainerProviderFullUriWithAuthorizationToken) {
    TestHttpServer server;
    server.enqueue(ScriptedResponse::text(200, credentials_json("ASIAFULL", "2026-11-27T21:15:01Z")));
    aws::ContainerCredentialsProvider provider(
        aws::map_env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.base_url() + "/creds?x=1"},
                      {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer secret-auth-token"}}));
    EXPECT_EQ(provider.get_credentials().access_key_id, "ASIAFULL");
    auto requests = server.requests();
    ASSERT_EQ(requests.size(), 1U);
    EXPECT_EQ(requests[0].target, "/creds?x=1");
    EXPECT_EQ(requests[0].header("Authorization"), std::optional<std::string>("Bearer secret-auth-token"));

    // The token file wins over the variable.
    wp_test::TempDir dir;
    std::string token_file = dir.write("token", "file-token\n");
    server.enqueue(ScriptedResponse::text(200, credentials_json("ASIAFILE", "2026-11-27T21:15:01Z")));
    aws::ContainerCredentialsProvider with_file(
        aws::map_env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.base_url() + "/creds"},
                      {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored"},
                      {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file}}));
    EXPECT_EQ(with_file.get_credentials().access_key_id, "ASIAFILE");
    EXPECT_EQ(server.requests().back().header("Authorization"), std::optional<std::string>("file-token"));
}

TEST(CredentialsTest, ContainerProviderRejectsRemotePlainHttpAndIsNotConfiguredWithoutVariables) {
    aws::ContainerCredentialsProvider remote(
        aws::map_env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://198.51.100.7/creds"}}));
    EXPECT_THROW(remote.get_credentials(), ConfigError);
    aws::ContainerCredentialsProvider none(aws::map_env({}));
    EXPECT_THROW(none.get_credentials(), aws::CredentialsNotConfigured);
}

// Plain http only to addresses checked after resolution: a name that merely starts with "127."
// is no loopback address. The names under .invalid never resolve (RFC 6761), so no DNS is asked.
TEST(CredentialsTest, ContainerProviderChecksTheResolvedAddressOfAPlainHttpHost) {
    for (const std::string host : {"127.evil.invalid", "127.0.0.1.invalid", "localhost.invalid", "169.254.170.2.invalid",
                                   "198.51.100.7", "169.254.169.254", "169.254.170.3", "[fd00:ec2::24]", "[::2]",
                                   "[::ffff:198.51.100.7]", "0.0.0.0", "10.0.0.1"}) {
        SCOPED_TRACE(host);
        aws::ContainerCredentialsProvider provider(
            aws::map_env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://" + host + ":8080/creds"},
                          {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "secret-auth-token"}}));
        try {
            provider.get_credentials();
            ADD_FAILURE() << "accepted";
        } catch (const ConfigError& e) {
            const std::string what = e.what();
            EXPECT_NE(what.find("AWS_CONTAINER_CREDENTIALS_FULL_URI"), std::string::npos) << what;
            EXPECT_NE(what.find("loopback"), std::string::npos) << what;
            EXPECT_NE(what.find("https"), std::string::npos) << what;
            EXPECT_EQ(what.find("secret-auth-token"), std::string::npos) << what;
            if (host.ends_with(".invalid")) {
                EXPECT_NE(what.find("does not resolve"), std::string::npos) << what;
            }
        } catch (const std::exception& e) {
            ADD_FAILURE() << "not a ConfigError: " << e.what();
        }
    }

    // Loopback by name or number, any 127.0.0.0/8 address, ::1: allowed (nothing listens on the
    // unused port, so these end in a connection error, past the check).
    const std::string unused = std::to_string(wp_test::unused_local_port());
    for (const std::string host : {"localhost", "127.0.0.1", "127.1.2.3", "[::1]", "LOCALHOST"}) {
        SCOPED_TRACE(host);
        aws::ContainerCredentialsOptions options;
        options.max_attempts = 1;
        aws::ContainerCredentialsProvider provider(
            aws::map_env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://" + host + ":" + unused + "/creds"}}), nullptr,
            options);
        try {
            provider.get_credentials();
            ADD_FAILURE() << "nothing listens there";
        } catch (const BackendError& e) {
            EXPECT_EQ(e.code(), "CredentialsServiceError") << e.what();
        } catch (const std::exception& e) {
            ADD_FAILURE() << "not a BackendError: " << e.what();
        }
    }

    // And the checked address is the one connected to: localhost reaches the server on 127.0.0.1
    // (whichever of ::1 and 127.0.0.1 the name lists first), with the URL's Host header.
    TestHttpServer server;
    server.set_handler([](const wp_test::RecordedRequest&) {
        return ScriptedResponse::text(200, credentials_json("ASIALOCAL", "2026-11-27T21:15:01Z"));
    });
    for (const std::string host : {"localhost", "127.0.0.1"}) {
        SCOPED_TRACE(host);
        const std::string authority = host + ":" + std::to_string(server.port());
        aws::ContainerCredentialsProvider provider(
            aws::map_env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://" + authority + "/creds"}}));
        EXPECT_EQ(provider.get_credentials().access_key_id, "ASIALOCAL");
        EXPECT_EQ(server.requests().back().header("Host"), std::optional<std::string>(authority));
    }
}

TEST(CredentialsTest, ContainerProviderRetriesServerErrorsAndHidesTheToken) {
    TestHttpServer server;
    server.enqueue(ScriptedResponse::text(500, "oops"));
    server.enqueue(ScriptedResponse::text(200, credentials_json("ASIARETRY", "2026-11-27T21:15:01Z")));
    auto env = aws::map_env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.base_url() + "/creds"},
                             {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "super-secret-auth-token"}});
    aws::ContainerCredentialsProvider provider(env);
    EXPECT_EQ(provider.get_credentials().access_key_id, "ASIARETRY");
    EXPECT_EQ(server.request_count(), 2U);

    server.enqueue(ScriptedResponse::text(403, "denied super-secret-auth-token"));
    try {
        provider.get_credentials();
        FAIL() << "expected BackendError";
    } catch (const BackendError& e) {
        EXPECT_EQ(e.code(), "CredentialsServiceError");
        EXPECT_FALSE(e.retryable());
        EXPECT_NE(std::string(e.what()).find("403"), std::string::npos);
        EXPECT_EQ(std::string(e.what()).find("super-secret-auth-token"), std::string::npos);
    }
}

TEST(CredentialsTest, ContainerProviderUnreachableIsARetryableBackendError) {
    aws::ContainerCredentialsOptions options;
    options.max_attempts = 2;
    aws::ContainerCredentialsProvider provider(
        aws::map_env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI",
                       "http://127.0.0.1:" + std::to_string(wp_test::unused_local_port()) + "/creds"}}),
        nullptr, options);
    try {
        provider.get_credentials();
        FAIL() << "expected BackendError";
    } catch (const BackendError& e) {
        EXPECT_EQ(e.code(), "CredentialsServiceError");
        EXPECT_TRUE(e.retryable());
    }
}

// ---------------------------------------------------------------------------------------------
// EC2 instance metadata (IMDSv2)

namespace {

void serve_imds(TestHttpServer& server, const std::string& role, const std::string& expiration) {
    server.set_handler([role, expiration](const wp_test::RecordedRequest& r) {
        if (r.method == "PUT" && r.target == "/latest/api/token") {
            if (!r.header("X-aws-ec2-metadata-token-ttl-seconds")) return ScriptedResponse::text(400, "missing ttl");
            return ScriptedResponse::text(200, "imds-session-token");
        }
        if (r.header("X-aws-ec2-metadata-token") != std::optional<std::string>("imds-session-token")) {
            return ScriptedResponse::text(401, "");
        }
        if (r.method == "GET" && r.target == "/latest/meta-data/iam/security-credentials/") {
            return role.empty() ? ScriptedResponse::text(404, "") : ScriptedResponse::text(200, role + "\n");
        }
        if (r.method == "GET" && r.target == "/latest/meta-data/iam/security-credentials/" + role) {
            return ScriptedResponse::text(200, credentials_json("ASIAIMDS", expiration));
        }
        return ScriptedResponse::text(404, "");
    });
}

}  // namespace

TEST(CredentialsTest, InstanceMetadataProviderFollowsImdsV2) {
    TestHttpServer server;
    serve_imds(server, "worker-role", "2026-11-27T21:15:01Z");
    aws::InstanceMetadataCredentialsProvider provider(
        aws::map_env({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", server.base_url() + "/"}}));
    EXPECT_EQ(provider.endpoint(), server.base_url());
    auto creds = provider.get_credentials();
    EXPECT_EQ(creds.access_key_id, "ASIAIMDS");
    EXPECT_EQ(creds.secret_access_key, kSecret);
    EXPECT_EQ(creds.session_token, std::optional<std::string>(kToken));
    ASSERT_TRUE(creds.expiration);

    auto requests = server.requests();
    ASSERT_EQ(requests.size(), 3U);
    EXPECT_EQ(requests[0].method, "PUT");
    EXPECT_EQ(requests[0].target, "/latest/api/token");
    EXPECT_EQ(requests[0].header("X-aws-ec2-metadata-token-ttl-seconds"), std::optional<std::string>("21600"));
    EXPECT_EQ(requests[1].target, "/latest/meta-data/iam/security-credentials/");
    EXPECT_EQ(requests[2].target, "/latest/meta-data/iam/security-credentials/worker-role");
    EXPECT_EQ(requests[2].header("X-aws-ec2-metadata-token"), std::optional<std::string>("imds-session-token"));
}

TEST(CredentialsTest, InstanceMetadataProviderNotConfiguredCases) {
    TestHttpServer server;
    serve_imds(server, "", "2026-11-27T21:15:01Z");
    aws::InstanceMetadataCredentialsProvider no_role(aws::map_env({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", server.base_url()}}));
    EXPECT_THROW(no_role.get_credentials(), aws::CredentialsNotConfigured);

    aws::InstanceMetadataCredentialsProvider disabled(aws::map_env(
        {{"AWS_EC2_METADATA_SERVICE_ENDPOINT", server.base_url()}, {"AWS_EC2_METADATA_DISABLED", "TRUE"}}));
    std::size_t before = server.request_count();
    EXPECT_THROW(disabled.get_credentials(), aws::CredentialsNotConfigured);
    EXPECT_EQ(server.request_count(), before) << "disabled IMDS must not be contacted";

    aws::InstanceMetadataCredentialsProvider unreachable(aws::map_env(
        {{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:" + std::to_string(wp_test::unused_local_port())}}));
    EXPECT_THROW(unreachable.get_credentials(), aws::CredentialsNotConfigured);

    aws::InstanceMetadataCredentialsProvider ipv6(aws::map_env({{"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6"}}));
    EXPECT_EQ(ipv6.endpoint(), "http://[fd00:ec2::254]");
    aws::InstanceMetadataCredentialsProvider plain(aws::map_env({}));
    EXPECT_EQ(plain.endpoint(), "http://169.254.169.254");
}

TEST(CredentialsTest, InstanceMetadataProviderErrorAfterTokenIsABackendError) {
    TestHttpServer server;
    server.set_handler([](const wp_test::RecordedRequest& r) {
        if (r.method == "PUT") return ScriptedResponse::text(200, "tok");
        if (r.target.ends_with("/security-credentials/")) return ScriptedResponse::text(200, "role");
        return ScriptedResponse::text(500, std::string("boom ") + kSecret);
    });
    aws::InstanceMetadataCredentialsProvider provider(aws::map_env({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", server.base_url()}}));
    try {
        provider.get_credentials();
        FAIL() << "expected BackendError";
    } catch (const aws::CredentialsNotConfigured&) {
        FAIL() << "a failing IMDS on an instance with a role is an error";
    } catch (const BackendError& e) {
        EXPECT_EQ(e.code(), "CredentialsServiceError");
        EXPECT_TRUE(e.retryable());
        EXPECT_EQ(std::string(e.what()).find(kSecret), std::string::npos);
    }
}

// ---------------------------------------------------------------------------------------------
// Caching and refresh

TEST(CredentialsTest, CacheKeepsStaticCredentialsForever) {
    auto inner = std::make_shared<CountingProvider>();
    wp_test::FakeClock clock;
    aws::CachingCredentialsProvider cache(inner, {.clock = clock.as_clock()});
    EXPECT_EQ(cache.get_credentials().access_key_id, "AKID1");
    clock.advance(std::chrono::hours(24 * 365));
    EXPECT_EQ(cache.get_credentials().access_key_id, "AKID1");
    EXPECT_EQ(inner->calls, 1);
    cache.invalidate();
    EXPECT_EQ(cache.get_credentials().access_key_id, "AKID2");
}

TEST(CredentialsTest, CacheRefreshesFiveMinutesBeforeExpiry) {
    auto inner = std::make_shared<CountingProvider>();
    wp_test::FakeClock clock;
    inner->expiration = clock.now() + std::chrono::hours(1);
    aws::CachingCredentialsProvider cache(inner, {.clock = clock.as_clock()});
    EXPECT_EQ(cache.get_credentials().access_key_id, "AKID1");

    clock.advance(std::chrono::minutes(54));  // 6 minutes left: still fresh
    EXPECT_EQ(cache.get_credentials().access_key_id, "AKID1");
    EXPECT_EQ(inner->calls, 1);

    inner->expiration = clock.now() + std::chrono::hours(1);
    clock.advance(std::chrono::minutes(1) + std::chrono::seconds(1));  // inside the 5-minute window
    EXPECT_EQ(cache.get_credentials().access_key_id, "AKID2");
    EXPECT_EQ(inner->calls, 2);
    EXPECT_EQ(cache.get_credentials().access_key_id, "AKID2");
    EXPECT_EQ(inner->calls, 2);
}

TEST(CredentialsTest, CacheRefreshesShortLivedCredentialsHalfway) {
    auto inner = std::make_shared<CountingProvider>();
    wp_test::FakeClock clock;
    inner->expiration = clock.now() + std::chrono::minutes(4);  // shorter than the 5-minute margin
    aws::CachingCredentialsProvider cache(inner, {.clock = clock.as_clock()});
    cache.get_credentials();
    clock.advance(std::chrono::minutes(1));
    cache.get_credentials();
    EXPECT_EQ(inner->calls, 1) << "must not refresh on every call";
    clock.advance(std::chrono::minutes(1) + std::chrono::seconds(1));
    cache.get_credentials();
    EXPECT_EQ(inner->calls, 2);
}

TEST(CredentialsTest, CacheServesStillValidCredentialsWhenRefreshFails) {
    auto inner = std::make_shared<CountingProvider>();
    wp_test::FakeClock clock;
    inner->expiration = clock.now() + std::chrono::hours(1);
    aws::CachingCredentialsProvider cache(inner, {.retry_after_failure = std::chrono::seconds(10),
                                                  .clock = clock.as_clock()});
    cache.get_credentials();
    inner->fail = true;
    clock.advance(std::chrono::minutes(56));  // refresh window, not expired
    EXPECT_EQ(cache.get_credentials().access_key_id, "AKID1");
    EXPECT_EQ(inner->calls, 2);
    EXPECT_EQ(cache.get_credentials().access_key_id, "AKID1");
    EXPECT_EQ(inner->calls, 2) << "no new attempt within retry_after_failure";
    clock.advance(std::chrono::seconds(11));
    EXPECT_EQ(cache.get_credentials().access_key_id, "AKID1");
    EXPECT_EQ(inner->calls, 3);

    clock.advance(std::chrono::minutes(5));  // now expired
    EXPECT_THROW(cache.get_credentials(), BackendError);
    inner->fail = false;
    EXPECT_EQ(cache.get_credentials().access_key_id, "AKID5");
}

TEST(CredentialsTest, CacheDoesNotStampedeTheProvider) {
    auto inner = std::make_shared<CountingProvider>();
    inner->delay = std::chrono::milliseconds(100);
    wp_test::FakeClock clock;
    inner->expiration = clock.now() + std::chrono::hours(1);
    aws::CachingCredentialsProvider cache(inner, {.clock = clock.as_clock()});

    auto hammer = [&](int threads) {
        std::vector<std::thread> pool;
        std::atomic<int> ok{0};
        for (int i = 0; i < threads; ++i) {
            pool.emplace_back([&] {
                if (!cache.get_credentials().access_key_id.empty()) ++ok;
            });
        }
        for (auto& t : pool) t.join();
        return ok.load();
    };
    EXPECT_EQ(hammer(32), 32);
    EXPECT_EQ(inner->calls, 1) << "32 concurrent first calls must fetch once";

    // In the refresh window: exactly one refresh; the others keep using the still-valid credentials.
    clock.advance(std::chrono::minutes(57));
    inner->expiration = clock.now() + std::chrono::hours(1);
    EXPECT_EQ(hammer(32), 32);
    EXPECT_EQ(inner->calls, 2);
}

TEST(CredentialsTest, CacheWaitersShareOneFailure) {
    auto inner = std::make_shared<CountingProvider>();
    inner->delay = std::chrono::milliseconds(100);
    inner->fail = true;
    aws::CachingCredentialsProvider cache(inner);
    std::vector<std::thread> pool;
    std::atomic<int> failures{0};
    for (int i = 0; i < 16; ++i) {
        pool.emplace_back([&] {
            try {
                cache.get_credentials();
            } catch (const BackendError&) {
                ++failures;
            }
        });
    }
    for (auto& t : pool) t.join();
    EXPECT_EQ(failures, 16);
    EXPECT_LE(inner->calls, 2) << "waiters must get the failed refresh's error, not retry it themselves";
}

// ---------------------------------------------------------------------------------------------
// The default chain

TEST(CredentialsTest, DefaultChainOrder) {
    wp_test::TempDir home;
    home.write(".aws/credentials", "[default]\naws_access_key_id=AKIAFILE\naws_secret_access_key=s\n");
    TestHttpServer server;
    server.set_handler([](const wp_test::RecordedRequest&) {
        return ScriptedResponse::text(200, credentials_json("ASIACONTAINER", "2099-01-01T00:00:00Z"));
    });
    const std::string home_dir = home.path().string();
    const std::string full_uri = server.base_url() + "/creds";

    aws::DefaultCredentialsChain env_first({.env = aws::map_env({{"AWS_ACCESS_KEY_ID", "AKIAENV"},
                                                                 {"AWS_SECRET_ACCESS_KEY", "s"},
                                                                 {"HOME", home_dir},
                                                                 {"AWS_CONTAINER_CREDENTIALS_FULL_URI", full_uri}})});
    EXPECT_EQ(env_first.get_credentials().access_key_id, "AKIAENV");

    aws::DefaultCredentialsChain file_next(
        {.env = aws::map_env({{"HOME", home_dir}, {"AWS_CONTAINER_CREDENTIALS_FULL_URI", full_uri}})});
    EXPECT_EQ(file_next.get_credentials().access_key_id, "AKIAFILE");

    wp_test::TempDir empty_home;
    aws::DefaultCredentialsChain container_next({.env = aws::map_env(
                                                     {{"HOME", empty_home.path().string()},
                                                      {"AWS_CONTAINER_CREDENTIALS_FULL_URI", full_uri},
                                                      {"AWS_EC2_METADATA_DISABLED", "true"}})});
    EXPECT_EQ(container_next.get_credentials().access_key_id, "ASIACONTAINER");

    TestHttpServer imds;
    serve_imds(imds, "role", "2099-01-01T00:00:00Z");
    aws::DefaultCredentialsChain imds_last({.env = aws::map_env({{"HOME", empty_home.path().string()},
                                                                 {"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.base_url()}})});
    EXPECT_EQ(imds_last.get_credentials().access_key_id, "ASIAIMDS");
}

TEST(CredentialsTest, DefaultChainWithNothingConfiguredSaysWhatToSet) {
    wp_test::TempDir empty_home;
    aws::DefaultCredentialsChain chain(
        {.env = aws::map_env({{"HOME", empty_home.path().string()}, {"AWS_EC2_METADATA_DISABLED", "true"}})});
    std::string message = error_message_of([&] { chain.get_credentials(); });
    EXPECT_NE(message.find("AWS_ACCESS_KEY_ID"), std::string::npos);
    EXPECT_NE(message.find("environment"), std::string::npos);
    EXPECT_NE(message.find("shared credentials file"), std::string::npos);
    EXPECT_NE(message.find("container"), std::string::npos);
    EXPECT_NE(message.find("AWS_EC2_METADATA_DISABLED"), std::string::npos);
}

TEST(CredentialsTest, DefaultChainFetchesContainerCredentialsOnceAcrossThreads) {
    TestHttpServer server;
    server.set_handler([](const wp_test::RecordedRequest&) {
        ScriptedResponse r = ScriptedResponse::text(200, credentials_json("ASIAONCE", "2099-01-01T00:00:00Z"));
        r.delay = std::chrono::milliseconds(50);
        return r;
    });
    wp_test::TempDir empty_home;
    aws::DefaultCredentialsChain chain({.env = aws::map_env({{"HOME", empty_home.path().string()},
                                                             {"AWS_CONTAINER_CREDENTIALS_FULL_URI",
                                                              server.base_url() + "/creds"}})});
    std::vector<std::thread> pool;
    std::atomic<int> ok{0};
    for (int i = 0; i < 16; ++i) {
        pool.emplace_back([&] {
            if (chain.get_credentials().access_key_id == "ASIAONCE") ++ok;
        });
    }
    for (auto& t : pool) t.join();
    EXPECT_EQ(ok, 16);
    EXPECT_EQ(server.request_count(), 1U);
}

TEST(CredentialsTest, DefaultChainRefreshesContainerCredentialsBeforeExpiry) {
    TestHttpServer server;
    wp_test::FakeClock clock;
    std::atomic<int> served{0};
    server.set_handler([&](const wp_test::RecordedRequest&) {
        int n = ++served;
        return ScriptedResponse::text(200, credentials_json("ASIA" + std::to_string(n),
                                                            aws::format_iso8601(clock.now() + std::chrono::hours(1))));
    });
    wp_test::TempDir empty_home;
    aws::DefaultCredentialsChainOptions options;
    options.env = aws::map_env(
        {{"HOME", empty_home.path().string()}, {"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.base_url() + "/creds"}});
    options.cache.clock = clock.as_clock();
    aws::DefaultCredentialsChain chain(options);
    EXPECT_EQ(chain.get_credentials().access_key_id, "ASIA1");
    clock.advance(std::chrono::minutes(50));
    EXPECT_EQ(chain.get_credentials().access_key_id, "ASIA1");
    clock.advance(std::chrono::minutes(6));
    EXPECT_EQ(chain.get_credentials().access_key_id, "ASIA2");
    EXPECT_EQ(server.request_count(), 2U);
}
