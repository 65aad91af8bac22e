#include "backends/redis/redis_transport.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "watchbot_progress/error_codes.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress::detail::redis {

struct TlsContext::Native {
    SSL_CTX* ctx = nullptr;
    ~Native() { SSL_CTX_free(ctx); }
};

namespace {

using SteadyClock = std::chrono::steady_clock;

std::string errno_text(int error) {
    char buffer[256];
    // GNU strerror_r: returns the message, which may or may not be in buffer.
    return ::strerror_r(error, buffer, sizeof buffer);
}

// The reason of the oldest error in OpenSSL's (per-thread) queue, which is then cleared.
std::string openssl_reason() {
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) return "unknown TLS error";
    const char* reason = ERR_reason_error_string(code);
    return reason != nullptr ? reason : "TLS error " + std::to_string(code);
}

class Socket {
public:
    explicit Socket(int fd) noexcept : fd_(fd) {}
    ~Socket() {
        if (fd_ >= 0) ::close(fd_);
    }
    Socket(Socket&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    Socket& operator=(Socket&&) = delete;
    int get() const noexcept { return fd_; }

private:
    int fd_;
};

// Milliseconds left until `deadline` for poll (-1: no deadline; 0 once passed).
int poll_timeout(const std::optional<SteadyClock::time_point>& deadline) {
    if (!deadline) return -1;
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - SteadyClock::now()).count();
    return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

std::optional<SteadyClock::time_point> deadline_after(std::chrono::milliseconds timeout) {
    if (timeout.count() <= 0) return std::nullopt;
    return SteadyClock::now() + timeout;
}

// Waits until fd is ready for `events` (POLLIN or POLLOUT). False when the deadline passed first;
// true also for errors and hang-ups, which the next read or write reports.
bool wait_ready(int fd, short events, const std::optional<SteadyClock::time_point>& deadline) {
    for (;;) {
        pollfd p{fd, events, 0};
        const int n = ::poll(&p, 1, poll_timeout(deadline));
        if (n > 0) return true;
        if (n == 0) return false;
        if (errno != EINTR) return true;
    }
}

std::string timeout_text(std::string_view doing, std::chrono::milliseconds timeout) {
    return "timed out " + std::string(doing) + " (after " + std::to_string(timeout.count()) + " ms)";
}

// A non-blocking TCP connection to host:port, trying each address in turn.
Socket connect_tcp(const RedisOptions& options) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(options.port);
    if (const int rc = ::getaddrinfo(options.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
        throw ConnectionLost("cannot resolve the host name: " + std::string(::gai_strerror(rc)));
    }
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, &::freeaddrinfo);
    const auto deadline = deadline_after(options.connect_timeout);
    std::string last_error = "no address";
    for (const addrinfo* a = addresses.get(); a != nullptr; a = a->ai_next) {
        Socket socket(::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol));
        if (socket.get() < 0) {
            last_error = errno_text(errno);
            continue;
        }
        if (::connect(socket.get(), a->ai_addr, a->ai_addrlen) != 0) {
            if (errno != EINPROGRESS) {
                last_error = errno_text(errno);
                continue;
            }
            if (!wait_ready(socket.get(), POLLOUT, deadline)) {
                last_error = timeout_text("connecting", options.connect_timeout);
                break;  // the time is spent: no other address gets any
            }
            int error = 0;
            socklen_t length = sizeof error;
            if (::getsockopt(socket.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
            if (error != 0) {
                last_error = errno_text(error);
                continue;
            }
        }
        const int one = 1;
        ::setsockopt(socket.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        return socket;
    }
    throw ConnectionLost(last_error);
}

// Blocks SIGPIPE in the calling thread while OpenSSL writes to the socket (it uses write(2), and
// writing to a connection the server has reset raises SIGPIPE, whose default action kills the
// process); one raised meanwhile is consumed before unblocking. The process's own SIGPIPE
// handling is left alone.
class SigpipeGuard {
public:
    SigpipeGuard() {
        sigemptyset(&sigpipe_);
        sigaddset(&sigpipe_, SIGPIPE);
        sigset_t pending;
        sigemptyset(&pending);
        was_pending_ = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
        blocked_ = pthread_sigmask(SIG_BLOCK, &sigpipe_, &previous_) == 0;
    }
    ~SigpipeGuard() {
        if (!blocked_) return;
        if (!was_pending_) {
            sigset_t pending;
            sigemptyset(&pending);
            if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
                const timespec no_wait{};
                while (sigtimedwait(&sigpipe_, nullptr, &no_wait) == -1 && errno == EINTR) {
                }
            }
        }
        pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
    }
    SigpipeGuard(const SigpipeGuard&) = delete;
    SigpipeGuard& operator=(const SigpipeGuard&) = delete;

private:
    sigset_t sigpipe_;
    sigset_t previous_;
    bool was_pending_ = false;
    bool blocked_ = false;
};

class PlainTransport final : public Transport {
public:
    PlainTransport(Socket socket, std::chrono::milliseconds timeout) : socket_(std::move(socket)), timeout_(timeout) {}

    void write_all(std::string_view data) override {
        while (!data.empty()) {
            const ssize_t n = ::send(socket_.get(), data.data(), data.size(), MSG_NOSIGNAL);
            if (n > 0) {
                data.remove_prefix(static_cast<std::size_t>(n));
            } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                if (!wait_ready(socket_.get(), POLLOUT, deadline_after(timeout_))) throw ConnectionLost(timeout_text("writing", timeout_));
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else {
                throw ConnectionLost(errno_text(errno));
            }
        }
    }

    std::size_t read_some(char* buf, std::size_t size) override {
        for (;;) {
            const ssize_t n = ::recv(socket_.get(), buf, size, 0);
            if (n > 0) return static_cast<std::size_t>(n);
            if (n == 0) throw ConnectionLost("the server closed the connection");
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (!wait_ready(socket_.get(), POLLIN, deadline_after(timeout_))) throw ConnectionLost(timeout_text("waiting for a reply", timeout_));
            } else if (errno != EINTR) {
                throw ConnectionLost(errno_text(errno));
            }
        }
    }

private:
    Socket socket_;
    std::chrono::milliseconds timeout_;
};

bool is_ip_address(const std::string& host) {
    in6_addr buffer{};
    return ::inet_pton(AF_INET, host.c_str(), &buffer) == 1 || ::inet_pton(AF_INET6, host.c_str(), &buffer) == 1;
}

class TlsTransport final : public Transport {
public:
    TlsTransport(Socket socket, const RedisOptions& options, const TlsContext& tls)
        : socket_(std::move(socket)), timeout_(options.command_timeout) {
        ssl_.reset(SSL_new(tls.native().ctx));
        if (!ssl_) throw ConnectionLost("cannot create a TLS session: " + openssl_reason());
        SSL_set_mode(ssl_.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        if (SSL_set_fd(ssl_.get(), socket_.get()) != 1) throw ConnectionLost("cannot attach TLS to the socket: " + openssl_reason());
        // The certificate must be for the host connected to: its IP address, or its DNS name (also
        // sent as SNI, which may not carry an address).
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl_.get());
        if (is_ip_address(options.host)) {
            X509_VERIFY_PARAM_set1_ip_asc(param, options.host.c_str());
        } else {
            X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            SSL_set_tlsext_host_name(ssl_.get(), options.host.c_str());
            SSL_set1_host(ssl_.get(), options.host.c_str());
        }
        handshake(options);
    }

    void write_all(std::string_view data) override {
        SigpipeGuard guard;
        while (!data.empty()) {
            ERR_clear_error();
            const int n = SSL_write(ssl_.get(), data.data(), static_cast<int>(std::min<std::size_t>(data.size(), 1 << 30)));
            if (n > 0) {
                data.remove_prefix(static_cast<std::size_t>(n));
                continue;
            }
            wait_or_fail(SSL_get_error(ssl_.get(), n), "writing");
        }
    }

    std::size_t read_some(char* buf, std::size_t size) override {
        SigpipeGuard guard;  // SSL_read writes too: alerts, key updates
        for (;;) {
            ERR_clear_error();
            const int n = SSL_read(ssl_.get(), buf, static_cast<int>(std::min<std::size_t>(size, 1 << 30)));
            if (n > 0) return static_cast<std::size_t>(n);
            wait_or_fail(SSL_get_error(ssl_.get(), n), "waiting for a reply");
        }
    }

private:
    // After an SSL_read/SSL_write that did not complete: waits for the socket as OpenSSL asks, or
    // throws ConnectionLost.
    void wait_or_fail(int error, std::string_view doing) {
        const int saved_errno = errno;
        switch (error) {
            case SSL_ERROR_WANT_READ:
            case SSL_ERROR_WANT_WRITE:
                if (!wait_ready(socket_.get(), error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline_after(timeout_))) {
                    throw ConnectionLost(timeout_text(doing, timeout_));
                }
                return;
            case SSL_ERROR_ZERO_RETURN:
                throw ConnectionLost("the server closed the TLS connection");
            case SSL_ERROR_SYSCALL:
                if (ERR_peek_error() != 0) throw ConnectionLost("TLS: " + openssl_reason());
                throw ConnectionLost(saved_errno != 0 ? errno_text(saved_errno) : "the server closed the connection");
            default: {
                std::string reason = openssl_reason();
                if (reason.find("certificate required") != std::string::npos) {
                    reason += " (the server requires a client certificate: give ?cert=PATH&key=PATH, RedisTlsOptions::cert_file)";
                }
                throw ConnectionLost("TLS: " + reason);
            }
        }
    }

    void handshake(const RedisOptions& options) {
        const auto deadline = deadline_after(options.connect_timeout);
        SigpipeGuard guard;
        for (;;) {
            ERR_clear_error();
            errno = 0;
            const int rc = SSL_connect(ssl_.get());
            if (rc == 1) return;
            const int error = SSL_get_error(ssl_.get(), rc);
            const int saved_errno = errno;
            if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
                if (!wait_ready(socket_.get(), error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) {
                    throw ConnectionLost(timeout_text("in the TLS handshake", options.connect_timeout));
                }
                continue;
            }
            const long verify = SSL_get_verify_result(ssl_.get());
            if (verify != X509_V_OK) refuse_certificate(options, verify);
            if (error == SSL_ERROR_SSL) {
                throw BackendError("the TLS handshake with Redis at " + endpoint(options) + " failed: " + openssl_reason() +
                                       ": check that the port is the server's TLS port (tls-port) and that it accepts "
                                       "TLS 1.2 or newer",
                                   std::string(error_code::kTls), false);
            }
            throw ConnectionLost("TLS handshake: " +
                                 (saved_errno != 0 ? errno_text(saved_errno) : std::string("the server closed the connection")));
        }
    }

    [[noreturn]] static void refuse_certificate(const RedisOptions& options, long verify) {
        ERR_clear_error();
        std::string message = "Redis at " + endpoint(options) + " refused over TLS: ";
        if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH) {
            message += "the server's certificate is not for '" + options.host +
                       "' (host name verification failed): connect with a host name or address the certificate names";
        } else {
            message += "the server's certificate could not be verified (" +
                       std::string(X509_verify_cert_error_string(verify)) +
                       "): give the CA that signed it with ?cacert=PATH (RedisTlsOptions::ca_file) or SSL_CERT_FILE";
        }
        throw BackendError(message, std::string(error_code::kTls), false);
    }

    Socket socket_;
    std::chrono::milliseconds timeout_;
    struct SslDeleter {
        void operator()(SSL* ssl) const noexcept { SSL_free(ssl); }
    };
    std::unique_ptr<SSL, SslDeleter> ssl_;  // freed also when the constructor throws
};

[[noreturn]] void bad_tls_file(std::string_view what, const std::string& path) {
    throw ConfigError("Redis TLS: cannot use the " + std::string(what) + " '" + path + "': " + openssl_reason() +
                      " (a PEM file is expected; encrypted private keys are not supported)");
}

}  // namespace

TlsContext::TlsContext(const RedisTlsOptions& tls) : native_(std::make_unique<Native>()) {
    ERR_clear_error();
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == nullptr) throw ConfigError("Redis TLS: cannot create an OpenSSL context: " + openssl_reason());
    native_->ctx = ctx;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    // Never prompt on the terminal for a key's pass phrase: an encrypted key fails to load instead.
    SSL_CTX_set_default_passwd_cb(ctx, [](char*, int, int, void*) { return 0; });
    if (!tls.ca_file.empty()) {
        if (SSL_CTX_load_verify_locations(ctx, tls.ca_file.c_str(), nullptr) != 1) bad_tls_file("CA file", tls.ca_file);
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        throw ConfigError("Redis TLS: cannot load OpenSSL's default CA certificates: " + openssl_reason());
    }
    if (!tls.cert_file.empty()) {
        if (SSL_CTX_use_certificate_chain_file(ctx, tls.cert_file.c_str()) != 1) bad_tls_file("client certificate", tls.cert_file);
        const std::string& key = tls.key_file.empty() ? tls.cert_file : tls.key_file;
        if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) bad_tls_file("private key", key);
        if (SSL_CTX_check_private_key(ctx) != 1) {
            throw ConfigError("Redis TLS: the private key '" + key + "' does not match the client certificate '" + tls.cert_file + "'");
        }
    } else if (!tls.key_file.empty()) {
        throw ConfigError("Redis TLS: a private key was given without a client certificate: give the certificate too (?cert=PATH)");
    }
}

TlsContext::~TlsContext() = default;

std::unique_ptr<Transport> Transport::open(const RedisOptions& options, const TlsContext* tls) {
    Socket socket = connect_tcp(options);
    if (tls == nullptr) return std::make_unique<PlainTransport>(std::move(socket), options.command_timeout);
    return std::make_unique<TlsTransport>(std::move(socket), options, *tls);
}

}  // namespace watchbot_progress::detail::redis
