#pragma once
// CountingHttpClient: passes every request to another HttpClient and counts what went through, for
// the statistics the DynamoDB backend and the SNS notifier report (and the bench's bytes per
// completion). Thread-safe: send() may be called from any threads at once.

#include <atomic>
#include <cstdint>
#include <memory>

#include "aws/aws_client.hpp"
#include "aws/http_client.hpp"

namespace watchbot_progress::aws {

// What went through one CountingHttpClient: HTTP round trips (every attempt, retries and failed
// ones included) and body bytes (headers not included). A request that got no response counts in
// `requests` and `bytes_sent` only.
struct HttpTraffic {
    std::uint64_t requests = 0;
    std::uint64_t bytes_sent = 0;
    std::uint64_t bytes_received = 0;
};

class CountingHttpClient final : public HttpClient {
public:
    // `inner` is not null (count_traffic makes one).
    explicit CountingHttpClient(std::shared_ptr<HttpClient> inner);
    HttpResponse send(const HttpRequest& request) override;
    HttpTraffic traffic() const;

private:
    std::shared_ptr<HttpClient> inner_;
    std::atomic<std::uint64_t> requests_{0};
    std::atomic<std::uint64_t> bytes_sent_{0};
    std::atomic<std::uint64_t> bytes_received_{0};
};

// Makes `config`'s requests counted: wraps config.http (a new CurlHttpClient with
// config.http_options when it is null) in a CountingHttpClient, puts that in config.http and
// returns it.
std::shared_ptr<CountingHttpClient> count_traffic(AwsClientConfig& config);

}  // namespace watchbot_progress::aws
