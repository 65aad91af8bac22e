// Redis backend specifics: URI parsing, the Python-compatible key layout (checked with plain Redis
// commands), script reloading, reconnection, timeouts and large jobs. The contract itself is
// checked by the conformance suite (Conformance/Redis). Needs WP_TEST_REDIS_URL (tools/services.sh);
// the tests fail without it.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "backends/redis/redis_connection.hpp"
#include "test_env.hpp"
#include "watchbot_progress/watchbot_progress.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/redis_backend.hpp"

namespace wp = watchbot_progress;
namespace rd = watchbot_progress::detail::redis;

namespace {

wp::RedisOptions server_options() {
    wp::RedisOptions options = wp::RedisBackend::parse_uri(wp_test::require_env("WP_TEST_REDIS_URL"));
    options.pool_size = 8;
    return options;
}

std::string new_id(const char* prefix) { return std::string("redis-test-") + prefix + "-" + wp::new_jobid(); }

// A plain connection for checking what the backend wrote, command by command.
class Raw {
public:
    explicit Raw(const wp::RedisOptions& options = server_options()) : connection_(options) {}

    rd::Reply command(const rd::Args& args) { return connection_.command(args); }
    std::string str(const rd::Args& args) {
        rd::Reply r = command(args);
        if (r->type == REDIS_REPLY_ERROR) throw std::runtime_error(std::string(r->str, r->len));
        return rd::as_string(*r);
    }
    long long integer(const rd::Args& args) {
        rd::Reply r = command(args);
        if (r->type != REDIS_REPLY_INTEGER) throw std::runtime_error("not an integer reply to " + args.front());
        return r->integer;
    }
    std::map<std::string, std::string> hgetall(const std::string& key) {
        rd::Reply r = command({"HGETALL", key});
        std::map<std::string, std::string> out;
        for (std::size_t i = 0; i + 1 < r->elements; i += 2) out[rd::as_string(*r->element[i])] = rd::as_string(*r->element[i + 1]);
        return out;
    }
    std::set<std::string> smembers(const std::string& key) {
        rd::Reply r = command({"SMEMBERS", key});
        std::set<std::string> out;
        for (std::size_t i = 0; i < r->elements; ++i) out.insert(rd::as_string(*r->element[i]));
        return out;
    }
    std::vector<std::string> keys_matching(const std::string& pattern) {
        std::vector<std::string> out;
        std::string cursor = "0";
        do {
            rd::Reply r = command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
            cursor = rd::as_string(*r->element[0]);
            for (std::size_t i = 0; i < r->element[1]->elements; ++i) out.push_back(rd::as_string(*r->element[1]->element[i]));
        } while (cursor != "0");
        return out;
    }

private:
    rd::Connection connection_;
};

int unused_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

// ---------------------------------------------------------------------------------------------
// URI parsing

TEST(RedisUri, ParsesEveryPart) {
    const wp::RedisOptions o = wp::RedisBackend::parse_uri("redis://:s3cret@cache.example.com:6380/2");
    EXPECT_EQ(o.host, "cache.example.com");
    EXPECT_EQ(o.port, 6380);
    EXPECT_EQ(o.db, 2);
    EXPECT_EQ(o.password, std::optional<std::string>("s3cret"));
    EXPECT_FALSE(o.username);
}

TEST(RedisUri, AppliesDefaults) {
    const wp::RedisOptions o = wp::RedisBackend::parse_uri("redis://localhost");
    EXPECT_EQ(o.host, "localhost");
    EXPECT_EQ(o.port, 6379);
    EXPECT_EQ(o.db, 0);
    EXPECT_FALSE(o.password);
    EXPECT_EQ(wp::RedisBackend::parse_uri("redis://").host, "127.0.0.1");
    EXPECT_EQ(wp::RedisBackend::parse_uri("redis://h/").db, 0);
    EXPECT_EQ(wp::RedisBackend::parse_uri("REDIS://h:1").port, 1);
}

TEST(RedisUri, DbFromPathOrQuery) {
    EXPECT_EQ(wp::RedisBackend::parse_uri("redis://h?db=3").db, 3);
    EXPECT_EQ(wp::RedisBackend::parse_uri("redis://h:7000/?db=4").db, 4);
    EXPECT_EQ(wp::RedisBackend::parse_uri("redis://h/5?db=5").db, 5);
    EXPECT_THROW(wp::RedisBackend::parse_uri("redis://h/5?db=6"), wp::InvalidInput);
}

TEST(RedisUri, UsernameAndPercentEncodedPassword) {
    const wp::RedisOptions o = wp::RedisBackend::parse_uri("redis://default:p%40ss%2Fw0rd@10.0.0.5:6381/1");
    EXPECT_EQ(o.username, std::optional<std::string>("default"));
    EXPECT_EQ(o.password, std::optional<std::string>("p@ss/w0rd"));
    EXPECT_EQ(o.host, "10.0.0.5");
    EXPECT_EQ(o.port, 6381);
    EXPECT_EQ(o.db, 1);
    // An unencoded '@' in the password still parses: the user info ends at the last '@'.
    EXPECT_EQ(wp::RedisBackend::parse_uri("redis://:a@b@h").password, std::optional<std::string>("a@b"));
    // A user alone (no colon) is a user name, not a password.
    const wp::RedisOptions user_only = wp::RedisBackend::parse_uri("redis://someone@h");
    EXPECT_EQ(user_only.username, std::optional<std::string>("someone"));
    EXPECT_FALSE(user_only.password);
}

TEST(RedisUri, BracketedIpv6Host) {
    const wp::RedisOptions o = wp::RedisBackend::parse_uri("redis://[::1]:6390/1");
    EXPECT_EQ(o.host, "::1");
    EXPECT_EQ(o.port, 6390);
    EXPECT_EQ(o.db, 1);
    EXPECT_EQ(wp::RedisBackend(o).describe(), "redis://[::1]:6390/1");
}

TEST(RedisUri, RejectsMalformedUris) {
    for (const char* uri : {"http://h", "rediss://h?cacert=", "localhost:6379", "redis:/h", "redis://h:0", "redis://h:65536",
                            "redis://h:abc", "redis://h:", "redis://h:-1", "redis://h/x", "redis://h/-1", "redis://h/1/2",
                            "redis://h/99999999999", "redis://h?db=x", "redis://h?db=", "redis://h?foo=1",
                            "redis://::1:6379", "redis://[::1", "redis://[::1]x", "redis://:%zz@h", "redis://h o"}) {
        SCOPED_TRACE(uri);
        try {
            wp::RedisBackend::parse_uri(uri);
            ADD_FAILURE() << "accepted";
        } catch (const wp::InvalidInput& e) {
            EXPECT_NE(std::string(e.what()).find("redis://"), std::string::npos) << e.what();  // says the expected form
        }
    }
}

TEST(RedisUri, MessagesNeverContainThePassword) {
    const std::string secret = "hunter2SECRET";
    for (const std::string& uri : {"redis://:" + secret + "@h:notaport", "redis://user:" + secret + "@h/notadb",
                                  "redis://:" + secret + "@h?bogus=1", "redis://:" + secret + "@h:1:2",
                                  "http://:" + secret + "@h", "rediss://:" + secret + "@h?cacert=", "redis://:" + secret + "@h?cert=/c.pem", secret + "://x",
                                  "redis://:" + secret + "%g@h"}) {
        SCOPED_TRACE(uri);
        try {
            wp::RedisBackend::parse_uri(uri);
            ADD_FAILURE() << "accepted";
        } catch (const wp::InvalidInput& e) {
            EXPECT_EQ(std::string(e.what()).find(secret), std::string::npos) << e.what();
        }
    }
    try {
        wp::open_backend("redis://:" + secret + "@h:bad");
        ADD_FAILURE() << "accepted";
    } catch (const wp::InvalidInput& e) {
        EXPECT_EQ(std::string(e.what()).find(secret), std::string::npos) << e.what();
    }
}

TEST(RedisUri, DescribeOmitsUserAndPassword) {
    auto backend = wp::RedisBackend::from_uri("redis://admin:hunter2SECRET@cache.local:6380/3");
    EXPECT_EQ(backend->describe(), "redis://cache.local:6380/3");
    EXPECT_EQ(backend->options().password, std::optional<std::string>("hunter2SECRET"));
}

TEST(RedisUri, OpenBackendDispatchesToRedis) {
    auto backend = wp::open_backend("redis://127.0.0.1:6399/7");
    ASSERT_NE(dynamic_cast<wp::RedisBackend*>(backend.get()), nullptr);
    EXPECT_EQ(backend->describe(), "redis://127.0.0.1:6399/7");
}

// ---------------------------------------------------------------------------------------------
// Wire compatibility with the Python tool's layout

TEST(RedisLayout, WritesTheKeysAndFieldsThePythonToolReads) {
    auto backend = std::make_shared<wp::RedisBackend>(server_options());
    Raw raw;
    const std::string jobid = new_id("layout");
    const std::string meta = jobid + "-metadata", parts = jobid + "-parts";

    backend->set_total(jobid, 3);
    EXPECT_EQ(raw.str({"TYPE", meta}), "hash");
    EXPECT_EQ(raw.str({"TYPE", parts}), "set");
    EXPECT_EQ(raw.hgetall(meta), (std::map<std::string, std::string>{{"total", "3"}}));
    EXPECT_EQ(raw.smembers(parts), (std::set<std::string>{"0", "1", "2"}));
    EXPECT_EQ(raw.integer({"TTL", meta}), -1);
    EXPECT_EQ(raw.integer({"TTL", parts}), -1);
    EXPECT_TRUE(raw.keys_matching(jobid + "-parts-tmp-*").empty());  // the temporary key was renamed

    backend->set_metadata(jobid, {{"name", "tiles"}, {"zoom", 12}, {"ratio", 0.5}, {"on", true},
                                  {"none", nullptr}, {"bbox", {1, 2, 3, 4}}, {"nested", {{"a", "b"}}}});
    EXPECT_EQ(raw.hgetall(meta), (std::map<std::string, std::string>{{"total", "3"},
                                                                       {"name", "tiles"},
                                                                       {"zoom", "12"},
                                                                       {"ratio", "0.5"},
                                                                       {"on", "true"},
                                                                       {"none", "null"},
                                                                       {"bbox", "[1,2,3,4]"},
                                                                       {"nested", R"({"a":"b"})"}}));

    EXPECT_FALSE(backend->complete_part(jobid, 1));
    EXPECT_EQ(raw.smembers(parts), (std::set<std::string>{"0", "2"}));
    EXPECT_FALSE(backend->complete_part_and_claim_reduce(jobid, 0).reduce_claimed());
    const wp::CompletionResult last = backend->complete_part_and_claim_reduce(jobid, 2);
    EXPECT_TRUE(last.job_complete);
    ASSERT_TRUE(last.reduce_claimed());
    EXPECT_EQ(raw.integer({"EXISTS", parts}), 0);  // Redis drops the empty set
    EXPECT_EQ(raw.hgetall(meta).at("reduce_message_sent"), "True");
    EXPECT_EQ(raw.str({"HGET", jobid + "-reduce-claim", "token"}), *last.reduce_claim);
    backend->release_reduce(jobid, *last.reduce_claim);
    EXPECT_EQ(raw.hgetall(meta).count("reduce_message_sent"), 0u);

    const std::string failing = new_id("layout-failed");
    backend->set_total(failing, 2);
    backend->fail_job(failing, "bad input in part 1");
    const auto fields = raw.hgetall(failing + "-metadata");
    EXPECT_EQ(fields.at("failed"), "1");
    EXPECT_EQ(fields.at("error"), "bad input in part 1");

    EXPECT_TRUE(backend->delete_job(jobid));
    EXPECT_TRUE(backend->delete_job(failing));
    EXPECT_EQ(raw.integer({"EXISTS", meta, parts, jobid + "-reduce-claim"}), 0);
    EXPECT_FALSE(backend->delete_job(jobid));
}

TEST(RedisLayout, JobWrittenWithPlainCommandsLikeThePythonToolIsReadableAndCompletable) {
    auto backend = std::make_shared<wp::RedisBackend>(server_options());
    Raw raw;
    const std::string jobid = new_id("python");
    const std::string meta = jobid + "-metadata", parts = jobid + "-parts";
    constexpr int kTotal = 40;
    // What watchbot_progress (Python) does: hset total, sadd the part ids, hset metadata fields.
    raw.integer({"HSET", meta, "total", std::to_string(kTotal)});
    rd::Args sadd{"SADD", parts};
    for (int i = 0; i < kTotal; ++i) sadd.push_back(std::to_string(i));
    EXPECT_EQ(raw.integer(sadd), kTotal);
    raw.integer({"HSET", meta, "name", "python job"});
    raw.integer({"HSET", meta, "zoom", "14"});

    wp::JobStatus s = backend->status(jobid);
    EXPECT_EQ(s.total, kTotal);
    EXPECT_EQ(s.remaining, kTotal);
    EXPECT_DOUBLE_EQ(s.progress, 0.0);
    EXPECT_FALSE(s.failed);
    EXPECT_FALSE(s.reduce_sent);
    EXPECT_EQ(s.metadata, (nlohmann::json{{"name", "python job"}, {"zoom", 14}}));
    EXPECT_FALSE(backend->part_complete(jobid, 7));
    EXPECT_EQ(backend->list_pending_parts(jobid).size(), static_cast<std::size_t>(kTotal));

    // Every part delivered twice, from 8 threads: exactly one reduce claim.
    std::atomic<int> claims{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kTotal; ++i) {
                if (i % 4 != t % 4) continue;
                if (backend->complete_part_and_claim_reduce(jobid, i).reduce_claimed()) ++claims;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(claims.load(), 1);
    EXPECT_EQ(raw.str({"HGET", meta, "reduce_message_sent"}), "True");
    s = backend->status(jobid);
    EXPECT_EQ(s.remaining, 0);
    EXPECT_TRUE(s.reduce_sent);
    EXPECT_DOUBLE_EQ(s.progress, 1.0);
    EXPECT_FALSE(backend->complete_part_and_claim_reduce(jobid, 3).reduce_claimed());  // late duplicate

    // The Python tool's own failure fields read back as a failed job.
    const std::string failed = new_id("python-failed");
    raw.integer({"HSET", failed + "-metadata", "total", "2"});
    raw.integer({"SADD", failed + "-parts", "0", "1"});
    raw.integer({"HSET", failed + "-metadata", "failed", "1"});
    raw.integer({"HSET", failed + "-metadata", "error", "7"});
    s = backend->status(failed);
    EXPECT_TRUE(s.failed);
    EXPECT_EQ(s.reason, std::optional<std::string>("7"));
    EXPECT_FALSE(backend->claim_reduce(failed));
    backend->delete_job(jobid);
    backend->delete_job(failed);
}

TEST(RedisLayout, MetadataDecodingRulesIncludingTheLossyCase) {
    auto backend = std::make_shared<wp::RedisBackend>(server_options());
    Raw raw;
    const std::string jobid = new_id("decode");
    backend->set_total(jobid, 1);
    backend->set_metadata(jobid, {{"s", "plain"}, {"n", 3}, {"looks_numeric", "12"}, {"quoted", "\"q\""},
                                  {"empty", ""}, {"obj", {{"k", {1, "x"}}}}});
    raw.integer({"HSET", jobid + "-metadata", "python_bool", "True"});
    const nlohmann::json m = backend->status(jobid).metadata;
    EXPECT_EQ(m.at("s"), "plain");
    EXPECT_EQ(m.at("n"), 3);
    EXPECT_EQ(m.at("looks_numeric"), 12);  // documented: a JSON-looking string comes back as JSON
    EXPECT_EQ(m.at("quoted"), "\"q\"");    // text that parses as a JSON string stays the raw text
    EXPECT_EQ(m.at("empty"), "");
    EXPECT_EQ(m.at("obj"), (nlohmann::json{{"k", {1, "x"}}}));
    EXPECT_EQ(m.at("python_bool"), "True");
    // Merge keeps other keys.
    backend->set_metadata(jobid, {{"s", "changed"}});
    EXPECT_EQ(backend->status(jobid).metadata.at("n"), 3);
    EXPECT_EQ(backend->status(jobid).metadata.at("s"), "changed");
    backend->delete_job(jobid);
}

TEST(RedisLayout, ReservedFieldNamesAreRefusedAsMetadataKeys) {
    auto backend = std::make_shared<wp::RedisBackend>(server_options());
    Raw raw;
    const std::string jobid = new_id("reserved");
    backend->set_total(jobid, 2);
    for (const char* key : {"total", "failed", "error", "reduce_message_sent"}) {
        SCOPED_TRACE(key);
        EXPECT_THROW(backend->set_metadata(jobid, {{"ok", 1}, {key, "x"}}), wp::InvalidInput);
    }
    EXPECT_EQ(raw.hgetall(jobid + "-metadata"), (std::map<std::string, std::string>{{"total", "2"}}));  // nothing written
    EXPECT_THROW(backend->set_metadata(jobid, {{"bad", std::string("\xff\xfe")}}), wp::InvalidInput);
    backend->delete_job(jobid);
}

TEST(RedisLayout, OverwriteResetsBookkeepingKeepsMetadata) {
    auto backend = std::make_shared<wp::RedisBackend>(server_options());
    Raw raw;
    const std::string jobid = new_id("overwrite");
    backend->set_total(jobid, 2);
    backend->set_metadata(jobid, {{"keep", "me"}});
    backend->complete_part(jobid, 0);
    EXPECT_TRUE(backend->complete_part_and_claim_reduce(jobid, 1).reduce_claimed());
    backend->fail_job(jobid, "boom");
    EXPECT_THROW(backend->set_total(jobid, 5), wp::InvalidInput);
    backend->set_total(jobid, 5, /*overwrite=*/true);
    EXPECT_EQ(raw.hgetall(jobid + "-metadata"), (std::map<std::string, std::string>{{"total", "5"}, {"keep", "me"}}));
    EXPECT_EQ(raw.smembers(jobid + "-parts"), (std::set<std::string>{"0", "1", "2", "3", "4"}));
    // The claim record keeps only the progress and creation times: no token, claim time or confirmation.
    const auto record = raw.hgetall(jobid + "-reduce-claim");
    EXPECT_EQ(record.size(), 2u);
    EXPECT_EQ(record.count("updated"), 1u);
    EXPECT_EQ(record.count("created"), 1u);
    const wp::JobStatus s = backend->status(jobid);
    EXPECT_FALSE(s.failed);
    EXPECT_FALSE(s.reduce_sent);
    EXPECT_EQ(s.remaining, 5);
    backend->delete_job(jobid);
}

// ---------------------------------------------------------------------------------------------
// Behaviour specific to the Redis backend

TEST(RedisBackend, UnknownJobNeverCreatesKeys) {
    auto backend = std::make_shared<wp::RedisBackend>(server_options());
    Raw raw;
    const std::string jobid = new_id("unknown");
    EXPECT_THROW(backend->complete_part(jobid, 0), wp::JobDoesNotExist);
    EXPECT_THROW(backend->complete_part_and_claim_reduce(jobid, 0), wp::JobDoesNotExist);
    EXPECT_THROW(backend->claim_reduce(jobid), wp::JobDoesNotExist);
    EXPECT_THROW(backend->release_reduce(jobid, "token"), wp::JobDoesNotExist);
    EXPECT_THROW(backend->fail_job(jobid, "x"), wp::JobDoesNotExist);
    EXPECT_THROW(backend->set_metadata(jobid, {{"a", 1}}), wp::JobDoesNotExist);
    EXPECT_THROW(backend->set_metadata(jobid, nlohmann::json::object()), wp::JobDoesNotExist);
    EXPECT_THROW(backend->part_complete(jobid, 0), wp::JobDoesNotExist);
    EXPECT_THROW(backend->list_pending_parts(jobid), wp::JobDoesNotExist);
    EXPECT_THROW(backend->status(jobid), wp::JobDoesNotExist);
    EXPECT_EQ(raw.integer({"EXISTS", jobid + "-metadata", jobid + "-parts", jobid + "-reduce-claim"}), 0);
    EXPECT_TRUE(raw.keys_matching(jobid + "*").empty());
}

TEST(RedisBackend, ScriptsAreReloadedAfterScriptFlush) {
    auto backend = std::make_shared<wp::RedisBackend>(server_options());
    Raw raw;
    const std::string jobid = new_id("noscript");
    backend->set_total(jobid, 3);
    EXPECT_FALSE(backend->complete_part(jobid, 0));  // scripts loaded
    EXPECT_EQ(raw.str({"SCRIPT", "FLUSH"}), "OK");
    EXPECT_FALSE(backend->complete_part(jobid, 1));  // NOSCRIPT, reloaded, run once
    EXPECT_EQ(backend->status(jobid).remaining, 1);
    raw.str({"SCRIPT", "FLUSH"});
    const wp::CompletionResult r = backend->complete_part_and_claim_reduce(jobid, 2);
    EXPECT_TRUE(r.job_complete);
    EXPECT_TRUE(r.reduce_claimed());
    raw.str({"SCRIPT", "FLUSH"});
    EXPECT_FALSE(backend->claim_reduce(jobid));
    backend->delete_job(jobid);
}

TEST(RedisBackend, ReconnectsAfterTheServerDropsEveryConnection) {
    wp::RedisOptions options = server_options();
    options.pool_size = 4;
    options.reconnect_attempts = 1;  // the pool drops all idle connections at once, so one retry is enough
    auto backend = std::make_shared<wp::RedisBackend>(options);
    Raw raw;
    const std::string jobid = new_id("reconnect");
    backend->set_total(jobid, 6);
    // Open several pooled connections.
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 20; ++i) backend->status(jobid);
        });
    }
    for (auto& t : threads) t.join();

    EXPECT_GE(raw.integer({"CLIENT", "KILL", "TYPE", "normal"}), 1);  // every client but this one
    EXPECT_FALSE(backend->complete_part(jobid, 0));
    EXPECT_GE(raw.integer({"CLIENT", "KILL", "TYPE", "normal"}), 1);
    EXPECT_EQ(backend->list_pending_parts(jobid), (std::vector<wp::PartId>{1, 2, 3, 4, 5}));  // a pipeline
    raw.integer({"CLIENT", "KILL", "TYPE", "normal"});
    std::vector<char> claimed(6, 0);
    threads.clear();
    for (int p = 1; p < 6; ++p) {
        threads.emplace_back([&, p] { claimed[p] = backend->complete_part_and_claim_reduce(jobid, p).reduce_claimed(); });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(std::count(claimed.begin(), claimed.end(), 1), 1);
    raw.integer({"CLIENT", "KILL", "TYPE", "normal"});
    EXPECT_TRUE(backend->delete_job(jobid));

    // A large pipelined write on a connection the server closed: the write fails with EPIPE (the
    // SIGPIPE it raises must not kill the process) and is retried on a fresh connection.
    const std::string big = new_id("reconnect-big");
    EXPECT_THROW(backend->status(big), wp::JobDoesNotExist);  // a pooled connection is open
    raw.integer({"CLIENT", "KILL", "TYPE", "normal"});
    backend->set_total(big, 200'000, /*overwrite=*/true);  // no existence pre-check: the pipeline goes first
    EXPECT_EQ(raw.integer({"SCARD", big + "-parts"}), 200'000);
    EXPECT_TRUE(backend->delete_job(big));

    // Without retries the killed connection shows: a retryable ConnectionError, then the next call
    // opens a fresh connection.
    wp::RedisOptions no_retry = server_options();
    no_retry.reconnect_attempts = 0;
    wp::RedisBackend fragile(no_retry);
    EXPECT_THROW(fragile.status(jobid), wp::JobDoesNotExist);  // connected
    raw.integer({"CLIENT", "KILL", "TYPE", "normal"});
    try {
        fragile.status(jobid);
        ADD_FAILURE() << "the killed connection went unnoticed";
    } catch (const wp::BackendError& e) {
        EXPECT_EQ(e.code(), "ConnectionError") << e.what();
        EXPECT_TRUE(e.retryable());
    }
    EXPECT_THROW(fragile.status(jobid), wp::JobDoesNotExist);
}

TEST(RedisBackend, UnreachableServerIsARetryableConnectionError) {
    wp::RedisOptions options;
    options.host = "127.0.0.1";
    options.port = unused_port();
    options.password = "hunter2SECRET";
    options.reconnect_attempts = 2;
    options.reconnect_backoff = std::chrono::milliseconds(1);
    wp::RedisBackend backend(options);  // connects lazily: constructing does not throw
    try {
        backend.status("some-job");
        ADD_FAILURE() << "no error";
    } catch (const wp::BackendError& e) {
        EXPECT_EQ(e.code(), "ConnectionError");
        EXPECT_TRUE(e.retryable());
        const std::string message = e.what();
        EXPECT_NE(message.find("127.0.0.1:" + std::to_string(options.port)), std::string::npos) << message;
        EXPECT_NE(message.find("3 attempts"), std::string::npos) << message;
        EXPECT_EQ(message.find("hunter2SECRET"), std::string::npos) << message;
    }
}

TEST(RedisBackend, CommandTimeoutsAreRetriedOnFreshConnections) {
    Raw raw;
    const std::string jobid = new_id("timeout");
    {
        wp::RedisBackend setup(server_options());
        setup.set_total(jobid, 2);
        setup.complete_part(jobid, 0);
    }
    wp::RedisOptions impatient = server_options();
    impatient.command_timeout = std::chrono::milliseconds(100);
    impatient.reconnect_attempts = 0;
    wp::RedisBackend gives_up(impatient);
    wp::RedisOptions patient = impatient;
    patient.reconnect_attempts = 100;  // 100 x (100 ms + 20 ms) outlasts the pause
    patient.reconnect_backoff = std::chrono::milliseconds(20);
    wp::RedisBackend retries(patient);
    gives_up.status(jobid);  // connected, scripts loaded
    retries.status(jobid);

    // The server answers no client for 2 s from the moment it answers this command, so the next
    // call times out however late this thread gets to run (20 times its 100 ms timeout).
    EXPECT_EQ(raw.str({"CLIENT", "PAUSE", "2000", "ALL"}), "OK");
    try {
        gives_up.status(jobid);
        ADD_FAILURE() << "no timeout";
    } catch (const wp::BackendError& e) {
        EXPECT_EQ(e.code(), "ConnectionError") << e.what();
        EXPECT_TRUE(e.retryable());
    }
    // Timed-out attempts of this call may still run on the server after the pause: the token makes
    // every repeat of the claim answer the same.
    const wp::CompletionResult r = retries.complete_part_and_claim_reduce(jobid, 1);
    EXPECT_TRUE(r.job_complete);
    EXPECT_TRUE(r.reduce_claimed());
    EXPECT_FALSE(retries.claim_reduce(jobid));
    EXPECT_FALSE(gives_up.complete_part_and_claim_reduce(jobid, 1).reduce_claimed());
    retries.delete_job(jobid);
}

TEST(RedisBackend, ErrorRepliesCarryTheRedisErrorCode) {
    auto backend = std::make_shared<wp::RedisBackend>(server_options());
    Raw raw;
    const std::string jobid = new_id("wrongtype");
    raw.str({"SET", jobid + "-metadata", "not a hash"});
    for (int which = 0; which < 2; ++which) {
        try {
            if (which == 0) backend->status(jobid);
            if (which == 1) backend->complete_part(jobid, 0);
            ADD_FAILURE() << "no error";
        } catch (const wp::BackendError& e) {
            EXPECT_EQ(e.code(), "WRONGTYPE") << e.what();
            EXPECT_FALSE(e.retryable());
        }
    }
    raw.integer({"DEL", jobid + "-metadata"});
}

TEST(RedisBackend, AuthenticatesWithUsernameAndPasswordAndSelectsTheDatabase) {
    Raw raw;
    const std::string user = "wp-test-" + wp::new_jobid().substr(0, 8);
    const std::string password = "pw-" + wp::new_jobid();
    ASSERT_EQ(raw.str({"ACL", "SETUSER", user, "on", ">" + password, "~*", "+@all"}), "OK");

    wp::RedisOptions options = server_options();
    options.username = user;
    options.password = password;
    options.db = 3;
    wp::RedisBackend backend(options);
    const std::string jobid = new_id("auth");
    backend.set_total(jobid, 2);
    EXPECT_EQ(raw.integer({"EXISTS", jobid + "-metadata"}), 0);  // not in db 0
    wp::RedisOptions db3 = server_options();
    db3.db = 3;
    Raw raw3(db3);
    EXPECT_EQ(raw3.str({"HGET", jobid + "-metadata", "total"}), "2");
    EXPECT_TRUE(backend.delete_job(jobid));

    options.password = "wrong-" + password;
    wp::RedisBackend refused(options);
    try {
        refused.status(jobid);
        ADD_FAILURE() << "no error";
    } catch (const wp::BackendError& e) {
        EXPECT_EQ(e.code(), "WRONGPASS") << e.what();
        EXPECT_FALSE(e.retryable());
        EXPECT_EQ(std::string(e.what()).find(password), std::string::npos) << e.what();
    }
    raw.integer({"ACL", "DELUSER", user});
}

TEST(RedisBackend, ListJobsSkipsKeysThatAreNotJobs) {
    auto backend = std::make_shared<wp::RedisBackend>(server_options());
    Raw raw;
    const std::string prefix = new_id("list");
    std::set<std::string> created;
    for (int i = 0; i < 5; ++i) {
        created.insert(prefix + "-" + std::to_string(i));
        backend->set_total(prefix + "-" + std::to_string(i), 2);
    }
    raw.str({"SET", prefix + "-string-metadata", "x"});                // not a hash
    raw.integer({"HSET", prefix + "-nototal-metadata", "name", "x"});  // a hash without total
    std::set<std::string> seen;
    backend->list_jobs([&](const wp::JobStatus& s) {
        if (s.jobid.rfind(prefix, 0) == 0) {
            EXPECT_TRUE(seen.insert(s.jobid).second) << s.jobid;
        }
    });
    EXPECT_EQ(seen, created);
    for (const auto& jobid : created) backend->delete_job(jobid);
    raw.integer({"DEL", prefix + "-string-metadata", prefix + "-nototal-metadata"});
}

TEST(RedisBackend, DeleteWhenDoneExpiresTheKeysOnceTheReduceIsClaimed) {
    wp::RedisOptions options = server_options();
    options.delete_when_done = true;
    options.done_ttl = std::chrono::seconds(120);
    auto backend = std::make_shared<wp::RedisBackend>(options);
    Raw raw;
    const std::string jobid = new_id("ttl");
    const std::string meta = jobid + "-metadata";
    backend->set_total(jobid, 2);
    EXPECT_FALSE(backend->complete_part_and_claim_reduce(jobid, 0).reduce_claimed());
    EXPECT_EQ(raw.integer({"TTL", meta}), -1);
    const auto claim = backend->complete_part_and_claim_reduce(jobid, 1).reduce_claim;
    EXPECT_TRUE(claim);
    const long long ttl = raw.integer({"TTL", meta});
    EXPECT_GT(ttl, 0);
    EXPECT_LE(ttl, 120);
    // A late duplicate within the TTL still sees the complete, claimed job.
    const wp::CompletionResult late = backend->complete_part_and_claim_reduce(jobid, 0);
    EXPECT_TRUE(late.job_complete);
    EXPECT_FALSE(late.reduce_claimed());
    // Releasing the claim (the reduce could not be sent) keeps the job.
    backend->release_reduce(jobid, claim.value_or(""));
    EXPECT_EQ(raw.integer({"TTL", meta}), -1);
    EXPECT_TRUE(backend->claim_reduce(jobid));
    EXPECT_GT(raw.integer({"TTL", meta}), 0);
    backend->set_total(jobid, 1, /*overwrite=*/true);  // a rewritten job no longer expires
    EXPECT_EQ(raw.integer({"TTL", meta}), -1);
    // No claim before the last part completes; completed without a claim, the job does not expire
    // yet (its reduce is still to be sent); the claim starts the expiry.
    EXPECT_FALSE(backend->claim_reduce(jobid));
    EXPECT_TRUE(backend->complete_part(jobid, 0));
    EXPECT_EQ(raw.integer({"TTL", meta}), -1);
    EXPECT_TRUE(backend->claim_reduce(jobid));
    EXPECT_GT(raw.integer({"TTL", meta}), 0);
    backend->delete_job(jobid);
}

TEST(RedisBackend, LargeSetTotalIsChunkedAndComplete) {
    auto backend = std::make_shared<wp::RedisBackend>(server_options());
    Raw raw;
    const std::string jobid = new_id("large");
    constexpr std::int64_t kTotal = 250'000;
    const auto start = std::chrono::steady_clock::now();
    backend->set_total(jobid, kTotal);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    std::cout << "[ info     ] set_total(250,000) took "
              << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms\n";  // a figure, not a check
    EXPECT_EQ(raw.str({"HGET", jobid + "-metadata", "total"}), "250000");
    EXPECT_EQ(raw.integer({"SCARD", jobid + "-parts"}), kTotal);
    EXPECT_EQ(raw.integer({"SISMEMBER", jobid + "-parts", "249999"}), 1);
    EXPECT_TRUE(raw.keys_matching(jobid + "-parts-tmp-*").empty());
    const wp::JobStatus s = backend->status(jobid);
    EXPECT_EQ(s.total, kTotal);
    EXPECT_EQ(s.remaining, kTotal);
    backend->complete_part(jobid, 12345);
    const std::vector<wp::PartId> pending = backend->list_pending_parts(jobid);  // many SSCAN pages
    ASSERT_EQ(pending.size(), static_cast<std::size_t>(kTotal - 1));
    EXPECT_TRUE(std::is_sorted(pending.begin(), pending.end()));
    EXPECT_EQ(pending.front(), 0);
    EXPECT_EQ(pending.back(), kTotal - 1);
    EXPECT_EQ(std::count(pending.begin(), pending.end(), 12345), 0);
    // Refused before any part is written.
    EXPECT_THROW(backend->set_total(jobid, kTotal), wp::InvalidInput);
    EXPECT_TRUE(raw.keys_matching(jobid + "-parts-tmp-*").empty());
    backend->delete_job(jobid);
}

TEST(RedisBackend, ConcurrentCallersShareASmallPool) {
    wp::RedisOptions options = server_options();
    options.pool_size = 2;
    auto backend = std::make_shared<wp::RedisBackend>(options);
    const std::string jobid = new_id("pool");
    constexpr int kTotal = 200;
    backend->set_total(jobid, kTotal);
    std::atomic<int> claims{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 10; ++t) {
        threads.emplace_back([&, t] {
            for (int i = t; i < kTotal; i += 5) {  // every part twice
                if (backend->complete_part_and_claim_reduce(jobid, i).reduce_claimed()) ++claims;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(claims.load(), 1);
    EXPECT_EQ(backend->status(jobid).remaining, 0);
    backend->delete_job(jobid);
}

}  // namespace
