#include "aws/fauxqs_test_util.hpp"

#include <cstdlib>
#include <random>
#include <stdexcept>
#include <thread>

#include "aws/credentials.hpp"
#include "notifiers/sns/sns_batch.hpp"
#include "test_env.hpp"

namespace aws = watchbot_progress::aws;
namespace sns = watchbot_progress::detail::sns;

namespace wp_test {
namespace {

aws::AwsClientConfig client_config(const std::string& service, const std::string& endpoint) {
    aws::AwsClientConfig config;
    config.service = service;
    config.region = kFauxqsRegion;
    config.endpoint = endpoint;
    config.credentials = std::make_shared<aws::StaticCredentialsProvider>(
        aws::Credentials{kFauxqsAccessKeyId, kFauxqsSecretKey, std::nullopt, std::nullopt});
    config.retry.max_attempts = 3;
    config.retry.base_delay = std::chrono::milliseconds(20);
    return config;
}

std::string required_text(const pugi::xml_document& doc, std::string_view element, const std::string& what) {
    pugi::xml_node node = sns::find_element(doc, element);
    std::string text = node ? std::string(node.text().get()) : std::string();
    if (text.empty()) throw std::runtime_error("fauxqs " + what + " answered without " + std::string(element));
    return text;
}

}  // namespace

// ----------------------------------------------------------------------------------------------
ScopedEnv::ScopedEnv(const std::map<std::string, std::optional<std::string>>& vars) {
    for (const auto& [name, value] : vars) set(name, value);
}

ScopedEnv::~ScopedEnv() { restore(); }

ScopedEnv::ScopedEnv(ScopedEnv&& other) noexcept : saved_(std::move(other.saved_)) { other.saved_.clear(); }

ScopedEnv& ScopedEnv::operator=(ScopedEnv&& other) noexcept {
    if (this != &other) {
        restore();
        saved_ = std::move(other.saved_);
        other.saved_.clear();
    }
    return *this;
}

void ScopedEnv::set(const std::string& name, const std::optional<std::string>& value) {
    if (!saved_.contains(name)) {
        const char* old = std::getenv(name.c_str());
        saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
    }
    if (value) ::setenv(name.c_str(), value->c_str(), 1);
    else ::unsetenv(name.c_str());
}

void ScopedEnv::restore() {
    for (const auto& [name, value] : saved_) {
        if (value) ::setenv(name.c_str(), value->c_str(), 1);
        else ::unsetenv(name.c_str());
    }
    saved_.clear();
}

// ----------------------------------------------------------------------------------------------
Fauxqs::Fauxqs(std::string endpoint)
    : endpoint_(std::move(endpoint)), sns_(client_config("sns", endpoint_)), sqs_(client_config("sqs", endpoint_)) {}

Fauxqs Fauxqs::from_env() { return Fauxqs(require_env("WP_TEST_FAUXQS_ENDPOINT")); }

std::map<std::string, std::optional<std::string>> Fauxqs::client_env_vars() const {
    return {
        {"AWS_ENDPOINT_URL_SNS", endpoint_},
        {"AWS_ENDPOINT_URL_SQS", endpoint_},
        {"AWS_ENDPOINT_URL", std::nullopt},
        {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", std::nullopt},
        {"AWS_ACCESS_KEY_ID", std::string(kFauxqsAccessKeyId)},
        {"AWS_SECRET_ACCESS_KEY", std::string(kFauxqsSecretKey)},
        {"AWS_SESSION_TOKEN", std::nullopt},
        {"AWS_PROFILE", std::nullopt},
        {"AWS_REGION", std::string(kFauxqsRegion)},
        {"AWS_EC2_METADATA_DISABLED", std::string("true")},
    };
}

std::string Fauxqs::unique_name(const std::string& prefix) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    char buffer[17];
    std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(rng()));
    return prefix + "-" + buffer;
}

std::string Fauxqs::create_topic(const std::string& name) const {
    pugi::xml_document doc = sns_.query_call("CreateTopic", {{"Name", name}}, sns::kSnsApiVersion);
    return required_text(doc, "TopicArn", "CreateTopic");
}

std::string Fauxqs::create_queue(const std::string& name) const {
    nlohmann::json answer = sqs_.json_call("AmazonSQS.CreateQueue", {{"QueueName", name}});
    if (!answer.contains("QueueUrl") || !answer["QueueUrl"].is_string()) {
        throw std::runtime_error("fauxqs CreateQueue answered without QueueUrl: " + answer.dump());
    }
    return answer["QueueUrl"].get<std::string>();
}

std::string Fauxqs::queue_arn(const std::string& queue_url) const {
    nlohmann::json answer = sqs_.json_call("AmazonSQS.GetQueueAttributes",
                                           {{"QueueUrl", queue_url}, {"AttributeNames", nlohmann::json::array({"QueueArn"})}});
    const nlohmann::json* arn = nullptr;
    if (answer.contains("Attributes") && answer["Attributes"].contains("QueueArn")) arn = &answer["Attributes"]["QueueArn"];
    if (arn == nullptr || !arn->is_string()) {
        throw std::runtime_error("fauxqs GetQueueAttributes answered without Attributes.QueueArn: " + answer.dump());
    }
    return arn->get<std::string>();
}

std::string Fauxqs::subscribe(const std::string& topic_arn, const std::string& queue_arn, bool raw_message_delivery) const {
    pugi::xml_document doc = sns_.query_call("Subscribe",
                                             {{"TopicArn", topic_arn},
                                              {"Protocol", "sqs"},
                                              {"Endpoint", queue_arn},
                                              {"Attributes.entry.1.key", "RawMessageDelivery"},
                                              {"Attributes.entry.1.value", raw_message_delivery ? "true" : "false"},
                                              {"ReturnSubscriptionArn", "true"}},
                                             sns::kSnsApiVersion);
    return required_text(doc, "SubscriptionArn", "Subscribe");
}

TopicWithQueue Fauxqs::create_topic_with_queue(const std::string& prefix) const {
    TopicWithQueue out;
    const std::string name = unique_name(prefix);
    out.topic_arn = create_topic(name);
    out.queue_url = create_queue(name);
    out.queue_arn = queue_arn(out.queue_url);
    out.subscription_arn = subscribe(out.topic_arn, out.queue_arn, false);
    return out;
}

std::vector<std::string> Fauxqs::receive_all_bodies(const std::string& queue_url, std::chrono::milliseconds quiet,
                                                    std::chrono::milliseconds timeout) const {
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + timeout;
    auto empty_since = Clock::now();
    bool was_empty = false;
    std::vector<std::string> bodies;
    for (;;) {
        if (Clock::now() > deadline) {
            throw std::runtime_error("fauxqs queue " + queue_url + " kept returning messages for longer than " +
                                     std::to_string(timeout.count()) + " ms (" + std::to_string(bodies.size()) + " so far)");
        }
        nlohmann::json answer = sqs_.json_call(
            "AmazonSQS.ReceiveMessage",
            {{"QueueUrl", queue_url}, {"MaxNumberOfMessages", 10}, {"WaitTimeSeconds", 0}, {"VisibilityTimeout", 60}});
        const nlohmann::json messages = answer.value("Messages", nlohmann::json::array());
        if (!messages.is_array() || messages.empty()) {
            if (!was_empty) {
                was_empty = true;
                empty_since = Clock::now();
            } else if (Clock::now() - empty_since >= quiet) {
                return bodies;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
            continue;
        }
        was_empty = false;
        nlohmann::json entries = nlohmann::json::array();
        for (std::size_t i = 0; i < messages.size(); ++i) {
            bodies.push_back(messages[i].at("Body").get<std::string>());
            entries.push_back({{"Id", "m" + std::to_string(i)}, {"ReceiptHandle", messages[i].at("ReceiptHandle")}});
        }
        nlohmann::json deleted = sqs_.json_call("AmazonSQS.DeleteMessageBatch", {{"QueueUrl", queue_url}, {"Entries", entries}});
        if (deleted.contains("Failed") && deleted["Failed"].is_array() && !deleted["Failed"].empty()) {
            throw std::runtime_error("fauxqs DeleteMessageBatch failed for some entries: " + deleted["Failed"].dump());
        }
    }
}

std::vector<SnsEnvelope> Fauxqs::receive_all(const std::string& queue_url, std::chrono::milliseconds quiet,
                                             std::chrono::milliseconds timeout) const {
    std::vector<SnsEnvelope> out;
    for (const std::string& body : receive_all_bodies(queue_url, quiet, timeout)) out.push_back(parse_envelope(body));
    return out;
}

SnsEnvelope Fauxqs::parse_envelope(const std::string& body) {
    nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
    if (!doc.is_object() || !doc.contains("Message") || !doc["Message"].is_string()) {
        throw std::runtime_error("an SQS message is not an SNS notification envelope (subscribed with raw delivery?): " +
                                 body.substr(0, 300));
    }
    SnsEnvelope e;
    e.type = doc.value("Type", "");
    e.message_id = doc.value("MessageId", "");
    e.topic_arn = doc.value("TopicArn", "");
    if (doc.contains("Subject") && doc["Subject"].is_string()) e.subject = doc["Subject"].get<std::string>();
    e.message = doc["Message"].get<std::string>();
    e.raw = std::move(doc);
    return e;
}

}  // namespace wp_test
