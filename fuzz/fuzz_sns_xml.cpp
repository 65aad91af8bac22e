// SNS's XML answers: the error parser (src/aws/error_parsing), the Publish and PublishBatch answer
// parsers (src/notifiers/sns/sns_batch), and the SnsNotifier reading them through a fake HTTP client.
// Invariants:
//   - parse_xml_error never throws;
//   - parse_publish_response / parse_publish_batch_response throw only BackendError
//     "InvalidResponse"; a parsed batch answer written out again as SNS would write it parses to
//     the same result;
//   - publish / publish_batch throw only BackendError / PublishError (whose failed_indexes are
//     indexes of the batch, ascending); messages are one line and never hold the secret key or
//     the signature of the request answered. Requests are signed at a fixed time, so a signature
//     repeats from run to run and the fuzzer can learn it and echo it in an answer. (A server
//     echoing the signature of an earlier request tells itself nothing new: out of scope.)

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <pugixml.hpp>

#include "aws/clock.hpp"
#include "aws/credentials.hpp"
#include "aws/env.hpp"
#include "aws/error_parsing.hpp"
#include "notifiers/sns/sns_batch.hpp"
#include "notifiers/sns/sns_notifier_access.hpp"
#include "fuzz_check.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/sns_notifier.hpp"

namespace wp = watchbot_progress;
namespace aws = watchbot_progress::aws;
namespace sns = watchbot_progress::detail::sns;

namespace {

constexpr const char* kSecret = "fuzzSnsSecretNeverShown/0123456789";

// Text as XML character data: markup and every control character escaped, so that it reads back
// byte for byte (raw CR would be normalized by the parser).
std::string escaped(std::string_view text) {
    std::string out;
    for (unsigned char c : text) {
        if (c == '&') out += "&amp;";
        else if (c == '<') out += "&lt;";
        else if (c == '>') out += "&gt;";
        else if (c < 0x20) out += "&#" + std::to_string(c) + ";";
        else out.push_back(static_cast<char>(c));
    }
    return out;
}

std::string write_batch_answer(const sns::SnsBatchResult& r) {
    std::string xml = "<PublishBatchResponse><PublishBatchResult><Successful>";
    for (const auto& id : r.successful) xml += "<member><Id>" + escaped(id) + "</Id></member>";
    xml += "</Successful><Failed>";
    for (const auto& f : r.failed) {
        xml += "<member><Id>" + escaped(f.id) + "</Id><Code>" + escaped(f.code) + "</Code><Message>" + escaped(f.message) +
               "</Message><SenderFault>" + (f.sender_fault ? "true" : "false") + "</SenderFault></member>";
    }
    return xml + "</Failed></PublishBatchResult></PublishBatchResponse>";
}

bool same(const sns::SnsBatchResult& a, const sns::SnsBatchResult& b) {
    if (a.successful != b.successful || a.failed.size() != b.failed.size()) return false;
    for (std::size_t i = 0; i < a.failed.size(); ++i) {
        const auto& x = a.failed[i];
        const auto& y = b.failed[i];
        if (x.id != y.id || x.code != y.code || x.message != y.message || x.sender_fault != y.sender_fault) return false;
    }
    return true;
}

// Serves one answer to every request, and remembers the requests' signatures.
class FixedAnswer final : public aws::HttpClient {
public:
    FixedAnswer(int status, std::string body) : status_(status), body_(std::move(body)) {}
    aws::HttpResponse send(const aws::HttpRequest& request) override {
        for (const auto& [name, value] : request.headers) {
            if (name == "Authorization" && value.find("Signature=") != std::string::npos) {
                signatures.push_back(value.substr(value.find("Signature=") + 10));
            }
        }
        return {status_, {{"content-type", "text/xml"}}, body_};
    }
    std::vector<std::string> signatures;

private:
    int status_;
    std::string body_;
};

void check_no_secret(const std::string& what, const FixedAnswer& http) {
    FUZZ_CHECK(what.find(kSecret) == std::string::npos);
    if (!http.signatures.empty()) FUZZ_CHECK(what.find(http.signatures.back()) == std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    wp_fuzz::expect_errors<>("parse_xml_error", [&] { (void)aws::parse_xml_error(text, {{"x-amzn-requestid", "r"}}); });

    pugi::xml_document doc;
    if (doc.load_buffer(text.data(), text.size())) {
        std::string id;
        try {
            id = sns::parse_publish_response(doc);
            FUZZ_CHECK(!id.empty());
        } catch (const wp::BackendError& e) {
            FUZZ_CHECK(e.code() == "InvalidResponse");
            wp_fuzz::check_message(e.what());
        }
        sns::SnsBatchResult result;
        bool parsed = false;
        try {
            result = sns::parse_publish_batch_response(doc);
            parsed = true;
        } catch (const wp::BackendError& e) {
            FUZZ_CHECK(e.code() == "InvalidResponse");
        }
        if (parsed) {
            for (const auto& f : result.failed) FUZZ_CHECK(!f.code.empty());
            pugi::xml_document again;
            const std::string xml = write_batch_answer(result);
            FUZZ_CHECK(again.load_buffer(xml.data(), xml.size()));
            FUZZ_CHECK(same(sns::parse_publish_batch_response(again), result));
        }
    }

    // The notifier reading the answer, as a success and as an error status.
    for (const int status : {200, 400}) {
        for (const bool batch : {false, true}) {
            auto http = std::make_shared<FixedAnswer>(status, std::string(text));
            wp::SnsOptions options;
            options.topic_arn = "arn:aws:sns:us-east-1:123456789012:fuzz";
            options.aws.endpoint = "http://127.0.0.1:1";
            options.aws.max_attempts = 1;   // one request per call: its signature is the one to look for
            options.batch_attempts = 1;
            auto notifier = sns::make_sns_notifier(
                options,
                [&](aws::AwsClientConfig& c) {
                    c.credentials = std::make_shared<aws::StaticCredentialsProvider>(
                        aws::Credentials{"AKIDFUZZ000000000002", kSecret, std::nullopt, std::nullopt});
                    c.http = http;
                    c.clock = [] { return aws::parse_amz_date("20260101T000000Z"); };
                    c.hooks.sleep = [](std::chrono::milliseconds) {};
                },
                aws::map_env({}));
            if (!batch) {
                try {
                    notifier->publish("map", R"({"jobid":"j","partid":0})");
                } catch (const wp::BackendError& e) {
                    check_no_secret(e.what(), *http);
                    wp_fuzz::check_message(e.what(), 4000);
                } catch (const std::exception& e) {
                    wp_fuzz::unexpected("publish", e);
                }
                continue;
            }
            const std::vector<wp::OutgoingMessage> messages(3, wp::OutgoingMessage{"map", R"({"a":1})"});
            try {
                notifier->publish_batch(messages);
            } catch (const wp::PublishError& e) {
                check_no_secret(e.what(), *http);
                wp_fuzz::check_message(e.what(), 4000);
                const auto& failed = e.failed_indexes();
                FUZZ_CHECK(!failed.empty());
                for (std::size_t i = 0; i < failed.size(); ++i) {
                    FUZZ_CHECK(failed[i] < messages.size());
                    if (i > 0) FUZZ_CHECK(failed[i - 1] < failed[i]);
                }
            } catch (const std::exception& e) {
                wp_fuzz::unexpected("publish_batch", e);
            }
        }
    }
    return 0;
}
