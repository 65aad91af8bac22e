#include "aws/counting_http_client.hpp"

#include <utility>

namespace watchbot_progress::aws {

CountingHttpClient::CountingHttpClient(std::shared_ptr<HttpClient> inner) : inner_(std::move(inner)) {}

HttpResponse CountingHttpClient::send(const HttpRequest& request) {
    requests_.fetch_add(1, std::memory_order_relaxed);
    bytes_sent_.fetch_add(request.body.size(), std::memory_order_relaxed);
    HttpResponse response = inner_->send(request);
    bytes_received_.fetch_add(response.body.size(), std::memory_order_relaxed);
    return response;
}

HttpTraffic CountingHttpClient::traffic() const {
    return {requests_.load(std::memory_order_relaxed), bytes_sent_.load(std::memory_order_relaxed),
            bytes_received_.load(std::memory_order_relaxed)};
}

std::shared_ptr<CountingHttpClient> count_traffic(AwsClientConfig& config) {
    std::shared_ptr<HttpClient> inner = config.http ? config.http : std::make_shared<CurlHttpClient>(config.http_options);
    auto counting = std::make_shared<CountingHttpClient>(std::move(inner));
    config.http = counting;
    return counting;
}

}  // namespace watchbot_progress::aws
