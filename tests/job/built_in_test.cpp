// built_in_support(): what it lists is what open_backend / open_notifier open, and what it leaves
// out they refuse with ConfigError. Opening sends no request, so no server is needed.

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "watchbot_progress/built_in_support.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace wp = watchbot_progress;
using ::testing::HasSubstr;

namespace {

struct Kind {
    std::string name;
    std::function<void()> open;  // opens one instance of the kind
};

bool listed(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

class BuiltIn : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / ("wp-built-in-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    // Every kind of each list, in the order built_in_support() documents.
    std::vector<Kind> backends() const {
        const std::string db = "sqlite://" + (dir_ / "jobs.db").string();
        return {{"dynamodb", [] { wp::open_backend("arn:aws:dynamodb:us-east-1:123456789012:table/jobs"); }},
                {"redis", [] { wp::open_backend("redis://127.0.0.1:6379/0"); }},
                {"sqlite", [db] { wp::open_backend(db); }},
                {"memory", [] { wp::open_backend("memory://built-in"); }}};
    }
    std::vector<Kind> notifiers() const {
        const std::string queue = "sqlite://" + (dir_ / "queue.db").string();
        return {{"sns", [] { wp::open_notifier("arn:aws:sns:us-east-1:123456789012:topic"); }},
                {"local-queue", [queue] { wp::open_notifier(queue); }},
                {"memory", [] { wp::open_notifier("memory://built-in"); }}};
    }

    // Listed kinds open; the others are ConfigError saying they are not built in. The list holds
    // nothing else, in the documented order.
    static void check(const std::vector<Kind>& kinds, const std::vector<std::string>& names) {
        std::vector<std::string> expected;
        for (const auto& kind : kinds) {
            if (listed(names, kind.name)) {
                expected.push_back(kind.name);
                EXPECT_NO_THROW(kind.open()) << kind.name;
            } else {
                try {
                    kind.open();
                    ADD_FAILURE() << kind.name << " opened but is not listed as built in";
                } catch (const wp::ConfigError& e) {
                    EXPECT_THAT(e.what(), HasSubstr("not built into this library")) << kind.name;
                }
            }
        }
        EXPECT_EQ(names, expected);
    }

    std::filesystem::path dir_;
};

TEST_F(BuiltIn, ListedBackendsOpenAndOthersAreNotBuiltIn) {
    check(backends(), wp::built_in_support().backends);
}

TEST_F(BuiltIn, ListedNotifiersOpenAndOthersAreNotBuiltIn) {
    check(notifiers(), wp::built_in_support().notifiers);
}

TEST_F(BuiltIn, FollowsTheBuildConfiguration) {
    const auto support = wp::built_in_support();
    EXPECT_EQ(listed(support.backends, "dynamodb"), WP_WITH_AWS == 1);
    EXPECT_EQ(listed(support.notifiers, "sns"), WP_WITH_AWS == 1);
    EXPECT_EQ(listed(support.backends, "redis"), WP_WITH_REDIS == 1);
    EXPECT_EQ(listed(support.backends, "sqlite"), WP_WITH_SQLITE == 1);
    EXPECT_EQ(listed(support.notifiers, "local-queue"), WP_WITH_SQLITE == 1);
    EXPECT_EQ(support.local_queue, WP_WITH_SQLITE == 1);
}

}  // namespace
