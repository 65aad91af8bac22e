#pragma once
// The dashboard's JSON API, apart from HTTP: each call takes the request's parameters and returns
// the status code and the JSON body to send. dashboard_server.cpp maps routes to these calls.
//
//   GET  /api/config                    {"actions": bool, "resend": bool (open_parts is set), "database": describe(),
//                                        "version", "staleAfterSeconds"}
//   GET  /api/jobs?state=&offset=&limit= {"jobs": [summary...], "matching", "offset", "limit", "counts": {state: n},
//                                        "version", "timeMs", "error" (the last read failed; or null)}
//   GET  /api/job?id=                   {"job": summary with metadata, "failedParts": [ids],
//                                        "failures": [job/failed_parts.hpp's failed_part_json: partid, failedForGood,
//                                                     exitCode, attempts, failedAt, text]}
//   GET  /api/job/pending?id=&offset=&limit=   {"parts": [ids], "matching", "offset", "limit"}
//   POST /api/job/fail?id=     body {"reason": "..."}   (actions)
//   POST /api/job/sweep?id=                              (actions)
//   POST /api/job/delete?id=                             (actions)
//   POST /api/job/resend?id=&parts=failed                (actions; needs open_parts) {"resent": [ids]}: one map
//   POST /api/job/resend?id=&part=N                       message per failed part, or for part N (pending or
//                                                         failed for good); 409 once the job's reduce went out
// Errors: {"error": "what was wrong and what to do"} with 400 (bad parameter), 401 (action without
// the right token), 403 (actions are off), 404 (no such job), 502 (the backend failed), 500.
// Summaries are job_summary.hpp's summary_json. Job ids and metadata go out as JSON strings,
// escaped by nlohmann::json; the page shows them as text.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "job_monitor.hpp"
#include "watchbot_progress/backend.hpp"
#include "watchbot_progress/job.hpp"
#include "watchbot_progress/reduce.hpp"

namespace wpcli::dashboard {

using Params = std::multimap<std::string, std::string>;

struct ApiResponse {
    int status = 200;
    nlohmann::json body;
};

struct ApiOptions {
    bool allow_actions = false;
    std::string token;  // what action requests must carry (X-Watchbot-Token); set when allow_actions
    // Where `sweep` sends a lost reduce; called only when one is to be sent.
    std::function<watchbot_progress::ReduceSink()> open_sink;
    std::chrono::milliseconds sweep_older_than{std::chrono::minutes(5)};
    // The parts a job was created from (the file `create` read), for resend; unset: resend is
    // refused. Its notifier is open_sink's (the topic the map and reduce messages share).
    std::function<std::unique_ptr<watchbot_progress::PartSource>(const std::string& jobid)> open_parts;
    std::string version;
};

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 1000;

class DashboardApi {
public:
    DashboardApi(std::shared_ptr<watchbot_progress::Backend> backend, JobMonitor& monitor, ApiOptions options);

    ApiResponse config() const;
    ApiResponse jobs(const Params& params) const;
    ApiResponse job(const Params& params) const;
    ApiResponse pending(const Params& params) const;
    // `action` is "fail", "sweep", "delete" or "resend"; `token` the request's X-Watchbot-Token ("" when none).
    ApiResponse act(const std::string& action, const Params& params, const std::string& token,
                    const std::string& body);

    // Runs `call`, turning the library's exceptions into error responses.
    static ApiResponse guarded(const std::function<ApiResponse()>& call);

private:
    ApiResponse resend(const std::string& jobid, const Params& params);

    std::shared_ptr<watchbot_progress::Backend> backend_;
    JobMonitor& monitor_;
    ApiOptions options_;
};

// The JSON text of `value` with '<', '>' and '&' written as \u escapes (they occur only inside
// strings, so the value is the same): even a client that sniffed the answer as HTML would find no
// markup in it. Invalid UTF-8 is replaced (U+FFFD), never an exception.
std::string json_text(const nlohmann::json& value);

// Compares two strings in time that depends only on their lengths (for the token).
bool same_secret(const std::string& a, const std::string& b);

}  // namespace wpcli::dashboard
