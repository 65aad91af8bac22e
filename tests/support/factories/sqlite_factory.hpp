#pragma once
// SQLite backends for the conformance suite: a fresh database file per call, in a new temporary
// directory under ::testing::TempDir(), so tests never see each other's jobs. The directories are
// removed when the test process exits (set WP_KEEP_TEST_DBS=1 to keep them for a look).

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "watchbot_progress/sqlite_backend.hpp"

namespace wp_test {

// The directories make_temp_dir created; removed at exit by the process that created them (never
// by a forked child, which leaves with _exit or exits without owning them).
struct TempDirRegistry {
    std::mutex mutex;
    std::vector<std::string> dirs;
    pid_t owner = ::getpid();
    ~TempDirRegistry() {
        const char* keep = std::getenv("WP_KEEP_TEST_DBS");
        if (::getpid() != owner || (keep != nullptr && *keep != '\0' && *keep != '0')) return;
        std::error_code ignored;
        for (const auto& d : dirs) std::filesystem::remove_all(d, ignored);
    }
};
inline TempDirRegistry temp_dir_registry;

// A new empty directory under ::testing::TempDir().
inline std::string make_temp_dir(const std::string& prefix = "wp-sqlite-") {
    std::string base = ::testing::TempDir();
    if (base.empty()) base = "/tmp/";
    if (base.back() != '/') base += '/';
    std::string pattern = base + prefix + "XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
    std::lock_guard lock(temp_dir_registry.mutex);
    temp_dir_registry.dirs.push_back(pattern);
    return pattern;
}

struct SqliteFactory {
    static constexpr const char* name = "Sqlite";
    static constexpr int kStressParts = 2000;
    static std::shared_ptr<watchbot_progress::Backend> make(watchbot_progress::WallClock clock = {}) {
        watchbot_progress::SqliteOptions options;
        options.path = make_temp_dir() + "/jobs.db";
        return std::make_shared<watchbot_progress::SqliteBackend>(options, std::move(clock));
    }
};

}  // namespace wp_test
