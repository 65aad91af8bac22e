#pragma once
// The dashboard's HTTP server (cpp-httplib): the page's static files, the JSON API
// (dashboard_api.hpp) and the server-sent events that tell pages a new snapshot is there.
//
//   GET /, /app.js, /style.css   the page (assets.hpp), with a Content-Security-Policy that allows
//                                only its own scripts and styles
//   GET /api/...                 the JSON API
//   GET /api/events              text/event-stream: an `update` event {"version", "timeMs"} now and
//                                whenever the monitor's version goes up; a comment line every 15 s
//   POST /api/job/{fail,sweep,delete}?id=   actions (token in the X-Watchbot-Token header)
//   GET /metrics                 Prometheus metrics read from the store (metrics.hpp), when
//                                ServerOptions::metrics is set
// Requests whose Host header names another host are refused (421): a page of another site cannot
// reach the dashboard through a DNS name that resolves to one of its addresses (DNS rebinding).
// Accepted: loopback (127.0.0.0/8 addresses, localhost, ::1), the listen address unless it is a
// wildcard (0.0.0.0, ::), and the names in ServerOptions::allowed_hosts.
//
// At most ServerOptions::max_event_streams event streams are open at once; more are refused (503)
// at once. Each open stream holds one of the pool's max_event_streams + kRequestThreads threads, so
// kRequestThreads always stay for the API, the page and the actions.

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "dashboard_api.hpp"
#include "job_monitor.hpp"
#include "metrics.hpp"

namespace httplib {
class Server;
}

namespace wpcli::dashboard {

struct ServerOptions {
    int max_event_streams = 16;              // open /api/events streams at once; 1 or more
    std::vector<std::string> allowed_hosts;  // Host header names accepted beside loopback and the listen address
    MetricsEndpoint* metrics = nullptr;       // answers GET /metrics when set (must outlive the server)
};

// Threads of the pool beyond the event streams': what API requests, the page and actions get.
inline constexpr int kRequestThreads = 16;

// A name for ServerOptions::allowed_hosts: lower case, an IPv6 address without brackets;
// InvalidInput when it is no host name or address (empty, a port, a path, spaces).
std::string normalize_allowed_host(const std::string& name);

class DashboardServer {
public:
    DashboardServer(DashboardApi& api, JobMonitor& monitor, ServerOptions options = {});
    ~DashboardServer();

    // Binds HOST:PORT (port 0: a free one). Returns the port; InvalidInput when it cannot bind
    // (address in use, not an address of this machine).
    int bind(const std::string& host, int port);

    // Serves until stop(). Call bind first.
    void serve();

    // Makes serve() return (from any thread, e.g. a signal-handling one). Stop the monitor first, so
    // event streams end.
    void stop();

private:
    DashboardApi& api_;
    JobMonitor& monitor_;
    bool host_allowed(const std::string& host) const;

    ServerOptions options_;
    std::atomic<int> open_streams_{0};
    std::string host_;
    int port_ = 0;
    std::unique_ptr<httplib::Server> server_;
};

}  // namespace wpcli::dashboard
