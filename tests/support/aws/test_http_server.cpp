#include "aws/test_http_server.hpp"

#include "loopback_socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace wp_test {
namespace {

bool iequal(const std::string& a, const std::string& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
               return std::tolower(x) == std::tolower(y);
           });
}

std::string reason_for(int status) {
    switch (status) {
        case 200: return "OK";
        case 400: return "Bad Request";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 429: return "Too Many Requests";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        default: return "Status";
    }
}

bool send_all(int fd, const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
        ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        sent += static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace

std::optional<std::string> RecordedRequest::header(const std::string& name) const {
    for (const auto& [key, value] : headers) {
        if (iequal(key, name)) return value;
    }
    return std::nullopt;
}

ScriptedResponse ScriptedResponse::text(int status, std::string body, TestHeaders headers) {
    ScriptedResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    return r;
}

ScriptedResponse ScriptedResponse::json(int status, std::string body) {
    return text(status, std::move(body), {{"Content-Type", "application/x-amz-json-1.0"}});
}

ScriptedResponse ScriptedResponse::xml(int status, std::string body) {
    return text(status, std::move(body), {{"Content-Type", "text/xml"}});
}

ScriptedResponse ScriptedResponse::close_without_response() {
    ScriptedResponse r;
    r.action = Action::kCloseWithoutResponse;
    return r;
}

ScriptedResponse ScriptedResponse::cut_short(int status, std::string body, std::size_t declared_length,
                                             TestHeaders headers) {
    ScriptedResponse r = text(status, std::move(body), std::move(headers));
    r.action = Action::kCutShort;
    r.declared_length = declared_length;
    return r;
}

TestHttpServer::TestHttpServer() {
    const LoopbackListener listener = listen_on_loopback("test server");
    listen_fd_ = listener.fd;
    port_ = listener.port;
    acceptor_ = std::thread([this] { accept_loop(); });
}

TestHttpServer::~TestHttpServer() { stop(); }

std::string TestHttpServer::base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void TestHttpServer::enqueue(ScriptedResponse response) {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(response));
}

void TestHttpServer::set_handler(Handler handler) {
    std::lock_guard lock(mutex_);
    handler_ = std::move(handler);
}

std::vector<RecordedRequest> TestHttpServer::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

std::size_t TestHttpServer::request_count() const {
    std::lock_guard lock(mutex_);
    return requests_.size();
}

int TestHttpServer::connection_count() const {
    std::lock_guard lock(mutex_);
    return connections_;
}

void TestHttpServer::stop() {
    if (stopping_.exchange(true)) return;
    if (acceptor_.joinable()) acceptor_.join();
    std::vector<std::thread> workers;
    {
        std::lock_guard lock(mutex_);
        for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
        workers.swap(workers_);
    }
    for (auto& worker : workers) worker.join();
    ::close(listen_fd_);
}

void TestHttpServer::accept_loop() {
    while (!stopping_) {
        pollfd pfd{listen_fd_, POLLIN, 0};
        int ready = ::poll(&pfd, 1, 20);
        if (ready <= 0) continue;
        int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        std::lock_guard lock(mutex_);
        if (stopping_) {
            ::close(fd);
            break;
        }
        int id = ++connections_;
        open_fds_.push_back(fd);
        workers_.emplace_back([this, fd, id] { serve(fd, id); });
    }
}

ScriptedResponse TestHttpServer::next_response(const RecordedRequest& request) {
    Handler handler;
    {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
        if (!queue_.empty()) {
            ScriptedResponse response = std::move(queue_.front());
            queue_.pop_front();
            return response;
        }
        handler = handler_;
    }
    if (handler) return handler(request);
    return ScriptedResponse::text(501, "no scripted response");
}

void TestHttpServer::serve(int fd, int connection_id) {
    std::string buffer;
    auto read_more = [&]() -> bool {
        char chunk[8192];
        while (!stopping_) {
            pollfd pfd{fd, POLLIN, 0};
            int ready = ::poll(&pfd, 1, 20);
            if (ready == 0) continue;
            if (ready < 0 && errno == EINTR) continue;
            if (ready < 0) return false;
            ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            buffer.append(chunk, static_cast<std::size_t>(n));
            return true;
        }
        return false;
    };

    bool open = true;
    while (open && !stopping_) {
        std::size_t header_end;
        while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
            if (!read_more()) {
                open = false;
                break;
            }
        }
        if (!open) break;

        RecordedRequest request;
        request.connection_id = connection_id;
        std::string head = buffer.substr(0, header_end);
        buffer.erase(0, header_end + 4);
        std::size_t line_end = head.find("\r\n");
        std::string request_line = head.substr(0, line_end);
        auto sp1 = request_line.find(' ');
        auto sp2 = request_line.find(' ', sp1 + 1);
        if (sp1 == std::string::npos || sp2 == std::string::npos) break;
        request.method = request_line.substr(0, sp1);
        request.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
        std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
        std::size_t content_length = 0;
        bool client_close = false;
        while (pos < head.size()) {
            std::size_t end = head.find("\r\n", pos);
            if (end == std::string::npos) end = head.size();
            std::string line = head.substr(pos, end - pos);
            pos = end + 2;
            auto colon = line.find(':');
            if (colon == std::string::npos) continue;
            std::string name = line.substr(0, colon);
            std::string value = line.substr(colon + 1);
            value.erase(0, value.find_first_not_of(" \t"));
            while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
            if (iequal(name, "Content-Length")) content_length = std::stoul(value);
            if (iequal(name, "Connection") && iequal(value, "close")) client_close = true;
            request.headers.emplace_back(std::move(name), std::move(value));
        }
        while (buffer.size() < content_length) {
            if (!read_more()) {
                open = false;
                break;
            }
        }
        if (!open) break;
        request.body = buffer.substr(0, content_length);
        buffer.erase(0, content_length);

        ScriptedResponse response = next_response(request);
        if (response.delay.count() > 0) std::this_thread::sleep_for(response.delay);
        if (response.action == ScriptedResponse::Action::kCloseWithoutResponse) break;

        const bool cut = response.action == ScriptedResponse::Action::kCutShort;
        bool close_after = client_close || cut || response.action == ScriptedResponse::Action::kRespondAndClose;
        std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " + reason_for(response.status) + "\r\n";
        out += "Content-Length: " + std::to_string(cut ? response.declared_length : response.body.size()) + "\r\n";
        if (close_after) out += "Connection: close\r\n";
        for (const auto& [name, value] : response.headers) out += name + ": " + value + "\r\n";
        out += "\r\n";
        if (request.method != "HEAD") out += response.body;
        if (!send_all(fd, out)) break;
        if (close_after) break;
    }
    {
        std::lock_guard lock(mutex_);
        std::erase(open_fds_, fd);
    }
    ::close(fd);
}

int unused_local_port() {
    const LoopbackListener listener = listen_on_loopback("unused_local_port");
    ::close(listener.fd);
    return listener.port;
}

}  // namespace wp_test
