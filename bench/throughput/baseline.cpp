#include "baseline.hpp"

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>
#include <vector>

#include "backends/dynamodb/dynamodb_client.hpp"
#include "backends/dynamodb/dynamodb_config.hpp"

namespace wp_bench {

namespace aws = watchbot_progress::aws;
namespace dd = watchbot_progress::detail::dynamodb;

namespace {
nlohmann::json key_of(const std::string& prefix, std::size_t thread) {
    return {{"id", {{"S", prefix + "#baseline#" + std::to_string(thread)}}}};
}
}  // namespace

UpdateItemBaseline::UpdateItemBaseline(const std::string& table_arn, std::string prefix, std::size_t workers)
    : prefix_(std::move(prefix)), workers_(workers) {
    const dd::ResolvedTable table = dd::resolve_table(table_arn);
    client_ = std::make_shared<dd::DynamoDbClient>(dd::make_client_config(table, {}, "the baseline"), table.name);
}

UpdateItemBaseline::~UpdateItemBaseline() {
    try {
        std::vector<dd::BatchWrite> deletes;
        for (std::size_t t = 0; t < workers_; ++t) deletes.push_back(dd::BatchWrite::remove(key_of(prefix_, t)));
        client_->batch_write(deletes);
    } catch (const std::exception& e) {
        std::cerr << "watchbot-progress-bench: baseline: could not delete its counter items: " << e.what() << "\n";
    }
}

void UpdateItemBaseline::run(std::uint64_t requests) {
    std::atomic<std::uint64_t> next{0};
    std::atomic<std::uint64_t> errors{0};
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < workers_; ++t) {
        threads.emplace_back([&, t] {
            dd::UpdateItemRequest request;
            request.key = key_of(prefix_, t);
            request.update = "ADD #n :one";
            request.names = {{"#n", "n"}};
            request.values = {{":one", {{"N", "1"}}}};
            for (std::uint64_t i = next++; i < requests; i = next++) {
                try {
                    client_->update_item(request);
                } catch (const std::exception& e) {
                    if (errors++ == 0) std::cerr << "watchbot-progress-bench: baseline: " << e.what() << "\n";
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    requests_ += requests;
    errors_ += errors;
}

BaselineResult UpdateItemBaseline::result() const {
    BaselineResult out;
    const aws::HttpTraffic traffic = client_->traffic();
    out.requests = requests_;
    out.http_requests = traffic.requests;
    out.seconds = seconds_;
    out.requests_per_s = seconds_ > 0 ? static_cast<double>(requests_) / seconds_ : 0;
    out.bytes_per_request =
        requests_ > 0 ? static_cast<double>(traffic.bytes_sent + traffic.bytes_received) / static_cast<double>(requests_) : 0;
    out.errors = errors_;
    return out;
}

}  // namespace wp_bench
