#include "dashboard_server.hpp"

#include <httplib.h>

#include <algorithm>
#include <cctype>

#include "dashboard/assets.hpp"
#include "watchbot_progress/errors.hpp"

namespace wpcli::dashboard {

namespace {

constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

void send_json(httplib::Response& res, const ApiResponse& r) {
    res.status = r.status;
    res.set_header("Cache-Control", "no-store");
    res.set_content(json_text(r.body), "application/json");
}

// The host part of a Host header: "127.0.0.1:8080" -> "127.0.0.1", "[::1]:80" -> "::1".
std::string host_of(const std::string& header) {
    if (!header.empty() && header.front() == '[') {
        const auto end = header.find(']');
        return end == std::string::npos ? header : header.substr(1, end - 1);
    }
    std::string host = header.substr(0, header.find(':'));
    std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return std::tolower(c); });
    return host;
}

}  // namespace

DashboardServer::DashboardServer(DashboardApi& api, JobMonitor& monitor)
    : api_(api), monitor_(monitor), server_(std::make_unique<httplib::Server>()) {
    auto& svr = *server_;
    // Event streams hold a thread each while a page is open.
    svr.new_task_queue = [] { return new httplib::ThreadPool(32); };
    svr.set_keep_alive_timeout(2);
    svr.set_payload_max_length(64 * 1024);
    svr.set_default_headers({{"X-Content-Type-Options", "nosniff"},
                             {"Referrer-Policy", "no-referrer"},
                             {"X-Frame-Options", "DENY"}});

    svr.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
        if (host_ == "0.0.0.0" || host_ == "::") return httplib::Server::HandlerResponse::Unhandled;
        const std::string host = host_of(req.get_header_value("Host"));
        if (host == "127.0.0.1" || host == "localhost" || host == "::1" || host == host_) {
            return httplib::Server::HandlerResponse::Unhandled;
        }
        send_json(res, {421, {{"error", "this dashboard answers only requests for " + host_ +
                                            " (open it by that address, not by another host name)"}}});
        return httplib::Server::HandlerResponse::Handled;
    });

    const auto get_api = [this](const std::string& pattern, auto call) {
        server_->Get(pattern, [call](const httplib::Request& req, httplib::Response& res) {
            send_json(res, DashboardApi::guarded([&] { return call(req.params); }));
        });
    };
    get_api("/api/config", [this](const Params&) { return api_.config(); });
    get_api("/api/jobs", [this](const Params& p) { return api_.jobs(p); });
    get_api("/api/job", [this](const Params& p) { return api_.job(p); });
    get_api("/api/job/pending", [this](const Params& p) { return api_.pending(p); });

    svr.Post(R"(/api/job/(fail|sweep|delete))", [this](const httplib::Request& req, httplib::Response& res) {
        const std::string action = req.matches[1];
        send_json(res, DashboardApi::guarded([&] {
                      return api_.act(action, req.params, req.get_header_value("X-Watchbot-Token"), req.body);
                  }));
    });

    svr.Get("/api/events", [this](const httplib::Request&, httplib::Response& res) {
        res.set_header("Cache-Control", "no-store");
        auto seen = std::make_shared<std::uint64_t>(0);
        auto first = std::make_shared<bool>(true);
        res.set_chunked_content_provider("text/event-stream", [this, seen, first](size_t, httplib::DataSink& sink) {
            if (monitor_.stopped()) return false;
            auto snap = *first ? monitor_.snapshot() : monitor_.wait_for_change(*seen, std::chrono::seconds(15));
            if (monitor_.stopped()) return false;
            std::string message;
            if (*first) message = "retry: 2000\n\n";
            *first = false;
            if (snap->version > *seen) {
                *seen = snap->version;
                message += "event: update\ndata: " +
                           nlohmann::json{{"version", snap->version}, {"timeMs", snap->time_ms}}.dump() + "\n\n";
            } else {
                message += ": keep-alive\n\n";
            }
            return sink.write(message.data(), message.size());
        });
    });

    svr.Get(R"(/[A-Za-z0-9_.\-]*)", [](const httplib::Request& req, httplib::Response& res) {
        const Asset* asset = find_asset(req.path);
        if (asset == nullptr) {
            res.status = 404;
            res.set_content("not found", "text/plain");
            return;
        }
        res.set_header("Content-Security-Policy", kContentSecurityPolicy);
        res.set_header("Cache-Control", "no-cache");
        res.set_content(std::string(asset->content), std::string(asset->content_type));
    });
}

DashboardServer::~DashboardServer() = default;

int DashboardServer::bind(const std::string& host, int port) {
    host_ = host;
    if (port == 0) {
        port_ = server_->bind_to_any_port(host);
        if (port_ < 0) port_ = 0;
    } else {
        port_ = server_->bind_to_port(host, port) ? port : 0;
    }
    if (port_ <= 0) {
        throw watchbot_progress::InvalidInput("cannot listen on " + host + ":" + std::to_string(port) +
                                              " (port in use, or not an address of this machine): choose another "
                                              "with --listen HOST:PORT");
    }
    return port_;
}

void DashboardServer::serve() { server_->listen_after_bind(); }

void DashboardServer::stop() { server_->stop(); }

}  // namespace wpcli::dashboard
