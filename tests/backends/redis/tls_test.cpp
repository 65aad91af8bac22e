// Redis over TLS (rediss://) against the test redis-server's TLS port (tools/services.sh: a test CA,
// a server certificate for DNS:localhost only, client certificates required), and the errors a
// Redis Cluster node's redirections get (against a fake server). The contract over TLS is the
// conformance suite's (Conformance/RedisTls). Needs WP_TEST_REDIS_URL, WP_TEST_REDIS_TLS_URL and
// WP_TEST_REDIS_TLS_DIR; the tests fail without them.

#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "backends/redis/redis_connection.hpp"
#include "test_env.hpp"
#include "watchbot_progress/error_codes.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/job.hpp"
#include "watchbot_progress/open_backend.hpp"
#include "watchbot_progress/redis_backend.hpp"

namespace wp = watchbot_progress;
namespace rd = watchbot_progress::detail::redis;
using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

wp::RedisOptions tls_options() {
    wp::RedisOptions options = wp::RedisBackend::parse_uri(wp_test::require_env("WP_TEST_REDIS_TLS_URL"));
    options.pool_size = 4;
    return options;
}

std::string tls_file(const char* name) { return wp_test::require_env("WP_TEST_REDIS_TLS_DIR") + "/" + name; }

std::string new_id(const char* prefix) { return std::string("redis-tls-test-") + prefix + "-" + wp::new_jobid(); }

// Runs f, which must throw BackendError; returns it.
template <class F>
wp::BackendError backend_error_of(F&& f) {
    try {
        f();
    } catch (const wp::BackendError& e) {
        return e;
    }
    throw std::runtime_error("no BackendError");
}

// A plain connection to the test server for setting things up (ACL users, killing clients).
class Raw {
public:
    Raw() : connection_(wp::RedisBackend::parse_uri(wp_test::require_env("WP_TEST_REDIS_URL"))) {}
    std::string str(const rd::Args& args) {
        rd::Reply r = connection_.command(args);
        if (r->type == REDIS_REPLY_ERROR) throw std::runtime_error(std::string(r->str, r->len));
        return rd::as_string(*r);
    }
    long long integer(const rd::Args& args) {
        rd::Reply r = connection_.command(args);
        if (r->type != REDIS_REPLY_INTEGER) throw std::runtime_error("not an integer reply to " + args.front());
        return r->integer;
    }

private:
    rd::Connection connection_;
};

// A fake Redis server on 127.0.0.1 for one client connection, plain or TLS (with the test server's
// certificate for localhost): it answers every command it parses with `reply` (raw RESP; empty:
// it never answers), and records the SNI name the client sent.
class FakeRedis {
public:
    explicit FakeRedis(std::string reply, bool tls = false) : reply_(std::move(reply)) {
        listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
            ::listen(listen_fd_, 4) != 0) {
            throw std::runtime_error("FakeRedis: cannot listen on 127.0.0.1");
        }
        socklen_t length = sizeof addr;
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &length);
        port_ = ntohs(addr.sin_port);
        if (tls) {
            ctx_ = SSL_CTX_new(TLS_server_method());
            if (SSL_CTX_use_certificate_chain_file(ctx_, tls_file("server.crt").c_str()) != 1 ||
                SSL_CTX_use_PrivateKey_file(ctx_, tls_file("server.key").c_str(), SSL_FILETYPE_PEM) != 1) {
                throw std::runtime_error("FakeRedis: cannot load the test server's certificate");
            }
        }
        thread_ = std::thread([this] { serve(); });
    }

    ~FakeRedis() {
        stopping_ = true;
        ::shutdown(listen_fd_, SHUT_RDWR);  // wakes accept()
        const int fd = client_fd_.load();
        if (fd >= 0) ::shutdown(fd, SHUT_RDWR);  // wakes a read
        thread_.join();
        ::close(listen_fd_);
        if (ctx_ != nullptr) SSL_CTX_free(ctx_);
    }

    int port() const { return port_; }
    // The SNI name of the TLS connection, once `commands()` is at least 1.
    std::string server_name() {
        std::lock_guard lock(mutex_);
        return server_name_;
    }
    int commands() const { return commands_.load(); }

private:
    void serve() {
        // Writing to a client that has gone raises SIGPIPE: blocked in this thread for good.
        sigset_t sigpipe;
        sigemptyset(&sigpipe);
        sigaddset(&sigpipe, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &sigpipe, nullptr);
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) return;
        client_fd_ = fd;
        if (stopping_) ::shutdown(fd, SHUT_RDWR);
        SSL* ssl = nullptr;
        if (ctx_ != nullptr) {
            ssl = SSL_new(ctx_);
            SSL_set_fd(ssl, fd);
            if (SSL_accept(ssl) == 1) {
                const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
                std::lock_guard lock(mutex_);
                server_name_ = name != nullptr ? name : "(none)";
            } else {
                SSL_free(ssl);
                ::close(fd);
                return;
            }
        }
        redisReader* reader = redisReaderCreate();
        char buffer[4096];
        for (;;) {
            const int n = ssl != nullptr ? SSL_read(ssl, buffer, sizeof buffer) : static_cast<int>(::read(fd, buffer, sizeof buffer));
            if (n <= 0) break;
            redisReaderFeed(reader, buffer, static_cast<std::size_t>(n));
            void* command = nullptr;
            bool failed = false;
            while (redisReaderGetReply(reader, &command) == REDIS_OK && command != nullptr) {
                freeReplyObject(command);
                command = nullptr;
                ++commands_;
                if (reply_.empty()) continue;
                const int written = ssl != nullptr ? SSL_write(ssl, reply_.data(), static_cast<int>(reply_.size()))
                                                   : static_cast<int>(::send(fd, reply_.data(), reply_.size(), MSG_NOSIGNAL));
                if (written <= 0) failed = true;
            }
            if (failed) break;
        }
        redisReaderFree(reader);
        if (ssl != nullptr) SSL_free(ssl);
        ::close(fd);
    }

    std::string reply_;
    int listen_fd_ = -1;
    int port_ = 0;
    SSL_CTX* ctx_ = nullptr;
    std::atomic<bool> stopping_{false};
    std::atomic<int> client_fd_{-1};
    std::atomic<int> commands_{0};
    std::mutex mutex_;
    std::string server_name_;
    std::thread thread_;
};

// ---------------------------------------------------------------------------------------------
// URIs

TEST(RedisTlsUri, RedissTurnsTlsOnWithItsFiles) {
    const wp::RedisOptions o = wp::RedisBackend::parse_uri(
        "rediss://app:s3cret@cache.example.com:6380/2?cacert=/etc/ca%20file.pem&cert=/c/client.crt&key=/c/client.key");
    EXPECT_TRUE(o.tls.enabled);
    EXPECT_EQ(o.host, "cache.example.com");
    EXPECT_EQ(o.port, 6380);
    EXPECT_EQ(o.db, 2);
    EXPECT_EQ(o.username, std::optional<std::string>("app"));
    EXPECT_EQ(o.password, std::optional<std::string>("s3cret"));
    EXPECT_EQ(o.tls.ca_file, "/etc/ca file.pem");
    EXPECT_EQ(o.tls.cert_file, "/c/client.crt");
    EXPECT_EQ(o.tls.key_file, "/c/client.key");

    const wp::RedisOptions bare = wp::RedisBackend::parse_uri("REDISS://localhost");
    EXPECT_TRUE(bare.tls.enabled);
    EXPECT_TRUE(bare.tls.ca_file.empty());
    EXPECT_FALSE(wp::RedisBackend::parse_uri("redis://localhost").tls.enabled);

    auto backend = wp::open_backend("rediss://:hunter2SECRET@localhost:6380/1");
    EXPECT_EQ(backend->describe(), "rediss://localhost:6380/1");
}

TEST(RedisTlsUri, TlsParametersNeedRedissAndAPath) {
    for (const char* uri : {"redis://h?cacert=/ca.pem", "redis://:pw@h?cert=/c.pem", "redis://h?key=/k.pem", "rediss://h?cacert=",
                            "rediss://h?cert", "rediss://h?cacert=%zz", "rediss://h?sslmode=require"}) {
        try {
            wp::RedisBackend::parse_uri(uri);
            ADD_FAILURE() << "accepted " << uri;
        } catch (const wp::InvalidInput& e) {
            EXPECT_THAT(e.what(), HasSubstr("invalid Redis URI")) << uri;
            EXPECT_THAT(e.what(), Not(HasSubstr("pw@"))) << uri;
        }
    }
    try {
        wp::RedisBackend::parse_uri("redis://h?cacert=/ca.pem");
    } catch (const wp::InvalidInput& e) {
        EXPECT_THAT(e.what(), HasSubstr("use rediss://"));
    }
}

// ---------------------------------------------------------------------------------------------
// The TLS server

TEST(RedisTls, WorksAJobAndAuthenticatesAsAnAclUser) {
    Raw raw;
    const std::string user = "wp-tls-" + wp::new_jobid().substr(0, 8);
    const std::string password = "pw-" + wp::new_jobid();
    ASSERT_EQ(raw.str({"ACL", "SETUSER", user, "on", ">" + password, "~*", "+@all"}), "OK");

    wp::RedisOptions options = tls_options();
    options.username = user;
    options.password = password;
    {
        wp::RedisBackend backend(options);
        const std::string jobid = new_id("acl");
        backend.set_total(jobid, 2);
        EXPECT_FALSE(backend.complete_part(jobid, 0));
        EXPECT_TRUE(backend.complete_part_and_claim_reduce(jobid, 1).reduce_claimed());
        EXPECT_TRUE(backend.status(jobid).reduce_sent);
        EXPECT_TRUE(backend.delete_job(jobid));
    }
    // The same through a URI.
    const std::string uri = wp_test::require_env("WP_TEST_REDIS_TLS_URL");
    auto from_uri = wp::open_backend("rediss://" + user + ":" + password + "@" + uri.substr(std::string("rediss://").size()));
    EXPECT_THROW(from_uri->status(new_id("none")), wp::JobDoesNotExist);

    options.password = "wrong-" + password;
    wp::RedisBackend refused(options);
    const wp::BackendError e = backend_error_of([&] { refused.status("some-job"); });
    EXPECT_EQ(e.code(), "WRONGPASS") << e.what();
    EXPECT_FALSE(e.retryable());
    EXPECT_THAT(e.what(), Not(HasSubstr(password)));
    raw.integer({"ACL", "DELUSER", user});
}

TEST(RedisTls, CertificateFromAnUntrustedCaIsRefused) {
    wp::RedisOptions options = tls_options();
    options.tls.ca_file = tls_file("other-ca.crt");
    options.username = "someone";
    options.password = "hunter2SECRET";
    wp::RedisBackend backend(options);
    const wp::BackendError e = backend_error_of([&] { backend.status("some-job"); });
    EXPECT_EQ(e.code(), wp::error_code::kTls) << e.what();
    EXPECT_FALSE(e.retryable());
    EXPECT_THAT(e.what(), HasSubstr("localhost:" + std::to_string(options.port)));
    EXPECT_THAT(e.what(), HasSubstr("certificate could not be verified"));
    EXPECT_THAT(e.what(), HasSubstr("cacert"));
    EXPECT_THAT(e.what(), Not(HasSubstr("hunter2SECRET")));
}

TEST(RedisTls, CertificateForAnotherHostIsRefused) {
    // The server's certificate names DNS:localhost only; 127.0.0.1 is the same server under a name
    // the certificate does not give.
    wp::RedisOptions options = tls_options();
    options.host = "127.0.0.1";
    options.password = "hunter2SECRET";
    wp::RedisBackend backend(options);
    const wp::BackendError e = backend_error_of([&] { backend.status("some-job"); });
    EXPECT_EQ(e.code(), wp::error_code::kTls) << e.what();
    EXPECT_FALSE(e.retryable());
    EXPECT_THAT(e.what(), HasSubstr("not for '127.0.0.1'"));
    EXPECT_THAT(e.what(), HasSubstr("host name verification failed"));
    EXPECT_THAT(e.what(), Not(HasSubstr("hunter2SECRET")));
}

TEST(RedisTls, CaFromSslCertFileWhenTheUriGivesNone) {
    wp::RedisOptions options = tls_options();
    options.tls.ca_file.clear();
    const std::string jobid = new_id("env-ca");
    ASSERT_EQ(::setenv("SSL_CERT_FILE", tls_file("ca.crt").c_str(), 1), 0);
    {
        wp::RedisBackend backend(options);
        EXPECT_THROW(backend.status(jobid), wp::JobDoesNotExist);  // connected and verified
    }
    // Without it, OpenSSL's default store does not know the test CA.
    ::unsetenv("SSL_CERT_FILE");
    wp::RedisBackend without(options);
    EXPECT_EQ(backend_error_of([&] { without.status(jobid); }).code(), wp::error_code::kTls);
}

TEST(RedisTls, ServerThatRequiresAClientCertificateRefusesAConnectionWithout) {
    wp::RedisOptions options = tls_options();
    options.tls.cert_file.clear();
    options.tls.key_file.clear();
    options.password = "hunter2SECRET";
    options.reconnect_attempts = 1;
    options.reconnect_backoff = std::chrono::milliseconds(1);
    wp::RedisBackend backend(options);
    const wp::BackendError e = backend_error_of([&] { backend.status("some-job"); });
    // Under TLS 1.3 the server checks the certificate after the handshake: the client reads its alert
    // (named), or, when the server has already closed, finds the connection reset on its next write.
    // Which one comes first depends on the scheduler, so either is accepted.
    EXPECT_THAT(e.what(), AnyOf(HasSubstr("client certificate"), HasSubstr("Connection reset by peer"))) << e.what();
    EXPECT_THAT(e.what(), Not(HasSubstr("hunter2SECRET")));
}

TEST(RedisTls, UnusableFilesAreConfigErrorsWhenTheBackendIsMade) {
    const auto config_error_of = [](wp::RedisOptions options) -> std::string {
        try {
            wp::RedisBackend backend(options);
        } catch (const wp::ConfigError& e) {
            return e.what();
        }
        ADD_FAILURE() << "no ConfigError";
        return {};
    };
    wp::RedisOptions options = tls_options();
    options.tls.ca_file = "/nonexistent/ca.pem";
    EXPECT_THAT(config_error_of(options), HasSubstr("CA file '/nonexistent/ca.pem'"));
    options = tls_options();
    options.tls.cert_file = "/nonexistent/client.crt";
    EXPECT_THAT(config_error_of(options), HasSubstr("client certificate '/nonexistent/client.crt'"));
    options = tls_options();
    options.tls.key_file = tls_file("server.key");  // not the client certificate's key
    EXPECT_THAT(config_error_of(options), HasSubstr(tls_file("server.key")));
    options = tls_options();
    options.tls.cert_file.clear();
    EXPECT_THAT(config_error_of(options), HasSubstr("without a client certificate"));
    // Without TLS the files are not read.
    options = tls_options();
    options.tls.enabled = false;
    options.tls.ca_file = "/nonexistent/ca.pem";
    EXPECT_NO_THROW(wp::RedisBackend{options});
}

TEST(RedisTls, ReconnectsAfterTheServerDropsEveryConnection) {
    wp::RedisOptions options = tls_options();
    options.reconnect_attempts = 1;
    auto backend = std::make_shared<wp::RedisBackend>(options);
    Raw raw;
    const std::string jobid = new_id("reconnect");
    backend->set_total(jobid, 3);
    raw.integer({"CLIENT", "KILL", "TYPE", "normal"});  // every client but the raw one
    EXPECT_FALSE(backend->complete_part(jobid, 0));
    raw.integer({"CLIENT", "KILL", "TYPE", "normal"});
    EXPECT_EQ(backend->list_pending_parts(jobid), (std::vector<wp::PartId>{1, 2}));
    // A large pipelined write over a TLS connection the server closed (SIGPIPE must not kill the
    // process): retried on a fresh connection.
    const std::string big = new_id("reconnect-big");
    raw.integer({"CLIENT", "KILL", "TYPE", "normal"});
    backend->set_total(big, wp_test::scaled(200'000, 20'000), /*overwrite=*/true);
    EXPECT_EQ(backend->status(big).remaining, wp_test::scaled(200'000, 20'000));
    EXPECT_TRUE(backend->delete_job(big));
    EXPECT_TRUE(backend->delete_job(jobid));
}

// ---------------------------------------------------------------------------------------------
// Fake servers: SNI, timeouts over TLS, and a Redis Cluster node's redirections

TEST(RedisTls, SendsTheHostNameAsSniAndTimesOutASilentServer) {
    FakeRedis fake(/*reply=*/"", /*tls=*/true);
    wp::RedisOptions options = tls_options();
    options.port = fake.port();
    options.tls.cert_file.clear();
    options.tls.key_file.clear();
    options.command_timeout = std::chrono::milliseconds(50);
    options.reconnect_attempts = 0;
    wp::RedisBackend backend(options);
    const wp::BackendError e = backend_error_of([&] { backend.status("some-job"); });
    EXPECT_EQ(e.code(), wp::error_code::kConnection) << e.what();
    EXPECT_TRUE(e.retryable());
    EXPECT_THAT(e.what(), HasSubstr("timed out waiting for a reply"));
    EXPECT_GE(fake.commands(), 1);
    EXPECT_EQ(fake.server_name(), "localhost");
}

TEST(RedisCluster, RedirectionsAndCrossSlotRepliesNameClusterMode) {
    for (const std::string reply : {"-MOVED 3999 10.0.0.7:6379\r\n", "-ASK 3999 10.0.0.7:6379\r\n",
                                    "-CROSSSLOT Keys in request don't hash to the same slot\r\n",
                                    "-CLUSTERDOWN Hash slot not served\r\n"}) {
        for (const bool tls : {false, true}) {
            FakeRedis fake(reply, tls);
            wp::RedisOptions options = tls ? tls_options() : wp::RedisOptions{};
            options.host = tls ? "localhost" : "127.0.0.1";
            options.port = fake.port();
            options.tls.cert_file.clear();
            options.tls.key_file.clear();
            wp::RedisBackend backend(options);
            const wp::BackendError e = backend_error_of([&] { backend.status("some-job"); });
            EXPECT_EQ(e.code(), reply.substr(1, reply.find(' ') - 1)) << e.what();
            EXPECT_FALSE(e.retryable());
            EXPECT_THAT(e.what(), HasSubstr("Redis Cluster"));
            EXPECT_THAT(e.what(), HasSubstr("cluster mode disabled"));
        }
    }
}

}  // namespace
