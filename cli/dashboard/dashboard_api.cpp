#include "dashboard_api.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <map>
#include <stdexcept>

#include "job/failed_parts.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/resend.hpp"
#include "watchbot_progress/sweep.hpp"

namespace wpcli::dashboard {

namespace wp = watchbot_progress;

namespace {

ApiResponse error(int status, const std::string& message) { return {status, {{"error", message}}}; }

// A parameter given once, or nullopt.
std::optional<std::string> param(const Params& params, const std::string& name) {
    const auto it = params.find(name);
    if (it == params.end()) return std::nullopt;
    return it->second;
}

std::string required_jobid(const Params& params) {
    const auto id = param(params, "id");
    if (!id || id->empty()) throw wp::InvalidInput("the job id is missing: add ?id=JOBID");
    wp::validate_jobid(*id);
    return *id;
}

long long integer_param(const Params& params, const std::string& name, long long fallback, long long min,
                        long long max) {
    const auto text = param(params, name);
    if (!text) return fallback;
    long long value = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc() || end != text->data() + text->size() || value < min || value > max) {
        throw wp::InvalidInput(name + " must be an integer from " + std::to_string(min) + " to " + std::to_string(max) +
                               ", not '" + *text + "'");
    }
    return value;
}

struct Page {
    long long offset;
    long long limit;
};

Page page_of(const Params& params) {
    return {integer_param(params, "offset", 0, 0, wp::kMaxParts),
            integer_param(params, "limit", kDefaultPageSize, 1, kMaxPageSize)};
}

}  // namespace

std::string json_text(const nlohmann::json& value) {
    const std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '<': out += "\\u003c"; break;
            case '>': out += "\\u003e"; break;
            case '&': out += "\\u0026"; break;
            default: out += c;
        }
    }
    return out;
}

bool same_secret(const std::string& a, const std::string& b) {
    if (a.size() != b.size()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

DashboardApi::DashboardApi(std::shared_ptr<wp::Backend> backend, JobMonitor& monitor, ApiOptions options)
    : backend_(std::move(backend)), monitor_(monitor), options_(std::move(options)) {}

ApiResponse DashboardApi::guarded(const std::function<ApiResponse()>& call) {
    try {
        return call();
    } catch (const wp::JobDoesNotExist& e) {
        return error(404, "job '" + e.jobid() + "' does not exist (deleted, or never created)");
    } catch (const wp::InvalidInput& e) {
        return error(400, e.what());
    } catch (const wp::BackendError& e) {
        return error(502, std::string("the backend failed: ") + e.what());
    } catch (const wp::ConfigError& e) {
        return error(500, std::string("configuration: ") + e.what());
    } catch (const std::exception& e) {
        return error(500, e.what());
    }
}

ApiResponse DashboardApi::config() const {
    return {200,
            {{"actions", options_.allow_actions},
             {"resend", static_cast<bool>(options_.open_parts)},
             {"database", backend_->describe()},
             {"version", options_.version}}};
}

ApiResponse DashboardApi::jobs(const Params& params) const {
    std::optional<JobState> filter;
    if (const auto state = param(params, "state"); state && !state->empty()) {
        filter = parse_state(*state);
        if (!filter) throw wp::InvalidInput("state must be running, complete, failed or stale, not '" + *state + "'");
    }
    const Page page = page_of(params);
    const auto snap = monitor_.snapshot();
    nlohmann::json counts = {{"running", 0}, {"complete", 0}, {"failed", 0}, {"stale", 0}};
    nlohmann::json list = nlohmann::json::array();
    long long matching = 0;
    for (const auto& job : snap->jobs) {
        counts[state_name(job.state)] = counts[state_name(job.state)].get<long long>() + 1;
        if (filter && job.state != *filter) continue;
        if (matching >= page.offset && matching < page.offset + page.limit) {
            list.push_back(summary_json(job, snap->time_ms, false));
        }
        ++matching;
    }
    return {200,
            {{"jobs", std::move(list)},
             {"matching", matching},
             {"offset", page.offset},
             {"limit", page.limit},
             {"counts", std::move(counts)},
             {"version", snap->version},
             {"timeMs", snap->time_ms},
             {"error", snap->error.empty() ? nlohmann::json(nullptr) : nlohmann::json(snap->error)}}};
}

ApiResponse DashboardApi::job(const Params& params) const {
    const std::string jobid = required_jobid(params);
    // Fresh from the backend (the page asks after each change); the rate and state from the monitor.
    JobSummary summary;
    summary.status = backend_->status(jobid);
    const auto snap = monitor_.snapshot();
    // failed and complete from the fresh status; stale is the monitor's call (it knows the threshold).
    summary.state = classify(summary.status, snap->time_ms, std::numeric_limits<std::int64_t>::max());
    for (const auto& j : snap->jobs) {
        if (j.status.jobid != jobid) continue;
        summary.rate = j.rate;
        if (summary.state == JobState::kRunning && j.state == JobState::kStale) summary.state = JobState::kStale;
        break;
    }
    const auto failed = backend_->list_failed_parts(jobid);
    return {200,
            {{"job", summary_json(summary, snap->time_ms, true)},
             {"failedParts", failed},
             {"failures", wp::detail::failed_parts_json(wp::detail::failed_parts_of(*backend_, jobid))},
             {"version", snap->version}}};
}

ApiResponse DashboardApi::pending(const Params& params) const {
    const std::string jobid = required_jobid(params);
    const Page page = page_of(params);
    const auto parts = backend_->list_pending_parts(jobid);
    nlohmann::json list = nlohmann::json::array();
    const auto size = static_cast<long long>(parts.size());
    for (long long i = page.offset; i < size && i < page.offset + page.limit; ++i) list.push_back(parts[i]);
    return {200, {{"parts", std::move(list)}, {"matching", size}, {"offset", page.offset}, {"limit", page.limit}}};
}

// Resends the map messages of the job's failed parts (parts=failed) or of one part (part=N): one
// message per part, from the job's parts (open_parts), as `resend` does. Refused (409) once the
// job's reduce was claimed (its failed parts were counted done) or for a part already complete and
// not failed for good (nothing to redo).
ApiResponse DashboardApi::resend(const std::string& jobid, const Params& params) {
    if (!options_.open_parts || !options_.open_sink) {
        return error(409, "this dashboard cannot resend: it does not know the jobs' parts files (start serve with "
                          "--parts-dir DIR, DIR holding JOBID.jsonl or JOBID.json, the file `create` read)");
    }
    const auto which = param(params, "parts");
    const bool one = params.count("part") > 0;
    if ((which && *which != "failed") || (which.has_value() == one)) {
        throw wp::InvalidInput("say which parts to resend: ?parts=failed (every part failed for good) or ?part=N (one part)");
    }
    const wp::JobStatus status = backend_->status(jobid);
    if (status.failed) {
        return error(409, "job '" + jobid + "' has failed: its workers would drop the messages (nothing was sent)");
    }
    if (status.reduce_sent) {
        return error(409, "job '" + jobid + "' already sent its reduce: its failed parts were counted done and cannot "
                          "take part in another reduce, so running them again would redo their work for nothing "
                          "(nothing was sent)");
    }
    wp::ResendOptions options;
    options.backend = backend_;
    if (one) {
        const wp::PartId partid = integer_param(params, "part", 0, 0, status.total - 1);
        const auto failed = backend_->list_failed_parts(jobid);
        const bool failed_for_good = std::find(failed.begin(), failed.end(), partid) != failed.end();
        if (!failed_for_good && backend_->part_complete(jobid, partid)) {
            return error(409, "part " + std::to_string(partid) + " of job '" + jobid +
                                  "' is complete: there is nothing to resend (nothing was sent)");
        }
        options.which = wp::ResendOptions::Which::kListed;
        options.parts = {partid};
    } else {
        options.which = wp::ResendOptions::Which::kFailed;
    }
    const std::unique_ptr<wp::PartSource> parts = options_.open_parts(jobid);
    options.notifier = options_.open_sink().notifier;
    const std::vector<wp::PartId> resent = wp::resend_parts(jobid, *parts, options);
    return {200, {{"resent", resent}}};
}

ApiResponse DashboardApi::act(const std::string& action, const Params& params, const std::string& token,
                              const std::string& body) {
    if (!options_.allow_actions) {
        return error(403, "actions are off: this dashboard is read-only (start serve with --allow-actions)");
    }
    if (token.empty() || !same_secret(token, options_.token)) {
        return error(401, "refused: an action needs the token serve printed at start-up (X-Watchbot-Token header)");
    }
    const std::string jobid = required_jobid(params);
    ApiResponse response;
    if (action == "fail") {
        nlohmann::json request;
        try {
            request = body.empty() ? nlohmann::json::object() : nlohmann::json::parse(body);
        } catch (const nlohmann::json::exception&) {
            throw wp::InvalidInput("the body must be a JSON object like {\"reason\": \"why\"}");
        }
        if (!request.is_object() || !request.contains("reason") || !request["reason"].is_string() ||
            request["reason"].get<std::string>().empty()) {
            throw wp::InvalidInput("the body must be a JSON object with a non-empty \"reason\" string");
        }
        backend_->status(jobid);  // JobDoesNotExist before writing
        backend_->fail_job(jobid, request["reason"].get<std::string>());
        response = {200, {{"failed", true}}};
    } else if (action == "sweep") {
        wp::SweepOptions options;
        options.jobids = {jobid};
        options.older_than = options_.sweep_older_than;
        options.open_sink = options_.open_sink;
        const auto result = wp::sweep(*backend_, options);
        response = {200, {{"lost", result.lost}, {"sent", result.sent}, {"leftAlone", result.left_alone}}};
    } else if (action == "delete") {
        if (!backend_->delete_job(jobid)) throw wp::JobDoesNotExist(jobid);
        response = {200, {{"deleted", true}}};
    } else if (action == "resend") {
        response = resend(jobid, params);
        if (response.status != 200) return response;
    } else {
        return error(404, "no such action '" + action + "' (fail, sweep, delete, resend)");
    }
    monitor_.poll_now();
    return response;
}

}  // namespace wpcli::dashboard
