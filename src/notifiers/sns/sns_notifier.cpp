#include "watchbot_progress/sns_notifier.hpp"

#include <algorithm>
#include <memory>
#include <functional>
#include <atomic>
#include <map>
#include <vector>

#include "aws/client_config.hpp"
#include "aws/credentials_chain.hpp"
#include "aws/endpoint.hpp"
#include "aws/http_client.hpp"
#include "aws/retry.hpp"
#include "aws/counting_http_client.hpp"
#include "notifiers/sns/sns_batch.hpp"
#include "notifiers/sns/sns_notifier_config.hpp"
#include "notifiers/sns/sns_notifier_access.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress {

struct SnsNotifier::Impl {
    // `config.http` (or a CurlHttpClient) is wrapped in a CountingHttpClient (count_traffic).
    Impl(std::string topic_arn, const SnsOptions& options, aws::AwsClientConfig config);

    std::string topic_arn;
    int batch_attempts;
    aws::RetryPolicy batch_retry;  // backoff between PublishBatch rounds
    std::shared_ptr<aws::CountingHttpClient> http;
    aws::AwsClient client;

    std::atomic<std::uint64_t> messages_published{0};
    std::atomic<std::uint64_t> messages_failed{0};
    std::atomic<std::uint64_t> entries_retried{0};
};

namespace detail::sns {

using namespace watchbot_progress::aws;

std::string sns_topic_arn(const SnsOptions& options, const EnvLookup& env) {
    if (!options.topic_arn.empty()) {
        parse_sns_topic_arn(options.topic_arn, "the topic");
        return options.topic_arn;
    }
    const std::optional<std::string> from_env = env_non_empty(env, "WorkTopic");
    if (!from_env) {
        throw ConfigError(
            "no SNS topic given and the WorkTopic environment variable is not set: set WorkTopic to the topic's ARN "
            "(arn:aws:sns:REGION:ACCOUNT:TOPIC_NAME) or pass SnsOptions::topic_arn");
    }
    parse_sns_topic_arn(*from_env, "WorkTopic");
    return *from_env;
}

namespace {
AwsClientConfig sns_config(const SnsOptions& options, const std::string& topic_arn, const EnvLookup& env,
                           std::shared_ptr<CredentialsProvider> credentials) {
    const Arn arn = parse_sns_topic_arn(topic_arn, "the topic");
    if (options.batch_attempts < 1 || options.batch_attempts > 100) {
        throw ConfigError("SnsOptions::batch_attempts is " + std::to_string(options.batch_attempts) + ": give 1 to 100 rounds");
    }
    if (options.retry_base_delay.count() < 0 || options.retry_max_delay.count() < 0) {
        throw ConfigError("SnsOptions::retry_base_delay and retry_max_delay must not be negative");
    }
    AwsClientConfig config = client_config("sns", options.aws, arn, env, std::move(credentials), "SnsOptions::aws");
    config.retry.base_delay = options.retry_base_delay;
    config.retry.max_backoff = options.retry_max_delay;
    return config;
}
}  // namespace

AwsClientConfig sns_client_config(const SnsOptions& options, const std::string& topic_arn) {
    return sns_config(options, topic_arn, process_env(), shared_default_credentials_chain());
}

AwsClientConfig sns_client_config(const SnsOptions& options, const std::string& topic_arn, const EnvLookup& env) {
    return sns_config(options, topic_arn, env, default_credentials_for(env));
}

namespace {
// `config` with its requests counted by `counting` (set here), for the Impl's member initializers.
AwsClientConfig with_counting_http(AwsClientConfig config, std::shared_ptr<CountingHttpClient>& counting) {
    counting = count_traffic(config);
    return config;
}
}  // namespace

std::shared_ptr<SnsNotifier> make_sns_notifier(const SnsOptions& options,
                                               const std::function<void(AwsClientConfig&)>& customize,
                                               const EnvLookup& env) {
    std::string topic = sns_topic_arn(options, env);
    AwsClientConfig config = sns_client_config(options, topic, env);
    if (customize) customize(config);
    return detail::SnsNotifierAccess::make(std::move(topic), options, std::move(config));
}

}  // namespace detail::sns

std::shared_ptr<SnsNotifier> detail::SnsNotifierAccess::make(std::string topic_arn, const SnsOptions& options,
                                                             aws::AwsClientConfig config) {
    return std::shared_ptr<SnsNotifier>(
        new SnsNotifier(std::make_unique<SnsNotifier::Impl>(std::move(topic_arn), options, std::move(config))));
}

SnsNotifier::Impl::Impl(std::string topic, const SnsOptions& options, aws::AwsClientConfig config)
    : topic_arn(std::move(topic)),
      batch_attempts(std::max(1, options.batch_attempts)),
      client(detail::sns::with_counting_http(std::move(config), http)) {
    batch_retry.base_delay = options.retry_base_delay;
    batch_retry.max_backoff = options.retry_max_delay;
    batch_retry.max_attempts = batch_attempts;
}

namespace {

struct EntryFailure {
    std::string code;
    std::string message;
    bool sender_fault = false;
    bool retryable = false;
    int rounds = 0;
};

std::string describe_failures(const std::map<std::size_t, EntryFailure>& failed) {
    // Up to three distinct failures, then a count.
    std::string out;
    std::vector<std::string> seen;
    std::size_t shown = 0;
    for (const auto& [index, f] : failed) {
        std::string key = f.code + "|" + f.message;
        if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
        seen.push_back(std::move(key));
        if (shown == 3) {
            out += "; ...";
            break;
        }
        if (shown++) out += "; ";
        out += "message " + std::to_string(index) + ": " + f.code;
        if (!f.message.empty()) out += " (" + f.message.substr(0, 200) + ")";
        if (f.sender_fault && !f.retryable) out += ", a sender fault, not retried";
        else out += " after " + std::to_string(f.rounds) + (f.rounds == 1 ? " round" : " rounds");
    }
    return out;
}

}  // namespace

SnsNotifier::SnsNotifier(SnsOptions options) {
    std::string topic = detail::sns::sns_topic_arn(options, aws::process_env());
    aws::AwsClientConfig config = detail::sns::sns_client_config(options, topic);
    impl_ = std::make_unique<Impl>(std::move(topic), options, std::move(config));
}

SnsNotifier::SnsNotifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
    if (!impl_) throw ConfigError("SnsNotifier needs an implementation");
}

SnsNotifier::~SnsNotifier() = default;

std::shared_ptr<SnsNotifier> SnsNotifier::from_env() { return std::make_shared<SnsNotifier>(SnsOptions{}); }

std::string SnsNotifier::describe() const { return impl_->topic_arn; }

const std::string& SnsNotifier::topic_arn() const { return impl_->topic_arn; }

SnsStats SnsNotifier::stats() const {
    SnsStats s;
    const aws::HttpTraffic traffic = impl_->http->traffic();
    s.requests = traffic.requests;
    s.bytes_sent = traffic.bytes_sent;
    s.bytes_received = traffic.bytes_received;
    s.messages_published = impl_->messages_published.load();
    s.messages_failed = impl_->messages_failed.load();
    s.entries_retried = impl_->entries_retried.load();
    return s;
}

void SnsNotifier::do_check_ready() {
    const auto& credentials = impl_->client.config().credentials;
    if (credentials && impl_->client.config().sign_requests) credentials->get_credentials();
}

void SnsNotifier::do_publish(const std::string& subject, const std::string& body) {
    const aws::QueryParams params{{"TopicArn", impl_->topic_arn}, {"Subject", subject}, {"Message", body}};
    try {
        detail::sns::parse_publish_response(impl_->client.query_call("Publish", params, detail::sns::kSnsApiVersion));
    } catch (const BackendError&) {
        ++impl_->messages_failed;
        throw;
    }
    ++impl_->messages_published;
}

void SnsNotifier::do_publish_batch(std::span<const OutgoingMessage> messages) {
    std::vector<std::size_t> pending(messages.size());
    for (std::size_t i = 0; i < pending.size(); ++i) pending[i] = i;
    std::map<std::size_t, EntryFailure> failed;  // final failures, by index
    std::uint64_t published = 0;

    for (int round = 1;; ++round) {
        pugi::xml_document doc;
        detail::sns::SnsBatchResult result;
        try {
            doc = impl_->client.query_call("PublishBatch", detail::sns::publish_batch_params(impl_->topic_arn, messages, pending),
                                           detail::sns::kSnsApiVersion);
            result = detail::sns::parse_publish_batch_response(doc);
        } catch (const BackendError& e) {
            // The whole request failed (after the AWS layer's own retries): every entry still pending
            // counts as not published (SNS may have taken some when the answer was lost; watchbot
            // parts are safe to receive twice).
            std::vector<std::size_t> indexes = pending;
            for (const auto& [index, f] : failed) indexes.push_back(index);
            std::sort(indexes.begin(), indexes.end());
            impl_->messages_published += published;
            impl_->messages_failed += indexes.size();
            std::string message = std::to_string(indexes.size()) + " of " + std::to_string(messages.size()) +
                                  " messages could not be published to " + impl_->topic_arn + ": " + e.what();
            if (!failed.empty()) message += "; earlier refusals: " + describe_failures(failed);
            const bool retryable = e.retryable() && std::all_of(failed.begin(), failed.end(), [](const auto& kv) {
                                       return kv.second.retryable;
                                   });
            throw PublishError(message, e.code(), retryable, std::move(indexes));
        }

        std::vector<bool> answered(messages.size(), false);
        auto index_of = [&](const std::string& id) -> std::optional<std::size_t> {
            std::size_t value = 0;
            if (id.empty() || id.size() > 3 || id.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
            value = std::stoul(id);
            if (value >= messages.size()) return std::nullopt;
            if (std::find(pending.begin(), pending.end(), value) == pending.end()) return std::nullopt;
            return value;
        };
        for (const std::string& id : result.successful) {
            if (auto index = index_of(id); index && !answered[*index]) {
                answered[*index] = true;
                ++published;
            }
        }
        std::vector<std::size_t> retry;
        for (const detail::sns::SnsBatchFailure& f : result.failed) {
            auto index = index_of(f.id);
            if (!index || answered[*index]) continue;
            answered[*index] = true;
            EntryFailure entry{f.code, f.message, f.sender_fault, detail::sns::sns_entry_retryable(f), round};
            if (entry.retryable && round < impl_->batch_attempts) retry.push_back(*index);
            else failed[*index] = std::move(entry);
        }
        // SNS answers for every entry; one it did not mention is sent again (a duplicate map
        // message is harmless, a lost one would stall the job).
        for (std::size_t index : pending) {
            if (answered[index]) continue;
            EntryFailure entry{"MissingFromResponse", "SNS's answer did not mention this entry", false, true, round};
            if (round < impl_->batch_attempts) retry.push_back(index);
            else failed[index] = std::move(entry);
        }
        if (retry.empty()) break;
        std::sort(retry.begin(), retry.end());
        impl_->entries_retried += retry.size();
        pending = std::move(retry);
        const aws::RetryHooks& hooks = impl_->client.config().hooks;
        hooks.sleep(aws::backoff_delay(impl_->batch_retry, round, hooks.random()));
    }

    impl_->messages_published += published;
    if (failed.empty()) return;
    impl_->messages_failed += failed.size();
    std::vector<std::size_t> indexes;
    indexes.reserve(failed.size());
    bool retryable = true;
    for (const auto& [index, f] : failed) {
        indexes.push_back(index);
        retryable = retryable && f.retryable;
    }
    const std::string code = failed.begin()->second.code;
    throw PublishError(std::to_string(failed.size()) + " of " + std::to_string(messages.size()) +
                           " messages could not be published to " + impl_->topic_arn + " (SNS PublishBatch refused them): " +
                           describe_failures(failed) +
                           (retryable ? "; try again later" : "; fix the messages or the topic, then send them again"),
                       code, retryable, std::move(indexes));
}

}  // namespace watchbot_progress
