// resend_parts: re-publishing the map messages of a job's pending or failed parts from the parts
// create_job read, after checking they are the job's.

#include <algorithm>
#include <atomic>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "watchbot_progress/watchbot_progress.hpp"

namespace wp = watchbot_progress;
using nlohmann::json;
using ::testing::HasSubstr;

namespace {

std::vector<json> make_parts(int n) {
    std::vector<json> parts;
    for (int i = 0; i < n; ++i) parts.push_back({{"url", "s3://b/" + std::to_string(i)}});
    return parts;
}

class VectorSource final : public wp::PartSource {
public:
    explicit VectorSource(std::vector<json> parts) : parts_(std::move(parts)) {}
    bool next(json& part) override {
        if (i_ >= parts_.size()) return false;
        part = parts_[i_++];
        return true;
    }
    bool rewind() override {
        i_ = 0;
        return true;
    }

private:
    std::vector<json> parts_;
    std::size_t i_ = 0;
};

struct Job {
    std::shared_ptr<wp::MemoryBackend> backend = std::make_shared<wp::MemoryBackend>();
    std::shared_ptr<wp::MemoryNotifier> notifier = std::make_shared<wp::MemoryNotifier>();
    std::vector<wp::OutgoingMessage> created;  // the map messages create_job sent
    std::string jobid;

    explicit Job(int parts, json metadata = {{"zoom", 12}}) {
        jobid = wp::create_job(make_parts(parts), {.backend = backend, .notifier = notifier, .metadata = metadata});
        created = notifier->messages();
        notifier->clear();
    }
    wp::ResendOptions options(wp::ResendOptions::Which which = wp::ResendOptions::Which::kPending) const {
        wp::ResendOptions o;
        o.which = which;
        o.backend = backend;
        o.notifier = notifier;
        o.workers = 3;
        return o;
    }
};

TEST(ResendParts, SendsThePendingPartsExactlyAsCreateJobBuiltThem) {
    Job job(10);
    for (int p : {0, 1, 2, 4, 5, 6}) job.backend->complete_part(job.jobid, p);
    VectorSource source(make_parts(10));
    EXPECT_EQ(wp::resend_parts(job.jobid, source, job.options()), (std::vector<wp::PartId>{3, 7, 8, 9}));
    auto sent = job.notifier->messages();
    std::sort(sent.begin(), sent.end(), [](const wp::OutgoingMessage& a, const wp::OutgoingMessage& b) {
        return json::parse(a.body).at("partid").get<int>() < json::parse(b.body).at("partid").get<int>();
    });
    ASSERT_EQ(sent.size(), 4u);
    const std::vector<int> expected = {3, 7, 8, 9};
    for (std::size_t i = 0; i < sent.size(); ++i) {
        EXPECT_EQ(sent[i].subject, "map");
        EXPECT_EQ(sent[i].body, job.created[static_cast<std::size_t>(expected[i])].body);
    }
}

TEST(ResendParts, SendsTheFailedParts) {
    Job job(6, nullptr);
    job.backend->record_failed_part(job.jobid, 4);
    job.backend->record_failed_part(job.jobid, 1);
    VectorSource source(make_parts(6));
    EXPECT_EQ(wp::resend_parts(job.jobid, source, job.options(wp::ResendOptions::Which::kFailed)),
              (std::vector<wp::PartId>{1, 4}));
    const auto sent = job.notifier->messages();
    ASSERT_EQ(sent.size(), 2u);
    EXPECT_EQ(json::parse(sent[0].body).at("metadata"), nullptr) << "a job without metadata sends null, as create did";
    for (const auto& m : sent) {
        const int partid = json::parse(m.body).at("partid");
        EXPECT_EQ(m.body, job.created[static_cast<std::size_t>(partid)].body);
    }
}

TEST(ResendParts, SendsTheListedPartsOnly) {
    Job job(6);
    wp::ResendOptions options = job.options(wp::ResendOptions::Which::kListed);
    options.parts = {4};
    VectorSource source(make_parts(6));
    EXPECT_EQ(wp::resend_parts(job.jobid, source, options), (std::vector<wp::PartId>{4}));
    const auto sent = job.notifier->messages();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].body, job.created[4].body);
    options.parts = {2, 6};
    VectorSource again(make_parts(6));
    EXPECT_THROW(wp::resend_parts(job.jobid, again, options), wp::InvalidInput);
    EXPECT_EQ(job.notifier->messages().size(), 1u) << "a part outside the job sent something";
}

TEST(ResendParts, SendsTheMetadataAsItIsNow) {
    Job job(2);
    job.backend->set_metadata(job.jobid, {{"owner", "me"}});
    VectorSource source(make_parts(2));
    wp::resend_parts(job.jobid, source, job.options());
    for (const auto& m : job.notifier->messages()) {
        EXPECT_EQ(json::parse(m.body).at("metadata"), (json{{"zoom", 12}, {"owner", "me"}}));
    }
}

TEST(ResendParts, AFileThatIsNotTheJobsIsRefusedBeforeAnythingIsSent) {
    Job job(5);
    struct Case {
        std::vector<json> parts;
        std::string message;
    };
    auto carrying = make_parts(5);
    carrying[2]["jobid"] = "another-job";
    auto renumbered = make_parts(5);
    renumbered[1]["partid"] = 4;
    auto not_object = make_parts(5);
    not_object[3] = 7;
    const std::vector<Case> cases = {
        {make_parts(4), "the parts given hold 4 parts but job '" + job.jobid + "' has 5"},
        {make_parts(6), "hold 6 parts"},
        {carrying, "part 2 carries \"jobid\": \"another-job\""},
        {renumbered, "part 1 carries \"partid\": 4"},
        {not_object, "part 3 is not a JSON object"},
        {{}, "no parts"},
    };
    for (const auto& c : cases) {
        VectorSource source(c.parts);
        try {
            wp::resend_parts(job.jobid, source, job.options());
            ADD_FAILURE() << "accepted: " << c.message;
        } catch (const wp::InvalidInput& e) {
            EXPECT_THAT(e.what(), HasSubstr(c.message));
        }
        EXPECT_TRUE(job.notifier->messages().empty()) << c.message;
    }
    // Parts that carry their own, right, ids are the job's.
    auto with_ids = make_parts(5);
    for (int i = 0; i < 5; ++i) with_ids[static_cast<std::size_t>(i)].update({{"jobid", job.jobid}, {"partid", i}});
    VectorSource source(with_ids);
    EXPECT_EQ(wp::resend_parts(job.jobid, source, job.options()).size(), 5u);
}

TEST(ResendParts, UnknownAndFailedJobs) {
    Job job(2);
    VectorSource source(make_parts(2));
    EXPECT_THROW(wp::resend_parts("no-such-job", source, job.options()), wp::JobDoesNotExist);
    job.backend->fail_job(job.jobid, "bad input");
    EXPECT_THROW(wp::resend_parts(job.jobid, source, job.options()), wp::JobFailed);
    EXPECT_TRUE(job.notifier->messages().empty());
}

TEST(ResendParts, NothingToSendSendsNothing) {
    Job job(3);
    for (int p = 0; p < 3; ++p) job.backend->complete_part(job.jobid, p);
    VectorSource source(make_parts(3));
    EXPECT_TRUE(wp::resend_parts(job.jobid, source, job.options()).empty());
    EXPECT_TRUE(wp::resend_parts(job.jobid, source, job.options(wp::ResendOptions::Which::kFailed)).empty());
    EXPECT_TRUE(job.notifier->messages().empty());
}

TEST(ResendParts, ReportsProgressAndPartsThatCouldNotBeSent) {
    Job job(40);
    for (int p = 0; p < 20; ++p) job.backend->complete_part(job.jobid, p);
    // Fails the messages of parts 25 and 31.
    class Picky final : public wp::Notifier {
    public:
        void do_publish(const std::string& subject, const std::string& body) override {
            if (body.find("\"partid\":25,") != std::string::npos || body.find("\"partid\":31,") != std::string::npos) {
                throw wp::BackendError("rejected", "InternalError", true);
            }
            inner.publish(subject, body);
        }
        wp::NotifierLimits limits() const override { return {1 << 20, 10, 1 << 20}; }
        std::string describe() const override { return "picky://"; }
        wp::MemoryNotifier inner;
    };
    auto picky = std::make_shared<Picky>();
    auto options = job.options();
    options.notifier = picky;
    std::atomic<std::uint64_t> last{0};
    std::atomic<bool> right_total{true};
    options.on_progress = [&](std::uint64_t done, std::uint64_t total) {
        if (total != 20) right_total = false;
        std::uint64_t prev = last.load();
        while (done > prev && !last.compare_exchange_weak(prev, done)) {
        }
    };
    VectorSource source(make_parts(40));
    try {
        wp::resend_parts(job.jobid, source, options);
        FAIL() << "no PublishError";
    } catch (const wp::PublishError& e) {
        EXPECT_THAT(e.what(), HasSubstr("parts 25, 31"));
        EXPECT_THAT(e.what(), HasSubstr("picky://"));
        EXPECT_EQ(e.failed_indexes(), (std::vector<std::size_t>{5, 11}));  // in the 20 parts to send
    }
    EXPECT_EQ(picky->inner.messages().size(), 18u);
    EXPECT_TRUE(right_total);
    EXPECT_EQ(last.load(), 18u);
}

}  // namespace
