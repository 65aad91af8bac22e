// What a notifier accepts, for every notifier shipped with the library: the same messages
// (tests/data/notifier_rules.json: hostile subjects and bodies, and the edge cases SNS accepts) go
// to the memory notifier, the local queue, SNS (fauxqs, WP_TEST_FAUXQS_ENDPOINT) and a forwarding
// notifier, and each must answer the same: InvalidInput with the same message (what was wrong and
// what to do), nothing delivered, for a refused message; delivery for an accepted one. The Python
// package's notifier gets the same cases in python/tests/test_notifier_rules.py.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <typeinfo>
#include <vector>

#include <nlohmann/json.hpp>

#include "aws/fauxqs_test_util.hpp"
#include "factories/sqlite_factory.hpp"
#include "notifiers/sns/sns_notifier_access.hpp"
#include "test_paths.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/forwarding.hpp"
#include "watchbot_progress/local_queue.hpp"
#include "watchbot_progress/memory_notifier.hpp"
#include "watchbot_progress/sns_notifier.hpp"

namespace wp = watchbot_progress;
namespace sns = watchbot_progress::detail::sns;
using ::testing::HasSubstr;

namespace {

// One notifier under test and a way to read back everything it delivered.
struct Harness {
    std::string name;
    std::shared_ptr<wp::Notifier> notifier;
    std::function<std::vector<wp::OutgoingMessage>()> delivered;
};

// Every notifier shipped with the library, each fresh (nothing delivered yet).
std::vector<Harness> every_notifier(const wp_test::Fauxqs& fauxqs) {
    std::vector<Harness> out;

    auto memory = std::make_shared<wp::MemoryNotifier>();
    out.push_back({"memory", memory, [memory] { return memory->messages(); }});

    auto queue = wp::LocalQueueNotifier::from_uri("sqlite://" + wp_test::make_temp_dir("wp-rules-") + "/queue.db");
    out.push_back({"local queue", queue, [queue] {
                       std::vector<wp::OutgoingMessage> got;
                       for (const auto& m : queue->queue()->list_messages()) got.push_back({m.subject, m.body});
                       return got;
                   }});

    const wp_test::TopicWithQueue sink = fauxqs.create_topic_with_queue("wp-rules");
    auto sns = sns::make_sns_notifier(
        wp::SnsOptions{.topic_arn = sink.topic_arn, .aws = {.endpoint = fauxqs.endpoint()}},
        [](watchbot_progress::aws::AwsClientConfig& c) {
            c.credentials = std::make_shared<watchbot_progress::aws::StaticCredentialsProvider>(watchbot_progress::aws::Credentials{
                wp_test::kFauxqsAccessKeyId, wp_test::kFauxqsSecretKey, std::nullopt, std::nullopt});
        },
        watchbot_progress::aws::map_env({}));
    out.push_back({"sns", sns, [&fauxqs, sink] {
                       std::vector<wp::OutgoingMessage> got;
                       for (const auto& e : fauxqs.receive_all(sink.queue_url)) got.push_back({e.subject.value_or(""), e.message});
                       return got;
                   }});

    auto inner = std::make_shared<wp::MemoryNotifier>();
    out.push_back({"forwarding", std::make_shared<wp::ForwardingNotifier>(inner), [inner] { return inner->messages(); }});
    return out;
}

std::string from_hex(const std::string& hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return out;
}

// A subject or body as the cases file writes it: {"text"}, {"hex"} or {"repeat", "times"}.
std::string bytes_of(const nlohmann::json& spec) {
    if (spec.contains("text")) return spec.at("text").get<std::string>();
    if (spec.contains("hex")) return from_hex(spec.at("hex").get<std::string>());
    std::string out;
    const std::string unit = spec.at("repeat").get<std::string>();
    for (std::size_t i = 0, n = spec.at("times").get<std::size_t>(); i < n; ++i) out += unit;
    return out;
}

struct Case {
    std::string name;
    wp::OutgoingMessage message;
    std::string what;  // refused: what was wrong
    std::string todo;  // refused: what to do
};

std::vector<Case> cases(const char* kind) {
    std::ifstream in(wp_test::test_data_dir() + "/notifier_rules.json");
    if (!in) throw std::runtime_error("cannot read tests/data/notifier_rules.json");
    const nlohmann::json all = nlohmann::json::parse(in);
    std::vector<Case> out;
    for (const auto& c : all.at(kind)) {
        out.push_back({c.at("name").get<std::string>(), {bytes_of(c.at("subject")), bytes_of(c.at("body"))},
                       c.value("what", ""), c.value("todo", "")});
    }
    return out;
}

// The message of the InvalidInput `f` throws; a test failure (and "") when it throws anything else
// (a subclass included) or nothing.
std::string invalid_input_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const wp::InvalidInput& e) {
        EXPECT_EQ(typeid(e), typeid(wp::InvalidInput)) << "a subclass of InvalidInput: " << e.what();
        return e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "expected InvalidInput, got " << typeid(e).name() << ": " << e.what();
        return {};
    }
    ADD_FAILURE() << "expected InvalidInput, nothing was thrown";
    return {};
}

std::vector<std::pair<std::string, std::string>> sorted(const std::vector<wp::OutgoingMessage>& messages) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& m : messages) out.emplace_back(m.subject, m.body);
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

TEST(NotifierRules, EveryNotifierRefusesTheSameMessagesWithTheSameAnswerAndSendsNothing) {
    const wp_test::Fauxqs fauxqs = wp_test::Fauxqs::from_env();
    const std::vector<Case> refused = cases("refused");
    ASSERT_FALSE(refused.empty());
    const wp::OutgoingMessage good{"map", "{}"};
    // answers[case][notifier]: the message of publish()'s InvalidInput.
    std::map<std::string, std::map<std::string, std::string>> answers;
    for (const Harness& h : every_notifier(fauxqs)) {
        for (const Case& c : refused) {
            SCOPED_TRACE(h.name + ": " + c.name);
            const std::string checked = invalid_input_of([&] { h.notifier->check_message(c.message.subject, c.message.body); });
            const std::string published = invalid_input_of([&] { h.notifier->publish(c.message.subject, c.message.body); });
            EXPECT_EQ(checked, published) << "check_message and publish answer the same";
            EXPECT_THAT(published, HasSubstr(c.what));
            EXPECT_THAT(published, HasSubstr(c.todo));
            answers[c.name][h.name] = published;

            // In a batch, behind an acceptable message: refused as a whole, naming the message.
            const std::vector<wp::OutgoingMessage> batch{good, c.message};
            const std::string batched = invalid_input_of([&] { h.notifier->publish_batch(batch); });
            EXPECT_THAT(batched, HasSubstr("message 1 of the batch of 2"));
            EXPECT_THAT(batched, HasSubstr(c.todo));
            answers[c.name + " (batch)"][h.name] = batched;
        }
        EXPECT_TRUE(h.delivered().empty()) << h.name << " delivered a message it refused";
    }
    for (const auto& [name, by_notifier] : answers) {
        const std::string& reference = by_notifier.at("memory");
        for (const auto& [notifier, answer] : by_notifier) {
            EXPECT_EQ(answer, reference) << name << ": " << notifier << " answers otherwise than the memory notifier";
        }
    }
}

TEST(NotifierRules, EveryNotifierAcceptsAndDeliversWhatSnsAccepts) {
    const wp_test::Fauxqs fauxqs = wp_test::Fauxqs::from_env();
    const std::vector<Case> accepted = cases("accepted");
    std::vector<wp::OutgoingMessage> expected;
    std::vector<wp::OutgoingMessage> batch;  // every accepted message that fits in one batch
    std::size_t batch_bytes = 0;
    for (const Case& c : accepted) {
        expected.push_back(c.message);
        if (batch_bytes + c.message.body.size() <= wp::SnsNotifier::kMaxBatchBytes) {
            batch.push_back(c.message);
            batch_bytes += c.message.body.size();
        }
    }
    ASSERT_GT(batch.size(), 1U);
    expected.insert(expected.end(), batch.begin(), batch.end());
    for (const Harness& h : every_notifier(fauxqs)) {
        SCOPED_TRACE(h.name);
        for (const Case& c : accepted) {
            EXPECT_NO_THROW(h.notifier->check_message(c.message.subject, c.message.body)) << c.name;
            EXPECT_NO_THROW(h.notifier->publish(c.message.subject, c.message.body)) << c.name;
        }
        EXPECT_NO_THROW(h.notifier->publish_batch(batch));
        EXPECT_EQ(sorted(h.delivered()), sorted(expected));
    }
}
