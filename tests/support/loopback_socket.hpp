#pragma once
// TCP sockets on 127.0.0.1 for the tests' own servers and proxies (the test HTTP server, the fault
// proxy, the reply-drop proxy): a listener on a port the kernel picks, and a connection to a port.

namespace wp_test {

struct LoopbackListener {
    int fd = -1;    // listening, close-on-exec; the caller closes it
    int port = 0;   // the port the kernel picked
};

// Listens on 127.0.0.1 at a free port. Throws std::runtime_error naming `who` when it cannot.
LoopbackListener listen_on_loopback(const char* who, int backlog = 64);

// A connected socket to 127.0.0.1:`port` (any IPv4 `host` given), TCP_NODELAY set; -1 when the
// connection is refused or the host is not an IPv4 address.
int connect_to_loopback(int port, const char* host = "127.0.0.1");

}  // namespace wp_test
