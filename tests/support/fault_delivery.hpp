#pragma once
// The worker side of the fault-injection tests: delivers map messages to Part guards the way SQS and
// watchbot do under faults — every message more than once, from several threads at once, and a
// delivery whose guard throws is delivered again later — and reports what happened.
//
//   wp_test::DeliveryReport report = wp_test::deliver_with_redelivery(messages, options, [&](const wp::MapMessage& m) {
//       wp::Part(m, {.backend = backend, .notifier = notifier}).run([] {});
//   });
//
// Deliveries: each message `copies` times (2), plus one more copy of every `extra_copy_every`-th
// message (5), shuffled with a seeded RNG. Round 1 runs them all on `threads` threads; the
// deliveries that threw are shuffled and run again in round 2 (after `redelivery_delay`, SQS's
// visibility timeout in miniature), and so on, at most `max_rounds` rounds.
//
// Also: redeliver_until_done, one delivery retried the same way on one thread; CountingNotifier, a Notifier that keeps what it was given (for jobs whose messages need not
// go to a real topic). Header-only; used by tests/*fault_test.cpp.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/messages.hpp"
#include "watchbot_progress/notifier.hpp"

namespace wp_test {

struct DeliveryOptions {
    int threads = 16;
    int copies = 2;                // deliveries of every message in round 1 ...
    int extra_copy_every = 5;      // ... plus one for every message whose index is a multiple of this (0: none)
    int max_rounds = 40;
    std::chrono::milliseconds redelivery_delay{100};
    std::uint64_t seed = 2024;
    // Called after every delivery (from the delivering thread) with the number done so far.
    std::function<void(std::uint64_t)> on_delivery;
    // Called before each redelivery round (2, 3, ...), when every delivery of the round before has
    // ended: a test moves its backend's clock here, as time passes between watchbot's retries, so
    // that a reduce claim left by a delivery that failed is taken over once its lease has passed.
    std::function<void(int round)> before_round;
};

struct DeliveryReport {
    std::uint64_t deliveries = 0;   // guard runs, redeliveries included
    std::uint64_t succeeded = 0;    // guard runs that returned
    std::uint64_t failed = 0;       // guard runs that threw (each was delivered again, up to max_rounds)
    int rounds = 0;                 // rounds run (1: nothing had to be redelivered)
    std::uint64_t undelivered = 0;  // deliveries still failing after max_rounds (should be 0)
    std::map<std::string, std::uint64_t> failure_codes;  // BackendError::code() (or "type: what") -> count
    std::vector<std::string> unexpected;                 // failures that are not retryable BackendErrors
    std::vector<std::uint64_t> failures_per_round;

    std::string to_string() const {
        std::ostringstream out;
        out << "deliveries=" << deliveries << " succeeded=" << succeeded << " guard_failures=" << failed
            << " rounds=" << rounds << " undelivered=" << undelivered << " failures_per_round=[";
        for (std::size_t i = 0; i < failures_per_round.size(); ++i) out << (i ? "," : "") << failures_per_round[i];
        out << "] failure_codes={";
        bool first = true;
        for (const auto& [code, n] : failure_codes) {
            out << (first ? "" : ", ") << code << ": " << n;
            first = false;
        }
        out << "}";
        return out.str();
    }
};

// Runs `deliver` for every delivery as described above. `deliver` throws to report a failed
// delivery. Thread-safe as long as `deliver` is.
inline DeliveryReport deliver_with_redelivery(const std::vector<watchbot_progress::MapMessage>& messages,
                                              const DeliveryOptions& options,
                                              const std::function<void(const watchbot_progress::MapMessage&)>& deliver) {
    DeliveryReport report;
    std::vector<std::size_t> round;
    for (std::size_t i = 0; i < messages.size(); ++i) {
        int copies = options.copies;
        if (options.extra_copy_every > 0 && i % static_cast<std::size_t>(options.extra_copy_every) == 0) ++copies;
        for (int c = 0; c < copies; ++c) round.push_back(i);
    }
    std::mt19937_64 rng(options.seed);
    std::mutex mutex;  // guards report and `again`
    std::atomic<std::uint64_t> done{0};

    for (int r = 1; r <= options.max_rounds && !round.empty(); ++r) {
        if (r > 1) std::this_thread::sleep_for(options.redelivery_delay);
        if (r > 1 && options.before_round) options.before_round(r);
        report.rounds = r;
        std::shuffle(round.begin(), round.end(), rng);
        std::vector<std::size_t> again;
        std::atomic<std::size_t> next{0};
        auto worker = [&] {
            for (std::size_t k = next++; k < round.size(); k = next++) {
                const std::size_t index = round[k];
                std::string code;
                std::string problem;
                try {
                    deliver(messages[index]);
                } catch (const watchbot_progress::BackendError& e) {
                    code = e.code();
                    if (!e.retryable()) problem = "non-retryable BackendError " + e.code() + ": " + e.what();
                } catch (const std::exception& e) {
                    code = "exception";
                    problem = std::string("exception: ") + e.what();
                } catch (...) {
                    code = "unknown";
                    problem = "an exception not derived from std::exception";
                }
                {
                    std::lock_guard lock(mutex);
                    ++report.deliveries;
                    if (code.empty()) {
                        ++report.succeeded;
                    } else {
                        ++report.failed;
                        ++report.failure_codes[code];
                        again.push_back(index);
                        if (!problem.empty() && report.unexpected.size() < 20) {
                            report.unexpected.push_back("part " + std::to_string(messages[index].partid) + ": " + problem);
                        }
                    }
                }
                const std::uint64_t n = ++done;
                if (options.on_delivery) options.on_delivery(n);
            }
        };
        std::vector<std::thread> threads;
        for (int t = 0; t < std::max(1, options.threads); ++t) threads.emplace_back(worker);
        for (auto& t : threads) t.join();
        report.failures_per_round.push_back(again.size());
        round = std::move(again);
    }
    report.undelivered = round.size();
    return report;
}

// One delivery, run again while it fails with ReducePending (another delivery's reduce claim is
// still unconfirmed), as watchbot delivers a failed message again: for tests that run deliveries
// on threads of their own. The claimer is a live thread of the same test, so its confirmation ends
// the loop; the short pause between attempts only spares the server. Returns the attempts taken.
template <class Delivery>
int redeliver_until_done(Delivery&& delivery) {
    std::chrono::milliseconds pause{1};
    for (int attempt = 1;; ++attempt) {
        try {
            delivery();
            return attempt;
        } catch (const watchbot_progress::ReducePending&) {
            std::this_thread::sleep_for(pause);
            pause = std::min(pause * 2, std::chrono::milliseconds(50));
        }
    }
}

// A Notifier that accepts everything and keeps it: published messages by subject. Batches of up
// to 10 (like SNS), so create_job batches as it does for a topic. Thread-safe.
class CountingNotifier final : public watchbot_progress::Notifier {
public:
    void do_publish(const std::string& subject, const std::string& body) override {
        std::lock_guard lock(mutex_);
        messages_[subject].push_back(body);
    }
    watchbot_progress::NotifierLimits limits() const override { return {262'144, 10, 262'144}; }
    std::string describe() const override { return "counting-notifier"; }

    std::vector<std::string> messages(const std::string& subject) const {
        std::lock_guard lock(mutex_);
        auto it = messages_.find(subject);
        return it == messages_.end() ? std::vector<std::string>{} : it->second;
    }

private:
    mutable std::mutex mutex_;
    std::map<std::string, std::vector<std::string>> messages_;
};

}  // namespace wp_test
