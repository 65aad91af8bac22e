#!/usr/bin/env bash
# Creates an SNS topic on fauxqs (the SNS/SQS emulator tools/services.sh starts) and prints its ARN;
# with --queue, also creates an SQS queue, subscribes it to the topic (RawMessageDelivery false, so
# it receives the usual notification envelopes) and prints the queue URL on a second line.
#
#   tools/fauxqs-create-topic.sh [--endpoint URL] [--queue] NAME
#
#   --endpoint URL   the emulator (default: $WP_TEST_FAUXQS_ENDPOINT, as written by services.sh)
#   --queue          also make a queue NAME subscribed to the topic
#
# For the emulator only: requests are unsigned (fauxqs does not check signatures) and the topic is
# created in fauxqs's default region, us-east-1. Exits non-zero with a message when a call fails.
#
# Example (the throughput tool against fauxqs):
#   tools/services.sh start /tmp/wp-svc && source /tmp/wp-svc/env
#   topic=$(tools/fauxqs-create-topic.sh bench-topic)
#   AWS_ENDPOINT_URL_SNS=$WP_TEST_FAUXQS_ENDPOINT AWS_ACCESS_KEY_ID=fake AWS_SECRET_ACCESS_KEY=fake \
#     AWS_REGION=us-east-1 watchbot-progress-bench --backend memory:// --topic "$topic" --parts 10000
set -euo pipefail

usage() { echo "usage: $0 [--endpoint URL] [--queue] NAME" >&2; exit 2; }

endpoint=${WP_TEST_FAUXQS_ENDPOINT:-}
with_queue=""
name=""
while [ $# -gt 0 ]; do
    case "$1" in
        --endpoint) [ $# -ge 2 ] || usage; endpoint=$2; shift 2 ;;
        --queue) with_queue=1; shift ;;
        -h|--help) usage ;;
        -*) echo "unknown option $1" >&2; usage ;;
        *) [ -z "$name" ] || usage; name=$1; shift ;;
    esac
done
[ -n "$name" ] || usage
if [ -z "$endpoint" ]; then
    echo "no fauxqs endpoint: pass --endpoint http://127.0.0.1:PORT or source the env file tools/services.sh start wrote" >&2
    exit 2
fi
if ! [[ "$name" =~ ^[A-Za-z0-9_-]{1,80}$ ]]; then
    echo "the name '$name' may hold only letters, digits, '-' and '_' (1 to 80 of them)" >&2
    exit 2
fi

fail() { echo "fauxqs-create-topic: $1" >&2; exit 1; }

# SNS query protocol: form-encoded POST, XML answer.
sns() {
    curl -sS --fail-with-body -X POST "$endpoint/" \
        -H 'Content-Type: application/x-www-form-urlencoded; charset=utf-8' "$@"
}
# SQS JSON protocol (the only one fauxqs serves).
sqs() {
    local action=$1 body=$2
    curl -sS --fail-with-body -X POST "$endpoint/" \
        -H 'Content-Type: application/x-amz-json-1.0' -H "X-Amz-Target: AmazonSQS.$action" --data "$body"
}
xml_field() { sed -n "s:.*<$1>\([^<]*\)</$1>.*:\1:p" | head -n1; }
json_field() { sed -n "s/.*\"$1\" *: *\"\([^\"]*\)\".*/\1/p" | head -n1; }

answer=$(sns --data-urlencode "Action=CreateTopic" --data-urlencode "Name=$name" \
    --data-urlencode "Version=2010-03-31") || fail "CreateTopic failed: $answer"
topic_arn=$(printf '%s' "$answer" | xml_field TopicArn)
[ -n "$topic_arn" ] || fail "CreateTopic answered without a TopicArn: $answer"
echo "$topic_arn"

if [ -n "$with_queue" ]; then
    answer=$(sqs CreateQueue "{\"QueueName\":\"$name\"}") || fail "CreateQueue failed: $answer"
    queue_url=$(printf '%s' "$answer" | json_field QueueUrl)
    [ -n "$queue_url" ] || fail "CreateQueue answered without a QueueUrl: $answer"
    answer=$(sqs GetQueueAttributes "{\"QueueUrl\":\"$queue_url\",\"AttributeNames\":[\"QueueArn\"]}") ||
        fail "GetQueueAttributes failed: $answer"
    queue_arn=$(printf '%s' "$answer" | json_field QueueArn)
    [ -n "$queue_arn" ] || fail "GetQueueAttributes answered without a QueueArn: $answer"
    answer=$(sns --data-urlencode "Action=Subscribe" --data-urlencode "TopicArn=$topic_arn" \
        --data-urlencode "Protocol=sqs" --data-urlencode "Endpoint=$queue_arn" \
        --data-urlencode "Attributes.entry.1.key=RawMessageDelivery" \
        --data-urlencode "Attributes.entry.1.value=false" --data-urlencode "Version=2010-03-31") ||
        fail "Subscribe failed: $answer"
    printf '%s' "$answer" | grep -q '<SubscriptionArn>' || fail "Subscribe answered without a SubscriptionArn: $answer"
    echo "$queue_url"
fi
