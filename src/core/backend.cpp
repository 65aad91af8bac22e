#include "watchbot_progress/backend.hpp"

#include "watchbot_progress/errors.hpp"

#include "core/reduce_claim_state.hpp"

namespace watchbot_progress {

nlohmann::json JobStatus::to_json() const {
    nlohmann::json out = {
        {"jobid", jobid},       {"total", total},   {"remaining", remaining},
        {"progress", progress}, {"failed", failed}, {"metadata", metadata},
        {"reduceSent", reduce_sent},
    };
    if (reason) out["error"] = *reason;
    return out;
}

nlohmann::json PartFailure::to_json() const {
    nlohmann::json out = {{"partid", partid}, {"attempts", attempts}, {"failedAt", time_ms}, {"text", text}};
    if (exit_code) out["exitCode"] = *exit_code;
    return out;
}

PartFailure PartFailure::from_json(const nlohmann::json& json) {
    PartFailure f;
    if (!json.is_object()) return f;
    const auto integer = [&](const char* key) -> std::optional<std::int64_t> {
        const auto it = json.find(key);
        if (it == json.end() || !it->is_number_integer()) return std::nullopt;
        return it->get<std::int64_t>();
    };
    f.partid = integer("partid").value_or(0);
    if (const auto code = integer("exitCode")) f.exit_code = static_cast<int>(*code);
    f.attempts = integer("attempts").value_or(0);
    f.time_ms = integer("failedAt").value_or(0);
    if (const auto it = json.find("text"); it != json.end() && it->is_string()) f.text = it->get<std::string>();
    return f;
}

namespace {

// The text a record keeps: valid UTF-8 (invalid bytes replaced by U+FFFD), at most
// kMaxPartFailureTextBytes, cut to its end after the line "[...]" when longer.
std::string part_failure_text(const std::string& text) {
    // nlohmann's serializer replaces what is not UTF-8; parsing its output back gives the text.
    std::string valid = nlohmann::json::parse(
                            nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
                            .get<std::string>();
    if (valid.size() <= kMaxPartFailureTextBytes) return valid;
    static constexpr std::string_view kCut = "[...]\n";
    std::size_t start = valid.size() - (kMaxPartFailureTextBytes - kCut.size());
    while (start < valid.size() && (static_cast<unsigned char>(valid[start]) & 0xC0) == 0x80) ++start;
    return std::string(kCut) + valid.substr(start);
}

}  // namespace

// ---- the public calls: the contract's checks, then the backend's implementation ----------------

void Backend::set_total(const std::string& jobid, std::int64_t total, bool overwrite) {
    validate_jobid(jobid);
    validate_total(total);
    do_set_total(jobid, total, overwrite);
}

void Backend::set_metadata(const std::string& jobid, const nlohmann::json& metadata) {
    validate_jobid(jobid);
    check_metadata(metadata);
    do_set_metadata(jobid, metadata);
}

void Backend::check_metadata(const nlohmann::json& metadata) const {
    if (!metadata.is_object()) throw InvalidInput(std::string("metadata must be a JSON object, not ") + metadata.type_name());
    try {
        (void)metadata.dump();
    } catch (const nlohmann::json::type_error&) {
        throw InvalidInput("metadata holds a key or string that is not valid UTF-8: give UTF-8 text");
    }
    do_check_metadata(metadata);
}

bool Backend::complete_part(const std::string& jobid, PartId partid) {
    validate_jobid(jobid);
    return do_complete_part(jobid, partid);
}

std::optional<ClaimToken> Backend::claim_reduce(const std::string& jobid) {
    validate_jobid(jobid);
    return do_claim_reduce(jobid);
}

void Backend::release_reduce(const std::string& jobid, const ClaimToken& token) {
    validate_jobid(jobid);
    do_release_reduce(jobid, token);
}

bool Backend::confirm_reduce(const std::string& jobid, const ClaimToken& token) {
    validate_jobid(jobid);
    return do_confirm_reduce(jobid, token);
}

std::optional<ClaimToken> Backend::reclaim_reduce(const std::string& jobid, std::chrono::milliseconds lease) {
    validate_jobid(jobid);
    return do_reclaim_reduce(jobid, lease);
}

std::optional<std::string> Backend::failure_reason(const std::string& jobid) {
    validate_jobid(jobid);
    return do_failure_reason(jobid);
}

ReduceClaimState Backend::reduce_claim_state(const std::string& jobid) {
    validate_jobid(jobid);
    return do_reduce_claim_state(jobid);
}

CompletionResult Backend::complete_part_and_claim_reduce(const std::string& jobid, PartId partid) {
    validate_jobid(jobid);
    return do_complete_part_and_claim_reduce(jobid, partid);
}

std::int64_t Backend::record_failed_part(const std::string& jobid, PartId partid) {
    validate_jobid(jobid);
    return do_record_failed_part(jobid, partid);
}

std::vector<PartId> Backend::list_failed_parts(const std::string& jobid) {
    validate_jobid(jobid);
    return do_list_failed_parts(jobid);
}

bool Backend::record_part_failure(const std::string& jobid, const PartFailure& failure) {
    validate_jobid(jobid);
    if (failure.partid < 0) {
        throw InvalidInput("part id " + std::to_string(failure.partid) + " is negative: part ids start at 0");
    }
    if (failure.attempts < 0) throw InvalidInput("a part failure's attempts must not be negative");
    if (failure.time_ms < 0) throw InvalidInput("a part failure's time must not be negative");
    PartFailure kept = failure;
    kept.text = part_failure_text(failure.text);
    return do_record_part_failure(jobid, kept);
}

std::vector<PartFailure> Backend::list_part_failures(const std::string& jobid) {
    validate_jobid(jobid);
    return do_list_part_failures(jobid);
}

void Backend::fail_job(const std::string& jobid, const std::string& reason) {
    validate_jobid(jobid);
    do_fail_job(jobid, reason);
}

JobStatus Backend::status(const std::string& jobid) {
    validate_jobid(jobid);
    return do_status(jobid);
}

bool Backend::part_complete(const std::string& jobid, PartId partid) {
    validate_jobid(jobid);
    return do_part_complete(jobid, partid);
}

std::optional<std::string> Backend::check_part(const std::string& jobid, PartId partid) {
    validate_jobid(jobid);
    if (partid < 0) throw InvalidInput("part id " + std::to_string(partid) + " is negative: part ids start at 0");
    return do_check_part(jobid, partid);
}

std::optional<std::string> Backend::do_check_part(const std::string& jobid, PartId partid) {
    do_part_complete(jobid, partid);  // JobDoesNotExist, InvalidInput
    return do_failure_reason(jobid);
}

JobFacts Backend::check_part_facts(const std::string& jobid, PartId partid) {
    validate_jobid(jobid);
    if (partid < 0) throw InvalidInput("part id " + std::to_string(partid) + " is negative: part ids start at 0");
    return do_check_part_facts(jobid, partid);
}

JobFacts Backend::do_check_part_facts(const std::string& jobid, PartId partid) {
    JobFacts facts;
    facts.failure = do_check_part(jobid, partid);
    return facts;  // total 0: nothing a later process may assume
}

void Backend::assume_job_facts(const std::string& jobid, const JobFacts& facts) {
    validate_jobid(jobid);
    do_assume_job_facts(jobid, facts);
}

void Backend::do_assume_job_facts(const std::string&, const JobFacts&) {}

std::vector<PartId> Backend::list_pending_parts(const std::string& jobid) {
    validate_jobid(jobid);
    return do_list_pending_parts(jobid);
}

void Backend::list_jobs(const std::function<void(const JobStatus&)>& visit) { do_list_jobs(visit); }

bool Backend::delete_job(const std::string& jobid) {
    validate_jobid(jobid);
    return do_delete_job(jobid);
}

bool Backend::claim_alert(const std::string& jobid, AlertState state) {
    validate_jobid(jobid);
    (void)to_string(state);  // InvalidInput for a value outside the enum
    return do_claim_alert(jobid, state);
}

void Backend::release_alert(const std::string& jobid, AlertState state) {
    validate_jobid(jobid);
    (void)to_string(state);
    do_release_alert(jobid, state);
}

void Backend::record_reduce_repair(const std::string& jobid) {
    validate_jobid(jobid);
    do_record_reduce_repair(jobid);
}

// ---- the defaults of the optional implementations ------------------------------------------------

void Backend::do_check_metadata(const nlohmann::json&) const {}

CompletionResult Backend::do_complete_part_and_claim_reduce(const std::string& jobid, PartId partid) {
    CompletionResult result;
    result.job_complete = do_complete_part(jobid, partid);
    if (result.job_complete) result.reduce_claim = do_claim_reduce(jobid);
    return result;
}

bool Backend::do_confirm_reduce(const std::string&, const ClaimToken&) { return true; }

std::optional<ClaimToken> Backend::do_reclaim_reduce(const std::string&, std::chrono::milliseconds) { return std::nullopt; }

std::optional<std::string> Backend::do_failure_reason(const std::string& jobid) {
    JobStatus s = do_status(jobid);
    if (!s.failed) return std::nullopt;
    return s.reason.value_or(std::string());
}

ReduceClaimState Backend::do_reduce_claim_state(const std::string& jobid) {
    return detail::reduce_claim_state_of(do_status(jobid));
}

std::int64_t Backend::do_record_failed_part(const std::string& jobid, PartId) {
    throw ConfigError("the backend " + describe() + " cannot record failed parts (job '" + jobid +
                      "'): use a backend that implements Backend::do_record_failed_part, or no failure tolerance");
}

std::vector<PartId> Backend::do_list_failed_parts(const std::string& jobid) {
    do_status(jobid);  // JobDoesNotExist
    return {};
}

bool Backend::do_claim_alert(const std::string& jobid, AlertState state) {
    do_status(jobid);  // JobDoesNotExist
    throw ConfigError("the backend " + describe() + " cannot mark alerts as sent (job '" + jobid + "', alert " +
                      to_string(state) + "): use a backend that implements Backend::do_claim_alert, or no alert topic");
}

void Backend::do_release_alert(const std::string&, AlertState) {}

void Backend::do_record_reduce_repair(const std::string& jobid) {
    do_status(jobid);  // JobDoesNotExist
}

bool Backend::do_record_part_failure(const std::string&, const PartFailure&) { return false; }

std::vector<PartFailure> Backend::do_list_part_failures(const std::string& jobid) {
    do_status(jobid);  // JobDoesNotExist
    return {};
}

namespace {

// Length of the UTF-8 sequence starting at s[i], or 0 when it is not valid UTF-8: a truncated or
// malformed sequence, an overlong encoding, a UTF-16 surrogate (U+D800..U+DFFF) or a code point
// above U+10FFFF. (nlohmann::json refuses to serialize exactly these, so an id accepted here can
// always be written into a message.)
std::size_t utf8_sequence_length(const std::string& s, std::size_t i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) return 1;
    std::size_t n = 0;
    unsigned char low = 0x80;   // allowed range of the second byte
    unsigned char high = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) low = 0xA0;   // overlong
        if (c == 0xED) high = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) low = 0x90;   // overlong
        if (c == 0xF4) high = 0x8F;  // above U+10FFFF
    } else {
        return 0;
    }
    if (i + n > s.size()) return 0;
    const auto second = static_cast<unsigned char>(s[i + 1]);
    if (second < low || second > high) return 0;
    for (std::size_t k = 2; k < n; ++k) {
        if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
    }
    return n;
}

}  // namespace

void validate_jobid(const std::string& jobid) {
    constexpr std::size_t kMaxJobidBytes = 1024;
    if (jobid.empty()) throw InvalidInput("job id is empty: give a non-empty job id, or none to get a new UUID");
    if (jobid.size() > kMaxJobidBytes) {
        throw InvalidInput("job id is " + std::to_string(jobid.size()) + " bytes long; the limit is " +
                           std::to_string(kMaxJobidBytes) + " bytes: use a shorter id");
    }
    for (std::size_t i = 0; i < jobid.size();) {
        const auto c = static_cast<unsigned char>(jobid[i]);
        const bool c1_control = c == 0xC2 && i + 1 < jobid.size() && static_cast<unsigned char>(jobid[i + 1]) >= 0x80 &&
                                static_cast<unsigned char>(jobid[i + 1]) <= 0x9F;
        if (c < 0x20 || c == 0x7F || c1_control) {  // C0, DEL, C1 (U+0080..U+009F)
            throw InvalidInput("job id contains a control character at byte " + std::to_string(i) +
                               ": use printable characters only");
        }
        const std::size_t n = utf8_sequence_length(jobid, i);
        if (n == 0) {
            throw InvalidInput("job id is not valid UTF-8 (byte " + std::to_string(i) +
                               "): use UTF-8 text, or none to get a new UUID");
        }
        i += n;
    }
}

void validate_total(std::int64_t total) {
    if (total < 1) throw InvalidInput("total must be at least 1, not " + std::to_string(total));
    if (total > kMaxParts) {
        throw InvalidInput("total " + std::to_string(total) + " is over the limit of " + std::to_string(kMaxParts) +
                           " parts per job: split the work into several jobs");
    }
}

void validate_partid(const std::string& jobid, PartId partid, std::int64_t total) {
    if (partid < 0 || partid >= total) {
        throw InvalidInput("part id " + std::to_string(partid) + " is out of range for job '" + jobid + "': it has " +
                           std::to_string(total) + " parts, numbered 0 to " + std::to_string(total - 1));
    }
}

}  // namespace watchbot_progress
