// create_job, new job ids and the default configuration, on the memory backend (the message formats
// and the job id rules: tests/core/messages_test.cpp).

#include <atomic>
#include <cstdlib>
#include <regex>
#include <set>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "watchbot_progress/watchbot_progress.hpp"

namespace wp = watchbot_progress;
using nlohmann::json;
using ::testing::HasSubstr;

namespace {

struct Env {
    std::shared_ptr<wp::MemoryBackend> backend = std::make_shared<wp::MemoryBackend>();
    std::shared_ptr<wp::MemoryNotifier> notifier = std::make_shared<wp::MemoryNotifier>();
    wp::CreateJobOptions options(json metadata = nullptr) const {
        wp::CreateJobOptions o;
        o.backend = backend;
        o.notifier = notifier;
        o.metadata = std::move(metadata);
        return o;
    }
    std::size_t jobs() const {
        std::size_t n = 0;
        backend->list_jobs([&](const wp::JobStatus&) { ++n; });
        return n;
    }
};

TEST(JobId, NewJobIdsAreRandomUuidV4) {
    const std::regex uuid("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        const auto id = wp::new_jobid();
        EXPECT_TRUE(std::regex_match(id, uuid)) << id;
        seen.insert(id);
    }
    EXPECT_EQ(seen.size(), 1000u);
}

TEST(CreateJob, PublishesOneMapMessagePerPartAndReturnsTheJobid) {
    Env env;
    const auto jobid = wp::create_job(json::array({{{"a", 1}}, {{"a", 2}}, {{"a", 3}}}), env.options({{"m", true}}));
    EXPECT_NO_THROW(wp::validate_jobid(jobid));
    const auto maps = env.notifier->messages("map");
    ASSERT_EQ(maps.size(), 3u);
    for (std::size_t i = 0; i < maps.size(); ++i) {
        EXPECT_EQ(maps[i].subject, "map");
        EXPECT_EQ(json::parse(maps[i].body),
                  (json{{"a", i + 1}, {"jobid", jobid}, {"partid", i}, {"metadata", {{"m", true}}}}));
    }
    const auto s = env.backend->status(jobid);
    EXPECT_EQ(s.total, 3);
    EXPECT_EQ(s.metadata, (json{{"m", true}}));
}

TEST(CreateJob, UsesTheGivenJobidAndAcceptsMatchingIdsInParts) {
    Env env;
    auto o = env.options();
    o.jobid = "my-job";
    EXPECT_EQ(wp::create_job(json::array({{{"jobid", "my-job"}, {"partid", 0}}, {{"partid", 1}}}), o), "my-job");
    EXPECT_EQ(env.notifier->messages().size(), 2u);
    // The same id again is refused, unless overwriting.
    EXPECT_THROW(wp::create_job(json::array({json::object()}), o), wp::InvalidInput);
    o.overwrite = true;
    EXPECT_EQ(wp::create_job(json::array({json::object()}), o), "my-job");
    EXPECT_EQ(env.backend->status("my-job").total, 1);
}

TEST(CreateJob, BadInputIsRefusedBeforeAnythingIsWritten) {
    Env env;
    auto expect_refused = [&](const json& parts, const std::string& fragment, wp::CreateJobOptions o) {
        try {
            wp::create_job(parts, o);
            ADD_FAILURE() << "accepted " << parts.dump();
        } catch (const wp::InvalidInput& e) {
            EXPECT_THAT(e.what(), HasSubstr(fragment)) << parts.dump();
        }
        EXPECT_EQ(env.jobs(), 0u) << parts.dump();
        EXPECT_TRUE(env.notifier->messages().empty()) << parts.dump();
    };
    expect_refused(json::array(), "at least one part", env.options());
    expect_refused(json::array({json::object(), 5}), "part 1 is not a JSON object", env.options());
    expect_refused(json::array({json::object(), json::object(), "s"}), "part 2", env.options());
    expect_refused(json::array({{{"jobid", "other"}}}), "jobid", env.options());
    expect_refused(json::array({json::object(), {{"partid", 0}}}), "partid", env.options());
    expect_refused(json::array({{{"partid", "1"}}}), "partid", env.options());
    expect_refused(json::object({{"a", 1}}), "array", env.options());
    expect_refused(json::array({json::object()}), "metadata", env.options(json::array({1})));
    auto bad_id = env.options();
    bad_id.jobid = "bad\x01id";
    expect_refused(json::array({json::object()}), "control character", bad_id);
}

TEST(CreateJob, MessagesOverTheNotifierLimitAreRefusedBeforeWriting) {
    Env env;
    env.notifier = std::make_shared<wp::MemoryNotifier>(wp::NotifierLimits{1000, 10, 5000});
    json parts = json::array({{{"small", "x"}}, {{"big", std::string(1200, 'x')}}});
    try {
        wp::create_job(parts, env.options());
        FAIL();
    } catch (const wp::InvalidInput& e) {
        EXPECT_THAT(e.what(), HasSubstr("part 1"));
        EXPECT_THAT(e.what(), HasSubstr("1000 bytes"));
    }
    EXPECT_EQ(env.jobs(), 0u);
    EXPECT_TRUE(env.notifier->messages().empty());
}

// A single-pass input range: each value can be read once.
class SinglePassParts {
public:
    struct iterator {
        using value_type = json;
        using difference_type = std::ptrdiff_t;
        SinglePassParts* owner;
        json operator*() const { return {{"n", owner->position_}}; }
        iterator& operator++() {
            ++owner->position_;
            return *this;
        }
        void operator++(int) { ++*this; }
        bool operator==(std::default_sentinel_t) const { return owner->position_ >= owner->count_; }
    };
    explicit SinglePassParts(int count) : count_(count) {}
    iterator begin() { return iterator{this}; }
    std::default_sentinel_t end() { return {}; }
    int reads() const { return position_; }

private:
    int count_;
    int position_ = 0;
};
static_assert(std::ranges::input_range<SinglePassParts>);
static_assert(!std::ranges::forward_range<SinglePassParts>);

TEST(CreateJob, AcceptsSinglePassInputRangesReadingThemOnce) {
    Env env;
    SinglePassParts parts(5000);
    const auto jobid = wp::create_job(parts, env.options());
    EXPECT_EQ(parts.reads(), 5000);
    const auto maps = env.notifier->messages("map");
    ASSERT_EQ(maps.size(), 5000u);
    std::set<int> seen;
    for (const auto& m : maps) {
        const auto parsed = json::parse(m.body);
        EXPECT_EQ(parsed["n"], parsed["partid"]);
        seen.insert(parsed["n"].get<int>());
    }
    EXPECT_EQ(seen.size(), 5000u);
    EXPECT_EQ(env.backend->status(jobid).total, 5000);
}

TEST(CreateJob, AcceptsViewsAndInitializerLists) {
    Env env;
    auto view = std::views::iota(0, 40) | std::views::transform([](int i) { return json{{"i", i}}; });
    const auto jobid = wp::create_job(view, env.options());
    EXPECT_EQ(env.backend->status(jobid).total, 40);
    const auto second = wp::create_job({{{"a", 1}}, {{"b", 2}}}, env.options());
    EXPECT_EQ(env.backend->status(second).total, 2);
    std::vector<json> vec(3, json::object());
    EXPECT_EQ(env.backend->status(wp::create_job(vec, env.options())).total, 3);
}

TEST(CreateJob, BatchesRespectTheNotifierLimits) {
    // Records batch sizes.
    class Recording final : public wp::Notifier {
    public:
        void do_publish(const std::string&, const std::string&) override { ADD_FAILURE() << "expected batches"; }
        void do_publish_batch(std::span<const wp::OutgoingMessage> batch) override {
            std::size_t bytes = 0;
            for (const auto& m : batch) bytes += m.body.size();
            std::lock_guard lock(mutex);
            sizes.push_back(batch.size());
            max_bytes = std::max(max_bytes, bytes);
            total += batch.size();
        }
        wp::NotifierLimits limits() const override { return {2000, 10, 3000}; }
        std::string describe() const override { return "recording://"; }
        std::mutex mutex;
        std::vector<std::size_t> sizes;
        std::size_t max_bytes = 0;
        std::size_t total = 0;
    };
    auto notifier = std::make_shared<Recording>();
    auto backend = std::make_shared<wp::MemoryBackend>();
    std::vector<json> parts;
    for (int i = 0; i < 95; ++i) parts.push_back({{"pad", std::string(i % 2 ? 500 : 10, 'x')}});
    wp::create_job(parts, {.backend = backend, .notifier = notifier, .workers = 3});
    EXPECT_EQ(notifier->total, 95u);
    EXPECT_LE(notifier->max_bytes, 3000u);
    for (auto n : notifier->sizes) EXPECT_LE(n, 10u);
}

TEST(CreateJob, PartsThatCannotBePublishedAreReportedByPartId) {
    // Fails every message whose body mentions "partid":3 or "partid":17.
    class Picky final : public wp::Notifier {
    public:
        void do_publish(const std::string& subject, const std::string& body) override {
            if (body.find("\"partid\":3,") != std::string::npos || body.find("\"partid\":17,") != std::string::npos) {
                throw wp::BackendError("rejected", "InternalError", true);
            }
            inner.publish(subject, body);
        }
        wp::NotifierLimits limits() const override { return {1 << 20, 10, 1 << 20}; }
        std::string describe() const override { return "picky://"; }
        wp::MemoryNotifier inner;
    };
    auto notifier = std::make_shared<Picky>();
    auto backend = std::make_shared<wp::MemoryBackend>();
    std::vector<json> parts(30, json::object());
    try {
        wp::create_job(parts, {.backend = backend, .notifier = notifier, .jobid = "picky", .workers = 4});
        FAIL();
    } catch (const wp::PublishError& e) {
        EXPECT_EQ(e.failed_indexes(), (std::vector<std::size_t>{3, 17}));
        EXPECT_THAT(e.what(), HasSubstr("parts 3, 17"));
        EXPECT_THAT(e.what(), HasSubstr("picky"));
    }
    EXPECT_EQ(notifier->inner.messages().size(), 28u);
    EXPECT_EQ(backend->status("picky").total, 30);
}

TEST(CreateJob, ReportsProgress) {
    Env env;
    std::atomic<std::uint64_t> last{0};
    auto o = env.options();
    o.on_progress = [&](std::uint64_t done, std::uint64_t total) {
        EXPECT_EQ(total, 100u);
        std::uint64_t prev = last.load();
        while (done > prev && !last.compare_exchange_weak(prev, done)) {
        }
    };
    wp::create_job(std::vector<json>(100, json::object()), o);
    EXPECT_EQ(last.load(), 100u);
}

TEST(Defaults, MissingEnvironmentIsAConfigErrorNamingTheVariable) {
    ::unsetenv("ProgressTable");
    ::unsetenv("WorkTopic");
    try {
        wp::default_backend();
        FAIL();
    } catch (const wp::ConfigError& e) {
        EXPECT_THAT(e.what(), HasSubstr("ProgressTable"));
    }
    try {
        wp::default_notifier();
        FAIL();
    } catch (const wp::ConfigError& e) {
        EXPECT_THAT(e.what(), HasSubstr("WorkTopic"));
    }
    EXPECT_THROW(wp::create_job(json::array({json::object()})), wp::ConfigError);
    EXPECT_THROW(wp::Part("j", 0), wp::ConfigError);
}

TEST(Defaults, EnvironmentSelectsTheBackendAndTopic) {
    ::setenv("ProgressTable", "memory://defaults-test", 1);
    ::setenv("WorkTopic", "memory://defaults-test", 1);
    const auto jobid = wp::create_job(json::array({json::object()}));
    wp::Part(jobid, 0).run([] {});
    auto notifier = std::dynamic_pointer_cast<wp::MemoryNotifier>(wp::open_notifier("memory://defaults-test"));
    ASSERT_TRUE(notifier);
    EXPECT_EQ(notifier->messages("reduce").size(), 1u);
    ::unsetenv("ProgressTable");
    ::unsetenv("WorkTopic");
}

TEST(OpenBackend, UnknownFormsSayWhatIsAccepted) {
    try {
        wp::open_backend("postgres://x");
        FAIL();
    } catch (const wp::InvalidInput& e) {
        EXPECT_THAT(e.what(), HasSubstr("redis[s]://"));
        EXPECT_THAT(e.what(), HasSubstr("arn:aws:dynamodb"));
    }
    EXPECT_THROW(wp::open_notifier("http://x"), wp::InvalidInput);
    EXPECT_EQ(wp::open_backend("memory://same"), wp::open_backend("memory://same"));
    EXPECT_NE(wp::open_backend("memory://one"), wp::open_backend("memory://two"));
}

TEST(Part, RejectsBadIdsUpFront) {
    auto backend = std::make_shared<wp::MemoryBackend>();
    auto notifier = std::make_shared<wp::MemoryNotifier>();
    EXPECT_THROW(wp::Part("", 0, {.backend = backend, .notifier = notifier}), wp::InvalidInput);
    EXPECT_THROW(wp::Part("j", -1, {.backend = backend, .notifier = notifier}), wp::InvalidInput);
}

TEST(Part, UnknownJobIsReportedAfterTheBlockRuns) {
    auto backend = std::make_shared<wp::MemoryBackend>();
    auto notifier = std::make_shared<wp::MemoryNotifier>();
    bool ran = false;
    EXPECT_THROW(wp::Part("nope", 0, {.backend = backend, .notifier = notifier}).run([&] { ran = true; }),
                 wp::JobDoesNotExist);
    EXPECT_TRUE(ran);
    // With fail_job_on, the job is checked first.
    ran = false;
    EXPECT_THROW(wp::Part("nope", 0, {.backend = backend, .notifier = notifier, .fail_job_on = wp::fail_on<std::logic_error>()})
                     .run([&] { ran = true; }),
                 wp::JobDoesNotExist);
    EXPECT_FALSE(ran);
}

TEST(Part, FromAMapMessage) {
    auto backend = std::make_shared<wp::MemoryBackend>();
    auto notifier = std::make_shared<wp::MemoryNotifier>();
    const auto jobid = wp::create_job(json::array({{{"x", 1}}}), {.backend = backend, .notifier = notifier});
    const auto message = wp::parse_map_message(notifier->messages("map").at(0).body);
    wp::Part part(message, {.backend = backend, .notifier = notifier});
    EXPECT_EQ(part.jobid(), jobid);
    part.run([&] { EXPECT_EQ(message.body["x"], 1); });
    EXPECT_EQ(notifier->messages("reduce").size(), 1u);
}

TEST(ExceptionMatcher, MatchesDerivedTypes) {
    const auto m = wp::fail_on<std::logic_error, int>();
    EXPECT_TRUE(m.matches(std::make_exception_ptr(std::invalid_argument("x"))));
    EXPECT_TRUE(m.matches(std::make_exception_ptr(3)));
    EXPECT_FALSE(m.matches(std::make_exception_ptr(std::runtime_error("x"))));
    EXPECT_TRUE(wp::fail_on<>().empty());
}

}  // namespace
