#pragma once
// Private to the Redis backend: the byte stream a Connection speaks RESP over. hiredis 0.14 (Debian
// 12) has no TLS, so the backend keeps hiredis's command formatter and reply parser (redisReader)
// and does its own I/O here: a TCP socket, or the same socket inside an OpenSSL TLS session.
//
// A Transport is used by one thread at a time. Failures of the stream (refused, reset, EOF,
// timeout, a TLS alert) throw ConnectionLost; what() says what failed and never holds a password.
// Writes never raise SIGPIPE (send with MSG_NOSIGNAL; TLS writes with SIGPIPE blocked).

#include <chrono>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "watchbot_progress/redis_options.hpp"

namespace watchbot_progress::detail::redis {

// The connection failed; it must be discarded. what() describes the failure (never a password).
class ConnectionLost : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// "host:port" for messages (IPv6 hosts in brackets).
std::string endpoint(const RedisOptions& options);

// The TLS settings every connection of one backend shares (an OpenSSL SSL_CTX): the trusted CAs
// (RedisTlsOptions::ca_file, else OpenSSL's defaults: SSL_CERT_FILE, SSL_CERT_DIR, the system
// store), peer verification on, TLS 1.2 at least, and the client certificate and key when given.
// Thread-safe once built.
class TlsContext {
public:
    // Throws ConfigError naming the file (never its contents) when a CA file, certificate or key
    // cannot be read, or the key does not match the certificate.
    explicit TlsContext(const RedisTlsOptions& tls);
    ~TlsContext();
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;

    struct Native;
    Native& native() const noexcept { return *native_; }

private:
    std::unique_ptr<Native> native_;
};

class Transport {
public:
    virtual ~Transport() = default;

    // Connects to options.host:options.port (every address the name resolves to, in turn) within
    // options.connect_timeout (0: no limit), with TCP_NODELAY. With `tls`, then runs the TLS
    // handshake (within the same time limit), sending options.host as SNI (unless it is an IP
    // address) and verifying the server's certificate chain and that the certificate is for
    // options.host (its DNS name or IP address). Throws ConnectionLost when the server cannot be
    // reached or the handshake is cut off, BackendError("TlsError", not retryable) when the
    // handshake fails on the certificate (untrusted, expired, for another host) or the protocol.
    static std::unique_ptr<Transport> open(const RedisOptions& options, const TlsContext* tls);

    // Writes all of `data`; each wait for the socket is at most options.command_timeout (0: none).
    virtual void write_all(std::string_view data) = 0;
    // Reads at least one byte into buf (up to size): the count. Waits at most command_timeout.
    virtual std::size_t read_some(char* buf, std::size_t size) = 0;
};

}  // namespace watchbot_progress::detail::redis
