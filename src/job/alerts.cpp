// Sending an alert at most once per job and state (alerts.hpp): the backend's mark, then the message.
#include <algorithm>
#include <cstdio>
#include <exception>

#include "job/alert_sender.hpp"
#include "watchbot_progress/alerts.hpp"
#include "watchbot_progress/backend.hpp"
#include "watchbot_progress/notifier.hpp"
#include "watchbot_progress/reduce.hpp"

namespace watchbot_progress {

Alert make_alert(Backend& backend, const std::string& jobid, AlertState state, std::string reason, std::int64_t now_ms) {
    const JobStatus status = backend.status(jobid);
    const std::vector<PartId> failed = backend.list_failed_parts(jobid);
    Alert alert;
    alert.jobid = jobid;
    alert.state = state;
    alert.total = status.total;
    alert.remaining = status.remaining;
    alert.failed_parts = static_cast<std::int64_t>(failed.size());
    alert.first_failed_parts.assign(failed.begin(),
                                    failed.begin() + static_cast<std::ptrdiff_t>(std::min(failed.size(), kAlertMaxListedParts)));
    alert.reason = std::move(reason);
    alert.time_ms = now_ms;
    return alert;
}

void publish_claimed_alert(Backend& backend, Notifier& notifier, const Alert& alert) {
    try {
        notifier.publish(kAlertSubject, alert_message_body(alert));
    } catch (...) {
        const std::exception_ptr error = std::current_exception();
        if (!publish_outcome_unknown(error)) {
            try {
                backend.release_alert(alert.jobid, alert.state);
            } catch (const std::exception& e) {
                std::fprintf(stderr,
                             "watchbot-progress: job %s: the %s alert could not be sent, and its mark could not be "
                             "given back (%s): it will not be sent again\n",
                             alert.jobid.c_str(), to_string(alert.state).c_str(), e.what());
            }
        }
        throw;
    }
}

bool send_alert(Backend& backend, Notifier& notifier, const Alert& alert) {
    if (!backend.claim_alert(alert.jobid, alert.state)) return false;
    publish_claimed_alert(backend, notifier, alert);
    return true;
}

namespace detail {

std::optional<Alert> send_alert_once(Backend& backend, Notifier* notifier, const std::string& jobid, AlertState state,
                                     const std::string& reason, std::int64_t now_ms,
                                     const std::function<void(const Alert&)>& hook) {
    if (!backend.claim_alert(jobid, state)) return std::nullopt;
    Alert alert;
    try {
        alert = make_alert(backend, jobid, state, reason, now_ms);
    } catch (...) {
        try {
            backend.release_alert(jobid, state);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "watchbot-progress: job %s: could not give back the %s alert's mark (%s)\n",
                         jobid.c_str(), to_string(state).c_str(), e.what());
        }
        throw;
    }
    if (hook) {
        try {
            hook(alert);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "watchbot-progress: job %s: the %s alert's hook threw: %s\n", jobid.c_str(),
                         to_string(state).c_str(), e.what());
        } catch (...) {
            std::fprintf(stderr, "watchbot-progress: job %s: the %s alert's hook threw\n", jobid.c_str(),
                         to_string(state).c_str());
        }
    }
    if (notifier != nullptr) publish_claimed_alert(backend, *notifier, alert);
    return alert;
}

}  // namespace detail

}  // namespace watchbot_progress
