#pragma once
// Helpers shared by the AWS tests: a settable clock, recording retry hooks, temp files.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "aws/clock.hpp"
#include "aws/retry.hpp"

namespace wp_test {

// A clock tests move by hand. Thread-safe.
class FakeClock {
public:
    explicit FakeClock(watchbot_progress::aws::TimePoint start = watchbot_progress::aws::parse_amz_date("20260101T120000Z"))
        : now_(start.time_since_epoch().count()) {}
    watchbot_progress::aws::TimePoint now() const {
        return watchbot_progress::aws::TimePoint(watchbot_progress::aws::TimePoint::duration(now_.load()));
    }
    void advance(std::chrono::system_clock::duration by) { now_ += by.count(); }
    void set(watchbot_progress::aws::TimePoint t) { now_ = t.time_since_epoch().count(); }
    watchbot_progress::aws::Clock as_clock() {
        return [this] { return now(); };
    }

private:
    std::atomic<watchbot_progress::aws::TimePoint::duration::rep> now_;
};

// Retry hooks that never sleep: they record the delays asked for.
struct RecordingHooks {
    std::mutex mutex;
    std::vector<std::chrono::milliseconds> sleeps;
    double random_value = 0.5;

    watchbot_progress::aws::RetryHooks hooks() {
        watchbot_progress::aws::RetryHooks h;
        h.sleep = [this](std::chrono::milliseconds d) {
            std::lock_guard lock(mutex);
            sleeps.push_back(d);
        };
        h.random = [this] { return random_value; };
        return h;
    }
    std::vector<std::chrono::milliseconds> recorded() {
        std::lock_guard lock(mutex);
        return sleeps;
    }
};

// A fresh directory under the system temp dir, removed at destruction.
class TempDir {
public:
    TempDir() {
        std::random_device rd;
        path_ = std::filesystem::temp_directory_path() / ("wp-aws-test-" + std::to_string(rd()) + std::to_string(rd()));
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::string write(const std::string& relative, const std::string& content) const {
        auto file = path_ / relative;
        std::filesystem::create_directories(file.parent_path());
        std::ofstream(file, std::ios::binary) << content;
        return file.string();
    }

private:
    std::filesystem::path path_;
};

}  // namespace wp_test
