#include "dashboard_server.hpp"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>

#include "core/excerpt.hpp"
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

// The host part of a Host header, lower case: "127.0.0.1:8080" -> "127.0.0.1", "[::1]:80" -> "::1".
std::string host_of(const std::string& header) {
    std::string host;
    if (!header.empty() && header.front() == '[') {
        const auto end = header.find(']');
        host = end == std::string::npos ? header : header.substr(1, end - 1);
    } else {
        host = header.substr(0, header.find(':'));
    }
    std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return std::tolower(c); });
    return host;
}

bool is_loopback_host(const std::string& host) {
    if (host == "localhost" || host == "::1") return true;
    in_addr v4{};
    return ::inet_pton(AF_INET, host.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24U) == 127U;
}

// Counts an open event stream for as long as its response (the provider holding this) lives.
class StreamSlot {
public:
    explicit StreamSlot(std::atomic<int>& open) : open_(open) {}
    ~StreamSlot() { open_.fetch_sub(1); }
    StreamSlot(const StreamSlot&) = delete;
    StreamSlot& operator=(const StreamSlot&) = delete;

private:
    std::atomic<int>& open_;
};

}  // namespace

std::string normalize_allowed_host(const std::string& name) {
    std::string host = name;
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return std::tolower(c); });
    in6_addr v6{};
    const bool ipv6 = ::inet_pton(AF_INET6, host.c_str(), &v6) == 1;
    const bool name_chars = !host.empty() && std::all_of(host.begin(), host.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '.' || c == '_';
    });
    if (!ipv6 && !name_chars) {
        throw watchbot_progress::InvalidInput("--allow-host " + watchbot_progress::detail::quoted_excerpt(name, 80) +
                                              " is not a host name or address: give the name alone, without a "
                                              "port or path (e.g. --allow-host dashboard.example.com)");
    }
    return host;
}

bool DashboardServer::host_allowed(const std::string& host) const {
    if (is_loopback_host(host)) return true;
    if (host == host_ && host_ != "0.0.0.0" && host_ != "::") return true;
    return std::find(options_.allowed_hosts.begin(), options_.allowed_hosts.end(), host) != options_.allowed_hosts.end();
}

DashboardServer::DashboardServer(DashboardApi& api, JobMonitor& monitor, ServerOptions options)
    : api_(api), monitor_(monitor), options_(std::move(options)), server_(std::make_unique<httplib::Server>()) {
    options_.max_event_streams = std::max(1, options_.max_event_streams);
    for (auto& name : options_.allowed_hosts) name = normalize_allowed_host(name);
    auto& svr = *server_;
    // Each connection holds a pool thread while it is served, an event stream while its page is
    // open: the streams are bounded below, so kRequestThreads threads stay for everything else.
    svr.new_task_queue = [threads = options_.max_event_streams + kRequestThreads] {
        return new httplib::ThreadPool(static_cast<size_t>(threads));
    };
    svr.set_keep_alive_timeout(2);
    svr.set_payload_max_length(64 * 1024);
    svr.set_default_headers({{"X-Content-Type-Options", "nosniff"},
                             {"Referrer-Policy", "no-referrer"},
                             {"X-Frame-Options", "DENY"}});

    svr.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
        if (host_allowed(host_of(req.get_header_value("Host")))) return httplib::Server::HandlerResponse::Unhandled;
        const bool wildcard = host_ == "0.0.0.0" || host_ == "::";
        send_json(res, {421, {{"error", "this dashboard answers only requests for " +
                                            std::string(wildcard ? "127.0.0.1" : host_) +
                                            " and the names given with --allow-host (open it by one of those, or "
                                            "restart it with --allow-host NAME for the name in the address bar)"}}});
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

    svr.Post(R"(/api/job/(fail|sweep|delete|resend))", [this](const httplib::Request& req, httplib::Response& res) {
        const std::string action = req.matches[1];
        send_json(res, DashboardApi::guarded([&] {
                      return api_.act(action, req.params, req.get_header_value("X-Watchbot-Token"), req.body);
                  }));
    });

    if (options_.metrics != nullptr) {
        svr.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
            const MetricsReply reply = options_.metrics->scrape();
            res.status = reply.status;
            res.set_header("Cache-Control", "no-store");
            res.set_content(reply.body, reply.content_type);
        });
    }

    svr.Get("/api/events", [this](const httplib::Request&, httplib::Response& res) {
        res.set_header("Cache-Control", "no-store");
        if (open_streams_.fetch_add(1) >= options_.max_event_streams) {
            open_streams_.fetch_sub(1);
            send_json(res, {503, {{"error", "too many open dashboard pages (" + std::to_string(options_.max_event_streams) +
                                                " event streams): close some, or restart serve with a larger "
                                                "--max-streams"}}});
            res.set_header("Retry-After", "10");
            return;
        }
        auto slot = std::make_shared<StreamSlot>(open_streams_);
        auto seen = std::make_shared<std::uint64_t>(0);
        auto first = std::make_shared<bool>(true);
        res.set_chunked_content_provider("text/event-stream", [this, slot, seen, first](size_t, httplib::DataSink& sink) {
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

    // What httplib answers itself (no route: 404; a POST without a length: 411; a body too large:
    // 413; a malformed request: 400) gets, under /api/, the API's {"error": ...} body too.
    svr.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty() || req.path.rfind("/api/", 0) != 0) return httplib::Server::HandlerResponse::Unhandled;
        std::string what;
        switch (res.status) {
            case 404: what = "no such API endpoint: " + req.method + " " + req.path.substr(0, 100) +
                             " (GET /api/config, /api/jobs, /api/job, /api/job/pending, /api/events; POST "
                             "/api/job/fail|sweep|delete)"; break;
            case 405: what = "method " + req.method + " is not allowed on " + req.path.substr(0, 100); break;
            case 411: what = "a POST needs a body with its Content-Length (send {} when there is nothing to say)"; break;
            case 413: what = "the request body is larger than 64 KiB"; break;
            default: what = "bad request (HTTP " + std::to_string(res.status) + ")"; break;
        }
        send_json(res, {res.status, {{"error", what}}});
        return httplib::Server::HandlerResponse::Handled;
    }));

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
