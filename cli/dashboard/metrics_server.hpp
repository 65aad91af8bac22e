#pragma once
// `monitor --metrics-listen`'s HTTP server (cpp-httplib): GET /metrics answered by a MetricsEndpoint
// (metrics.hpp), on a thread of its own; every other path is 404. serve answers /metrics from its
// dashboard server (dashboard_server.hpp) instead.

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "metrics.hpp"

namespace httplib {
class Server;
}

namespace wpcli::dashboard {

class MetricsServer {
public:
    explicit MetricsServer(MetricsEndpoint& endpoint);
    ~MetricsServer();  // stops

    // Binds HOST:PORT (port 0: a free one) and serves on a thread of its own. Returns the port;
    // InvalidInput when it cannot bind.
    int start(const std::string& host, int port);
    // Stops serving and joins the thread. Idempotent.
    void stop();

private:
    MetricsEndpoint& endpoint_;
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
    std::atomic<bool> finished_{false};  // the listening loop returned
};

}  // namespace wpcli::dashboard
