// CountingHttpClient: what the DynamoDB backend's and the SNS notifier's statistics count.

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "aws/counting_http_client.hpp"
#include "watchbot_progress/errors.hpp"

namespace aws = watchbot_progress::aws;
using watchbot_progress::BackendError;

namespace {

// Answers every request with a body of `answer`, or throws (no response) while `fail` is set.
class CannedHttpClient final : public aws::HttpClient {
public:
    std::string answer = "{}";
    bool fail = false;
    int calls = 0;
    aws::HttpResponse send(const aws::HttpRequest&) override {
        ++calls;
        if (fail) throw BackendError("simulated: no response", "ConnectionError", true);
        aws::HttpResponse response;
        response.status = 200;
        response.body = answer;
        return response;
    }
};

aws::HttpRequest post(std::string body) {
    aws::HttpRequest request;
    request.method = "POST";
    request.url = "http://127.0.0.1:1/";
    request.body = std::move(body);
    return request;
}

}  // namespace

TEST(CountingHttpClient, CountsRoundTripsAndBodyBytes) {
    auto inner = std::make_shared<CannedHttpClient>();
    inner->answer = "twelve bytes";
    aws::CountingHttpClient counting(inner);
    EXPECT_EQ(counting.send(post("12345")).body, "twelve bytes");
    counting.send(post("123"));
    const aws::HttpTraffic traffic = counting.traffic();
    EXPECT_EQ(inner->calls, 2);
    EXPECT_EQ(traffic.requests, 2u);
    EXPECT_EQ(traffic.bytes_sent, 8u);
    EXPECT_EQ(traffic.bytes_received, 24u);
}

TEST(CountingHttpClient, ARequestWithoutResponseCountsWhatWasSentAndPassesTheErrorOn) {
    auto inner = std::make_shared<CannedHttpClient>();
    inner->fail = true;
    aws::CountingHttpClient counting(inner);
    EXPECT_THROW(counting.send(post("abcd")), BackendError);
    const aws::HttpTraffic traffic = counting.traffic();
    EXPECT_EQ(traffic.requests, 1u);
    EXPECT_EQ(traffic.bytes_sent, 4u);
    EXPECT_EQ(traffic.bytes_received, 0u);
}

TEST(CountingHttpClient, CountTrafficWrapsTheConfiguredClient) {
    auto inner = std::make_shared<CannedHttpClient>();
    aws::AwsClientConfig config;
    config.http = inner;
    const auto counting = aws::count_traffic(config);
    ASSERT_EQ(config.http, counting);
    config.http->send(post("xy"));
    EXPECT_EQ(inner->calls, 1);
    EXPECT_EQ(counting->traffic().bytes_sent, 2u);
}
