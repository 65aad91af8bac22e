#pragma once
// What serve's --listen and monitor's --metrics-listen read: HOST:PORT.

#include <string>

namespace wpcli {

struct ListenAddress {
    std::string host;  // an IPv6 address without its brackets
    int port = 0;      // 0: any free port
};

// "HOST:PORT" or "[IPv6]:PORT"; InvalidInput naming `option` otherwise.
ListenAddress parse_listen(const std::string& text, const std::string& option = "--listen");

// Whether `host` is loopback (localhost, ::1, 127.0.0.0/8): other machines cannot connect.
bool is_loopback(const std::string& host);

// `host` as a URL writes it: an IPv6 address in brackets.
std::string url_host(const std::string& host);

}  // namespace wpcli
