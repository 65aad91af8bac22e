#include "alerting.hpp"

#include <cstdlib>
#include <iostream>

#include "error_text.hpp"
#include "output.hpp"

namespace wp = watchbot_progress;

namespace wpcli {

std::string alert_topic_or_env(const std::string& given) {
    if (!given.empty()) return given;
    const char* env = std::getenv("AlertTopic");
    return env != nullptr ? std::string(env) : std::string();
}

namespace {

const char* repair_name(wp::SweepEvent::Kind kind) {
    switch (kind) {
        case wp::SweepEvent::Kind::kLeftAlone: return "left-alone";
        case wp::SweepEvent::Kind::kWouldSend: return "would-send-reduce";
        case wp::SweepEvent::Kind::kSent: return "reduce-sent";
        case wp::SweepEvent::Kind::kWouldDelete: return "would-delete";
        case wp::SweepEvent::Kind::kReduceFailed: return "reduce-failed";
        case wp::SweepEvent::Kind::kDeleteFailed: return "delete-failed";
    }
    return "unknown";
}

}  // namespace

std::function<void(const wp::MonitorEvent&)> print_monitor_events(bool* failed) {
    return [failed](const wp::MonitorEvent& e) {
        switch (e.kind) {
            case wp::MonitorEvent::Kind::kAlertSent: {
                ordered_json line = {{"event", "alert"}};
                const nlohmann::json fields = e.alert.to_json();  // named: items() refers to it
                for (const auto& [key, value] : fields.items()) line[key] = value;
                print_line(line.dump());
                break;
            }
            case wp::MonitorEvent::Kind::kAlertFailed:
                *failed = true;
                print_message("job '" + e.jobid + "': sending its " + wp::to_string(e.state) + " alert failed (" +
                              what_of(e.error) + "); a later pass sends it");
                break;
            case wp::MonitorEvent::Kind::kRepair: {
                const wp::SweepEvent& r = *e.repair;
                if (r.kind == wp::SweepEvent::Kind::kReduceFailed || r.kind == wp::SweepEvent::Kind::kDeleteFailed) {
                    *failed = true;
                    print_message("job '" + e.jobid + "': repair " + repair_name(r.kind) + ": " + what_of(r.error));
                    break;
                }
                if (r.kind != wp::SweepEvent::Kind::kSent) break;  // left alone: nothing done
                print_line(ordered_json{{"event", "repair"}, {"jobid", e.jobid}, {"action", repair_name(r.kind)}}.dump());
                if (r.error) print_message(unrecorded_repair_message(e.jobid, r.error));
                break;
            }
            case wp::MonitorEvent::Kind::kRepairFailed:
                *failed = true;
                print_message("the repair (sweep) failed: " + what_of(e.error));
                break;
        }
        std::cout.flush();
    };
}

}  // namespace wpcli
