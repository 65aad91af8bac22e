// The alert states' names and the alert message's JSON (alerts.hpp). Pure: no backend, no notifier.
#include <cstdio>
#include <ctime>

#include "watchbot_progress/alerts.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress {

std::string to_string(AlertState state) {
    switch (state) {
        case AlertState::kFailed: return "failed";
        case AlertState::kStalled: return "stalled";
        case AlertState::kReduceOverdue: return "reduce-overdue";
        case AlertState::kPartDead: return "part-dead";
    }
    throw InvalidInput("alert state " + std::to_string(static_cast<int>(state)) +
                       " is not one of AlertState's values (failed, stalled, reduce-overdue, part-dead)");
}

AlertState parse_alert_state(std::string_view name) {
    for (const AlertState state : kAlertStates) {
        if (to_string(state) == name) return state;
    }
    throw InvalidInput("'" + std::string(name.substr(0, 40)) +
                       "' is not an alert state: expected failed, stalled, reduce-overdue or part-dead");
}

namespace {

// "2026-12-07T12:41:35.123Z".
std::string iso8601_utc(std::int64_t ms) {
    std::int64_t seconds = ms / 1000;
    std::int64_t millis = ms % 1000;
    if (millis < 0) {
        millis += 1000;
        --seconds;
    }
    const auto t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char text[96];  // any int fits: GCC checks each %d against its widest value
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(millis));
    return text;
}

}  // namespace

nlohmann::json Alert::to_json() const {
    return {
        {"jobid", jobid},
        {"state", to_string(state)},
        {"total", total},
        {"remaining", remaining},
        {"failedParts", failed_parts},
        {"reason", reason},
        {"firstFailedParts", first_failed_parts},
        {"time", iso8601_utc(time_ms)},
        {"timeMs", time_ms},
    };
}

Alert Alert::from_json(const nlohmann::json& body) {
    const auto bad = [](const std::string& what) {
        return InvalidInput("not an alert message: " + what + " (expected the JSON object of docs/wire-formats.md)");
    };
    if (!body.is_object()) throw bad("not a JSON object");
    const auto field = [&](const char* name) -> const nlohmann::json& {
        auto it = body.find(name);
        if (it == body.end()) throw bad(std::string("no \"") + name + "\"");
        return *it;
    };
    Alert alert;
    try {
        alert.jobid = field("jobid").get<std::string>();
        alert.state = parse_alert_state(field("state").get<std::string>());
        alert.total = field("total").get<std::int64_t>();
        alert.remaining = field("remaining").get<std::int64_t>();
        alert.failed_parts = field("failedParts").get<std::int64_t>();
        alert.reason = field("reason").get<std::string>();
        alert.first_failed_parts = field("firstFailedParts").get<std::vector<std::int64_t>>();
        alert.time_ms = field("timeMs").get<std::int64_t>();
    } catch (const nlohmann::json::exception& e) {
        throw bad(std::string("a field of the wrong type (") + e.what() + ")");
    }
    return alert;
}

std::string alert_message_body(const Alert& alert) { return alert.to_json().dump(); }

}  // namespace watchbot_progress
