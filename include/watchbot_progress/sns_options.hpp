#pragma once
// How SnsNotifier (sns_notifier.hpp) publishes: the topic, the AWS settings (aws_options.hpp) and
// the retries of partial batch failures.

#include <chrono>
#include <string>

#include "watchbot_progress/aws_options.hpp"

namespace watchbot_progress {

struct SnsOptions {
    // The topic: arn:PARTITION:sns:REGION:ACCOUNT:NAME. Empty: the WorkTopic environment variable.
    std::string topic_arn;
    // Region, endpoint, credentials, retries (aws.max_attempts: 0 to 100) and timeouts. The
    // endpoint, when empty: AWS_ENDPOINT_URL_SNS, else AWS_ENDPOINT_URL, else the default.
    AwsOptions aws;
    // Rounds of PublishBatch for one batch: the first round sends every entry, each later round
    // only the entries refused with a retryable failure. At least 1.
    int batch_attempts = 3;
    // Full-jitter exponential backoff between attempts and between batch rounds:
    // random(0, min(retry_max_delay, retry_base_delay * 2^(n-1))).
    std::chrono::milliseconds retry_base_delay{100};
    std::chrono::milliseconds retry_max_delay{20'000};
};

}  // namespace watchbot_progress
