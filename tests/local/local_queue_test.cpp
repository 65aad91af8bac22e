// The local SQLite queue (SQS + watchbot semantics) and the notifier that publishes into it.

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sqlite/sqlite_connection.hpp"
#include "factories/sqlite_factory.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/local_queue.hpp"
#include "watchbot_progress/open_backend.hpp"
#include "watchbot_progress/sqlite_backend.hpp"

namespace wp = watchbot_progress;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

namespace {

// A clock the test moves by hand.
struct FakeClock {
    std::shared_ptr<std::atomic<std::int64_t>> ms = std::make_shared<std::atomic<std::int64_t>>(1'700'000'000'000);
    std::function<std::chrono::system_clock::time_point()> function() const {
        return [ms = ms] { return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms->load())); };
    }
    void advance(std::chrono::milliseconds d) const { *ms += d.count(); }
};

std::string temp_queue_path() { return wp_test::make_temp_dir("wp-queue-") + "/queue.db"; }

wp::LocalQueueOptions queue_options(const std::string& path, const FakeClock* clock = nullptr) {
    wp::LocalQueueOptions o;
    o.database.path = path;
    if (clock != nullptr) o.clock = clock->function();
    return o;
}

class LocalQueueTest : public ::testing::Test {
protected:
    std::string path = temp_queue_path();
    FakeClock clock;
    wp::LocalQueue queue{queue_options(path, &clock)};
};

// ------------------------------------------------------------------------------------------------

TEST_F(LocalQueueTest, SendReceiveDelete) {
    const std::string id1 = queue.send("map", R"({"a":1})");
    const std::string id2 = queue.send("reduce", R"({"b":2})");
    EXPECT_EQ(id1.size(), 36u);
    EXPECT_NE(id1, id2);
    auto messages = queue.receive(10, 30s);
    ASSERT_EQ(messages.size(), 2u);
    EXPECT_EQ(messages[0].message_id, id1);
    EXPECT_EQ(messages[0].subject, "map");
    EXPECT_EQ(messages[0].body, R"({"a":1})");
    EXPECT_EQ(messages[0].receive_count, 1);
    EXPECT_EQ(messages[0].sent_timestamp, clock.function()());
    EXPECT_EQ(messages[0].first_receive_timestamp, clock.function()());
    EXPECT_EQ(messages[0].visible_at, clock.function()() + 30s);
    EXPECT_EQ(messages[1].message_id, id2);
    EXPECT_NE(messages[0].receipt_handle, messages[1].receipt_handle);

    EXPECT_TRUE(queue.receive(10, 30s).empty()) << "leased messages are invisible";
    const auto counts = queue.counts();
    EXPECT_EQ(counts.visible, 0);
    EXPECT_EQ(counts.in_flight, 2);

    EXPECT_TRUE(queue.delete_message(messages[0].receipt_handle));
    EXPECT_FALSE(queue.delete_message(messages[0].receipt_handle)) << "already deleted";
    EXPECT_TRUE(queue.delete_message(messages[1].receipt_handle));
    const auto after = queue.counts();
    EXPECT_EQ(after.visible + after.in_flight + after.delayed + after.dead_letters, 0);
}

TEST_F(LocalQueueTest, ReceivesInSendingOrderUpToMax) {
    for (int i = 0; i < 5; ++i) queue.send("map", std::to_string(i));
    std::vector<std::string> bodies;
    for (int i = 0; i < 3; ++i) {
        for (const auto& m : queue.receive(2, 30s)) bodies.push_back(m.body);
    }
    EXPECT_EQ(bodies, (std::vector<std::string>{"0", "1", "2", "3", "4"}));
}

TEST_F(LocalQueueTest, ExpiredLeaseRedeliversWithANewHandle) {
    queue.send("map", "x");
    const auto first = queue.receive(1, 10s);
    ASSERT_EQ(first.size(), 1u);
    clock.advance(9s);
    EXPECT_TRUE(queue.receive(1, 10s).empty());
    clock.advance(2s);
    EXPECT_EQ(queue.counts().visible, 1);
    const auto second = queue.receive(1, 10s);
    ASSERT_EQ(second.size(), 1u);
    EXPECT_EQ(second[0].message_id, first[0].message_id);
    EXPECT_EQ(second[0].receive_count, 2);
    EXPECT_EQ(second[0].first_receive_timestamp, first[0].first_receive_timestamp);
    EXPECT_NE(second[0].receipt_handle, first[0].receipt_handle);
    EXPECT_FALSE(queue.delete_message(first[0].receipt_handle)) << "the old lease was lost";
    EXPECT_FALSE(queue.return_message(first[0].receipt_handle));
    EXPECT_FALSE(queue.dead_letter(first[0].receipt_handle, "late"));
    EXPECT_TRUE(queue.delete_message(second[0].receipt_handle));
}

TEST_F(LocalQueueTest, ExpiredButUnclaimedLeaseCanStillDelete) {
    queue.send("map", "x");
    const auto m = queue.receive(1, 1s);
    clock.advance(5s);
    EXPECT_TRUE(queue.delete_message(m.at(0).receipt_handle));
    EXPECT_TRUE(queue.receive(1, 1s).empty());
}

TEST_F(LocalQueueTest, ChangeVisibilityExtendsTheLease) {
    queue.send("map", "x");
    const auto m = queue.receive(1, 10s);
    clock.advance(8s);
    EXPECT_TRUE(queue.change_visibility(m.at(0).receipt_handle, 60s));
    clock.advance(30s);
    EXPECT_TRUE(queue.receive(1, 10s).empty());
    EXPECT_TRUE(queue.change_visibility(m.at(0).receipt_handle, 0s));
    EXPECT_EQ(queue.receive(1, 10s).size(), 1u);
    EXPECT_FALSE(queue.change_visibility(m.at(0).receipt_handle, 10s));
}

TEST_F(LocalQueueTest, ReturnCountingTheAttempt) {
    queue.send("map", "x");
    const auto m = queue.receive(1, 30s);
    EXPECT_TRUE(queue.return_message(m.at(0).receipt_handle, 0s, /*count_attempt=*/true));
    EXPECT_FALSE(queue.return_message(m.at(0).receipt_handle)) << "the lease ended";
    const auto again = queue.receive(1, 30s);
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].receive_count, 2);
}

TEST_F(LocalQueueTest, ReturnWithoutCountingTheAttempt) {
    queue.send("map", "x");
    const auto m = queue.receive(1, 30s);
    EXPECT_TRUE(queue.return_message(m.at(0).receipt_handle, 0s, /*count_attempt=*/false));
    const auto again = queue.receive(1, 30s);
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].receive_count, 1) << "watchbot's exit code 4 does not count the attempt";
}

TEST_F(LocalQueueTest, ReturnWithDelayIsDelayed) {
    queue.send("map", "x");
    const auto m = queue.receive(1, 30s);
    EXPECT_TRUE(queue.return_message(m.at(0).receipt_handle, 5s));
    auto counts = queue.counts();
    EXPECT_EQ(counts.delayed, 1);
    EXPECT_EQ(counts.in_flight, 0);
    EXPECT_TRUE(queue.receive(1, 30s).empty());
    clock.advance(5s);
    EXPECT_EQ(queue.receive(1, 30s).size(), 1u);
}

TEST_F(LocalQueueTest, SendWithDelay) {
    queue.send("map", "later", 2s);
    queue.send("map", "now");
    EXPECT_EQ(queue.counts().delayed, 1);
    const auto first = queue.receive(10, 30s);
    ASSERT_EQ(first.size(), 1u);
    EXPECT_EQ(first[0].body, "now");
    clock.advance(2s);
    const auto second = queue.receive(10, 30s);
    ASSERT_EQ(second.size(), 1u);
    EXPECT_EQ(second[0].body, "later");
}

TEST_F(LocalQueueTest, DeadLetterMovesTheMessage) {
    const std::string id = queue.send("map", R"({"partid":3})");
    const auto m = queue.receive(1, 30s);
    clock.advance(1s);
    EXPECT_TRUE(queue.dead_letter(m.at(0).receipt_handle, "worker exited with 1"));
    EXPECT_FALSE(queue.delete_message(m.at(0).receipt_handle));
    const auto letters = queue.list_dead_letters();
    ASSERT_EQ(letters.size(), 1u);
    EXPECT_EQ(letters[0].message_id, id);
    EXPECT_EQ(letters[0].subject, "map");
    EXPECT_EQ(letters[0].body, R"({"partid":3})");
    EXPECT_EQ(letters[0].receive_count, 1);
    EXPECT_EQ(letters[0].reason, "worker exited with 1");
    EXPECT_EQ(letters[0].dead_lettered_at, clock.function()());
    ASSERT_TRUE(letters[0].first_receive_timestamp.has_value());
    const auto counts = queue.counts();
    EXPECT_EQ(counts.dead_letters, 1);
    EXPECT_EQ(counts.visible + counts.in_flight + counts.delayed, 0);
}

// Dead-letters three messages (subjects a, b, c, in that order); returns their message ids.
std::vector<std::string> dead_letter_three(wp::LocalQueue& queue, FakeClock& clock) {
    std::vector<std::string> ids;
    for (const std::string subject : {"a", "b", "c"}) {
        ids.push_back(queue.send(subject, "{\"s\":\"" + subject + "\"}"));
        clock.advance(1ms);
    }
    for (const auto& m : queue.receive(10, 1min)) EXPECT_TRUE(queue.dead_letter(m.receipt_handle, "exit 1"));
    return ids;
}

TEST_F(LocalQueueTest, RedriveNamedDeadLettersPutsThemBackAsFreshMessages) {
    const auto ids = dead_letter_three(queue, clock);
    ASSERT_EQ(queue.list_dead_letters().size(), 3u);
    const std::vector<std::string> named = {ids[2], ids[0]};
    EXPECT_EQ(queue.redrive_dead_letters(named), (std::vector<std::string>{ids[0], ids[2]}));  // oldest first
    const auto left = queue.list_dead_letters();
    ASSERT_EQ(left.size(), 1u);
    EXPECT_EQ(left[0].message_id, ids[1]);
    const auto back = queue.receive(10, 1min);
    ASSERT_EQ(back.size(), 2u);
    EXPECT_EQ(back[0].message_id, ids[0]);
    EXPECT_EQ(back[0].subject, "a");
    EXPECT_EQ(back[0].body, R"({"s":"a"})");
    EXPECT_EQ(back[0].receive_count, 1) << "a redriven message starts its receive count again";
    EXPECT_EQ(back[0].sent_timestamp, std::chrono::system_clock::time_point(std::chrono::milliseconds(1'700'000'000'000)));
    EXPECT_EQ(back[1].message_id, ids[2]);
}

TEST_F(LocalQueueTest, RedriveWithoutIdsMovesEveryDeadLetter) {
    const auto ids = dead_letter_three(queue, clock);
    EXPECT_EQ(queue.redrive_dead_letters(), ids);
    EXPECT_TRUE(queue.list_dead_letters().empty());
    EXPECT_EQ(queue.counts().visible, 3);
    EXPECT_TRUE(queue.redrive_dead_letters().empty()) << "nothing left to redrive";
}

TEST_F(LocalQueueTest, RedriveOfAnUnknownIdMovesNothing) {
    const auto ids = dead_letter_three(queue, clock);
    const std::vector<std::string> named = {ids[0], "not-a-dead-letter"};
    try {
        queue.redrive_dead_letters(named);
        FAIL() << "an unknown id was accepted";
    } catch (const wp::InvalidInput& e) {
        EXPECT_THAT(e.what(), HasSubstr("'not-a-dead-letter' is not the message id of a dead letter"));
        EXPECT_THAT(e.what(), HasSubstr("nothing was redriven"));
    }
    EXPECT_EQ(queue.list_dead_letters().size(), 3u);
    EXPECT_EQ(queue.counts().visible, 0);
}

TEST(LocalQueue, MaxReceiveCountDeadLettersExhaustedMessages) {
    FakeClock clock;
    auto options = queue_options(temp_queue_path(), &clock);
    options.max_receive_count = 2;
    wp::LocalQueue queue(options);
    queue.send("map", "poison");
    for (int attempt = 1; attempt <= 2; ++attempt) {
        const auto m = queue.receive(1, 10s);
        ASSERT_EQ(m.size(), 1u);
        EXPECT_EQ(m[0].body, "poison");
        EXPECT_EQ(m[0].receive_count, attempt);
        clock.advance(11s);  // the worker died: the lease expires
    }
    queue.send("map", "fine");
    const auto m = queue.receive(10, 10s);
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0].body, "fine");
    const auto letters = queue.list_dead_letters();
    ASSERT_EQ(letters.size(), 1u);
    EXPECT_EQ(letters[0].body, "poison");
    EXPECT_EQ(letters[0].receive_count, 2);
    EXPECT_THAT(letters[0].reason, HasSubstr("max_receive_count is 2"));
}

TEST(LocalQueue, ReturnWithoutCountingNeverExhaustsTheReceiveCount) {
    FakeClock clock;
    auto options = queue_options(temp_queue_path(), &clock);
    options.max_receive_count = 2;
    wp::LocalQueue queue(options);
    queue.send("map", "retry-me");
    for (int i = 0; i < 5; ++i) {
        const auto m = queue.receive(1, 10s);
        ASSERT_EQ(m.size(), 1u) << "round " << i;
        EXPECT_EQ(m[0].receive_count, 1);
        EXPECT_TRUE(queue.return_message(m[0].receipt_handle, 0s, /*count_attempt=*/false));
    }
    EXPECT_TRUE(queue.list_dead_letters().empty());
}

TEST_F(LocalQueueTest, BadArgumentsAreInvalidInput) {
    EXPECT_THROW(queue.receive(0, 1s), wp::InvalidInput);
    EXPECT_THROW(queue.receive(1, -1s), wp::InvalidInput);
    EXPECT_THROW(queue.receive(1, 1s, -1s), wp::InvalidInput);
    EXPECT_THROW(queue.send("map", "x", -1s), wp::InvalidInput);
    for (const char* handle : {"", "abc", "12", "12.", "x.0123456789abcdef0123456789abcdef", "-1.0123456789abcdef0123456789abcdef",
                               "1.short"}) {
        EXPECT_THROW(queue.delete_message(handle), wp::InvalidInput) << handle;
    }
    EXPECT_FALSE(queue.delete_message("99.0123456789abcdef0123456789abcdef")) << "well formed but unknown";
    auto options = queue_options(temp_queue_path());
    options.max_receive_count = -1;
    EXPECT_THROW(wp::LocalQueue{options}, wp::InvalidInput);
}

TEST(LocalQueue, LongPollingWaitsForAMessage) {
    wp::LocalQueue queue(queue_options(temp_queue_path()));
    auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(queue.receive(1, 30s, 200ms).empty());
    EXPECT_GE(std::chrono::steady_clock::now() - start, 190ms);

    std::thread sender([&] {
        std::this_thread::sleep_for(100ms);
        queue.send("map", "late");
    });
    // A receive that did not wake up on the message would sit out its whole 300 s wait: the bound
    // below is 3,000 times the sender's delay, so only that defect can break it.
    start = std::chrono::steady_clock::now();
    const auto m = queue.receive(1, 30s, 300s);
    sender.join();
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0].body, "late");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 150s);
}

TEST(LocalQueue, SharesAFileWithTheBackend) {
    const std::string path = temp_queue_path();
    wp::SqliteBackend backend(wp::parse_sqlite_uri("sqlite://" + path));
    wp::LocalQueue queue(queue_options(path));
    backend.set_total("job", 1);
    queue.send("map", "x");
    EXPECT_EQ(backend.status("job").total, 1);
    EXPECT_EQ(queue.receive(1, 1s).size(), 1u);
    wp::detail::sqlite::Connection c(queue.options().database);
    auto s = c.statement("SELECT COUNT(*) FROM wp_schema_versions");
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.int64(0), 2) << "one row for the jobs, one for the queue";
}

TEST(LocalQueue, UriForms) {
    const std::string path = temp_queue_path();
    auto queue = wp::LocalQueue::from_uri("sqlite://" + path + "?busy_timeout_ms=100");
    EXPECT_EQ(queue->options().database.path, path);
    EXPECT_EQ(queue->options().database.busy_timeout, 100ms);
    EXPECT_EQ(queue->describe(), "sqlite://" + path);
    EXPECT_THROW(wp::LocalQueue::from_uri("sqlite://"), wp::InvalidInput);
    EXPECT_THROW(wp::LocalQueue::from_uri("sqs://queue"), wp::InvalidInput);
}

// Many processes receive from one file at once: no message is leased to two of them.
// Six processes drain one queue file. The contract: no message is leased twice while its lease
// lasts, and every message is received. A start barrier makes the sharing deterministic: each child
// takes its first lease, then waits until every child holds one, so every process receives work
// whatever the scheduler does (without it, one process may drain the queue before the others start).
TEST(LocalQueue, MultiProcessReceiveNeverLeasesAMessageTwice) {
    constexpr int kProcesses = 6;
    constexpr int kMessages = 600;
    constexpr int kBatch = 3;
    const std::string dir = wp_test::make_temp_dir("wp-queue-");
    const std::string uri = "sqlite://" + dir + "/queue.db";
    {
        auto queue = wp::LocalQueue::from_uri(uri);  // closed before forking
        std::vector<wp::OutgoingMessage> batch;
        for (int i = 0; i < kMessages; ++i) batch.push_back({"map", std::to_string(i)});
        queue->send_batch(batch);
    }
    int leased[2], go[2];  // child -> parent: "I hold my first lease"; parent -> children: "go on"
    ASSERT_EQ(::pipe(leased), 0);
    ASSERT_EQ(::pipe(go), 0);
    std::vector<pid_t> pids;
    for (int k = 0; k < kProcesses; ++k) {
        const pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            ::close(leased[0]);
            ::close(go[1]);
            int status = 0;
            try {
                auto queue = wp::LocalQueue::from_uri(uri);
                std::ofstream out(dir + "/received-" + std::to_string(k));
                for (bool first = true;; first = false) {
                    const auto messages = queue->receive(kBatch, 600s);  // far longer than the test
                    if (first) {
                        // Every child's first receive finds messages: 6 x 3 < 600.
                        if (messages.empty()) status = 4;
                        char byte = 'l';
                        if (::write(leased[1], &byte, 1) != 1) status = 5;
                        ::close(leased[1]);  // so a parent waiting for a child that died is not left waiting
                        if (::read(go[0], &byte, 1) != 1) status = 5;
                    }
                    if (messages.empty()) break;
                    for (const auto& m : messages) {
                        out << m.body << ' ' << m.receive_count << '\n';
                        if (!queue->delete_message(m.receipt_handle)) status = 3;
                    }
                }
            } catch (const std::exception& e) {
                std::fprintf(stderr, "child %d: %s\n", k, e.what());
                status = 1;
            }
            ::_exit(status);
        }
        pids.push_back(pid);
    }
    ::close(leased[1]);
    ::close(go[0]);
    // The barrier: once every child holds its first lease, let them all go on. A child that failed
    // before leasing closes its end, so the read returns early instead of hanging.
    int holding = 0;
    char byte = 0;
    while (holding < kProcesses && ::read(leased[0], &byte, 1) == 1) ++holding;
    const std::string release(kProcesses, 'g');
    EXPECT_EQ(::write(go[1], release.data(), release.size()), static_cast<ssize_t>(release.size()));
    ::close(leased[0]);
    ::close(go[1]);
    EXPECT_EQ(holding, kProcesses);
    for (pid_t pid : pids) {
        int status = 0;
        ASSERT_EQ(::waitpid(pid, &status, 0), pid);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child exit status " << status;
    }
    std::multiset<std::string> received;
    int processes_that_received = 0;
    for (int k = 0; k < kProcesses; ++k) {
        std::ifstream in(dir + "/received-" + std::to_string(k));
        std::string body;
        int count = 0;
        bool any = false;
        while (in >> body >> count) {
            received.insert(body);
            EXPECT_EQ(count, 1) << "message " << body << " was received more than once";
            any = true;
        }
        processes_that_received += any ? 1 : 0;
    }
    EXPECT_EQ(received.size(), static_cast<std::size_t>(kMessages));
    for (int i = 0; i < kMessages; ++i) EXPECT_EQ(received.count(std::to_string(i)), 1u) << i;
    EXPECT_EQ(processes_that_received, kProcesses) << "each child held a lease at the barrier";
    const auto counts = wp::LocalQueue::from_uri(uri)->counts();
    EXPECT_EQ(counts.visible + counts.in_flight + counts.delayed + counts.dead_letters, 0);
}

// ------------------------------------------------------------------------------------------------
// The notifier

TEST(LocalQueueNotifier, PublishesIntoTheQueue) {
    const std::string path = temp_queue_path();
    auto notifier = wp::LocalQueueNotifier::from_uri("sqlite://" + path);
    EXPECT_EQ(notifier->describe(), "sqlite://" + path);
    notifier->publish("reduce", R"({"jobid":"j","metadata":{}})");
    const auto m = notifier->queue()->receive(10, 30s);
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0].subject, "reduce");
    EXPECT_EQ(m[0].body, R"({"jobid":"j","metadata":{}})");
}

TEST(LocalQueueNotifier, OpenNotifierDispatchesSqliteUris) {
    const std::string path = temp_queue_path();
    auto notifier = wp::open_notifier("sqlite://" + path);
    ASSERT_NE(std::dynamic_pointer_cast<wp::LocalQueueNotifier>(notifier), nullptr);
    notifier->publish("map", "{}");
    EXPECT_EQ(wp::LocalQueue::from_uri("sqlite://" + path)->counts().visible, 1);
}

TEST(LocalQueueNotifier, LimitsAreSnsLimits) {
    auto notifier = wp::LocalQueueNotifier::from_uri("sqlite://" + temp_queue_path());
    const auto limits = notifier->limits();
    EXPECT_EQ(limits.max_message_bytes, 262144u);
    EXPECT_EQ(limits.max_batch_entries, 10u);
    EXPECT_EQ(limits.max_batch_bytes, 262144u);
}

TEST(LocalQueueNotifier, OversizeMessagesAreInvalidInputAndNotSent) {
    auto notifier = wp::LocalQueueNotifier::from_uri("sqlite://" + temp_queue_path());
    notifier->publish("map", std::string(262144, 'x'));  // exactly the limit
    try {
        notifier->publish("map", std::string(262145, 'x'));
        FAIL() << "no exception";
    } catch (const wp::InvalidInput& e) {
        EXPECT_THAT(e.what(), HasSubstr("262145 bytes"));
        EXPECT_THAT(e.what(), HasSubstr("262144"));
    }
    EXPECT_THROW(notifier->publish("map", ""), wp::InvalidInput);
    EXPECT_THROW(notifier->publish("", "{}"), wp::InvalidInput);
    EXPECT_THROW(notifier->publish(std::string(101, 's'), "{}"), wp::InvalidInput);
    EXPECT_THROW(notifier->publish("two\nlines", "{}"), wp::InvalidInput);
    EXPECT_EQ(notifier->queue()->counts().visible, 1);
}

TEST(LocalQueueNotifier, PublishBatchIsOneTransactionWithinSnsLimits) {
    auto notifier = wp::LocalQueueNotifier::from_uri("sqlite://" + temp_queue_path());
    std::vector<wp::OutgoingMessage> batch;
    for (int i = 0; i < 10; ++i) batch.push_back({"map", R"({"partid":)" + std::to_string(i) + "}"});
    notifier->publish_batch(batch);
    EXPECT_EQ(notifier->queue()->counts().visible, 10);

    auto eleven = batch;
    eleven.push_back({"map", "{}"});
    EXPECT_THROW(notifier->publish_batch(eleven), wp::InvalidInput);

    std::vector<wp::OutgoingMessage> heavy(2, {"map", std::string(131073, 'x')});  // 262146 bytes in all
    EXPECT_THROW(notifier->publish_batch(heavy), wp::InvalidInput);

    std::vector<wp::OutgoingMessage> one_bad = {{"map", "{}"}, {"map", std::string(262145, 'x')}};
    EXPECT_THROW(notifier->publish_batch(one_bad), wp::InvalidInput);
    EXPECT_EQ(notifier->queue()->counts().visible, 10) << "nothing of a refused batch is sent";
    notifier->publish_batch({});
}

TEST(LocalQueueNotifier, LockedFileIsAPublishErrorForTheWholeBatch) {
    const std::string path = temp_queue_path();
    auto options = queue_options(path);
    options.database.busy_timeout = 10ms;
    options.database.retry_timeout = 50ms;
    wp::LocalQueueNotifier notifier(options);
    wp::detail::sqlite::Connection locker(options.database);
    locker.exec("BEGIN IMMEDIATE");
    std::vector<wp::OutgoingMessage> batch(3, {"map", "{}"});
    try {
        notifier.publish_batch(batch);
        FAIL() << "no exception";
    } catch (const wp::PublishError& e) {
        EXPECT_EQ(e.code(), "SQLITE_BUSY");
        EXPECT_TRUE(e.retryable());
        EXPECT_EQ(e.failed_indexes(), (std::vector<std::size_t>{0, 1, 2}));
    }
    EXPECT_THROW(notifier.publish("map", "{}"), wp::BackendError);
    locker.exec("ROLLBACK");
    notifier.publish_batch(batch);
    EXPECT_EQ(notifier.queue()->counts().visible, 3);
}

}  // namespace
