#include "watchbot_progress/redis_backend.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <thread>
#include <unordered_set>
#include <utility>

#include "backends/redis/redis_connection.hpp"
#include "backends/redis/redis_reply.hpp"
#include "backends/redis/redis_script_status.hpp"
#include "backends/redis/redis_scripts.hpp"
#include "core/claim_token.hpp"
#include "core/secure_random.hpp"
#include "watchbot_progress/error_codes.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress {

using detail::redis::Args;
using detail::redis::Connection;
using detail::redis::ConnectionLost;
using detail::redis::Pool;
using detail::redis::Reply;
using detail::redis::ReplyReader;
using detail::redis::ScriptReply;
using detail::redis::ScriptStatus;
using detail::redis::script_source;

namespace scripts = detail::redis::scripts;

namespace {

constexpr std::int64_t kIdsPerCommand = 10'000;     // part ids per SADD
constexpr std::size_t kCommandsPerPipeline = 10;    // SADDs per round trip (100,000 ids)
constexpr long long kTempKeyTtlSeconds = 60 * 60;   // a crashed set_total's temporary key goes away
constexpr std::string_view kMetadataSuffix = "-metadata";
constexpr std::array<std::string_view, 4> kReservedFields = {"total", "failed", "error", "reduce_message_sent"};

std::string metadata_key(const std::string& jobid) { return jobid + std::string(kMetadataSuffix); }
std::string parts_key(const std::string& jobid) { return jobid + "-parts"; }
std::string claim_key(const std::string& jobid) { return jobid + "-reduce-claim"; }
std::string failed_key(const std::string& jobid) { return jobid + "-failed-parts"; }
std::string part_failures_key(const std::string& jobid) { return jobid + "-part-failures"; }

// The claim record's fields that status reads after its own four: the alert marks (claim_alert), in
// kAlertStates' order, then the repair count (record_reduce_repair).
constexpr std::string_view kRepairsField = "repairs";
std::string alert_field(AlertState state) { return "alert-" + to_string(state); }
const Args& claim_record_extra_fields() {
    static const Args fields = [] {
        Args f;
        for (const AlertState state : kAlertStates) f.push_back(alert_field(state));
        f.emplace_back(kRepairsField);
        return f;
    }();
    return fields;
}

std::optional<std::int64_t> to_int64(std::string_view s) {
    std::int64_t value = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
    return value;
}

bool failed_flag(const std::string& value) { return !(value.empty() || value == "0" || value == "false" || value == "False"); }

// See the header: non-string JSON values come back as themselves, anything else as a string.
nlohmann::json decode_metadata_value(const std::string& raw) {
    nlohmann::json parsed = nlohmann::json::parse(raw, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_discarded() && !parsed.is_string()) return parsed;
    return raw;
}

std::string encode_metadata_value(const nlohmann::json& value) {
    return value.is_string() ? value.get<std::string>() : value.dump();
}

JobAlreadyExists already_exists(const std::string& jobid) { return JobAlreadyExists(jobid); }

struct Script {
    explicit Script(std::string text) : source(std::move(text)) {}
    const std::string source;
    std::mutex mutex;
    std::string sha;  // from SCRIPT LOAD; empty until first used
};

}  // namespace

struct RedisBackend::Impl {
    explicit Impl(RedisOptions o) : options(std::move(o)), pool(options) {}

    const RedisOptions options;
    Pool pool;
    Script complete_script{script_source(scripts::kPrelude, scripts::kComplete)};
    Script claim_script{script_source(scripts::kPrelude, scripts::kClaim)};
    Script reclaim_script{script_source(scripts::kPrelude, scripts::kReclaim)};
    Script confirm_script{script_source(scripts::kConfirm)};
    Script record_failed_script{script_source(scripts::kPrelude, scripts::kRecordFailed)};
    Script record_part_failure_script{script_source(scripts::kPrelude, scripts::kRecordPartFailure)};
    Script release_script{script_source(scripts::kRelease)};
    Script fail_script{script_source(scripts::kFail)};
    Script set_metadata_script{script_source(scripts::kSetMetadata)};
    Script status_script{script_source(scripts::kStatus)};
    Script part_pending_script{script_source(scripts::kPartPending)};
    Script commit_total_script{script_source(scripts::kCommitTotal)};
    Script claim_alert_script{script_source(scripts::kClaimAlert)};
    Script record_repair_script{script_source(scripts::kRecordRepair)};

    // The client's clock (RedisOptions::clock), in ms since the Unix epoch: claim times are
    // compared with it (reclaim_reduce).
    std::int64_t now() const { return read_clock(options.clock); }

    std::string ttl_argument() const {
        return std::to_string(options.delete_when_done ? std::max<long long>(1, options.done_ttl.count()) : 0);
    }

    // Runs f(connection, attempt) on a pooled connection; when the connection fails, discards it and
    // runs f again on a fresh one, up to reconnect_attempts more times. f must be safe to repeat.
    template <class F>
    auto run(std::string_view what, F&& f) {
        const int retries = std::max(0, options.reconnect_attempts);
        for (int attempt = 0;; ++attempt) {
            try {
                Pool::Lease lease = pool.acquire();
                try {
                    return f(*lease, attempt);
                } catch (const ConnectionLost&) {
                    lease.mark_broken();
                    throw;
                }
            } catch (const ConnectionLost& e) {
                if (attempt >= retries) {
                    throw BackendError("cannot reach Redis at " + detail::redis::endpoint(options) + " to " + std::string(what) +
                                           " (" + std::to_string(attempt + 1) + " attempts; last error: " + e.what() +
                                           "): check that redis-server is running and reachable at that address, then try "
                                           "again (a program linking the library may also raise RedisOptions::connect_timeout, command_timeout or "
                                           "reconnect_attempts)",
                                       std::string(error_code::kConnection), true);
                }
                const auto backoff = std::min<std::chrono::milliseconds>(options.reconnect_backoff * (1LL << std::min(attempt, 20)),
                                                                         std::chrono::milliseconds(1000));
                std::this_thread::sleep_for(backoff);
            }
        }
    }

    std::string load(Connection& connection, Script& script, std::string_view what) {
        Reply reply = connection.command({"SCRIPT", "LOAD", script.source});
        const std::string doing = std::string(what) + " (SCRIPT LOAD)";
        std::string sha = ReplyReader(*reply, options, doing).string();
        std::lock_guard lock(script.mutex);
        script.sha = std::move(sha);
        return script.sha;
    }

    // EVALSHA, loading the script first when this backend has not yet, and again after NOSCRIPT (a
    // SCRIPT FLUSH or a restarted server: nothing ran, so repeating is safe). Returns the script's
    // array reply, whose first element is its status.
    ScriptReply eval(Connection& connection, Script& script, const Args& keys, const Args& argv, std::string_view what) {
        std::string sha;
        {
            std::lock_guard lock(script.mutex);
            sha = script.sha;
        }
        if (sha.empty()) sha = load(connection, script, what);
        Args command;
        command.reserve(3 + keys.size() + argv.size());
        command.push_back("EVALSHA");
        command.push_back(sha);
        command.push_back(std::to_string(keys.size()));
        command.insert(command.end(), keys.begin(), keys.end());
        command.insert(command.end(), argv.begin(), argv.end());
        Reply reply = connection.command(command);
        if (detail::redis::is_error(*reply, "NOSCRIPT")) {
            command[1] = load(connection, script, what);
            reply = connection.command(command);
        }
        return ScriptReply(std::move(reply), options, what);
    }

    BackendError total_not_a_number(const std::string& jobid) const {
        return BackendError("job '" + jobid + "' in Redis at " + detail::redis::endpoint(options) +
                                " has a `total` that is not a number: its hash was not written by watchbot-progress",
                            std::string(error_code::kInvalidData), false);
    }

    // Raises the error a script's status stands for (the statuses common to the scripts).
    [[noreturn]] void raise_status(const ScriptReply& reply, const std::string& jobid) const {
        switch (reply.status()) {
            case ScriptStatus::kJobDoesNotExist:
                throw JobDoesNotExist(jobid);
            case ScriptStatus::kTotalNotANumber:
                throw total_not_a_number(jobid);
            case ScriptStatus::kMetadataNotAHash: {
                const std::string type = reply.reader().size() > 1 ? reply.reader().text(1) : std::string("?");
                throw BackendError("key '" + metadata_key(jobid) + "' in Redis at " + detail::redis::endpoint(options) +
                                       " is a " + type + ", not the hash of a watchbot-progress job",
                                   "WRONGTYPE", false);
            }
            default:
                reply.unexpected();
        }
    }

    // Returns when the script succeeded, else raises what its status stands for.
    void expect_ok(const ScriptReply& reply, const std::string& jobid) const {
        if (reply.status() != ScriptStatus::kOk) raise_status(reply, jobid);
    }

    // Deletes set_total's temporary key after a failure; one attempt, errors ignored (it expires).
    void drop_temporary(const std::string& key) noexcept {
        try {
            Pool::Lease lease = pool.acquire();
            try {
                lease->command({"DEL", key});
            } catch (const ConnectionLost&) {
                lease.mark_broken();
            }
        } catch (...) {
        }
    }

    CompletionResult complete(const std::string& jobid, PartId partid, bool want_claim) {
        const Args keys{metadata_key(jobid), parts_key(jobid), claim_key(jobid), failed_key(jobid)};
        // The same token on every attempt: a retry recognises a claim its lost first attempt won.
        const std::string token = want_claim ? detail::new_claim_token() : std::string();
        const Args argv{std::to_string(partid), want_claim ? "1" : "0", token, ttl_argument(), std::to_string(now())};
        constexpr std::string_view what = "complete a part";
        try {
            return run(what, [&](Connection& c, int) {
                const ScriptReply reply = eval(c, complete_script, keys, argv, what);
                if (reply.status() == ScriptStatus::kPartOutOfRange) {
                    validate_partid(jobid, partid, reply.integer(1));  // throws InvalidInput
                    reply.unexpected();                                // the server disagrees
                }
                expect_ok(reply, jobid);
                CompletionResult result;
                result.job_complete = reply.integer(1) == 0;
                if (reply.integer(2) == 1) result.reduce_claim = token;
                return result;
            });
        } catch (const BackendError& e) {
            // A claim is made only when no part is pending: the token in the record means the job
            // is complete and the claim this caller's.
            if (want_claim && claim_was_made(jobid, token, e)) return CompletionResult{true, token};
            throw;
        }
    }

    // Runs a claiming script (claim or reclaim: {OK, 1} when it wrote `token` into the claim
    // record), retried like any command: the token when the claim is the caller's, also when the
    // reply of the attempt that won it was lost (claim_was_made). `what` must outlive the call (a
    // string literal).
    std::optional<ClaimToken> claim(const std::string& jobid, Script& script, const Args& keys, const Args& argv,
                                    const std::string& token, std::string_view what) {
        try {
            const bool claimed = run(what, [&](Connection& c, int) {
                const ScriptReply reply = eval(c, script, keys, argv, what);
                expect_ok(reply, jobid);
                return reply.integer(1) == 1;
            });
            if (claimed) return token;
            return std::nullopt;
        } catch (const BackendError& e) {
            if (claim_was_made(jobid, token, e)) return token;
            throw;
        }
    }

    // After a claiming script failed with `error`: when every attempt's connection failed
    // ("ConnectionError"), the script may have run with a reply that never came back, so one read
    // of the claim record tells whether it holds `token` (then the claim is the caller's, and
    // saying otherwise would leave it held by nobody until its lease ends). False for any other
    // error, and when the read fails too (the server is unreachable: the caller's error stands; a
    // claim made meanwhile is taken over after its lease, or by `sweep`).
    bool claim_was_made(const std::string& jobid, const std::string& token, const BackendError& error) noexcept {
        if (error.code() != error_code::kConnection) return false;
        try {
            constexpr std::string_view what = "read a job's reduce claim";
            return run(what, [&](Connection& c, int) {
                Reply reply = c.command({"HGET", claim_key(jobid), "token"});
                // An error (not a claim record) or nil: not this caller's claim.
                return ReplyReader(*reply, options, what).optional_string() == token;
            });
        } catch (const std::exception&) {
            return false;
        }
    }

    // The job's status; nullopt when there is no such job. BackendError (WRONGTYPE, InvalidData)
    // when the key is not a job's hash.
    std::optional<JobStatus> load_status(const std::string& jobid) {
        const Args keys{metadata_key(jobid), parts_key(jobid), claim_key(jobid), failed_key(jobid)};
        constexpr std::string_view what = "read a job's status";
        return run(what, [&](Connection& c, int) -> std::optional<JobStatus> {
            const ScriptReply reply = eval(c, status_script, keys, claim_record_extra_fields(), what);
            if (reply.status() == ScriptStatus::kJobDoesNotExist) return std::nullopt;
            expect_ok(reply, jobid);
            // {OK, {field, value, ...}, remaining, {claim time, confirmed, updated, created} (each or nil)}
            const ReplyReader fields = reply.reader().array(1);
            JobStatus s;
            s.jobid = jobid;
            s.remaining = reply.integer(2);
            std::optional<std::string> failed, error;
            std::optional<std::int64_t> total;
            for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
                const std::string name = fields.text(i);
                std::string value = fields.text(i + 1);
                if (name == "total") {
                    total = to_int64(value);
                    if (!total) throw total_not_a_number(jobid);
                } else if (name == "failed") {
                    failed = std::move(value);
                } else if (name == "error") {
                    error = std::move(value);
                } else if (name == "reduce_message_sent") {
                    s.reduce_sent = true;
                } else {
                    s.metadata[name] = decode_metadata_value(value);
                }
            }
            if (!total) return std::nullopt;
            if (const auto record = reply.reader().optional_array(3, 4 + claim_record_extra_fields().size())) {  // the claim record
                const std::optional<std::string> claimed_at = record->optional_string(0);
                const std::optional<std::string> confirmed = record->optional_string(1);
                const std::optional<std::string> updated = record->optional_string(2);
                const std::optional<std::string> created = record->optional_string(3);
                if (created) s.created_at_ms = to_int64(*created);
                if (s.reduce_sent) {
                    if (claimed_at) s.reduce_claimed_at_ms = to_int64(*claimed_at);
                    s.reduce_confirmed = confirmed == "1";
                }
                if (updated) s.updated_at_ms = to_int64(*updated);
                for (std::size_t i = 0; i < std::size(kAlertStates); ++i) {
                    if (record->optional_string(4 + i)) s.alerts_sent.push_back(kAlertStates[i]);
                }
                if (const auto repairs = record->optional_string(4 + std::size(kAlertStates))) {
                    s.reduce_repairs = to_int64(*repairs).value_or(0);
                }
            }
            s.total = *total;
            s.failed = failed && failed_flag(*failed);
            if (s.failed) s.reason = error.value_or(std::string());
            if (s.total > 0) {
                const double done = static_cast<double>(s.total - s.remaining) / static_cast<double>(s.total);
                s.progress = std::clamp(done, 0.0, 1.0);
            }
            return s;
        });
    }
};

RedisBackend::RedisBackend(RedisOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

RedisBackend::~RedisBackend() = default;

const RedisOptions& RedisBackend::options() const noexcept { return impl_->options; }

std::string RedisBackend::describe() const {
    return std::string(impl_->options.tls.enabled ? "rediss://" : "redis://") + detail::redis::endpoint(impl_->options) + "/" + std::to_string(impl_->options.db);
}

void RedisBackend::do_set_total(const std::string& jobid, std::int64_t total, bool overwrite) {
    const std::string metadata = metadata_key(jobid);

    // Do not write a large parts set only to find the job exists (the commit below checks again,
    // atomically).
    if (!overwrite && total > kIdsPerCommand) {
        const bool exists = impl_->run("check whether a job exists", [&](Connection& c, int) {
            Reply reply = c.command({"HEXISTS", metadata, "total"});
            return ReplyReader(*reply, impl_->options, "check whether a job exists").integer() == 1;
        });
        if (exists) throw already_exists(jobid);
    }

    // 1. The parts, under a temporary key nobody reads, SADD by SADD (each at most kIdsPerCommand
    //    ids), pipelined kCommandsPerPipeline at a time. Repeating a SADD is harmless. The temporary
    //    key expires in case this process dies before step 2.
    const std::string temporary = parts_key(jobid) + "-tmp-" + detail::secure_random_hex(8);
    try {
        std::int64_t next = 0;
        while (next < total) {
            std::vector<Args> batch;
            for (std::size_t n = 0; n < kCommandsPerPipeline && next < total; ++n) {
                const std::int64_t end = std::min(total, next + kIdsPerCommand);
                Args sadd;
                sadd.reserve(static_cast<std::size_t>(end - next) + 2);
                sadd.push_back("SADD");
                sadd.push_back(temporary);
                for (std::int64_t p = next; p < end; ++p) sadd.push_back(std::to_string(p));
                batch.push_back(std::move(sadd));
                if (next == 0) batch.push_back({"EXPIRE", temporary, std::to_string(kTempKeyTtlSeconds)});
                next = end;
            }
            impl_->run("write a job's parts", [&](Connection& c, int) {
                for (const Reply& reply : c.pipeline(batch)) ReplyReader(*reply, impl_->options, "write a job's parts").check_error();
            });
        }

        // 2. Atomically: refuse an existing job unless overwrite, move the parts into place, write
        //    `total` last.
        const Args keys{metadata, parts_key(jobid), claim_key(jobid), failed_key(jobid), temporary, part_failures_key(jobid)};
        const Args argv{std::to_string(total), overwrite ? "1" : "0", std::to_string(impl_->now())};
        constexpr std::string_view what = "create a job";
        impl_->run(what, [&](Connection& c, int attempt) {
            const ScriptReply reply = impl_->eval(c, impl_->commit_total_script, keys, argv, what);
            if (reply.status() == ScriptStatus::kOk) return;
            if (reply.status() == ScriptStatus::kJobExists) throw already_exists(jobid);
            if (reply.status() == ScriptStatus::kTemporaryKeyMissing) {
                // The temporary key is gone: when an earlier attempt's reply was lost, that attempt
                // renamed it, and the job now has our total.
                if (attempt > 0) {
                    Reply check = c.command({"HGET", metadata, "total"});
                    if (ReplyReader(*check, impl_->options, what).optional_string() == std::to_string(total)) return;
                }
                throw BackendError("the parts of job '" + jobid + "' vanished from Redis at " + detail::redis::endpoint(impl_->options) +
                                       " before they were put in place (expired or deleted meanwhile): try again",
                                   std::string(error_code::kTemporaryKeyLost), true);
            }
            reply.unexpected();
        });
    } catch (const InvalidInput&) {
        throw;  // the commit already deleted the temporary key
    } catch (...) {
        impl_->drop_temporary(temporary);
        throw;
    }
}

void RedisBackend::do_set_metadata(const std::string& jobid, const nlohmann::json& metadata) {
    Args argv;
    argv.reserve(metadata.size() * 2);
    for (const auto& [key, value] : metadata.items()) {
        argv.push_back(key);
        argv.push_back(encode_metadata_value(value));
    }
    const Args keys{metadata_key(jobid)};
    constexpr std::string_view what = "set a job's metadata";
    impl_->run(what, [&](Connection& c, int) {
        const ScriptReply reply = impl_->eval(c, impl_->set_metadata_script, keys, argv, what);
        impl_->expect_ok(reply, jobid);
    });
}

void RedisBackend::do_check_metadata(const nlohmann::json& metadata) const {
    for (const auto& [key, value] : metadata.items()) {
        if (std::find(kReservedFields.begin(), kReservedFields.end(), key) != kReservedFields.end()) {
            throw InvalidInput("metadata key '" + key +
                               "' is reserved: the Redis layout keeps the job's total, failed, error and "
                               "reduce_message_sent fields in the same hash; rename the key");
        }
    }
}

bool RedisBackend::do_complete_part(const std::string& jobid, PartId partid) {
    return impl_->complete(jobid, partid, /*want_claim=*/false).job_complete;
}

CompletionResult RedisBackend::do_complete_part_and_claim_reduce(const std::string& jobid, PartId partid) {
    return impl_->complete(jobid, partid, /*want_claim=*/true);
}

std::optional<ClaimToken> RedisBackend::do_claim_reduce(const std::string& jobid) {
    const Args keys{metadata_key(jobid), parts_key(jobid), claim_key(jobid), failed_key(jobid)};
    // The same token on every attempt: a retry recognises a claim its lost first attempt won.
    const std::string token = detail::new_claim_token();
    const Args argv{token, impl_->ttl_argument(), std::to_string(impl_->now())};
    return impl_->claim(jobid, impl_->claim_script, keys, argv, token, "claim a job's reduce");
}

void RedisBackend::do_release_reduce(const std::string& jobid, const ClaimToken& token) {
    const Args keys{metadata_key(jobid), parts_key(jobid), claim_key(jobid), failed_key(jobid)};
    const Args argv{token};
    constexpr std::string_view what = "release a job's reduce claim";
    impl_->run(what, [&](Connection& c, int) {
        const ScriptReply reply = impl_->eval(c, impl_->release_script, keys, argv, what);
        impl_->expect_ok(reply, jobid);
    });
}

bool RedisBackend::do_confirm_reduce(const std::string& jobid, const ClaimToken& token) {
    const Args keys{metadata_key(jobid), parts_key(jobid), claim_key(jobid), failed_key(jobid)};
    const Args argv{token};
    constexpr std::string_view what = "confirm a job's reduce";
    return impl_->run(what, [&](Connection& c, int) {
        const ScriptReply reply = impl_->eval(c, impl_->confirm_script, keys, argv, what);
        impl_->expect_ok(reply, jobid);
        return reply.integer(1) == 1;
    });
}

std::optional<ClaimToken> RedisBackend::do_reclaim_reduce(const std::string& jobid, std::chrono::milliseconds lease) {
    const Args keys{metadata_key(jobid), parts_key(jobid), claim_key(jobid), failed_key(jobid)};
    const std::int64_t now = impl_->now();
    const std::string token = detail::new_claim_token();
    const Args argv{token, std::to_string(now), std::to_string(now - static_cast<std::int64_t>(lease.count()))};
    return impl_->claim(jobid, impl_->reclaim_script, keys, argv, token, "take over a job's reduce claim");
}

std::optional<std::string> RedisBackend::do_failure_reason(const std::string& jobid) {
    const std::string key = metadata_key(jobid);
    constexpr std::string_view what = "check whether a job failed";
    return impl_->run(what, [&](Connection& c, int) -> std::optional<std::string> {
        Reply reply = c.command({"HMGET", key, "total", "failed", "error"});
        const ReplyReader fields = ReplyReader(*reply, impl_->options, what).array();  // WRONGTYPE: not a hash
        if (fields.size() != 3) fields.unexpected();
        const std::optional<std::string> total = fields.optional_string(0);
        if (!total) throw JobDoesNotExist(jobid);
        if (!to_int64(*total)) throw impl_->total_not_a_number(jobid);
        const std::optional<std::string> failed = fields.optional_string(1);
        if (!failed || !failed_flag(*failed)) return std::nullopt;
        return fields.optional_string(2).value_or(std::string());
    });
}

std::int64_t RedisBackend::do_record_failed_part(const std::string& jobid, PartId partid) {
    const Args keys{metadata_key(jobid), parts_key(jobid), claim_key(jobid), failed_key(jobid)};
    const Args argv{std::to_string(partid), std::to_string(impl_->now())};
    constexpr std::string_view what = "record a failed part";
    return impl_->run(what, [&](Connection& c, int) -> std::int64_t {
        const ScriptReply reply = impl_->eval(c, impl_->record_failed_script, keys, argv, what);
        if (reply.status() == ScriptStatus::kPartOutOfRange) {
            validate_partid(jobid, partid, reply.integer(1));  // throws InvalidInput
            reply.unexpected();
        }
        impl_->expect_ok(reply, jobid);
        return reply.integer(1);
    });
}

std::vector<PartId> RedisBackend::do_list_failed_parts(const std::string& jobid) {
    const std::string metadata = metadata_key(jobid);
    const std::string failed = failed_key(jobid);
    constexpr std::string_view what = "list a job's failed parts";
    std::vector<PartId> parts = impl_->run(what, [&](Connection& c, int) {
        std::vector<Reply> replies = c.pipeline({{"HEXISTS", metadata, "total"}, {"SMEMBERS", failed}});
        for (const Reply& reply : replies) ReplyReader(*reply, impl_->options, what).check_error();
        if (ReplyReader(*replies[0], impl_->options, what).integer() == 0) throw JobDoesNotExist(jobid);
        std::vector<PartId> ids;
        const ReplyReader members = ReplyReader(*replies[1], impl_->options, what).array();
        for (std::size_t i = 0; i < members.size(); ++i) {
            if (auto id = to_int64(members.text(i))) ids.push_back(*id);
        }
        return ids;
    });
    std::sort(parts.begin(), parts.end());
    return parts;
}

bool RedisBackend::do_record_part_failure(const std::string& jobid, const PartFailure& failure) {
    const Args keys{metadata_key(jobid), part_failures_key(jobid)};
    const Args argv{std::to_string(failure.partid), std::to_string(kMaxPartFailureRecords), failure.to_json().dump()};
    constexpr std::string_view what = "record a part's failure";
    return impl_->run(what, [&](Connection& c, int) {
        const ScriptReply reply = impl_->eval(c, impl_->record_part_failure_script, keys, argv, what);
        if (reply.status() == ScriptStatus::kPartOutOfRange) {
            validate_partid(jobid, failure.partid, reply.integer(1));  // throws InvalidInput
            reply.unexpected();
        }
        impl_->expect_ok(reply, jobid);
        return reply.integer(1) == 1;
    });
}

std::vector<PartFailure> RedisBackend::do_list_part_failures(const std::string& jobid) {
    const std::string metadata = metadata_key(jobid);
    const std::string records = part_failures_key(jobid);
    constexpr std::string_view what = "list a job's part failures";
    std::vector<PartFailure> failures = impl_->run(what, [&](Connection& c, int) {
        std::vector<Reply> replies = c.pipeline({{"HEXISTS", metadata, "total"}, {"HGETALL", records}});
        for (const Reply& reply : replies) ReplyReader(*reply, impl_->options, what).check_error();
        if (ReplyReader(*replies[0], impl_->options, what).integer() == 0) throw JobDoesNotExist(jobid);
        std::vector<PartFailure> out;
        const ReplyReader fields = ReplyReader(*replies[1], impl_->options, what).array();  // {partid, json, ...}
        for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
            const auto id = to_int64(fields.text(i));
            const nlohmann::json record = nlohmann::json::parse(fields.text(i + 1), nullptr, /*allow_exceptions=*/false);
            if (!id || !record.is_object()) continue;  // not a record of this library's: skipped
            PartFailure f = PartFailure::from_json(record);
            f.partid = *id;
            out.push_back(std::move(f));
        }
        return out;
    });
    std::sort(failures.begin(), failures.end(), [](const PartFailure& a, const PartFailure& b) { return a.partid < b.partid; });
    return failures;
}

void RedisBackend::do_fail_job(const std::string& jobid, const std::string& reason) {
    const Args keys{metadata_key(jobid)};
    const Args argv{reason};
    constexpr std::string_view what = "mark a job failed";
    impl_->run(what, [&](Connection& c, int) {
        const ScriptReply reply = impl_->eval(c, impl_->fail_script, keys, argv, what);
        impl_->expect_ok(reply, jobid);
    });
}

JobStatus RedisBackend::do_status(const std::string& jobid) {
    std::optional<JobStatus> s = impl_->load_status(jobid);
    if (!s) throw JobDoesNotExist(jobid);
    return std::move(*s);
}

bool RedisBackend::do_part_complete(const std::string& jobid, PartId partid) {
    const Args keys{metadata_key(jobid), parts_key(jobid)};
    const Args argv{std::to_string(partid)};
    constexpr std::string_view what = "check a part";
    return impl_->run(what, [&](Connection& c, int) {
        const ScriptReply reply = impl_->eval(c, impl_->part_pending_script, keys, argv, what);
        impl_->expect_ok(reply, jobid);
        validate_partid(jobid, partid, reply.integer(1));
        return reply.integer(2) == 0;
    });
}

std::vector<PartId> RedisBackend::do_list_pending_parts(const std::string& jobid) {
    const std::string metadata = metadata_key(jobid);
    const std::string parts = parts_key(jobid);
    constexpr std::string_view what = "list a job's pending parts";
    std::vector<PartId> pending;
    std::string cursor = "0";
    bool first = true;
    do {
        // The first round trip also checks the job exists; a small set comes whole in one SSCAN.
        auto [next, ids] = impl_->run(what, [&](Connection& c, int) {
            std::vector<Args> commands;
            if (first) commands.push_back({"HEXISTS", metadata, "total"});
            commands.push_back({"SSCAN", parts, cursor, "COUNT", std::to_string(kIdsPerCommand)});
            std::vector<Reply> replies = c.pipeline(commands);
            if (first && ReplyReader(*replies.front(), impl_->options, what).integer() == 0) throw JobDoesNotExist(jobid);
            const ReplyReader scan = ReplyReader(*replies.back(), impl_->options, what).array();  // {cursor, {member, ...}}
            if (scan.size() != 2) scan.unexpected();
            const ReplyReader members = scan.array(1);
            std::vector<PartId> found;
            found.reserve(members.size());
            for (std::size_t i = 0; i < members.size(); ++i) {
                const std::string member = members.text(i);
                const std::optional<std::int64_t> id = to_int64(member);
                if (!id) {
                    throw BackendError("the pending parts of job '" + jobid + "' in Redis at " + detail::redis::endpoint(impl_->options) +
                                           " hold a member that is not a part id",
                                       std::string(error_code::kInvalidData), false);
                }
                found.push_back(*id);
            }
            return std::pair{scan.text(0), std::move(found)};
        });
        first = false;
        cursor = std::move(next);
        pending.insert(pending.end(), ids.begin(), ids.end());
    } while (cursor != "0" && !cursor.empty());
    std::sort(pending.begin(), pending.end());
    pending.erase(std::unique(pending.begin(), pending.end()), pending.end());  // SSCAN may repeat
    return pending;
}

void RedisBackend::do_list_jobs(const std::function<void(const JobStatus&)>& visit) {
    constexpr std::string_view what = "list jobs";
    std::unordered_set<std::string> seen;  // SCAN may return a key more than once
    std::string cursor = "0";
    do {
        auto [next, keys] = impl_->run(what, [&](Connection& c, int) {
            Reply reply = c.command({"SCAN", cursor, "MATCH", "*" + std::string(kMetadataSuffix), "COUNT", "100"});
            const ReplyReader scan = ReplyReader(*reply, impl_->options, what).array();  // {cursor, {key, ...}}
            if (scan.size() != 2) scan.unexpected();
            const ReplyReader matches = scan.array(1);
            std::vector<std::string> found;
            found.reserve(matches.size());
            for (std::size_t i = 0; i < matches.size(); ++i) found.push_back(matches.text(i));
            return std::pair{scan.text(0), std::move(found)};
        });
        cursor = std::move(next);
        // Outside run(): no connection is held while the visitor runs.
        for (std::string& key : keys) {
            if (key.size() <= kMetadataSuffix.size() || !seen.insert(key).second) continue;
            const std::string jobid = key.substr(0, key.size() - kMetadataSuffix.size());
            std::optional<JobStatus> s;
            try {
                s = impl_->load_status(jobid);
            } catch (const BackendError& e) {
                if (e.code() != "WRONGTYPE" && e.code() != error_code::kInvalidData) throw;  // not a job: skip
            }
            if (s) visit(*s);  // nullopt: deleted meanwhile, or a hash without `total`
        }
    } while (cursor != "0" && !cursor.empty());
}

bool RedisBackend::do_delete_job(const std::string& jobid) {
    const std::vector<Args> commands{{"DEL", metadata_key(jobid), parts_key(jobid)},
                                     {"DEL", claim_key(jobid), failed_key(jobid), part_failures_key(jobid)}};
    constexpr std::string_view what = "delete a job";
    return impl_->run(what, [&](Connection& c, int) {
        std::vector<Reply> replies = c.pipeline(commands);
        const long long deleted = ReplyReader(*replies.front(), impl_->options, what).integer();
        (void)ReplyReader(*replies.back(), impl_->options, what).integer();
        return deleted > 0;
    });
}

// The alert marks are fields `alert-<state>` of the job's claim record (<jobid>-reduce-claim), this
// library's own hash, which no other tool reads; overwrite and delete_job remove the record.
bool RedisBackend::do_claim_alert(const std::string& jobid, AlertState state) {
    const Args keys{metadata_key(jobid), claim_key(jobid)};
    // The same token on every attempt: a retry recognises a mark its lost first attempt took.
    const Args argv{alert_field(state), detail::new_claim_token()};
    constexpr std::string_view what = "claim a job's alert";
    return impl_->run(what, [&](Connection& c, int) {
        const ScriptReply reply = impl_->eval(c, impl_->claim_alert_script, keys, argv, what);
        impl_->expect_ok(reply, jobid);
        return reply.integer(1) == 1;
    });
}

void RedisBackend::do_release_alert(const std::string& jobid, AlertState state) {
    constexpr std::string_view what = "release a job's alert";
    impl_->run(what, [&](Connection& c, int) {
        Reply reply = c.command({"HDEL", claim_key(jobid), alert_field(state)});
        (void)ReplyReader(*reply, impl_->options, what).integer();
    });
}

// A field of the claim record, which overwrite and delete_job remove with the alert marks.
void RedisBackend::do_record_reduce_repair(const std::string& jobid) {
    const Args keys{metadata_key(jobid), claim_key(jobid)};
    const Args argv{std::string(kRepairsField)};
    constexpr std::string_view what = "count a repair of a job's reduce";
    impl_->run(what, [&](Connection& c, int) {
        const ScriptReply reply = impl_->eval(c, impl_->record_repair_script, keys, argv, what);
        impl_->expect_ok(reply, jobid);
    });
}

}  // namespace watchbot_progress
