// Hostile and broken input to the library (issue 8, item 5), on the memory backend and notifier:
// every case gets InvalidInput (or ConfigError for the environment) with a message that says what
// is wrong and what to do, on one line, and nothing is written: no job in the backend, no message
// in the notifier. Server responses are in aws/hostile_response_test.cpp, the CLI in cli_test.cpp.

#include <cstdlib>
#include <filesystem>
#include <ranges>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "watchbot_progress/config.hpp"
#include "watchbot_progress/forwarding.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace wp = watchbot_progress;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

// A memory backend and notifier that count every write, so a test can say "nothing was written".
class CountingBackend final : public wp::ForwardingBackend {
public:
    CountingBackend() : wp::ForwardingBackend(std::make_shared<wp::MemoryBackend>()) {}
    void do_set_total(const std::string& jobid, std::int64_t total, bool overwrite) override {
        ++writes;
        wp::ForwardingBackend::do_set_total(jobid, total, overwrite);
    }
    void do_set_metadata(const std::string& jobid, const json& metadata) override {
        ++writes;
        wp::ForwardingBackend::do_set_metadata(jobid, metadata);
    }
    // Refuses metadata keys named "forbidden", as a store with rules of its own would.
    void do_check_metadata(const json& metadata) const override {
        wp::ForwardingBackend::do_check_metadata(metadata);
        if (metadata.contains("forbidden")) throw wp::InvalidInput("metadata key 'forbidden' is reserved: rename it");
    }
    int writes = 0;
};

struct Env {
    std::shared_ptr<CountingBackend> backend = std::make_shared<CountingBackend>();
    std::shared_ptr<wp::MemoryNotifier> notifier = std::make_shared<wp::MemoryNotifier>();

    wp::CreateJobOptions options(json metadata = nullptr, std::string jobid = "") const {
        wp::CreateJobOptions o;
        o.backend = backend;
        o.notifier = notifier;
        o.metadata = std::move(metadata);
        o.jobid = std::move(jobid);
        return o;
    }
    std::size_t jobs() const {
        std::size_t n = 0;
        backend->list_jobs([&](const wp::JobStatus&) { ++n; });
        return n;
    }
    // Nothing reached the backend or the notifier.
    void expect_nothing_written(const std::string& context) const {
        EXPECT_EQ(backend->writes, 0) << context;
        EXPECT_EQ(jobs(), 0u) << context;
        EXPECT_TRUE(notifier->messages().empty()) << context;
    }
};

// The message of the InvalidInput `fn` throws; any other outcome fails the test.
template <class Fn>
std::string invalid_input_of(Fn&& fn, const std::string& context) {
    try {
        fn();
    } catch (const wp::InvalidInput& e) {
        const std::string what = e.what();
        EXPECT_EQ(what.find('\n'), std::string::npos) << context << ": the message is not one line: " << what;
        return what;
    } catch (const std::exception& e) {
        ADD_FAILURE() << context << ": expected InvalidInput, got " << typeid(e).name() << ": " << e.what();
        return {};
    }
    ADD_FAILURE() << context << ": accepted";
    return {};
}

// ---- parts -------------------------------------------------------------------------------------

// A single-pass range of `n` empty objects.
class OneShot {
public:
    struct iterator {
        using value_type = json;
        using difference_type = std::ptrdiff_t;
        OneShot* owner;
        json operator*() const { return json::object(); }
        iterator& operator++() {
            ++owner->read_;
            return *this;
        }
        void operator++(int) { ++*this; }
        bool operator==(std::default_sentinel_t) const { return owner->read_ >= owner->n_; }
    };
    explicit OneShot(int n) : n_(n) {}
    iterator begin() { return iterator{this}; }
    std::default_sentinel_t end() { return {}; }

private:
    int n_;
    int read_ = 0;
};

TEST(HostileParts, EmptyPartListsOfEveryKindAreRefused) {
    Env env;
    const std::string no_parts = "no parts: a job needs at least one part";
    EXPECT_THAT(invalid_input_of([&] { wp::create_job(json::array(), env.options()); }, "json array"), HasSubstr(no_parts));
    EXPECT_THAT(invalid_input_of([&] { wp::create_job(std::vector<json>{}, env.options()); }, "vector"), HasSubstr(no_parts));
    auto empty_view = std::views::iota(0, 0) | std::views::transform([](int) { return json::object(); });
    EXPECT_THAT(invalid_input_of([&] { wp::create_job(empty_view, env.options()); }, "view"), HasSubstr(no_parts));
    OneShot none(0);
    EXPECT_THAT(invalid_input_of([&] { wp::create_job(none, env.options()); }, "single pass"), HasSubstr(no_parts));
    env.expect_nothing_written("empty part lists");
}

TEST(HostileParts, PartsThatAreNotObjectsAreRefusedByPosition) {
    Env env;
    for (const json& bad : {json(nullptr), json(1), json("s"), json::array(), json(true), json(1.5)}) {
        const json parts = json::array({json::object(), json::object(), bad});
        const std::string what = invalid_input_of([&] { wp::create_job(parts, env.options()); }, bad.dump());
        EXPECT_THAT(what, HasSubstr("part 2 is not a JSON object (it is " + std::string(bad.type_name()) + ")"));
        EXPECT_THAT(what, HasSubstr("every part must be an object"));
    }
    env.expect_nothing_written("non-object parts");
}

TEST(HostileParts, ConflictingJobAndPartIdsAreRefused) {
    Env env;
    struct Case {
        json parts;
        std::string fragment;
    };
    const std::vector<Case> cases = {
        {json::array({{{"jobid", "other"}}}), "carries \"jobid\": \"other\", which is not the job's id \"mine\""},
        {json::array({{{"jobid", 5}}}), "carries \"jobid\": 5"},
        {json::array({{{"jobid", nullptr}}}), "carries \"jobid\": null"},
        {json::array({{{"jobid", "mine "}}}), "carries \"jobid\": \"mine \""},
        {json::array({json::object(), {{"partid", 0}}}), "part 1 carries \"partid\": 0, but its position makes it part 1"},
        {json::array({{{"partid", -1}}}), "carries \"partid\": -1"},
        {json::array({{{"partid", 0.0}}}), "carries \"partid\": 0.0"},
        {json::array({{{"partid", "0"}}}), "carries \"partid\": \"0\""},
        {json::array({{{"partid", 18446744073709551615ULL}}}), "carries \"partid\": 18446744073709551615"},
        {json::array({{{"partid", true}}}), "carries \"partid\": true"},
    };
    for (const auto& c : cases) {
        const std::string what = invalid_input_of([&] { wp::create_job(c.parts, env.options(nullptr, "mine")); }, c.parts.dump());
        EXPECT_THAT(what, HasSubstr(c.fragment)) << c.parts.dump();
        EXPECT_THAT(what, HasSubstr("remove the field")) << c.parts.dump();
    }
    env.expect_nothing_written("conflicting ids");
}

TEST(HostileParts, StringsThatAreNotUtf8AreInvalidInputNotAJsonLibraryError) {
    Env env;
    EXPECT_THAT(invalid_input_of([&] { wp::create_job(json::array({json::object(), {{"s", "ok\xff"}}}), env.options()); },
                                 "part value"),
                HasSubstr("part 1 holds a key or string that is not valid UTF-8"));
    EXPECT_THAT(invalid_input_of([&] { wp::create_job(json::array({{{"\xc3", 1}}}), env.options()); }, "part key"),
                HasSubstr("part 0 holds a key or string that is not valid UTF-8"));
    EXPECT_THAT(invalid_input_of([&] { wp::create_job(json::array({json::object()}), env.options({{"m", "\xed\xa0\x80"}})); },
                                 "metadata"),
                HasSubstr("metadata holds a key or string that is not valid UTF-8"));
    env.expect_nothing_written("invalid UTF-8");
}

TEST(HostileParts, MetadataTheBackendRefusesIsCheckedBeforeAnythingIsWritten) {
    Env env;
    const std::string what = invalid_input_of(
        [&] { wp::create_job(json::array({json::object()}), env.options({{"forbidden", 1}}, "meta-job")); }, "metadata");
    EXPECT_THAT(what, HasSubstr("'forbidden' is reserved"));
    env.expect_nothing_written("metadata refused by the backend");
    EXPECT_THAT(invalid_input_of([&] { wp::create_job(json::array({json::object()}), env.options(json::array({1}))); },
                                 "array metadata"),
                HasSubstr("metadata must be a JSON object (or null), not array"));
    env.expect_nothing_written("array metadata");
}

TEST(HostileParts, MessagesOverTheLimitAreRefusedAtTheExactByte) {
    Env env;
    env.notifier = std::make_shared<wp::MemoryNotifier>(wp::NotifierLimits{200, 10, 2000});
    // {"p":"xx...x","jobid":"j","partid":0,"metadata":null}: 41 bytes around the padding.
    const auto part = [](std::size_t pad) { return json{{"p", std::string(pad, 'x')}}; };
    const std::size_t overhead = wp::map_message_body(part(0), "j", 0, "null").size();
    const std::size_t fits = 200 - overhead;
    EXPECT_EQ(wp::create_job(json::array({part(fits)}), env.options(nullptr, "j")), "j");
    EXPECT_EQ(env.notifier->messages().at(0).body.size(), 200u);
    env.backend->delete_job("j");
    env.notifier->clear();
    env.backend->writes = 0;

    const std::string what =
        invalid_input_of([&] { wp::create_job(json::array({part(1), part(fits + 1)}), env.options(nullptr, "j")); }, "201");
    EXPECT_THAT(what, HasSubstr("part 1's map message is 201 bytes, over the notifier's limit of 200 bytes"));
    EXPECT_THAT(what, HasSubstr("store large data elsewhere"));
    // Metadata is in every message: too much of it refuses the first part.
    EXPECT_THAT(invalid_input_of([&] { wp::create_job(json::array({part(1)}), env.options({{"m", std::string(300, 'm')}})); },
                                 "metadata"),
                HasSubstr("part 0's map message is"));
    env.expect_nothing_written("over the limit");
}

TEST(HostileParts, MessagesTheNotifierRefusesForTheirContentAreRefusedBeforeWriting) {
    // A notifier with a content rule of its own, beyond SNS's (which every notifier applies).
    class Picky final : public wp::ForwardingNotifier {
    public:
        Picky() : wp::ForwardingNotifier(std::make_shared<wp::MemoryNotifier>()) {}
        void do_check_message(const std::string& subject, const std::string& body) const override {
            wp::ForwardingNotifier::do_check_message(subject, body);
            if (body.find("\xef\xbf\xbd") != std::string::npos) throw wp::InvalidInput("the message holds U+FFFD: remove it");
        }
    };
    Env env;
    auto picky = std::make_shared<Picky>();
    auto o = env.options();
    o.notifier = picky;
    const std::string what =
        invalid_input_of([&] { wp::create_job(json::array({json::object(), {{"s", "\xef\xbf\xbd"}}}), o); }, "U+FFFD");
    EXPECT_THAT(what, HasSubstr("part 1's map message cannot be sent: the message holds U+FFFD"));
    EXPECT_EQ(env.backend->writes, 0);
    EXPECT_TRUE(std::static_pointer_cast<wp::MemoryNotifier>(picky->target())->messages().empty());
}

// ---- job ids -----------------------------------------------------------------------------------

TEST(HostileJobIds, EmptyTooLongControlAndMalformedUtf8AreRefusedEverywhere) {
    struct Case {
        std::string jobid;
        std::string fragment;
    };
    const std::vector<Case> cases = {
        {std::string(1025, 'a'), "1025 bytes long; the limit is 1024 bytes: use a shorter id"},
        {"tab\there", "control character at byte 3"},
        {std::string("nul\0x", 5), "control character at byte 3"},
        {"del\x7f", "control character at byte 3"},
        {"c1\xc2\x85", "control character at byte 2"},  // U+0085, NEXT LINE
        {"\xff", "not valid UTF-8 (byte 0)"},
        {"ab\xc3", "not valid UTF-8 (byte 2)"},               // cut short
        {"\xc0\xaf", "not valid UTF-8 (byte 0)"},             // overlong '/'
        {"\xe0\x80\xaf", "not valid UTF-8 (byte 0)"},         // overlong, 3 bytes
        {"a\xed\xa0\x80", "not valid UTF-8 (byte 1)"},        // UTF-16 surrogate
        {"\xf4\x90\x80\x80", "not valid UTF-8 (byte 0)"},     // above U+10FFFF
        {"\xf0\x80\x80\xaf", "not valid UTF-8 (byte 0)"},     // overlong, 4 bytes
    };
    for (const auto& c : cases) {
        EXPECT_THAT(invalid_input_of([&] { wp::validate_jobid(c.jobid); }, c.fragment), HasSubstr(c.fragment));
        Env env;
        EXPECT_THAT(invalid_input_of([&] { wp::create_job(json::array({json::object()}), env.options(nullptr, c.jobid)); },
                                     "create_job " + c.fragment),
                    HasSubstr(c.fragment));
        env.expect_nothing_written(c.fragment);
        EXPECT_THAT(invalid_input_of([&] { wp::Part(c.jobid, 0, {.backend = env.backend, .notifier = env.notifier}); },
                                     "Part " + c.fragment),
                    HasSubstr(c.fragment));
        EXPECT_THAT(invalid_input_of([&] { env.backend->set_total(c.jobid, 1); }, "set_total " + c.fragment),
                    HasSubstr(c.fragment));
        EXPECT_EQ(env.jobs(), 0u);
    }
    EXPECT_THAT(invalid_input_of([] { wp::validate_jobid(""); }, "empty"), HasSubstr("job id is empty"));
    // Every valid form, up to the edges of UTF-8, is accepted, and can be written in a message.
    for (const std::string& ok : std::vector<std::string>{"a", "\xc2\xa0", "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbd",
                                                          "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf", std::string(1024, 'z')}) {
        EXPECT_NO_THROW(wp::validate_jobid(ok)) << ok;
        EXPECT_NO_THROW((void)wp::map_message_body(json::object(), ok, 0, "null")) << ok;
    }
}

// ---- part ids ----------------------------------------------------------------------------------

TEST(HostilePartIds, NegativeAndOutOfRangePartIdsChangeNothing) {
    Env env;
    env.backend->set_total("three", 3);
    for (const wp::PartId bad : {wp::PartId{-1}, wp::PartId{3}, wp::PartId{INT64_MIN}, wp::PartId{INT64_MAX}}) {
        const std::string id = std::to_string(bad);
        EXPECT_THAT(invalid_input_of([&] { env.backend->complete_part("three", bad); }, id),
                    HasSubstr("part id " + id + " is out of range for job 'three': it has 3 parts, numbered 0 to 2"));
        EXPECT_THROW(env.backend->part_complete("three", bad), wp::InvalidInput);
        EXPECT_THROW(env.backend->complete_part_and_claim_reduce("three", bad), wp::InvalidInput);
    }
    EXPECT_THROW(wp::Part("three", -1, {.backend = env.backend, .notifier = env.notifier}), wp::InvalidInput);
    // A guard with an out-of-range part id: the part is refused, the job is untouched, no reduce.
    EXPECT_THROW(wp::Part("three", 3, {.backend = env.backend, .notifier = env.notifier}).run([] {}), wp::InvalidInput);
    const auto s = env.backend->status("three");
    EXPECT_EQ(s.remaining, 3);
    EXPECT_FALSE(s.failed);
    EXPECT_FALSE(s.reduce_sent);
    EXPECT_TRUE(env.notifier->messages().empty());
}

// ---- map messages --------------------------------------------------------------------------------

TEST(HostileMessages, MapMessagesThatAreNotJsonOrLackIdsAreRefusedClearly) {
    struct Case {
        std::string body;
        std::string fragment;
    };
    const std::vector<Case> cases = {
        {"", "not valid JSON"},
        {"not json", "not valid JSON"},
        {R"({"jobid":"j","partid":1)", "not valid JSON"},  // cut short
        {"\xff", "not valid JSON"},
        {"null", "not a JSON object"},
        {R"(["jobid","partid"])", "not a JSON object"},
        {"{}", "no string \"jobid\": was it sent by create_job?"},
        {R"({"jobid":1,"partid":1})", "no string \"jobid\""},
        {R"({"jobid":"j"})", "no integer \"partid\": was it sent by create_job?"},
        {R"({"jobid":"j","partid":null})", "no integer \"partid\""},
        {R"({"jobid":"j","partid":"1"})", "no integer \"partid\""},
        {R"({"jobid":"j","partid":1.0})", "no integer \"partid\""},
        {R"({"jobid":"j","partid":-1})", "negative \"partid\" (-1): part ids are numbered from 0"},
        {R"({"jobid":"j","partid":9223372036854775808})", "\"partid\" too large to be a part id (9223372036854775808)"},
        {R"({"jobid":"j","partid":18446744073709551615})", "too large to be a part id"},
        {R"({"jobid":"","partid":0})", "bad \"jobid\": job id is empty"},
        {R"({"jobid":"a\u0001b","partid":0})", "bad \"jobid\": job id contains a control character"},
        {"{\"jobid\":\"" + std::string(1025, 'j') + "\",\"partid\":0}", "bad \"jobid\": job id is 1025 bytes long"},
    };
    for (const auto& c : cases) {
        EXPECT_THAT(invalid_input_of([&] { wp::parse_map_message(c.body); }, c.body), HasSubstr(c.fragment)) << c.body;
    }
    const auto max = wp::parse_map_message(R"({"jobid":"j","partid":9223372036854775807})");
    EXPECT_EQ(max.partid, INT64_MAX);
}

TEST(HostileMessages, TheMessageVariableNamesItselfWhenItHoldsNoMapMessage) {
    for (const std::string bad : {"", "not json", R"({"partid":0})", R"({"jobid":"j"})"}) {
        ::setenv("Message", bad.c_str(), 1);
        const std::string what = invalid_input_of([] { wp::map_message_from_env(); }, bad);
        EXPECT_THAT(what, HasSubstr("the Message environment variable does not hold a map message")) << bad;
    }
    ::unsetenv("Message");
    EXPECT_THROW(wp::map_message_from_env(), wp::ConfigError);
}

// ---- URIs and ARNs -----------------------------------------------------------------------------

TEST(HostileUris, MalformedDatabaseAndTopicUrisAreInvalidInputOnOneLine) {
    struct Case {
        std::string uri;
        std::string fragment;
    };
    std::vector<Case> backends = {
        {"", "unsupported database ''"},
        {"postgres://x", "unsupported database 'postgres://x'"},
        {"memory:/x", "unsupported database"},
        {"mem\nory://", "unsupported database 'mem?ory://'"},
        {std::string(500, 'u'), "..."},
    };
    std::vector<Case> notifiers = {
        {"", "unsupported topic"},
        {"http://sns.example/topic", "unsupported topic"},
    };
#if WP_WITH_REDIS
    backends.push_back({"redis://h:0", "port '0' is not a number from 1 to 65535"});
    backends.push_back({"redis://h:65536", "not a number from 1 to 65535"});
    backends.push_back({"redis://h/db", "database path 'db' is not a non-negative integer"});
    backends.push_back({"redis://h/1?db=2", "name different databases"});
    backends.push_back({"redis://h?timeout=1", "unknown parameter 'timeout'"});
    backends.push_back({"redis://h?cacert=/ca.pem", "the parameter cacert is for TLS: use rediss://"});
    backends.push_back({"redis://::1:6379", "write an IPv6 host in brackets"});
    backends.push_back({"redis://[::1", "unterminated '['"});
    backends.push_back({"redis://:p%zz@h", "malformed percent-encoding in the password"});
#endif
#if WP_WITH_SQLITE
    const std::string missing = ::testing::TempDir() + "/wp-hostile-" + wp::new_jobid();
    backends.push_back({"sqlite://", "the path is empty"});
    backends.push_back({"sqlite:///", "the path is only '/'"});
    backends.push_back({"sqlite://" + missing + "/", "ends in '/'"});
    backends.push_back({"sqlite://" + missing + "%zz", "two-digit hex escape"});
    backends.push_back({"sqlite://" + missing + "%00", "%00 (a NUL byte)"});
    backends.push_back({"sqlite://" + missing + "#x", "fragments ('#') are not allowed"});
    backends.push_back({"sqlite://" + missing + "?busy_timeout_ms=-1", "busy_timeout_ms must be a non-negative"});
    backends.push_back({"sqlite://" + missing + "?synchronous=maybe\n", "not 'maybe?'"});
    backends.push_back({"sqlite://" + missing + "?x", "query parameter 'x' has no '=value'"});
    backends.push_back({"sqlite://:memory:", "':memory:' databases cannot be shared"});
    backends.push_back({"sqlite://~/x.db", "'~' is not expanded"});
    notifiers.push_back({"sqlite://", "the path is empty"});
    notifiers.push_back({"sqlite://" + missing + "?retry_timeout_ms=x", "retry_timeout_ms must be"});
#endif
#if WP_WITH_AWS
    ::setenv("AWS_REGION", "us-east-1", 1);
    backends.push_back({"arn:aws:dynamodb", "fewer than six ':'-separated parts"});
    backends.push_back({"arn::dynamodb:us-east-1:0:table/abc", "the partition is empty"});
    backends.push_back({"arn:aws:dynamodb:US-EAST-1:0:table/abc", "the region 'US-EAST-1' is malformed"});
    backends.push_back({"arn:aws:dyn\ramodb:us-east-1:0:table/abc", "the service 'dyn?amodb' is malformed"});
    backends.push_back({"arn:a\x01ws:dynamodb:us-east-1:0:table/abc", "the partition 'a?ws' is malformed"});
    backends.push_back({"arn:aws:dynamodb:us-east-1:0:", "the resource is empty"});
    backends.push_back({"arn:aws:dynamodb:us-east-1:0:table/x", "does not name a DynamoDB table"});
    backends.push_back({"arn:aws:dynamodb:us-east-1:0:table/a/stream/1", "is not a DynamoDB table ARN"});
    backends.push_back({"arn:aws:sns:us-east-1:0:topic", "is not a DynamoDB table ARN"});
    backends.push_back({"arn:aws:dynamodb:us-east-1:0:table/ab\ncd", "does not name a DynamoDB table"});
    backends.push_back({"arn:aws:dynamodb:us-east-1:0:table/" + std::string(256, 't'), "3 to 255 characters"});
    notifiers.push_back({"arn:aws:sns:us-east-1:123", "six ':'-separated fields"});
    notifiers.push_back({"arn:aws:dynamodb:us-east-1:123456789012:table/t", "its service is 'dynamodb', not 'sns'"});
    notifiers.push_back({"arn:aws:sns::123456789012:work", "the region is empty"});
    notifiers.push_back({"arn:aws:s\rns:us-east-1:123456789012:work", "is not an SNS topic ARN"});  // found by fuzz_arn
    notifiers.push_back({"arn:aws:sns:us-east-1:123456789012:work.fifo", "FIFO"});
    notifiers.push_back({"arn:aws:sns:us-east-1:123456789012:wo\nrk", "only letters, digits"});
    notifiers.push_back({"arn:aws:sns:us-east-1:123456789012:wo\x7frk", "'arn:aws:sns:us-east-1:123456789012:wo?rk' is not"});
#endif
    for (const auto& c : backends) {
        EXPECT_THAT(invalid_input_of([&] { wp::open_backend(c.uri); }, "backend " + c.uri), HasSubstr(c.fragment)) << c.uri;
    }
    for (const auto& c : notifiers) {
        EXPECT_THAT(invalid_input_of([&] { wp::open_notifier(c.uri); }, "notifier " + c.uri), HasSubstr(c.fragment)) << c.uri;
    }
#if WP_WITH_SQLITE
    EXPECT_FALSE(std::filesystem::exists(missing)) << "a refused URI created no file";
#endif
#if WP_WITH_REDIS
    // Never the password, even in a refused URI.
    EXPECT_THAT(invalid_input_of([] { wp::open_backend("redis://:s3cret-pw@h:99999/0"); }, "password"), Not(HasSubstr("s3cret")));
#endif
}

// Spellings of a URI with a password that no message may echo, whatever the scheme looks like.
std::vector<std::string> uris_with_password(const std::string& pw) {
    return {
        "REDIS://:" + pw + "@h:6379/0",
        "Redis://user:" + pw + "@h",
        " redis://:" + pw + "@h",
        "redis://:" + pw + "@h ",
        "\tREDISS://:" + pw + "@h",
        "rediss://:" + pw + "@h:0",
        "REDSI://user:" + pw + "@h",
        "redis://:" + pw + "@x@h:99999",
        "redis://:a@" + pw + "@h/x",
        "redis:/:" + pw + "@h",
        ":" + pw + "@h",
        pw + "@h:6379",
        "postgres://u:" + pw + "@h/db",
    };
}

TEST(HostileUris, NoSpellingOfAUriEchoesItsPassword) {
    const std::string pw = "s3cretPW";
    for (const auto& uri : uris_with_password(pw)) {
        SCOPED_TRACE(uri);
        try {
            auto backend = wp::open_backend(uri);
            EXPECT_THAT(backend->describe(), Not(HasSubstr(pw)));
        } catch (const std::exception& e) {
            EXPECT_THAT(e.what(), Not(HasSubstr(pw)));
            EXPECT_THAT(e.what(), Not(HasSubstr("s3cret")));
        }
        try {
            wp::open_notifier(uri);
        } catch (const std::exception& e) {
            EXPECT_THAT(e.what(), Not(HasSubstr(pw)));
        }
        ::setenv("ProgressTable", uri.c_str(), 1);
        ::setenv("WorkTopic", uri.c_str(), 1);
        try {
            wp::default_backend();
        } catch (const std::exception& e) {
            EXPECT_THAT(e.what(), Not(HasSubstr(pw)));
        }
        try {
            wp::default_notifier();
        } catch (const std::exception& e) {
            EXPECT_THAT(e.what(), Not(HasSubstr(pw)));
        }
        ::unsetenv("ProgressTable");
        ::unsetenv("WorkTopic");
#if WP_WITH_REDIS
        try {
            wp::RedisBackend::parse_uri(uri);
        } catch (const std::exception& e) {
            EXPECT_THAT(e.what(), Not(HasSubstr(pw)));
        }
#endif
    }
    // What is left of a refused URI still says what was given.
    EXPECT_THAT(invalid_input_of([] { wp::open_backend("REDSI://user:s3cretPW@host.example/0"); }, "REDSI"),
                HasSubstr("'REDSI://[redacted]@host.example/0'"));
    EXPECT_THAT(invalid_input_of([] { wp::open_notifier(" redis://:s3cretPW@h"); }, "space"), HasSubstr("'[redacted]@h'"));
}

#if WP_WITH_AWS
TEST(HostileUris, AMalformedArnInTheEnvironmentIsAConfigErrorNamingTheVariable) {
    ::setenv("AWS_REGION", "us-east-1", 1);
    ::setenv("ProgressTable", "arn:aws:dynamodb:us-east-1:0:table/x", 1);
    ::setenv("WorkTopic", "arn:aws:sns:us-east-1:123", 1);
    try {
        wp::default_backend();
        ADD_FAILURE() << "accepted";
    } catch (const wp::ConfigError& e) {
        EXPECT_THAT(e.what(), HasSubstr("the ProgressTable environment variable: "));
        EXPECT_THAT(e.what(), HasSubstr("does not name a DynamoDB table"));
    }
    try {
        wp::default_notifier();
        ADD_FAILURE() << "accepted";
    } catch (const wp::ConfigError& e) {
        EXPECT_THAT(e.what(), HasSubstr("the WorkTopic environment variable: "));
    }
    // create_job with them: nothing written.
    Env env;
    wp::CreateJobOptions o;
    o.backend = env.backend;
    EXPECT_THROW(wp::create_job(json::array({json::object()}), o), wp::ConfigError);
    env.expect_nothing_written("bad WorkTopic");
    ::unsetenv("ProgressTable");
    ::unsetenv("WorkTopic");
}
#endif

}  // namespace
