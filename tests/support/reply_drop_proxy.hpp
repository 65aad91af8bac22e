#pragma once
// A TCP relay on 127.0.0.1 for fault tests of request/reply protocols such as Redis's: each client
// connection gets its own connection to the upstream server and bytes are relayed both ways, except
// that the first `drops` client requests containing `match` are forwarded, upstream's reply to them
// is read (so the command has run: a server replies after executing) and thrown away, and the
// client's connection is closed. The client sees its connection drop after the command ran: the
// reply was lost. Requests must arrive in one read (true of small commands written at once).
//
// Thread safety: the public methods may be called from any thread. One thread accepts, one thread
// relays each connection; the destructor stops everything and joins the threads. Header-only.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <list>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "loopback_socket.hpp"

namespace wp_test {

class ReplyDropProxy {
public:
    ReplyDropProxy(int upstream_port, std::string match, int drops)
        : upstream_port_(upstream_port), match_(std::move(match)), drops_left_(drops) {
        const LoopbackListener listener = listen_on_loopback("ReplyDropProxy");
        listen_fd_ = listener.fd;
        port_ = listener.port;
        acceptor_ = std::thread([this] { accept_loop(); });
    }
    ~ReplyDropProxy() {
        stopping_ = true;
        ::shutdown(listen_fd_, SHUT_RDWR);
        acceptor_.join();
        ::close(listen_fd_);
        std::lock_guard lock(mutex_);
        for (auto& t : relays_) t.join();
    }
    ReplyDropProxy(const ReplyDropProxy&) = delete;
    ReplyDropProxy& operator=(const ReplyDropProxy&) = delete;

    int port() const { return port_; }
    // Replies thrown away so far.
    int dropped() const { return dropped_.load(); }

private:
    static bool send_all(int fd, const char* data, std::size_t size) {
        while (size > 0) {
            const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
            if (n <= 0) return false;
            data += n;
            size -= static_cast<std::size_t>(n);
        }
        return true;
    }

    void accept_loop() {
        while (!stopping_) {
            pollfd p{listen_fd_, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (client < 0) continue;
            std::lock_guard lock(mutex_);
            relays_.emplace_back([this, client] { relay(client); });
        }
    }

    // Whether this request is one whose reply gets lost (and counts it).
    bool take_drop(const std::string& request) {
        if (request.find(match_) == std::string::npos) return false;
        int left = drops_left_.load();
        while (left > 0) {
            if (drops_left_.compare_exchange_weak(left, left - 1)) return true;
        }
        return false;
    }

    void relay(int client) {
        const int upstream = connect_to_loopback(upstream_port_);
        if (upstream < 0) {
            ::close(client);
            return;
        }
        char buffer[65536];
        bool open = true;
        while (open && !stopping_) {
            pollfd fds[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
            if (::poll(fds, 2, 100) <= 0) continue;
            if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                const ssize_t n = ::recv(client, buffer, sizeof buffer, 0);
                if (n <= 0) break;
                const std::string request(buffer, static_cast<std::size_t>(n));
                if (!send_all(upstream, buffer, static_cast<std::size_t>(n))) break;
                if (take_drop(request)) {
                    pollfd reply{upstream, POLLIN, 0};
                    if (::poll(&reply, 1, 10'000) > 0) (void)::recv(upstream, buffer, sizeof buffer, 0);  // ran
                    ++dropped_;
                    break;  // close the client's connection without the reply
                }
            }
            if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
                const ssize_t n = ::recv(upstream, buffer, sizeof buffer, 0);
                if (n <= 0 || !send_all(client, buffer, static_cast<std::size_t>(n))) open = false;
            }
        }
        ::close(upstream);
        ::close(client);
    }

    const int upstream_port_;
    const std::string match_;
    std::atomic<int> drops_left_;
    std::atomic<int> dropped_{0};
    int listen_fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stopping_{false};
    std::thread acceptor_;
    std::mutex mutex_;
    std::list<std::thread> relays_;
};

}  // namespace wp_test
