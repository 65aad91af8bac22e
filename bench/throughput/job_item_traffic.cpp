#include "job_item_traffic.hpp"

#include <nlohmann/json.hpp>

#include "aws/http_client.hpp"
#include "backends/dynamodb/dynamodb_backend_access.hpp"
#include "backends/dynamodb/dynamodb_client.hpp"
#include "backends/dynamodb/dynamodb_config.hpp"

namespace wp_bench {

namespace aws = watchbot_progress::aws;
namespace dd = watchbot_progress::detail::dynamodb;

namespace {

// Passes every request on, counting those of GetItem, UpdateItem, PutItem and DeleteItem whose key
// (or item) is the job item.
class JobItemCounter final : public aws::HttpClient {
public:
    JobItemCounter(std::shared_ptr<aws::HttpClient> inner, std::string jobid, std::shared_ptr<JobItemTraffic> traffic)
        : inner_(std::move(inner)), jobid_(std::move(jobid)), traffic_(std::move(traffic)) {}

    aws::HttpResponse send(const aws::HttpRequest& request) override {
        count(request);
        return inner_->send(request);
    }

private:
    void count(const aws::HttpRequest& request) const {
        const auto target = aws::find_header(request.headers, "X-Amz-Target");
        if (!target) return;
        const std::string operation = target->substr(target->find('.') + 1);
        const bool read = operation == "GetItem";
        if (!read && operation != "UpdateItem" && operation != "PutItem" && operation != "DeleteItem") return;
        const nlohmann::json body = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
        if (!body.is_object()) return;
        auto key = body.find(operation == "PutItem" ? "Item" : "Key");
        if (key == body.end() || !key->is_object()) return;
        auto id = key->find("id");
        if (id == key->end() || !id->is_object()) return;
        auto text = id->find("S");
        if (text == id->end() || !text->is_string() || text->get_ref<const std::string&>() != jobid_) return;
        ++(read ? traffic_->reads : traffic_->writes);
    }

    std::shared_ptr<aws::HttpClient> inner_;
    std::string jobid_;
    std::shared_ptr<JobItemTraffic> traffic_;
};

}  // namespace

std::shared_ptr<watchbot_progress::Backend> dynamodb_counting_job_item(const watchbot_progress::DynamoDbOptions& options,
                                                                     const std::string& jobid,
                                                                     std::shared_ptr<JobItemTraffic> traffic) {
    const dd::ResolvedTable table = dd::resolve_table(options.table);
    aws::AwsClientConfig config = dd::make_client_config(table, options.aws, "the bench's DynamoDB options");
    std::shared_ptr<aws::HttpClient> inner = config.http;
    if (!inner) inner = std::make_shared<aws::CurlHttpClient>(config.http_options);
    config.http = std::make_shared<JobItemCounter>(std::move(inner), jobid, std::move(traffic));
    auto client = std::make_shared<dd::DynamoDbClient>(std::move(config), table.name);
    watchbot_progress::DynamoDbOptions copy = options;
    copy.table = table.display;
    return watchbot_progress::detail::DynamoDbBackendAccess::over_client(std::move(copy), std::move(client));
}

}  // namespace wp_bench
