#include "aws/fault_proxy.hpp"

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
#include <optional>
#include <stdexcept>

namespace wp_test {

namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kUpstreamIdleLimit = std::chrono::seconds(1);
constexpr auto kUpstreamAnswerTimeout = std::chrono::seconds(30);

bool iequal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
               return std::tolower(x) == std::tolower(y);
           });
}

bool send_all(int fd, std::string_view data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
        const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        sent += static_cast<std::size_t>(n);
    }
    return true;
}

// Buffered reads from one socket that give up when `stopping` is set, at EOF, on an error, or
// after `timeout` without data (zero: wait for ever).
class Reader {
public:
    Reader(const std::atomic<bool>& stopping) : stopping_(stopping) {}

    void reset(int fd) {
        fd_ = fd;
        buffer_.clear();
        eof_ = false;
    }
    std::string& buffer() { return buffer_; }
    bool eof() const { return eof_; }

    // Appends what arrives next to the buffer; false at EOF, on errors, when stopping or timed out.
    bool more(std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) {
        const auto deadline = Clock::now() + timeout;
        char chunk[16384];
        while (!stopping_) {
            if (timeout.count() > 0 && Clock::now() >= deadline) return false;
            pollfd pfd{fd_, POLLIN, 0};
            const int ready = ::poll(&pfd, 1, 50);
            if (ready == 0) continue;
            if (ready < 0 && errno == EINTR) continue;
            if (ready < 0) return false;
            const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n == 0) eof_ = true;
            if (n <= 0) return false;
            buffer_.append(chunk, static_cast<std::size_t>(n));
            return true;
        }
        return false;
    }

    // Reads until the buffer holds a complete header block; returns its length (terminator included).
    std::optional<std::size_t> head(std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) {
        for (;;) {
            if (auto end = buffer_.find("\r\n\r\n"); end != std::string::npos) return end + 4;
            if (buffer_.size() > (1U << 20U) || !more(timeout)) return std::nullopt;
        }
    }

    // Reads until the buffer holds at least n bytes.
    bool at_least(std::size_t n, std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) {
        while (buffer_.size() < n) {
            if (!more(timeout)) return false;
        }
        return true;
    }

private:
    const std::atomic<bool>& stopping_;
    int fd_ = -1;
    std::string buffer_;
    bool eof_ = false;
};

struct Head {
    std::string first_line;
    std::vector<std::pair<std::string, std::string>> headers;

    std::optional<std::string> get(std::string_view name) const {
        for (const auto& [key, value] : headers) {
            if (iequal(key, name)) return value;
        }
        return std::nullopt;
    }
};

Head parse_head(std::string_view text) {
    Head head;
    std::size_t pos = text.find("\r\n");
    head.first_line = std::string(text.substr(0, pos));
    pos = pos == std::string_view::npos ? text.size() : pos + 2;
    while (pos < text.size()) {
        std::size_t end = text.find("\r\n", pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 2;
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        std::string value(line.substr(colon + 1));
        value.erase(0, value.find_first_not_of(" \t"));
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
        head.headers.emplace_back(std::string(line.substr(0, colon)), std::move(value));
    }
    return head;
}

std::optional<std::size_t> parse_size(const std::string& text, int base) {
    if (text.empty()) return std::nullopt;
    try {
        std::size_t used = 0;
        const unsigned long long value = std::stoull(text, &used, base);
        if (used != text.size()) return std::nullopt;
        return static_cast<std::size_t>(value);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::string trim(std::string text) {
    text.erase(0, text.find_first_not_of(" \t"));
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.pop_back();
    return text;
}

}  // namespace

const char* fault_kind_name(FaultKind kind) {
    switch (kind) {
        case FaultKind::kDropBeforeForward: return "drop-before-forward";
        case FaultKind::kDropAfterForward: return "drop-after-forward";
        case FaultKind::kServerError: return "server-error";
        case FaultKind::kThrottle: return "throttle";
        case FaultKind::kDelay: return "delay";
        case FaultKind::kTruncateAfterForward: return "truncate-after-forward";
    }
    return "?";
}

int loopback_endpoint_port(const std::string& endpoint) {
    const std::string prefix = "http://127.0.0.1:";
    if (endpoint.rfind(prefix, 0) == 0) {
        std::string rest = endpoint.substr(prefix.size());
        while (!rest.empty() && rest.back() == '/') rest.pop_back();
        if (auto port = parse_size(rest, 10); port && *port > 0 && *port <= 65535) return static_cast<int>(*port);
    }
    throw std::runtime_error("fault proxy: '" + endpoint + "' is not an http://127.0.0.1:PORT endpoint");
}

std::uint64_t FaultCounts::total_faults() const {
    std::uint64_t sum = 0;
    for (std::uint64_t n : faults) sum += n;
    return sum;
}

std::string FaultCounts::to_string() const {
    std::string out = "requests=" + std::to_string(requests) + " forwarded=" + std::to_string(forwarded) +
                      " answered=" + std::to_string(answered) + " connections=" + std::to_string(connections) +
                      " upstream_errors=" + std::to_string(upstream_errors) + " faults=" + std::to_string(total_faults());
    for (std::size_t i = 0; i < kFaultKindCount; ++i) {
        if (faults[i] == 0) continue;
        out += std::string(" ") + fault_kind_name(static_cast<FaultKind>(i)) + "=" + std::to_string(faults[i]);
    }
    return out;
}

struct FaultProxy::Connection {
    int client = -1;
    int upstream = -1;
    Clock::time_point upstream_used{};
    std::thread thread;
    std::atomic<bool> done{false};
};

FaultProxy::FaultProxy(FaultProxyOptions options)
    : options_(std::move(options)), rng_(options_.seed), rate_(options_.rate) {
    if (options_.upstream_port <= 0 || options_.upstream_port > 65535) {
        throw std::runtime_error("fault proxy: no upstream port");
    }
    if (!(options_.rate >= 0.0 && options_.rate <= 1.0)) throw std::runtime_error("fault proxy: rate outside 0 .. 1");
    if (options_.rate > 0.0 && options_.kinds.empty()) throw std::runtime_error("fault proxy: a fault rate without kinds");
    const LoopbackListener listener = listen_on_loopback("fault proxy", 128);
    listen_fd_ = listener.fd;
    port_ = listener.port;
    acceptor_ = std::thread([this] { accept_loop(); });
}

FaultProxy::~FaultProxy() { stop(); }

std::string FaultProxy::base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void FaultProxy::set_rate(double rate) {
    std::lock_guard lock(mutex_);
    if (rate > 0.0 && options_.kinds.empty()) throw std::runtime_error("fault proxy: a fault rate without kinds");
    rate_ = std::clamp(rate, 0.0, 1.0);
}

FaultCounts FaultProxy::counts() const {
    std::lock_guard lock(mutex_);
    return counts_;
}

void FaultProxy::stop() {
    if (stopping_.exchange(true)) return;
    if (acceptor_.joinable()) acceptor_.join();
    std::list<std::unique_ptr<Connection>> connections;
    {
        std::lock_guard lock(mutex_);
        for (auto& c : connections_) {
            if (c->client >= 0) ::shutdown(c->client, SHUT_RDWR);
            if (c->upstream >= 0) ::shutdown(c->upstream, SHUT_RDWR);
        }
        connections.swap(connections_);
    }
    for (auto& c : connections) c->thread.join();
    ::close(listen_fd_);
}

int FaultProxy::draw_fault(const std::string& request) {
    if (!options_.match.empty() && request.find(options_.match) == std::string::npos) return -1;
    std::lock_guard lock(mutex_);
    if (options_.max_faults > 0 && counts_.total_faults() >= options_.max_faults) return -1;
    // Two draws per request whatever the outcome, so the sequence does not depend on the rate.
    const double roll = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
    const std::uint64_t pick = rng_();
    if (roll >= rate_ || options_.kinds.empty()) return -1;
    const FaultKind kind = options_.kinds[pick % options_.kinds.size()];
    ++counts_.faults[static_cast<std::size_t>(kind)];
    return static_cast<int>(kind);
}

std::string FaultProxy::fake_answer(FaultKind kind, std::uint64_t request_number) const {
    const bool throttle = kind == FaultKind::kThrottle;
    const std::string request_id = "fault-proxy-" + std::to_string(request_number);
    std::string content_type;
    std::string body;
    if (options_.dialect == FaultDialect::kDynamoDbJson) {
        content_type = "application/x-amz-json-1.0";
        std::string code = "InternalServerError";
        std::string message = "Internal server error (injected by the fault proxy)";
        if (throttle) {
            code = request_number % 2 == 0 ? "ThrottlingException" : "ProvisionedThroughputExceededException";
            message = request_number % 2 == 0 ? "Rate of requests exceeds the allowed throughput (injected)"
                                               : "The level of configured provisioned throughput for the table was "
                                                 "exceeded (injected)";
        }
        body = R"({"__type":"com.amazonaws.dynamodb.v20120810#)" + code + R"(","message":")" + message + R"("})";
    } else {
        content_type = "text/xml";
        const std::string type = throttle ? "Sender" : "Receiver";
        const std::string code = throttle ? "Throttling" : "InternalFailure";
        const std::string message = throttle ? "Rate exceeded (injected by the fault proxy)"
                                             : "Request could not be completed (injected by the fault proxy)";
        body = R"(<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>)" + type +
               "</Type><Code>" + code + "</Code><Message>" + message + "</Message></Error><RequestId>" + request_id +
               "</RequestId></ErrorResponse>";
    }
    const int status = throttle ? 400 : 500;
    std::string out = "HTTP/1.1 " + std::to_string(status) + (throttle ? " Bad Request" : " Internal Server Error") + "\r\n";
    out += "Content-Type: " + content_type + "\r\n";
    out += "x-amzn-RequestId: " + request_id + "\r\n";
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    out += body;
    return out;
}

void FaultProxy::accept_loop() {
    while (!stopping_) {
        pollfd pfd{listen_fd_, POLLIN, 0};
        const int ready = ::poll(&pfd, 1, 20);
        {
            // Join connections that have finished.
            std::lock_guard lock(mutex_);
            for (auto it = connections_.begin(); it != connections_.end();) {
                if ((*it)->done) {
                    (*it)->thread.join();
                    it = connections_.erase(it);
                } else {
                    ++it;
                }
            }
        }
        if (ready <= 0) continue;
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        std::lock_guard lock(mutex_);
        if (stopping_) {
            ::close(fd);
            break;
        }
        ++counts_.connections;
        auto connection = std::make_unique<Connection>();
        connection->client = fd;
        Connection& c = *connection;
        connections_.push_back(std::move(connection));
        c.thread = std::thread([this, &c] { serve(c); });
    }
}

void FaultProxy::serve(Connection& c) {
    Reader client(stopping_);
    client.reset(c.client);
    Reader upstream(stopping_);

    auto close_upstream = [&] {
        std::lock_guard lock(mutex_);
        if (c.upstream >= 0) ::close(c.upstream);
        c.upstream = -1;
    };
    auto count = [&](std::uint64_t FaultCounts::*field) {
        std::lock_guard lock(mutex_);
        ++(counts_.*field);
    };

    // Sends `request` upstream and returns upstream's whole answer (raw bytes), or nullopt when
    // upstream could not be reached or broke off. A kept-alive connection that turns out closed
    // before any byte of the answer arrived is replaced once.
    auto forward = [&](const std::string& request) -> std::optional<std::string> {
        for (int attempt = 0; attempt < 2; ++attempt) {
            bool reused = c.upstream >= 0;
            if (reused && Clock::now() - c.upstream_used > kUpstreamIdleLimit) {
                close_upstream();
                reused = false;
            }
            if (c.upstream < 0) {
                const int fd = connect_to_loopback(options_.upstream_port, options_.upstream_host.c_str());
                if (fd < 0) return std::nullopt;
                std::lock_guard lock(mutex_);
                c.upstream = fd;
            }
            if (!reused) upstream.reset(c.upstream);
            upstream.buffer().clear();
            const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(kUpstreamAnswerTimeout);
            if (!send_all(c.upstream, request)) {
                close_upstream();
                if (reused) continue;
                return std::nullopt;
            }
            auto head_length = upstream.head(timeout);
            if (!head_length) {
                const bool nothing = upstream.buffer().empty();
                close_upstream();
                if (reused && nothing && !stopping_) continue;
                return std::nullopt;
            }
            const Head head = parse_head(std::string_view(upstream.buffer()).substr(0, *head_length));
            bool close_after = false;
            if (auto connection = head.get("Connection"); connection && iequal(*connection, "close")) close_after = true;
            std::size_t end = *head_length;  // one past the answer's last byte in the buffer
            const auto encoding = head.get("Transfer-Encoding");
            if (encoding && encoding->find("chunked") != std::string::npos) {
                for (;;) {
                    std::size_t line_end;
                    while ((line_end = upstream.buffer().find("\r\n", end)) == std::string::npos) {
                        if (!upstream.more(timeout)) {
                            close_upstream();
                            return std::nullopt;
                        }
                    }
                    std::string size_text = upstream.buffer().substr(end, line_end - end);
                    size_text = trim(size_text.substr(0, size_text.find(';')));
                    const auto size = parse_size(size_text, 16);
                    if (!size) {
                        close_upstream();
                        return std::nullopt;
                    }
                    end = line_end + 2;
                    if (*size == 0) {
                        // Trailer lines, then the empty line.
                        for (;;) {
                            while ((line_end = upstream.buffer().find("\r\n", end)) == std::string::npos) {
                                if (!upstream.more(timeout)) {
                                    close_upstream();
                                    return std::nullopt;
                                }
                            }
                            const bool last = line_end == end;
                            end = line_end + 2;
                            if (last) break;
                        }
                        break;
                    }
                    if (!upstream.at_least(end + *size + 2, timeout)) {
                        close_upstream();
                        return std::nullopt;
                    }
                    end += *size + 2;
                }
            } else if (auto length_text = head.get("Content-Length")) {
                const auto length = parse_size(*length_text, 10);
                if (!length || !upstream.at_least(end + *length, timeout)) {
                    close_upstream();
                    return std::nullopt;
                }
                end += *length;
            } else {
                // Delimited by the end of the connection.
                while (upstream.more(timeout)) {
                }
                if (!upstream.eof()) {
                    close_upstream();
                    return std::nullopt;
                }
                end = upstream.buffer().size();
                close_after = true;
            }
            std::string answer = upstream.buffer().substr(0, end);
            upstream.buffer().erase(0, end);
            c.upstream_used = Clock::now();
            if (close_after) close_upstream();
            return answer;
        }
        return std::nullopt;
    };

    while (!stopping_) {
        // One request from the client.
        auto head_length = client.head();
        if (!head_length) break;
        const Head head = parse_head(std::string_view(client.buffer()).substr(0, *head_length));
        if (head.get("Transfer-Encoding")) break;  // chunked request bodies are not supported
        std::size_t body_length = 0;
        if (auto text = head.get("Content-Length")) {
            const auto length = parse_size(*text, 10);
            if (!length) break;
            body_length = *length;
        }
        if (!client.at_least(*head_length + body_length)) break;
        const std::string request = client.buffer().substr(0, *head_length + body_length);
        client.buffer().erase(0, *head_length + body_length);

        std::uint64_t number = 0;
        {
            std::lock_guard lock(mutex_);
            number = ++counts_.requests;
        }
        const int fault = draw_fault(request);
        if (fault == static_cast<int>(FaultKind::kDropBeforeForward)) break;
        if (fault == static_cast<int>(FaultKind::kServerError) || fault == static_cast<int>(FaultKind::kThrottle)) {
            if (!send_all(c.client, fake_answer(static_cast<FaultKind>(fault), number))) break;
            count(&FaultCounts::answered);
            continue;
        }
        count(&FaultCounts::forwarded);
        const std::optional<std::string> answer = forward(request);
        if (!answer) {
            if (!stopping_) count(&FaultCounts::upstream_errors);
            break;
        }
        if (fault == static_cast<int>(FaultKind::kDropAfterForward)) break;
        if (fault == static_cast<int>(FaultKind::kTruncateAfterForward)) {
            // The whole head, then half of the body (the head without its last line end when there
            // is no body): libcurl sees a broken answer, not a dead kept-alive connection.
            const std::size_t head_end = answer->find("\r\n\r\n") + 4;
            const std::size_t body = answer->size() - head_end;
            send_all(c.client, std::string_view(*answer).substr(0, body == 0 ? head_end - 2 : head_end + body / 2));
            break;
        }
        if (fault == static_cast<int>(FaultKind::kDelay)) {
            const auto until = Clock::now() + options_.delay;
            while (!stopping_ && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        if (!send_all(c.client, *answer)) break;
        count(&FaultCounts::answered);
    }

    {
        std::lock_guard lock(mutex_);
        if (c.client >= 0) ::close(c.client);
        c.client = -1;
        if (c.upstream >= 0) ::close(c.upstream);
        c.upstream = -1;
    }
    c.done = true;
}

}  // namespace wp_test
