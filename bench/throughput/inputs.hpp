#pragma once
// What the throughput tool feeds the library besides the real backends and notifiers: generated
// parts (a forward view or a single-pass stream) and a notifier that keeps nothing.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>

#include "watchbot_progress/notifier.hpp"

#include <nlohmann/json.hpp>

namespace wp_bench {

namespace wp = watchbot_progress;

// N empty parts as a single-pass input range, like parts read from stdin, a socket or a generator:
// its iterator is only an input iterator, so create_job cannot read it twice and spools the
// validated map messages to a temporary file instead (src/job/map_message_stream.cpp). Nothing is held
// in memory but a counter. Single-threaded; begin() may be called once.
class SinglePassParts {
public:
    explicit SinglePassParts(std::int64_t count) : count_(count) {}

    class iterator {
    public:
        using iterator_concept = std::input_iterator_tag;
        using value_type = nlohmann::json;
        using difference_type = std::ptrdiff_t;

        iterator() = default;
        explicit iterator(SinglePassParts* parts) : parts_(parts) {}
        nlohmann::json operator*() const { return nlohmann::json::object(); }
        iterator& operator++() {
            ++parts_->produced_;
            return *this;
        }
        void operator++(int) { ++*this; }
        bool operator==(std::default_sentinel_t) const { return parts_->produced_ >= parts_->count_; }

    private:
        SinglePassParts* parts_ = nullptr;
    };

    iterator begin() { return iterator(this); }
    std::default_sentinel_t end() { return {}; }

private:
    std::int64_t count_;
    std::int64_t produced_ = 0;
};

// --topic discard://: accepts every message and keeps none. It has SNS's limits (256 KB per message,
// batches of 10), so create_job validates and batches exactly as it does for SNS; what remains is
// the library's own CPU and memory, without a message store or a network. Thread-safe.
class DiscardNotifier final : public wp::Notifier {
public:
    void do_publish(const std::string&, const std::string&) override {}
    wp::NotifierLimits limits() const override { return {256 * 1024, 10, 256 * 1024}; }
    std::string describe() const override { return "discard://"; }
};

}  // namespace wp_bench
