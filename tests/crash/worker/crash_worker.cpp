// wp_crash_worker: a map worker that kills itself with SIGKILL at a chosen step of the reduce
// protocol, for the crash matrix (tests/crash/crash_matrix_test.cpp). It works its part the way
// `watchbot-progress-cpp worker` does (run_part_command, with /bin/true as the command) against a
// real backend, and publishes reduces into a local queue file that the test reads.
//
//   wp_crash_worker BACKEND QUEUE_FILE JOBID PARTID
//
//   BACKEND   sqlite:PATH | redis (WP_TEST_REDIS_URL) | dynamodb | dynamodb-sharded (the dynalite
//             server in WP_TEST_DYNAMODB_ENDPOINT; tables wp-crash and wp-crash-sharded)
//   WP_CRASH_AT          none (default) | after-complete | after-claim | during-publish |
//                        after-publish | after-confirm: the step after which (or, for
//                        during-publish, inside which, before the message is handed on) the process
//                        sends itself SIGKILL. Only the delivery that reaches the step dies.
//   WP_CRASH_CLOCK_FILE  a file holding the time in ms since the epoch: the backend's clock (claim
//                        times and leases), so that the test moves time without sleeping.
//   WP_CRASH_LEASE_MS    PartOptions::reduce_lease (default: the library's default).
//
// Exit codes, as a worker's reach watchbot: 0 done; 75 a retryable error (ReducePending among
// them: watchbot delivers the message again); 1 any other error. A SIGKILL shows as 137.
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "crash_backends.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace wp = watchbot_progress;

namespace {

std::string crash_at() {
    const char* v = std::getenv("WP_CRASH_AT");
    return v == nullptr ? "none" : v;
}

[[noreturn]] void die() {
    std::cerr << "wp_crash_worker: SIGKILL at " << crash_at() << std::endl;
    ::raise(SIGKILL);
    std::abort();
}

wp::WallClock file_clock() {
    const char* path = std::getenv("WP_CRASH_CLOCK_FILE");
    if (path == nullptr) return {};
    const std::string file = path;
    return [file] {
        std::ifstream in(file);
        std::int64_t ms = 0;
        in >> ms;
        if (!in) throw std::runtime_error("WP_CRASH_CLOCK_FILE " + file + " holds no number");
        return ms;
    };
}

// The backend, with the steps of the reduce protocol observed.
class CrashingBackend final : public wp::ForwardingBackend {
public:
    using ForwardingBackend::ForwardingBackend;

protected:
    wp::CompletionResult do_complete_part_and_claim_reduce(const std::string& jobid, wp::PartId partid) override {
        if (crash_at() == "after-complete") {
            // The completion is written; the process dies before it claims.
            if (ForwardingBackend::do_complete_part(jobid, partid)) die();
        }
        wp::CompletionResult result = ForwardingBackend::do_complete_part_and_claim_reduce(jobid, partid);
        if (result.reduce_claim && crash_at() == "after-claim") die();
        return result;
    }
    std::optional<wp::ClaimToken> do_claim_reduce(const std::string& jobid) override {
        auto claim = ForwardingBackend::do_claim_reduce(jobid);
        if (claim && crash_at() == "after-claim") die();
        return claim;
    }
    std::optional<wp::ClaimToken> do_reclaim_reduce(const std::string& jobid, std::chrono::milliseconds lease) override {
        auto claim = ForwardingBackend::do_reclaim_reduce(jobid, lease);
        if (claim && crash_at() == "after-claim") die();
        return claim;
    }
    bool do_confirm_reduce(const std::string& jobid, const wp::ClaimToken& token) override {
        const bool held = ForwardingBackend::do_confirm_reduce(jobid, token);
        if (crash_at() == "after-confirm") die();
        return held;
    }
};

class CrashingNotifier final : public wp::ForwardingNotifier {
public:
    using ForwardingNotifier::ForwardingNotifier;
    void do_publish(const std::string& subject, const std::string& body) override {
        if (subject == wp::kReduceSubject && crash_at() == "during-publish") die();
        ForwardingNotifier::do_publish(subject, body);
        if (subject == wp::kReduceSubject && crash_at() == "after-publish") die();
    }
};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        std::cerr << "usage: wp_crash_worker BACKEND QUEUE_FILE JOBID PARTID\n";
        return 2;
    }
    try {
        wp::LocalQueueOptions queue;
        queue.database.path = argv[2];
        wp::CommandPartOptions options;
        options.part.backend = std::make_shared<CrashingBackend>(wp_test::open_crash_backend(argv[1], file_clock()));
        options.part.notifier =
            std::make_shared<CrashingNotifier>(std::make_shared<wp::LocalQueueNotifier>(queue));
        if (const char* lease = std::getenv("WP_CRASH_LEASE_MS")) {
            options.part.reduce_lease = std::chrono::milliseconds(std::stoll(lease));
        }
        wp::MapMessage message;
        message.jobid = argv[3];
        message.partid = std::stoll(argv[4]);
        message.body = {{"jobid", message.jobid}, {"partid", message.partid}, {"metadata", nullptr}};
        const wp::CommandPartResult result = wp::run_part_command(message, {"true"}, options);
        return result.outcome == wp::CommandPartResult::Outcome::kCompleted ? 0 : 1;
    } catch (const wp::BackendError& e) {
        std::cerr << "wp_crash_worker: " << e.what() << "\n";
        return e.retryable() ? 75 : 1;
    } catch (const std::exception& e) {
        std::cerr << "wp_crash_worker: " << e.what() << "\n";
        return 1;
    }
}
