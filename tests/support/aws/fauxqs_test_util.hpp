#pragma once
// Test helpers for fauxqs, the SNS/SQS emulator tools/services.sh starts (WP_TEST_FAUXQS_ENDPOINT):
// make a topic, a queue subscribed to it, and read back every SNS notification the queue received.
// Calls go through the project's AwsClient (SNS: query protocol; SQS: JSON protocol, which is all
// fauxqs serves), signed with fixed fake credentials.
//
//   auto fauxqs = wp_test::Fauxqs::from_env();          // fails the test when the variable is unset
//   auto sink = fauxqs.create_topic_with_queue("create-job");
//   wp_test::ScopedEnv env = fauxqs.client_env();       // AWS_ENDPOINT_URL_SNS etc. for library code
//   ... publish to sink.topic_arn ...
//   std::vector<wp_test::SnsEnvelope> got = fauxqs.receive_all(sink.queue_url);
//
// fauxqs delivers SNS→SQS synchronously (the message is in the queue when Publish returns), so
// receive_all() can stop once the queue stays empty for a short quiet period.
//
// Thread safety: a Fauxqs may be used from several threads (AwsClient is thread-safe); ScopedEnv
// mutates the process environment and must not race other threads reading it.

#include <chrono>
#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "aws/aws_client.hpp"

namespace wp_test {

// The fake credentials and region the helpers sign with (and client_env() exports).
inline constexpr const char* kFauxqsAccessKeyId = "AKIDFAUXQSTEST000001";
inline constexpr const char* kFauxqsSecretKey = "fauxqsTestSecretKey/0123456789abcdefghij";
inline constexpr const char* kFauxqsRegion = "us-east-1";

// Sets (or unsets, for std::nullopt) environment variables; restores the previous values when
// destroyed. Move-only.
class ScopedEnv {
public:
    ScopedEnv() = default;
    explicit ScopedEnv(const std::map<std::string, std::optional<std::string>>& vars);
    ~ScopedEnv();
    ScopedEnv(ScopedEnv&& other) noexcept;
    ScopedEnv& operator=(ScopedEnv&& other) noexcept;
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

    void set(const std::string& name, const std::optional<std::string>& value);

private:
    void restore();
    std::map<std::string, std::optional<std::string>> saved_;
};

// One SNS notification as an SQS subscriber (RawMessageDelivery false) receives it.
struct SnsEnvelope {
    std::string type;        // "Notification"
    std::string message_id;
    std::string topic_arn;
    std::optional<std::string> subject;  // unset when published without one (JSON null)
    std::string message;     // the published Message text
    nlohmann::json raw;      // the whole envelope
};

struct TopicWithQueue {
    std::string topic_arn;
    std::string queue_url;
    std::string queue_arn;
    std::string subscription_arn;
};

class Fauxqs {
public:
    // Clients for the emulator at `endpoint` (http://127.0.0.1:PORT).
    explicit Fauxqs(std::string endpoint);
    // The endpoint from WP_TEST_FAUXQS_ENDPOINT; throws std::runtime_error (failing the test, never
    // skipping it) when the variable is unset.
    static Fauxqs from_env();

    const std::string& endpoint() const { return endpoint_; }

    // The variables library code needs to reach fauxqs on its own: AWS_ENDPOINT_URL_SNS,
    // AWS_ENDPOINT_URL_SQS, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION; AWS_SESSION_TOKEN,
    // AWS_PROFILE and AWS_ENDPOINT_URL unset; AWS_EC2_METADATA_DISABLED=true.
    std::map<std::string, std::optional<std::string>> client_env_vars() const;
    ScopedEnv client_env() const { return ScopedEnv(client_env_vars()); }

    // A name no other call of this process (or, practically, any other process) used:
    // "<prefix>-<random hex>", letters, digits and '-' only.
    static std::string unique_name(const std::string& prefix);

    // SNS CreateTopic; returns the topic ARN.
    std::string create_topic(const std::string& name) const;
    // SQS CreateQueue; returns the queue URL.
    std::string create_queue(const std::string& name) const;
    // SQS GetQueueAttributes QueueArn.
    std::string queue_arn(const std::string& queue_url) const;
    // SNS Subscribe with Protocol=sqs and the RawMessageDelivery attribute; returns the subscription ARN.
    std::string subscribe(const std::string& topic_arn, const std::string& queue_arn, bool raw_message_delivery = false) const;
    // A fresh topic and queue (named unique_name(prefix)), the queue subscribed with envelopes.
    TopicWithQueue create_topic_with_queue(const std::string& prefix) const;

    // Receives (MaxNumberOfMessages 10) and deletes (DeleteMessageBatch) messages until the queue
    // has answered empty for `quiet`; returns the raw SQS bodies in arrival order. Throws
    // std::runtime_error after `timeout` overall.
    std::vector<std::string> receive_all_bodies(const std::string& queue_url,
                                                std::chrono::milliseconds quiet = std::chrono::milliseconds(300),
                                                std::chrono::milliseconds timeout = std::chrono::seconds(120)) const;
    // receive_all_bodies(), each parsed as an SNS envelope (std::runtime_error when one is not).
    std::vector<SnsEnvelope> receive_all(const std::string& queue_url,
                                         std::chrono::milliseconds quiet = std::chrono::milliseconds(300),
                                         std::chrono::milliseconds timeout = std::chrono::seconds(120)) const;

    static SnsEnvelope parse_envelope(const std::string& body);

    // The clients, for calls the helpers above do not cover.
    const watchbot_progress::aws::AwsClient& sns() const { return sns_; }
    const watchbot_progress::aws::AwsClient& sqs() const { return sqs_; }

private:
    std::string endpoint_;
    watchbot_progress::aws::AwsClient sns_;
    watchbot_progress::aws::AwsClient sqs_;
};

}  // namespace wp_test
