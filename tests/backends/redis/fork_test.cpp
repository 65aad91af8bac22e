// A child process (fork) of a process that used the Redis backend's connections never uses its
// parent's sockets: the pool starts afresh there (redis_connection.hpp). A shared socket would mix
// the two processes' replies: a reply read by the wrong process, a claim's answer given to a caller
// that did not make it. Python's multiprocessing forks by default on Linux, with whatever
// connections the parent holds (python/tests/test_concurrency.py runs that case end to end).
// Against the test server (WP_TEST_REDIS_URL; the tests fail without it). The children time out
// with SIGALRM instead of hanging.

#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "backends/redis/redis_connection.hpp"
#include "test_env.hpp"
#include "watchbot_progress/redis_backend.hpp"

namespace wp = watchbot_progress;
namespace rd = watchbot_progress::detail::redis;

namespace {

wp::RedisOptions test_options() { return wp::RedisBackend::parse_uri(wp_test::require_env("WP_TEST_REDIS_URL")); }

long long client_id(rd::Connection& channel) {
    const rd::Reply reply = channel.command({"CLIENT", "ID"});
    return reply->type == REDIS_REPLY_INTEGER ? reply->integer : -1;
}

// Runs `child` in a forked child process (with 20 s before SIGALRM ends it) and returns its exit
// status: child's return value, 100 for an exception, 128 + N for signal N.
template <class Child>
int in_child(Child child) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::alarm(20);
        int code = 100;
        try {
            code = child();
        } catch (...) {
        }
        ::_exit(code);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(RedisForkedChild, TheParentsIdleConnectionIsNotHandedOutInTheChild) {
    rd::Pool pool(test_options());
    long long parent = 0;
    {
        rd::Pool::Lease lease = pool.acquire();
        parent = client_id(*lease);
    }
    ASSERT_GT(parent, 0);

    EXPECT_EQ(in_child([&] {
                  rd::Pool::Lease lease = pool.acquire();
                  const long long child = client_id(*lease);
                  return child > 0 && child != parent ? 0 : 1;
              }),
              0);
    rd::Pool::Lease lease = pool.acquire();
    EXPECT_EQ(client_id(*lease), parent);  // still open, and still the parent's
}

TEST(RedisForkedChild, ThePoolStartsEmptyInTheChildEvenWithEveryConnectionLeased) {
    wp::RedisOptions options = test_options();
    options.pool_size = 1;
    rd::Pool pool(options);
    long long idle_id = 0;
    {
        rd::Pool::Lease lease = pool.acquire();
        idle_id = client_id(*lease);
    }
    rd::Pool::Lease held = pool.acquire();  // the one connection the pool may open, leased
    ASSERT_EQ(client_id(*held), idle_id);

    EXPECT_EQ(in_child([&] {
                  long long child = 0;
                  {
                      rd::Pool::Lease lease = pool.acquire();  // would wait forever for the parent's
                      child = client_id(*lease);
                  }
                  // The forking thread's lease, returned in the child, is not handed out there.
                  { rd::Pool::Lease returned = std::move(held); }
                  rd::Pool::Lease again = pool.acquire();
                  return child > 0 && child != idle_id && client_id(*again) == child ? 0 : 1;
              }),
              0);
    EXPECT_EQ(client_id(*held), idle_id);
}

}  // namespace
