#include "aws/http_client.hpp"

#include <unistd.h>

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "core/ascii.hpp"
#include "aws/error_classification.hpp"
#include "aws/url.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/version_number.hpp"

namespace watchbot_progress::aws {

namespace {

std::once_flag g_curl_once;

struct Transfer {
    HttpResponse* response;
    std::size_t max_body;
    bool too_large = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    const std::size_t bytes = size * count;
    if (transfer->response->body.size() + bytes > transfer->max_body) {
        transfer->too_large = true;
        return 0;  // aborts the transfer with CURLE_WRITE_ERROR
    }
    transfer->response->body.append(data, bytes);
    return bytes;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    const std::size_t bytes = size * count;
    std::string_view line(data, bytes);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (line.starts_with("HTTP/")) {
        transfer->response->headers.clear();  // a new response (after 100 Continue, say)
        return bytes;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return bytes;
    const std::string name = watchbot_progress::detail::ascii_lower(line.substr(0, colon));
    std::string_view value = line.substr(colon + 1);
    auto begin = value.find_first_not_of(" \t");
    value = begin == std::string_view::npos ? std::string_view{} : value.substr(begin);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    transfer->response->headers.emplace_back(std::move(name), std::string(value));
    return bytes;
}

struct SlistDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

std::string_view code_for(CURLcode rc, bool too_large) {
    if (too_large) return transport_error::kResponseTooLarge;
    switch (rc) {
        case CURLE_OPERATION_TIMEDOUT:
            return transport_error::kTimeout;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_CONNECT:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_AGAIN:
            return transport_error::kConnection;
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
            return transport_error::kTls;
        case CURLE_URL_MALFORMAT:
        case CURLE_UNSUPPORTED_PROTOCOL:
            return transport_error::kInvalidEndpoint;
        default:
            return transport_error::kOther;
    }
}

}  // namespace

void ensure_curl_initialized() {
    std::call_once(g_curl_once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            throw BackendError("libcurl could not be initialized (curl_global_init failed)",
                               std::string(transport_error::kOther), false);
        }
    });
}

// DNS cache and TLS sessions shared by every handle of one client, each kind behind its own lock.
struct CurlHttpClient::Share {
    CURLSH* handle = nullptr;
    std::array<std::mutex, CURL_LOCK_DATA_LAST> locks;

    static void lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
        static_cast<Share*>(user)->locks.at(static_cast<std::size_t>(data)).lock();
    }
    static void unlock(CURL*, curl_lock_data data, void* user) {
        static_cast<Share*>(user)->locks.at(static_cast<std::size_t>(data)).unlock();
    }

    Share() {
        handle = curl_share_init();
        if (handle == nullptr) {
            throw BackendError("libcurl could not create a share handle", std::string(transport_error::kOther), false);
        }
        curl_share_setopt(handle, CURLSHOPT_LOCKFUNC, &Share::lock);
        curl_share_setopt(handle, CURLSHOPT_UNLOCKFUNC, &Share::unlock);
        curl_share_setopt(handle, CURLSHOPT_USERDATA, this);
        curl_share_setopt(handle, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        curl_share_setopt(handle, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    }
    ~Share() { curl_share_cleanup(handle); }
    Share(const Share&) = delete;
    Share& operator=(const Share&) = delete;
};

CurlHttpClient::CurlHttpClient(HttpOptions options) : options_(std::move(options)), pid_(::getpid()) {
    ensure_curl_initialized();
    share_ = std::make_unique<Share>();
}

CurlHttpClient::~CurlHttpClient() {
    // Handles go before the share they use.
    for (void* handle : idle_) curl_easy_cleanup(static_cast<CURL*>(handle));
    idle_.clear();
}

void* CurlHttpClient::acquire_handle() {
    {
        std::lock_guard lock(pool_mutex_);
        if (const pid_t now = ::getpid(); now != pid_) {
            // A child process (fork): the idle handles' kept-alive connections are its parent's
            // sockets, and a request sent on one could read the answer to the parent's. They are
            // left as they are, not cleaned up (which could send a TLS close on the parent's
            // connection): the child opens connections of its own.
            pid_ = now;
            idle_.clear();
        }
        if (!idle_.empty()) {
            void* handle = idle_.back();
            idle_.pop_back();
            return handle;
        }
    }
    CURL* handle = curl_easy_init();
    if (handle == nullptr) {
        throw BackendError("libcurl could not create a handle (out of memory?)", std::string(transport_error::kOther),
                           false);
    }
    return handle;
}

void CurlHttpClient::release_handle(void* handle) {
    {
        std::lock_guard lock(pool_mutex_);
        if (idle_.size() < options_.max_idle_handles) {
            idle_.push_back(handle);
            return;
        }
    }
    curl_easy_cleanup(static_cast<CURL*>(handle));
}

HttpResponse CurlHttpClient::send(const HttpRequest& request) {
    CURL* curl = static_cast<CURL*>(acquire_handle());
    struct Release {
        CurlHttpClient* self;
        CURL* curl;
        ~Release() { self->release_handle(curl); }
    } release{this, curl};

    // Reset options but keep the handle's live connections, DNS and TLS session caches.
    curl_easy_reset(curl);

    HttpResponse response;
    Transfer transfer{&response, options_.max_response_bytes};
    char error_buffer[CURL_ERROR_SIZE] = {0};

    std::unique_ptr<curl_slist, SlistDeleter> header_list;
    auto add_header = [&](const std::string& line) {
        curl_slist* next = curl_slist_append(header_list.get(), line.c_str());
        if (next == nullptr) throw std::bad_alloc();
        (void)header_list.release();
        header_list.reset(next);
    };
    bool has_content_type = false;
    bool has_expect = false;
    for (const auto& [name, value] : request.headers) {
        if (iequals(name, "content-type")) has_content_type = true;
        if (iequals(name, "expect")) has_expect = true;
        add_header(value.empty() ? name + ";" : name + ": " + value);
    }
    if (!has_content_type) add_header("Content-Type:");  // no curl default for POST bodies
    if (!has_expect) add_header("Expect:");              // no 100-continue round trip

    const std::string user_agent = options_.user_agent.empty()
                                       ? std::string("watchbot-progress-cpp/") + WATCHBOT_PROGRESS_VERSION
                                       : options_.user_agent;

    curl_easy_setopt(curl, CURLOPT_SHARE, share_->handle);
    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    std::unique_ptr<curl_slist, SlistDeleter> connect_to;
    if (!request.connect_to.empty()) {
        // "::ADDRESS:PORT": every host and port of this request connects to ADDRESS:PORT.
        connect_to.reset(curl_slist_append(nullptr, ("::" + request.connect_to).c_str()));
        if (!connect_to) throw std::bad_alloc();
        curl_easy_setopt(curl, CURLOPT_CONNECT_TO, connect_to.get());
    }
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85.0
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
    if (options_.bypass_proxy) curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, user_agent.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list.get());
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);

    std::string method = request.method;
    std::transform(method.begin(), method.end(), method.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    const bool sends_body = !request.body.empty() || method == "POST" || method == "PUT" || method == "PATCH";
    if (method == "GET" && request.body.empty()) {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else if (method == "HEAD") {
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else {
        if (sends_body) {
            curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
            curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
        }
        if (method != "POST") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    }

    const CURLcode rc = curl_easy_perform(curl);
    if (rc != CURLE_OK) {
        const std::string_view code = code_for(rc, transfer.too_large);
        std::string detail = transfer.too_large ? "the response is larger than " +
                                                      std::to_string(options_.max_response_bytes) + " bytes"
                                                : (error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc));
        const ErrorCategory category = classify_error(0, code);
        throw BackendError("HTTP " + method + " " + redact_url(request.url) + " failed: " + detail + " (" +
                               std::string(code) + "); " + std::string(advice_for(category, code)),
                           std::string(code), is_retryable_error(0, code));
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    response.status = static_cast<int>(status);
    return response;
}

}  // namespace watchbot_progress::aws
