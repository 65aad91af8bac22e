#pragma once
// A small blocking HTTP/1.1 client for the AWS layer, over libcurl.
//
// HttpClient is the interface (so tests and fault injection can wrap it); CurlHttpClient is the
// implementation: a pool of curl easy handles, each keeping its own kept-alive connections, reused
// across requests and threads, plus one curl share handle for the DNS cache and TLS sessions. TLS
// peer and host verification are always on. No redirects are followed.
//
// Thread safety: send() may be called concurrently from any threads; each call uses one pooled
// handle exclusively. A CurlHttpClient must outlive the calls in flight on it.

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "aws/headers.hpp"

namespace watchbot_progress::aws {

struct HttpRequest {
    std::string method = "GET";  // GET, HEAD, POST, PUT, DELETE, ...
    std::string url;             // absolute http:// or https:// URL
    HeaderList headers;          // sent as given; an empty value is sent as an empty header
    std::string body;
    // "ADDRESS:PORT" (a numeric address, IPv6 in brackets): the connection goes there whatever the
    // URL's host resolves to; the Host header and the TLS name stay the URL's. Empty: the URL's host.
    std::string connect_to;
};

struct HttpResponse {
    int status = 0;
    HeaderList headers;  // names lowercased, values trimmed, in arrival order (final response only)
    std::string body;
};

struct HttpOptions {
    std::chrono::milliseconds connect_timeout{3'000};   // TCP + TLS connect
    std::chrono::milliseconds request_timeout{30'000};  // whole request, per attempt
    std::size_t max_idle_handles = 32;                  // pooled easy handles (each keeps its connections)
    std::size_t max_response_bytes = 64U << 20U;        // larger bodies fail with ResponseTooLarge
    std::string ca_file;                                // CA bundle; empty: the system's
    std::string user_agent;                             // empty: "watchbot-progress-cpp/VERSION"
    // libcurl honours http_proxy/https_proxy/no_proxy from the environment; true ignores them
    // (the credential providers' link-local and loopback endpoints must never go via a proxy).
    bool bypass_proxy = false;
};

class HttpClient {
public:
    virtual ~HttpClient() = default;
    // Sends the request and returns the response, whatever its status. Throws BackendError when
    // no HTTP response arrived, with code() one of transport_error::* (error_classification.hpp)
    // and retryable() as classify_error(0, code) says. Messages name the method and URL (without
    // user-info), never headers or bodies.
    virtual HttpResponse send(const HttpRequest& request) = 0;
};

// Calls curl_global_init once per process, thread-safely. Throws BackendError if it fails.
void ensure_curl_initialized();

class CurlHttpClient : public HttpClient {
public:
    explicit CurlHttpClient(HttpOptions options = {});
    ~CurlHttpClient() override;
    CurlHttpClient(const CurlHttpClient&) = delete;
    CurlHttpClient& operator=(const CurlHttpClient&) = delete;

    HttpResponse send(const HttpRequest& request) override;
    const HttpOptions& options() const { return options_; }

private:
    struct Share;
    void* acquire_handle();
    void release_handle(void* handle);

    const HttpOptions options_;
    std::unique_ptr<Share> share_;
    std::mutex pool_mutex_;
    std::vector<void*> idle_;  // CURL* handles, most recently used last
    pid_t pid_;                // the process whose handles idle_ holds
};

}  // namespace watchbot_progress::aws
