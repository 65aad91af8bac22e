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
// Requests whose Host header names another host are refused (421) unless the server listens on
// every interface: a page of another site cannot reach the dashboard through a DNS name that
// resolves to 127.0.0.1.

#include <memory>
#include <string>

#include "dashboard_api.hpp"
#include "job_monitor.hpp"

namespace httplib {
class Server;
}

namespace wpcli::dashboard {

class DashboardServer {
public:
    DashboardServer(DashboardApi& api, JobMonitor& monitor);
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
    std::string host_;
    int port_ = 0;
    std::unique_ptr<httplib::Server> server_;
};

}  // namespace wpcli::dashboard
