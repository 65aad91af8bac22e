#include "listen_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "watchbot_progress/errors.hpp"

namespace wpcli {

ListenAddress parse_listen(const std::string& text, const std::string& option) {
    const auto bad = [&] {
        return watchbot_progress::InvalidInput(option + " must be HOST:PORT (e.g. 127.0.0.1:8080, [::1]:8080, 0.0.0.0:0 for any free port), not '" +
                                               text + "'");
    };
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) throw bad();
    std::string host = text.substr(0, colon);
    if (host.front() == '[') {
        if (host.size() < 3 || host.back() != ']') throw bad();
        host = host.substr(1, host.size() - 2);
    }
    const std::string port_text = text.substr(colon + 1);
    if (port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos) throw bad();
    const int port = std::stoi(port_text);
    if (port > 65535) throw bad();
    return {host, port};
}

bool is_loopback(const std::string& host) {
    in_addr v4{};
    return host == "localhost" || host == "::1" ||
           (::inet_pton(AF_INET, host.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24U) == 127U);
}

std::string url_host(const std::string& host) { return host.find(':') != std::string::npos ? "[" + host + "]" : host; }

}  // namespace wpcli
