#pragma once
// The SNS notifier: publishes map and reduce messages to an Amazon SNS topic (what watchbot
// subscribes its work queue to), over the SNS query protocol (Publish / PublishBatch, API version
// 2010-03-31), signed with AWS Signature Version 4.
//
//   auto notifier = std::make_shared<wp::SnsNotifier>(wp::SnsOptions{.topic_arn = "arn:aws:sns:us-east-1:123456789012:work"});
//   auto notifier = wp::SnsNotifier::from_env();   // the WorkTopic environment variable
//
// Configuration, as the AWS SDKs read it:
//   topic     SnsOptions::topic_arn, else the WorkTopic environment variable
//   region    SnsOptions::aws.region, else the topic ARN's region, else AWS_REGION, else AWS_DEFAULT_REGION
//   endpoint  SnsOptions::aws.endpoint, else AWS_ENDPOINT_URL_SNS, else AWS_ENDPOINT_URL, else
//             https://sns.REGION.amazonaws.com
//   credentials  SnsOptions::aws's static keys, else the default chain: environment, profiles, ECS
//             container, EC2 instance metadata (first that answers), looked up at the first
//             publish and refreshed before they expire
//   retries   SnsOptions::aws.max_attempts, else AWS_MAX_ATTEMPTS, else 3 attempts per request (AWS
//             "standard" mode: throttling, 5xx and connection errors, full-jitter backoff)
//
// Limits (limits(): kSnsLimits): a message is at most 262,144 bytes; a batch at most 10 messages and
// 262,144 bytes in all. create_job checks every message against them and SNS's other rules
// (Notifier's checks, notifier.hpp) before it writes the job; publishing checks again and throws
// InvalidInput, sending nothing, when a message or batch breaks them.
//
// Partial batch failures: PublishBatch may accept some entries and refuse others. The refused ones
// are sent again (only those, up to SnsOptions::batch_attempts rounds, with backoff) unless SNS
// says the fault is the sender's (SenderFault=true; throttling codes excepted), which no retry can
// fix. Entries still refused are reported in PublishError::failed_indexes(), never dropped.
//
// Thread safety: every method may be called concurrently from any threads; requests go out on a
// pool of kept-alive connections (one per concurrent caller), so create_job's `workers` publishing
// threads use that many connections at once.
//
// Errors never contain credentials, signatures or session tokens.

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "watchbot_progress/export.hpp"
#include "watchbot_progress/notifier.hpp"
#include "watchbot_progress/sns_options.hpp"

namespace watchbot_progress {

// Counters since the notifier was made; cheap (atomics), safe to read at any time.
struct SnsStats {
    std::uint64_t requests = 0;            // HTTP requests sent, retries included
    std::uint64_t bytes_sent = 0;          // request body bytes
    std::uint64_t bytes_received = 0;      // response body bytes
    std::uint64_t messages_published = 0;  // messages SNS accepted
    std::uint64_t messages_failed = 0;     // messages reported as not published (in PublishError or BackendError)
    std::uint64_t entries_retried = 0;     // batch entries sent again after a partial batch failure
};

namespace detail {
struct SnsNotifierAccess;  // src/notifiers/sns/sns_notifier_access.hpp
}  // namespace detail

class WATCHBOT_PROGRESS_EXPORT SnsNotifier final : public Notifier {
public:
    static constexpr std::size_t kMaxMessageBytes = kSnsLimits.max_message_bytes;
    static constexpr std::size_t kMaxBatchEntries = kSnsLimits.max_batch_entries;
    static constexpr std::size_t kMaxBatchBytes = kSnsLimits.max_batch_bytes;

    // Resolves the configuration described above; sends nothing. Throws ConfigError when no topic is
    // given and WorkTopic is unset, when the topic is not an SNS topic ARN (the message says what is
    // wrong with it), when no region can be found, or when an endpoint or AWS_MAX_ATTEMPTS is
    // malformed.
    explicit SnsNotifier(SnsOptions options = {});
    ~SnsNotifier() override;
    SnsNotifier(const SnsNotifier&) = delete;
    SnsNotifier& operator=(const SnsNotifier&) = delete;

    // SnsNotifier(SnsOptions{}): the topic from the WorkTopic environment variable.
    static std::shared_ptr<SnsNotifier> from_env();

    NotifierLimits limits() const override { return kSnsLimits; }

    // The topic ARN.
    std::string describe() const override;

    const std::string& topic_arn() const;
    SnsStats stats() const;

    struct WATCHBOT_PROGRESS_NO_EXPORT Impl;  // src/notifiers/sns/sns_notifier.cpp

protected:
    // Publish with TopicArn, Subject and Message (publish() checked them: notifier.hpp). Throws
    // BackendError when SNS refused it or could not be reached after the retries (code() is SNS's
    // error code, e.g. "NotFound", "AuthorizationError", "ThrottlingException", "ConnectionError").
    void do_publish(const std::string& subject, const std::string& body) override;

    // PublishBatch of every message (entry ids are the messages' indexes; publish_batch checked the
    // batch). Throws PublishError when some messages were still not published after the retries
    // described above: failed_indexes() (ascending) are the indexes of exactly those messages, the
    // others were published; code() is the first failure's code ("InternalError",
    // "ConnectionError", ...), retryable() whether every failure is worth retrying later.
    void do_publish_batch(std::span<const OutgoingMessage> messages) override;

    // Resolves the credentials (the default chain, or those configured), sending no message:
    // ConfigError when none are found.
    void do_check_ready() override;

private:
    // The library builds notifiers on an explicit AWS client configuration through
    // detail::SnsNotifierAccess (src/notifiers/sns/sns_notifier_access.hpp, for tests and fuzzers).
    friend struct detail::SnsNotifierAccess;
    explicit SnsNotifier(std::unique_ptr<Impl> impl);

    std::unique_ptr<Impl> impl_;
};

}  // namespace watchbot_progress
