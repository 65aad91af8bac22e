#include "metrics_server.hpp"

#include <httplib.h>

#include "watchbot_progress/errors.hpp"

namespace wpcli::dashboard {

MetricsServer::MetricsServer(MetricsEndpoint& endpoint)
    : endpoint_(endpoint), server_(std::make_unique<httplib::Server>()) {
    server_->new_task_queue = [] { return new httplib::ThreadPool(4); };
    server_->set_keep_alive_timeout(2);
    server_->set_payload_max_length(4 * 1024);
    server_->set_default_headers({{"X-Content-Type-Options", "nosniff"}, {"Cache-Control", "no-store"}});
    server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
        const MetricsReply reply = endpoint_.scrape();
        res.status = reply.status;
        res.set_content(reply.body, reply.content_type);
    });
}

MetricsServer::~MetricsServer() { stop(); }

int MetricsServer::start(const std::string& host, int port) {
    const int bound = port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
    if (bound < 0) {
        throw watchbot_progress::InvalidInput("cannot listen on " + host + ":" + std::to_string(port) +
                                              " for the metrics (address in use, or not an address of this machine): "
                                              "give another --metrics-listen");
    }
    finished_ = false;
    thread_ = std::thread([this] {
        server_->listen_after_bind();
        finished_ = true;
    });
    return bound;
}

void MetricsServer::stop() {
    if (!thread_.joinable()) return;
    // httplib's stop() does nothing until the listening loop has started: wait for it (it starts at
    // once), or for the loop to have ended by itself.
    while (!server_->is_running() && !finished_) std::this_thread::yield();
    server_->stop();
    thread_.join();
}

}  // namespace wpcli::dashboard
