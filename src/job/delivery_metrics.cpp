#include "watchbot_progress/delivery_metrics.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include <nlohmann/json.hpp>

namespace watchbot_progress {

std::string to_string(DeliveryOutcome outcome) {
    switch (outcome) {
        case DeliveryOutcome::kCompleted: return "completed";
        case DeliveryOutcome::kFailed: return "failed";
        case DeliveryOutcome::kPartDead: return "part-dead";
        case DeliveryOutcome::kJobFailed: return "job-failed";
        case DeliveryOutcome::kJobAlreadyFailed: return "job-already-failed";
        case DeliveryOutcome::kError: return "error";
        case DeliveryOutcome::kInterrupted: return "interrupted";
    }
    return "error";
}

std::string to_string(ClaimOutcome outcome) {
    switch (outcome) {
        case ClaimOutcome::kNone: return "none";
        case ClaimOutcome::kSent: return "sent";
        case ClaimOutcome::kTakenOver: return "taken-over";
        case ClaimOutcome::kAlreadySent: return "already-sent";
        case ClaimOutcome::kPending: return "pending";
        case ClaimOutcome::kSendFailed: return "send-failed";
    }
    return "none";
}

std::string emf_line(const DeliveryMetrics& m) {
    const bool reduce_sent = m.claim == ClaimOutcome::kSent || m.claim == ClaimOutcome::kTakenOver;
    // ordered_json: the `_aws` object first, as in AWS's examples (any order is valid).
    const nlohmann::ordered_json line = {
        {"_aws",
         {{"Timestamp", m.timestamp_ms},
          {"CloudWatchMetrics",
           nlohmann::ordered_json::array({{{"Namespace", kMetricsNamespace},
                                           {"Dimensions", {{"Outcome"}, {"ClaimOutcome"}}},
                                           {"Metrics",
                                            {{{"Name", "PartDuration"}, {"Unit", "Milliseconds"}},
                                             {{"Name", "Deliveries"}, {"Unit", "Count"}},
                                             {{"Name", "ReducesSent"}, {"Unit", "Count"}}}}}})}}},
        {"Outcome", to_string(m.outcome)},
        {"ClaimOutcome", to_string(m.claim)},
        {"PartDuration", m.duration_ms < 0.0 ? 0.0 : m.duration_ms},
        {"Deliveries", 1},
        {"ReducesSent", reduce_sent ? 1 : 0},
        {"jobid", m.jobid},
        {"partid", m.partid},
    };
    // A job id is valid UTF-8 (validate_jobid); replace anything else rather than throw.
    return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

bool delivery_metrics_enabled() {
    const char* value = std::getenv("WATCHBOT_PROGRESS_METRICS");
    if (value == nullptr || *value == '\0') return false;
    if (std::strcmp(value, "emf") == 0) return true;
    static std::atomic<bool> warned{false};
    if (!warned.exchange(true)) {
        std::fprintf(stderr,
                     "watchbot-progress: WATCHBOT_PROGRESS_METRICS=%s is not a metrics format this library writes "
                     "(only `emf`): no metrics are written; set it to emf, or unset it\n",
                     value);
    }
    return false;
}

void write_delivery_metrics(const DeliveryMetrics& metrics) noexcept {
    try {
        if (!delivery_metrics_enabled()) return;
        const std::string text = emf_line(metrics) + "\n";
        // Whole lines the program printed before go out first; then the line in one write, which
        // a pipe (up to PIPE_BUF bytes) and a file opened for appending never interleave.
        std::cout.flush();
        std::fflush(stdout);
        std::size_t done = 0;
        while (done < text.size()) {
            const ssize_t n = ::write(STDOUT_FILENO, text.data() + done, text.size() - done);
            if (n < 0) {
                if (errno == EINTR) continue;
                std::fprintf(stderr, "watchbot-progress: could not write the delivery's metrics line to stdout: %s\n",
                             std::strerror(errno));
                return;
            }
            done += static_cast<std::size_t>(n);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "watchbot-progress: could not write the delivery's metrics line: %s\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "watchbot-progress: could not write the delivery's metrics line\n");
    }
}

}  // namespace watchbot_progress
