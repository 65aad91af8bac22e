#pragma once
// A misbehaving HTTP/1.1 proxy for fault-injection tests: listens on 127.0.0.1 (an ephemeral port),
// forwards every request to an upstream server (dynalite, fauxqs) and, for a chosen share of the
// requests, injects one fault instead of answering normally:
//
//   kDropBeforeForward  closes the client's connection without answering; nothing reached upstream
//   kDropAfterForward   forwards the request, reads upstream's answer, then closes the client's
//                       connection without it: the write happened but its answer was lost. (On a
//                       kept-alive connection libcurl resends a request that got no byte back on
//                       a fresh connection by itself, up to 5 times, before the caller sees an
//                       error: most of these faults never reach the library's retry loop.)
//   kTruncateAfterForward  forwards the request, then sends upstream's head and half of its body
//                       and closes the connection: the answer was lost after the write, and as
//                       some bytes arrived libcurl reports the error instead of resending
//   kServerError        answers HTTP 500 in the service's format (DynamoDB: InternalServerError;
//                       SNS: InternalFailure); nothing reached upstream
//   kThrottle           answers HTTP 400 with a throttling error (DynamoDB: ThrottlingException or
//                       ProvisionedThroughputExceededException, alternately; SNS: Throttling);
//                       nothing reached upstream
//   kDelay              forwards the request, then holds upstream's answer for `delay` before
//                       sending it (set delay past the client's request timeout: the client gives
//                       up, and the write happened)
//
// Which request gets which fault is drawn from a std::mt19937_64 seeded with `seed`, in the order
// requests arrive: the sequence of decisions is fixed, which request meets each one depends on
// thread scheduling. Faults can be aimed: with `match` set, only requests whose raw text (head and
// body) contains it can get one, and `max_faults` caps the faults injected in all.
//
// Client side: keep-alive, requests served in order on each connection (what libcurl's pooled
// handles do); requests must carry Content-Length (no chunked request bodies). Upstream side: one
// kept-alive upstream connection per client connection, opened again when it has been idle for
// more than a second (Node servers close idle connections after 5 s). Upstream answers are relayed
// byte for byte (Content-Length, chunked or close-delimited bodies). When upstream cannot be reached
// or breaks off, the client's connection is closed and upstream_errors counts it (it should stay 0).
//
// Thread safety: every public method may be called from any thread. One thread accepts, one thread
// serves each client connection. The destructor stops the proxy and joins every thread.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace wp_test {

enum class FaultKind : int {
    kDropBeforeForward = 0,
    kDropAfterForward,
    kServerError,
    kThrottle,
    kDelay,
    kTruncateAfterForward,
};
inline constexpr std::size_t kFaultKindCount = 6;

// "drop-before-forward", "drop-after-forward", "server-error", "throttle", "delay", "truncate-after-forward".
const char* fault_kind_name(FaultKind kind);

// The port of an http://127.0.0.1:PORT endpoint (what tools/services.sh exports). Throws
// std::runtime_error for anything else.
int loopback_endpoint_port(const std::string& endpoint);

// The error format of the fake answers.
enum class FaultDialect {
    kDynamoDbJson,  // JSON 1.0: {"__type": "com.amazonaws.dynamodb.v20120810#Code", "message": ...}
    kSnsXml,        // query protocol: <ErrorResponse><Error><Type/><Code/><Message/></Error>...
};

struct FaultProxyOptions {
    std::string upstream_host = "127.0.0.1";
    int upstream_port = 0;
    FaultDialect dialect = FaultDialect::kDynamoDbJson;
    std::vector<FaultKind> kinds;   // the kinds to inject, one drawn uniformly per faulted request
    double rate = 0.1;              // share of requests that get a fault, 0 .. 1
    std::uint64_t seed = 1;
    std::chrono::milliseconds delay{1500};  // kDelay: how long the answer is held
    std::string match;              // non-empty: only requests containing this text get faults
    std::uint64_t max_faults = 0;   // faults injected at most; 0: no limit
};

// What the proxy saw, since it started.
struct FaultCounts {
    std::uint64_t requests = 0;         // requests read from clients
    std::uint64_t forwarded = 0;        // requests sent upstream (kDropAfterForward and kDelay included)
    std::uint64_t answered = 0;         // answers written to clients in full (upstream's or fake ones)
    std::uint64_t connections = 0;      // client connections accepted
    std::uint64_t upstream_errors = 0;  // upstream unreachable or broke off (not injected)
    std::array<std::uint64_t, kFaultKindCount> faults{};  // faults injected, by FaultKind

    std::uint64_t total_faults() const;
    // One line: "requests=... forwarded=... drop-after-forward=... ...".
    std::string to_string() const;
};

class FaultProxy {
public:
    // Binds 127.0.0.1:0 and starts accepting. Throws std::runtime_error when it cannot, or when
    // the options are invalid (no upstream port, rate outside 0 .. 1, a rate without kinds).
    explicit FaultProxy(FaultProxyOptions options);
    ~FaultProxy();
    FaultProxy(const FaultProxy&) = delete;
    FaultProxy& operator=(const FaultProxy&) = delete;

    int port() const { return port_; }
    std::string base_url() const;  // "http://127.0.0.1:PORT"

    // Changes the fault rate for requests arriving from now on (0 turns faults off).
    void set_rate(double rate);

    FaultCounts counts() const;

    // Stops accepting, closes every connection and joins the threads. Idempotent.
    void stop();

private:
    struct Connection;
    void accept_loop();
    void serve(Connection& connection);
    // The fault for `request` (its raw text), or -1 for none.
    int draw_fault(const std::string& request);
    std::string fake_answer(FaultKind kind, std::uint64_t request_number) const;

    const FaultProxyOptions options_;
    int listen_fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stopping_{false};
    std::thread acceptor_;

    mutable std::mutex mutex_;  // guards everything below
    std::mt19937_64 rng_;
    double rate_;
    FaultCounts counts_;
    std::list<std::unique_ptr<Connection>> connections_;
};

}  // namespace wp_test
