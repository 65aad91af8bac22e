// The libcurl HTTP client against the local test server: round trips, keep-alive reuse across
// requests and threads, timeouts and transport errors.

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "aws/error_classification.hpp"
#include "aws/http_client.hpp"
#include "aws/test_http_server.hpp"
#include "watchbot_progress/errors.hpp"

namespace aws = watchbot_progress::aws;
using watchbot_progress::BackendError;
using wp_test::ScriptedResponse;
using wp_test::TestHttpServer;

namespace {

BackendError send_expecting_error(aws::HttpClient& client, const aws::HttpRequest& request) {
    try {
        client.send(request);
    } catch (const BackendError& e) {
        return e;
    }
    ADD_FAILURE() << "expected a BackendError";
    return BackendError("none", "none", false);
}

}  // namespace

TEST(AwsHttpClientTest, PostRoundTrip) {
    TestHttpServer server;
    server.enqueue(ScriptedResponse::text(201, "created", {{"X-Amzn-RequestId", "req-1"}, {"X-Multi", "  padded  "}}));
    aws::CurlHttpClient client;
    aws::HttpRequest request{"POST", server.base_url() + "/path?q=1", {{"Content-Type", "application/json"}, {"X-Empty", ""}},
                             R"({"a":1})"};
    aws::HttpResponse response = client.send(request);
    EXPECT_EQ(response.status, 201);
    EXPECT_EQ(response.body, "created");
    EXPECT_EQ(aws::find_header(response.headers, "x-amzn-requestid"), std::optional<std::string>("req-1"));
    EXPECT_EQ(aws::find_header(response.headers, "X-Multi"), std::optional<std::string>("padded"));
    for (const auto& [name, value] : response.headers) {
        for (char c : name) EXPECT_FALSE(c >= 'A' && c <= 'Z') << "header names are lowercased: " << name;
    }

    auto recorded = server.requests();
    ASSERT_EQ(recorded.size(), 1U);
    EXPECT_EQ(recorded[0].method, "POST");
    EXPECT_EQ(recorded[0].target, "/path?q=1");
    EXPECT_EQ(recorded[0].body, R"({"a":1})");
    EXPECT_EQ(recorded[0].header("Content-Type"), std::optional<std::string>("application/json"));
    EXPECT_EQ(recorded[0].header("X-Empty"), std::optional<std::string>(""));
    EXPECT_FALSE(recorded[0].header("Expect")) << "no 100-continue round trip";
    ASSERT_TRUE(recorded[0].header("User-Agent"));
    EXPECT_TRUE(recorded[0].header("User-Agent")->starts_with("watchbot-progress-cpp/"));
}

TEST(AwsHttpClientTest, PutWithoutBodyAndGet) {
    TestHttpServer server;
    aws::CurlHttpClient client;
    server.enqueue(ScriptedResponse::text(200, "token"));
    EXPECT_EQ(client.send({"PUT", server.base_url() + "/latest/api/token", {{"X-Ttl", "60"}}, ""}).body, "token");
    server.enqueue(ScriptedResponse::text(404, ""));
    EXPECT_EQ(client.send({"GET", server.base_url() + "/missing", {}, ""}).status, 404);
    server.enqueue(ScriptedResponse::text(200, "deleted"));
    EXPECT_EQ(client.send({"DELETE", server.base_url() + "/x", {}, ""}).body, "deleted");

    auto recorded = server.requests();
    ASSERT_EQ(recorded.size(), 3U);
    EXPECT_EQ(recorded[0].method, "PUT");
    EXPECT_EQ(recorded[0].header("Content-Length"), std::optional<std::string>("0"));
    EXPECT_FALSE(recorded[0].header("Content-Type")) << "no default form content type";
    EXPECT_EQ(recorded[1].method, "GET");
    EXPECT_EQ(recorded[2].method, "DELETE");
}

TEST(AwsHttpClientTest, ReusesOneConnectionAcrossRequestsAndThreads) {
    TestHttpServer server;
    server.set_handler([](const wp_test::RecordedRequest&) { return ScriptedResponse::text(200, "ok"); });
    aws::CurlHttpClient client;
    for (int i = 0; i < 5; ++i) EXPECT_EQ(client.send({"GET", server.base_url() + "/", {}, ""}).status, 200);
    for (int i = 0; i < 5; ++i) {
        std::thread([&] { EXPECT_EQ(client.send({"POST", server.base_url() + "/", {}, "x"}).status, 200); }).join();
    }
    EXPECT_EQ(server.request_count(), 10U);
    EXPECT_EQ(server.connection_count(), 1) << "sequential requests, even from other threads, reuse the connection";
}

TEST(AwsHttpClientTest, ConcurrentRequestsFromManyThreads) {
    TestHttpServer server;
    server.set_handler([](const wp_test::RecordedRequest& r) { return ScriptedResponse::text(200, r.body); });
    aws::CurlHttpClient client;
    constexpr int kThreads = 8;
    constexpr int kRequests = 25;
    std::atomic<int> ok{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < kThreads; ++t) {
        pool.emplace_back([&, t] {
            for (int i = 0; i < kRequests; ++i) {
                std::string body = std::to_string(t) + ":" + std::to_string(i);
                if (client.send({"POST", server.base_url() + "/", {}, body}).body == body) ++ok;
            }
        });
    }
    for (auto& thread : pool) thread.join();
    EXPECT_EQ(ok, kThreads * kRequests);
    EXPECT_LE(server.connection_count(), kThreads) << "connections are pooled, not opened per request";
}

TEST(AwsHttpClientTest, ConnectionRefusedIsRetryableConnectionError) {
    aws::CurlHttpClient client;
    auto url = "http://127.0.0.1:" + std::to_string(wp_test::unused_local_port()) + "/";
    BackendError e = send_expecting_error(client, {"POST", url, {{"Authorization", "AWS4-HMAC-SHA256 secret-sig"}}, "b"});
    EXPECT_EQ(e.code(), aws::transport_error::kConnection);
    EXPECT_TRUE(e.retryable());
    EXPECT_NE(std::string(e.what()).find("127.0.0.1"), std::string::npos);
    EXPECT_EQ(std::string(e.what()).find("secret-sig"), std::string::npos);
}

TEST(AwsHttpClientTest, TimeoutIsRetryableTimeoutError) {
    TestHttpServer server;
    ScriptedResponse slow = ScriptedResponse::text(200, "late");
    slow.delay = std::chrono::milliseconds(400);
    server.enqueue(slow);
    aws::HttpOptions options;
    options.request_timeout = std::chrono::milliseconds(100);
    aws::CurlHttpClient client(options);
    BackendError e = send_expecting_error(client, {"GET", server.base_url() + "/", {}, ""});
    EXPECT_EQ(e.code(), aws::transport_error::kTimeout);
    EXPECT_TRUE(e.retryable());
}

TEST(AwsHttpClientTest, ClosedWithoutResponseIsRetryableConnectionError) {
    TestHttpServer server;
    server.enqueue(ScriptedResponse::close_without_response());
    aws::CurlHttpClient client;
    BackendError e = send_expecting_error(client, {"GET", server.base_url() + "/", {}, ""});
    EXPECT_EQ(e.code(), aws::transport_error::kConnection);
    EXPECT_TRUE(e.retryable());
    // The client recovers: the next request gets a new connection.
    server.enqueue(ScriptedResponse::text(200, "fine"));
    EXPECT_EQ(client.send({"GET", server.base_url() + "/", {}, ""}).body, "fine");
}

TEST(AwsHttpClientTest, ServerClosingAKeptAliveConnectionIsHandled) {
    TestHttpServer server;
    ScriptedResponse closing = ScriptedResponse::text(200, "one");
    closing.action = ScriptedResponse::Action::kRespondAndClose;
    server.enqueue(closing);
    server.enqueue(ScriptedResponse::text(200, "two"));
    aws::CurlHttpClient client;
    EXPECT_EQ(client.send({"GET", server.base_url() + "/", {}, ""}).body, "one");
    EXPECT_EQ(client.send({"GET", server.base_url() + "/", {}, ""}).body, "two");
    EXPECT_EQ(server.connection_count(), 2);
}

TEST(AwsHttpClientTest, OversizedResponseIsRejected) {
    TestHttpServer server;
    server.enqueue(ScriptedResponse::text(200, std::string(4096, 'x')));
    aws::HttpOptions options;
    options.max_response_bytes = 1024;
    aws::CurlHttpClient client(options);
    BackendError e = send_expecting_error(client, {"GET", server.base_url() + "/", {}, ""});
    EXPECT_EQ(e.code(), aws::transport_error::kResponseTooLarge);
    EXPECT_FALSE(e.retryable());
}

TEST(AwsHttpClientTest, BadUrlsAreNotRetryable) {
    aws::CurlHttpClient client;
    BackendError e = send_expecting_error(client, {"GET", "ftp://127.0.0.1/", {}, ""});
    EXPECT_EQ(e.code(), aws::transport_error::kInvalidEndpoint);
    EXPECT_FALSE(e.retryable());
}

TEST(AwsHttpClientTest, RedactsUserInfoInMessages) {
    aws::CurlHttpClient client;
    auto url = "http://user:hunter2@127.0.0.1:" + std::to_string(wp_test::unused_local_port()) + "/";
    BackendError e = send_expecting_error(client, {"GET", url, {}, ""});
    EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
}

TEST(AwsHttpClientTest, BypassProxyIgnoresProxyEnvironment) {
    TestHttpServer server;
    server.set_handler([](const wp_test::RecordedRequest&) { return ScriptedResponse::text(200, "direct"); });
    // Saves and restores a variable around the test.
    struct SavedVariable {
        std::string name;
        std::optional<std::string> value;
        explicit SavedVariable(std::string n) : name(std::move(n)) {
            if (const char* v = std::getenv(name.c_str())) value = v;
        }
        ~SavedVariable() {
            if (value) {
                ::setenv(name.c_str(), value->c_str(), 1);
            } else {
                ::unsetenv(name.c_str());
            }
        }
    } saved_proxy("http_proxy"), saved_no_proxy("no_proxy"), saved_upper_no_proxy("NO_PROXY");
    ::unsetenv("NO_PROXY");
    ::setenv("http_proxy", ("http://127.0.0.1:" + std::to_string(wp_test::unused_local_port())).c_str(), 1);
    ::setenv("no_proxy", "", 1);

    aws::HttpOptions direct;
    direct.bypass_proxy = true;
    aws::CurlHttpClient bypassing(direct);
    EXPECT_EQ(bypassing.send({"GET", server.base_url() + "/", {}, ""}).body, "direct");

    aws::CurlHttpClient proxied;  // goes to the (dead) proxy from the environment
    BackendError e = send_expecting_error(proxied, {"GET", server.base_url() + "/", {}, ""});
    EXPECT_EQ(e.code(), aws::transport_error::kConnection);
}

// Python's multiprocessing forks by default on Linux, with whatever connections the parent keeps
// alive: a child that sent on one of them could read the answer to its parent's request. (A suite
// of its own: ThreadSanitizer, which runs AwsHttpClientTest, does not follow a process with threads
// through fork.)
TEST(AwsHttpClientFork, AChildOpensConnectionsOfItsOwn) {
    TestHttpServer server;
    server.set_handler([](const wp_test::RecordedRequest&) { return ScriptedResponse::text(200, "ok"); });
    aws::CurlHttpClient client;
    ASSERT_EQ(client.send({"GET", server.base_url() + "/parent", {}, ""}).status, 200);
    ASSERT_EQ(server.connection_count(), 1);

    const pid_t pid = ::fork();
    if (pid == 0) {
        ::alarm(20);
        int code = 1;
        try {
            code = client.send({"GET", server.base_url() + "/child", {}, ""}).status == 200 ? 0 : 1;
        } catch (...) {
        }
        ::_exit(code);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_EQ(server.connection_count(), 2) << "the child opened a connection of its own";

    EXPECT_EQ(client.send({"GET", server.base_url() + "/parent-again", {}, ""}).status, 200);
    EXPECT_EQ(server.connection_count(), 2) << "the parent's kept-alive connection is still its own";
}
