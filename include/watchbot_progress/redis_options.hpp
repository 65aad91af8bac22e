#pragma once
// How RedisBackend (redis_backend.hpp) connects: the server, authentication, pooling, retries, TLS
// and expiry of finished jobs. RedisBackend::parse_uri builds these from a redis[s]:// URI.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "watchbot_progress/backend.hpp"  // WallClock

namespace watchbot_progress {

// TLS to the server (rediss://). The server's certificate chain is always verified, and so is that
// the certificate names the host connected to (RedisOptions::host: a DNS name, matched against the
// certificate's DNS names and sent as SNI, or an IP address, matched against its IP addresses).
// Debian 12's hiredis 0.14 has no TLS: the backend runs hiredis's reply parser over an OpenSSL
// session of its own (TLS 1.2 or newer).
struct RedisTlsOptions {
    bool enabled = false;
    // PEM file of the CAs to trust. Empty: OpenSSL's defaults, i.e. the file in SSL_CERT_FILE and the
    // directory in SSL_CERT_DIR when set, else the system's store (/etc/ssl/certs on Debian).
    std::string ca_file;
    // Client certificate (PEM, may hold the chain) and its unencrypted private key (PEM), for a
    // server started with tls-auth-clients. An empty key_file reads the key from cert_file.
    std::string cert_file;
    std::string key_file;
};

struct RedisOptions {
    std::string host = "127.0.0.1";
    int port = 6379;
    int db = 0;  // SELECTed on every new connection
    // AUTH on every new connection: `AUTH password`, or `AUTH username password` (Redis 6 ACLs)
    // when username is set too. A username without a password is ignored.
    std::optional<std::string> username;
    std::optional<std::string> password;
    std::chrono::milliseconds connect_timeout{2000};  // 0: none
    std::chrono::milliseconds command_timeout{5000};  // per command or pipeline read; 0: none
    std::size_t pool_size = 32;  // connections open at once at most (0 counts as 1)
    // When true, a job's keys are set to expire done_ttl after the job is complete and its reduce
    // has been claimed, instead of being kept forever. They are not deleted at once, so that a late
    // duplicate delivery of a part within done_ttl still finds the complete, claimed job (and sends
    // no second reduce) instead of JobDoesNotExist. release_reduce cancels the expiry. The default
    // TTL of 24 hours outlasts SQS's longest visibility timeout (12 hours) and watchbot's retries.
    // Late duplicates do not push the expiry back. A failed job is never claimed, so it is kept.
    bool delete_when_done = false;
    std::chrono::seconds done_ttl{24 * 60 * 60};
    // How many times a command is retried on a fresh connection after its connection failed
    // (so 1 + reconnect_attempts attempts at most), waiting reconnect_backoff, then twice that, ...
    // (capped at 1 s) between attempts.
    int reconnect_attempts = 3;
    std::chrono::milliseconds reconnect_backoff{50};
    // rediss:// sets tls.enabled. The files are read when the backend is constructed.
    RedisTlsOptions tls;
    // The client's clock for claim times, leases and updated_at_ms (sent to the scripts as
    // arguments); empty: the system clock. Tests pass their own.
    WallClock clock;
};

}  // namespace watchbot_progress
