#include "watchbot_progress/sqlite_backend.hpp"

#include <optional>

#include "sqlite/sqlite_database.hpp"
#include "sqlite/sqlite_schema.hpp"
#include "core/claim_token.hpp"
#include "watchbot_progress/error_codes.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress {

using detail::sqlite::Connection;

namespace {

// Version 2 added reduce_confirmed and reduce_claimed_at, version 3 reduce_claim_token (older files
// are upgraded in place).
constexpr int kJobsSchemaVersion = 3;

constexpr const char* kJobsTables = R"sql(
CREATE TABLE IF NOT EXISTS wp_jobs (
    id          INTEGER PRIMARY KEY,
    jobid       TEXT NOT NULL UNIQUE,
    total       INTEGER NOT NULL CHECK (total >= 1),
    remaining   INTEGER NOT NULL CHECK (remaining >= 0),
    failed      INTEGER NOT NULL DEFAULT 0,
    reason      TEXT,
    metadata    TEXT NOT NULL DEFAULT '{}',
    reduce_sent INTEGER NOT NULL DEFAULT 0,
    reduce_confirmed  INTEGER NOT NULL DEFAULT 0,
    reduce_claimed_at INTEGER,
    created_at  INTEGER NOT NULL,
    reduce_claim_token TEXT,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS wp_jobs_by_updated_at ON wp_jobs (updated_at);
CREATE TABLE IF NOT EXISTS wp_pending_parts (
    job    INTEGER NOT NULL,
    partid INTEGER NOT NULL,
    PRIMARY KEY (job, partid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS wp_failed_parts (
    job    INTEGER NOT NULL,
    partid INTEGER NOT NULL,
    PRIMARY KEY (job, partid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS wp_alerts (
    job   INTEGER NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (job, state)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS wp_reduce_repairs (
    job   INTEGER PRIMARY KEY,
    count INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS wp_part_failures (
    job       INTEGER NOT NULL,
    partid    INTEGER NOT NULL,
    exit_code INTEGER,
    attempts  INTEGER NOT NULL,
    time_ms   INTEGER NOT NULL,
    text      TEXT NOT NULL,
    PRIMARY KEY (job, partid)
) WITHOUT ROWID;
)sql";

// The columns every operation needs; kept small for the hot path.
struct JobCore {
    std::int64_t id = 0;
    std::int64_t total = 0;
    std::int64_t remaining = 0;
    bool failed = false;
    bool reduce_sent = false;
};

const std::string kSelectCore = "SELECT id, total, remaining, failed, reduce_sent FROM wp_jobs WHERE jobid = ?1";
const std::string kSelectFull =
    "SELECT id, total, remaining, failed, reduce_sent, reason, metadata, jobid, reduce_confirmed, reduce_claimed_at, "
    "updated_at, created_at, (SELECT group_concat(state, ',') FROM wp_alerts WHERE job = wp_jobs.id), "
    "(SELECT count FROM wp_reduce_repairs WHERE job = wp_jobs.id) FROM wp_jobs";

std::optional<JobCore> find_core(Connection& c, const std::string& jobid) {
    auto s = c.statement(kSelectCore);
    s.bind(1, jobid);
    if (!s.step()) return std::nullopt;
    return JobCore{s.int64(0), s.int64(1), s.int64(2), s.int64(3) != 0, s.int64(4) != 0};
}

JobCore require_core(Connection& c, const std::string& jobid) {
    auto job = find_core(c, jobid);
    if (!job) throw JobDoesNotExist(jobid);
    return *job;
}

nlohmann::json parse_metadata(const std::string& text, const std::string& jobid, const std::string& path) {
    try {
        auto value = nlohmann::json::parse(text);
        if (value.is_object()) return value;
    } catch (const nlohmann::json::exception&) {
    }
    throw BackendError("metadata of job '" + jobid + "' in '" + path +
                           "' is not a JSON object: the row was edited by hand; fix or reset it with set-metadata",
                       std::string(error_code::kCorruptMetadata), false);
}

// Reads a kSelectFull row.
JobStatus status_from_row(const detail::sqlite::Statement& s, const std::string& path) {
    JobStatus st;
    st.jobid = s.text(7);
    st.total = s.int64(1);
    st.remaining = s.int64(2);
    st.progress = st.total > 0 ? static_cast<double>(st.total - st.remaining) / static_cast<double>(st.total) : 0.0;
    st.failed = s.int64(3) != 0;
    st.reduce_sent = s.int64(4) != 0;
    if (st.failed) st.reason = s.is_null(5) ? std::string() : s.text(5);
    st.metadata = parse_metadata(s.text(6), st.jobid, path);
    st.reduce_confirmed = st.reduce_sent && s.int64(8) != 0;
    if (st.reduce_sent && !s.is_null(9)) st.reduce_claimed_at_ms = s.int64(9);
    st.updated_at_ms = s.int64(10);
    st.created_at_ms = s.int64(11);
    if (!s.is_null(12)) {
        const std::string marks = "," + s.text(12) + ",";
        for (const AlertState state : kAlertStates) {
            if (marks.find("," + to_string(state) + ",") != std::string::npos) st.alerts_sent.push_back(state);
        }
    }
    if (!s.is_null(13)) st.reduce_repairs = s.int64(13);
    return st;
}

std::string dump_metadata(const nlohmann::json& metadata) {
    try {
        return metadata.dump();
    } catch (const nlohmann::json::exception&) {
        throw InvalidInput("metadata contains a string that is not valid UTF-8: send UTF-8 text only");
    }
}

// The deletion and the counter update of complete_part, inside the caller's transaction.
CompletionResult complete_in_transaction(Connection& c, const std::string& jobid, PartId partid, bool claim,
                                         std::int64_t now) {
    JobCore job = require_core(c, jobid);
    validate_partid(jobid, partid, job.total);
    {
        auto del = c.statement("DELETE FROM wp_pending_parts WHERE job = ?1 AND partid = ?2");
        del.bind(1, job.id).bind(2, partid).run();
    }
    const bool deleted = c.changes() > 0;
    CompletionResult result;
    if (deleted) --job.remaining;
    result.job_complete = job.remaining == 0;
    const bool claimed = claim && result.job_complete && !job.failed && !job.reduce_sent;
    if (deleted) {
        c.statement("UPDATE wp_jobs SET remaining = ?2, updated_at = ?3 WHERE id = ?1")
            .bind(1, job.id)
            .bind(2, job.remaining)
            .bind(3, now)
            .run();
    }
    if (claimed) {
        result.reduce_claim = detail::new_claim_token();
        c.statement(
             "UPDATE wp_jobs SET reduce_sent = 1, reduce_confirmed = 0, reduce_claimed_at = ?2, updated_at = ?2, "
             "reduce_claim_token = ?3 WHERE id = ?1")
            .bind(1, job.id)
            .bind(2, now)
            .bind(3, *result.reduce_claim)
            .run();
    }
    return result;
}

}  // namespace

struct SqliteBackend::Impl {
    Impl(SqliteOptions options, WallClock wall_clock)
        : clock(std::move(wall_clock)), db(std::move(options), [](Connection& c) {
              const std::int64_t version =
                  detail::sqlite::init_component_schema(c, {"jobs", "jobs", kJobsSchemaVersion, kJobsTables});
              // Inside init's write transaction: one process upgrades.
              if (version == 1) {
                  c.exec("ALTER TABLE wp_jobs ADD COLUMN reduce_confirmed INTEGER NOT NULL DEFAULT 0;"
                         "ALTER TABLE wp_jobs ADD COLUMN reduce_claimed_at INTEGER;"
                         "UPDATE wp_jobs SET reduce_confirmed = 1 WHERE reduce_sent = 1;"
                         "UPDATE wp_schema_versions SET version = 2 WHERE component = 'jobs';");
              }
              if (version == 1 || version == 2) {
                  // Claims made before tokens existed keep a NULL token: no token releases or
                  // confirms them; reclaim_reduce takes them over after their lease.
                  c.exec("ALTER TABLE wp_jobs ADD COLUMN reduce_claim_token TEXT;"
                         "UPDATE wp_schema_versions SET version = 3 WHERE component = 'jobs';");
              }
          }) {}

    std::int64_t now() const { return read_clock(clock); }

    WallClock clock;
    detail::sqlite::Database db;
};

SqliteBackend::SqliteBackend(SqliteOptions options, WallClock clock)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(clock))) {}

std::shared_ptr<SqliteBackend> SqliteBackend::from_uri(std::string_view uri) {
    return std::make_shared<SqliteBackend>(parse_sqlite_uri(uri));
}

SqliteBackend::~SqliteBackend() = default;

const SqliteOptions& SqliteBackend::options() const noexcept { return impl_->db.options(); }

std::string SqliteBackend::describe() const { return sqlite_uri(options().path); }

void SqliteBackend::do_set_total(const std::string& jobid, std::int64_t total, bool overwrite) {
    impl_->db.write([&](Connection& c) {
        const std::int64_t now = impl_->now();
        std::int64_t id = 0;
        if (auto existing = find_core(c, jobid)) {
            if (!overwrite) {
                throw JobAlreadyExists(jobid);
            }
            id = existing->id;
            c.statement("DELETE FROM wp_pending_parts WHERE job = ?1").bind(1, id).run();
            c.statement("DELETE FROM wp_failed_parts WHERE job = ?1").bind(1, id).run();
            c.statement("DELETE FROM wp_alerts WHERE job = ?1").bind(1, id).run();
            c.statement("DELETE FROM wp_reduce_repairs WHERE job = ?1").bind(1, id).run();
            c.statement("DELETE FROM wp_part_failures WHERE job = ?1").bind(1, id).run();
            c.statement(
                 "UPDATE wp_jobs SET total = ?2, remaining = ?2, failed = 0, reason = NULL, reduce_sent = 0, "
                 "reduce_confirmed = 0, reduce_claimed_at = NULL, reduce_claim_token = NULL, updated_at = ?3, "
                 "created_at = ?3 WHERE id = ?1")
                .bind(1, id)
                .bind(2, total)
                .bind(3, now)
                .run();
        } else {
            c.statement(
                 "INSERT INTO wp_jobs (jobid, total, remaining, failed, reason, metadata, reduce_sent, created_at, "
                 "updated_at) VALUES (?1, ?2, ?2, 0, NULL, '{}', 0, ?3, ?3)")
                .bind(1, jobid)
                .bind(2, total)
                .bind(3, now)
                .run();
            id = c.last_insert_rowid();
            // A row id may be reused after a deletion: by a version of this library that kept no
            // part failures, alert marks or repair counts (their tables are created by the versions
            // that keep them).
            for (const char* table : {"wp_part_failures", "wp_alerts", "wp_reduce_repairs"}) {
                c.statement(std::string("DELETE FROM ") + table + " WHERE job = ?1").bind(1, id).run();
            }
        }
        // One statement for all the parts, in key order (appends to the B-tree).
        c.statement(
             "WITH RECURSIVE seq(p) AS (SELECT 0 UNION ALL SELECT p + 1 FROM seq WHERE p + 1 < ?2) "
             "INSERT INTO wp_pending_parts (job, partid) SELECT ?1, p FROM seq")
            .bind(1, id)
            .bind(2, total)
            .run();
    });
}

void SqliteBackend::do_set_metadata(const std::string& jobid, const nlohmann::json& metadata) {
    impl_->db.write([&](Connection& c) {
        std::int64_t id = 0;
        nlohmann::json merged;
        {
            auto s = c.statement("SELECT id, metadata FROM wp_jobs WHERE jobid = ?1");
            s.bind(1, jobid);
            if (!s.step()) throw JobDoesNotExist(jobid);
            id = s.int64(0);
            merged = parse_metadata(s.text(1), jobid, c.path());
        }
        for (const auto& [key, value] : metadata.items()) merged[key] = value;
        c.statement("UPDATE wp_jobs SET metadata = ?2, updated_at = ?3 WHERE id = ?1")
            .bind(1, id)
            .bind(2, dump_metadata(merged))
            .bind(3, impl_->now())
            .run();
    });
}

bool SqliteBackend::do_complete_part(const std::string& jobid, PartId partid) {
    return impl_->db.write([&](Connection& c) { return complete_in_transaction(c, jobid, partid, false, impl_->now()); })
        .job_complete;
}

CompletionResult SqliteBackend::do_complete_part_and_claim_reduce(const std::string& jobid, PartId partid) {
    return impl_->db.write([&](Connection& c) { return complete_in_transaction(c, jobid, partid, true, impl_->now()); });
}

std::optional<ClaimToken> SqliteBackend::do_claim_reduce(const std::string& jobid) {
    return impl_->db.write([&](Connection& c) -> std::optional<ClaimToken> {
        ClaimToken token = detail::new_claim_token();
        c.statement(
             "UPDATE wp_jobs SET reduce_sent = 1, reduce_confirmed = 0, reduce_claimed_at = ?2, updated_at = ?2, "
             "reduce_claim_token = ?3 WHERE jobid = ?1 AND reduce_sent = 0 AND failed = 0 AND remaining = 0")
            .bind(1, jobid)
            .bind(2, impl_->now())
            .bind(3, token)
            .run();
        if (c.changes() > 0) return token;
        require_core(c, jobid);  // JobDoesNotExist, else already claimed or failed
        return std::nullopt;
    });
}

void SqliteBackend::do_release_reduce(const std::string& jobid, const ClaimToken& token) {
    impl_->db.write([&](Connection& c) {
        c.statement(
             "UPDATE wp_jobs SET reduce_sent = 0, reduce_confirmed = 0, reduce_claimed_at = NULL, "
             "reduce_claim_token = NULL, updated_at = ?2 WHERE jobid = ?1 AND reduce_sent = 1 AND "
             "reduce_claim_token = ?3")
            .bind(1, jobid)
            .bind(2, impl_->now())
            .bind(3, token)
            .run();
        if (c.changes() == 0) require_core(c, jobid);  // JobDoesNotExist, else not this token's claim
    });
}

std::int64_t SqliteBackend::do_record_failed_part(const std::string& jobid, PartId partid) {
    return impl_->db.write([&](Connection& c) {
        const JobCore job = require_core(c, jobid);
        validate_partid(jobid, partid, job.total);
        c.statement("INSERT OR IGNORE INTO wp_failed_parts (job, partid) VALUES (?1, ?2)").bind(1, job.id).bind(2, partid).run();
        if (c.changes() > 0) {
            c.statement("UPDATE wp_jobs SET updated_at = ?2 WHERE id = ?1").bind(1, job.id).bind(2, impl_->now()).run();
        }
        auto s = c.statement("SELECT COUNT(*) FROM wp_failed_parts WHERE job = ?1");
        s.bind(1, job.id);
        s.step();
        return s.int64(0);
    });
}

std::vector<PartId> SqliteBackend::do_list_failed_parts(const std::string& jobid) {
    return impl_->db.read([&](Connection& c) {
        const JobCore job = require_core(c, jobid);
        std::vector<PartId> parts;
        auto s = c.statement("SELECT partid FROM wp_failed_parts WHERE job = ?1 ORDER BY partid");
        s.bind(1, job.id);
        while (s.step()) parts.push_back(s.int64(0));
        return parts;
    });
}

bool SqliteBackend::do_record_part_failure(const std::string& jobid, const PartFailure& failure) {
    return impl_->db.write([&](Connection& c) {
        const JobCore job = require_core(c, jobid);
        validate_partid(jobid, failure.partid, job.total);
        auto bind_record = [&](detail::sqlite::Statement& s) -> detail::sqlite::Statement& {
            s.bind(1, job.id).bind(2, failure.partid).bind(4, failure.attempts).bind(5, failure.time_ms).bind(6, failure.text);
            if (failure.exit_code) {
                s.bind(3, static_cast<std::int64_t>(*failure.exit_code));
            } else {
                s.bind_null(3);
            }
            return s;
        };
        auto update = c.statement(
            "UPDATE wp_part_failures SET exit_code = ?3, attempts = ?4, time_ms = ?5, text = ?6 WHERE job = ?1 AND partid = ?2");
        bind_record(update).run();
        if (c.changes() > 0) return true;  // the part's newest record replaces its older one
        auto count = c.statement("SELECT COUNT(*) FROM wp_part_failures WHERE job = ?1");
        count.bind(1, job.id);
        count.step();
        if (count.int64(0) >= static_cast<std::int64_t>(kMaxPartFailureRecords)) return false;
        auto insert = c.statement(
            "INSERT INTO wp_part_failures (job, partid, exit_code, attempts, time_ms, text) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
        bind_record(insert).run();
        return true;
    });
}

std::vector<PartFailure> SqliteBackend::do_list_part_failures(const std::string& jobid) {
    return impl_->db.read([&](Connection& c) {
        const JobCore job = require_core(c, jobid);
        std::vector<PartFailure> out;
        auto s = c.statement(
            "SELECT partid, exit_code, attempts, time_ms, text FROM wp_part_failures WHERE job = ?1 ORDER BY partid");
        s.bind(1, job.id);
        while (s.step()) {
            PartFailure f;
            f.partid = s.int64(0);
            if (!s.is_null(1)) f.exit_code = static_cast<int>(s.int64(1));
            f.attempts = s.int64(2);
            f.time_ms = s.int64(3);
            f.text = s.text(4);
            out.push_back(std::move(f));
        }
        return out;
    });
}

bool SqliteBackend::do_confirm_reduce(const std::string& jobid, const ClaimToken& token) {
    return impl_->db.write([&](Connection& c) {
        c.statement(
             "UPDATE wp_jobs SET reduce_confirmed = 1 WHERE jobid = ?1 AND reduce_sent = 1 AND reduce_claim_token = ?2")
            .bind(1, jobid)
            .bind(2, token)
            .run();
        if (c.changes() > 0) return true;
        require_core(c, jobid);  // JobDoesNotExist, else not this token's claim: nothing to do
        return false;
    });
}

std::optional<ClaimToken> SqliteBackend::do_reclaim_reduce(const std::string& jobid, std::chrono::milliseconds lease) {
    return impl_->db.write([&](Connection& c) -> std::optional<ClaimToken> {
        const std::int64_t now = impl_->now();
        ClaimToken token = detail::new_claim_token();
        c.statement(
             "UPDATE wp_jobs SET reduce_claimed_at = ?2, updated_at = ?2, reduce_claim_token = ?4 WHERE jobid = ?1 "
             "AND failed = 0 AND remaining = 0 AND reduce_sent = 1 AND reduce_confirmed = 0 AND reduce_claimed_at "
             "IS NOT NULL AND reduce_claimed_at <= ?3")
            .bind(1, jobid)
            .bind(2, now)
            .bind(3, now - static_cast<std::int64_t>(lease.count()))
            .bind(4, token)
            .run();
        if (c.changes() > 0) return token;
        require_core(c, jobid);
        return std::nullopt;
    });
}

std::optional<std::string> SqliteBackend::do_failure_reason(const std::string& jobid) {
    return impl_->db.read([&](Connection& c) -> std::optional<std::string> {
        auto s = c.statement("SELECT failed, reason FROM wp_jobs WHERE jobid = ?1");
        s.bind(1, jobid);
        if (!s.step()) throw JobDoesNotExist(jobid);
        if (s.int64(0) == 0) return std::nullopt;
        return s.is_null(1) ? std::string() : s.text(1);
    });
}

void SqliteBackend::do_fail_job(const std::string& jobid, const std::string& reason) {
    impl_->db.write([&](Connection& c) {
        c.statement("UPDATE wp_jobs SET failed = 1, reason = ?2, updated_at = ?3 WHERE jobid = ?1")
            .bind(1, jobid)
            .bind(2, reason)
            .bind(3, impl_->now())
            .run();
        if (c.changes() == 0) throw JobDoesNotExist(jobid);
    });
}

JobStatus SqliteBackend::do_status(const std::string& jobid) {
    return impl_->db.read([&](Connection& c) {
        auto s = c.statement(kSelectFull + " WHERE jobid = ?1");
        s.bind(1, jobid);
        if (!s.step()) throw JobDoesNotExist(jobid);
        return status_from_row(s, c.path());
    });
}

bool SqliteBackend::do_part_complete(const std::string& jobid, PartId partid) {
    return impl_->db.read([&](Connection& c) {
        const JobCore job = require_core(c, jobid);
        validate_partid(jobid, partid, job.total);
        auto s = c.statement("SELECT 1 FROM wp_pending_parts WHERE job = ?1 AND partid = ?2");
        s.bind(1, job.id).bind(2, partid);
        return !s.step();
    });
}

std::vector<PartId> SqliteBackend::do_list_pending_parts(const std::string& jobid) {
    return impl_->db.read([&](Connection& c) {
        const JobCore job = require_core(c, jobid);
        std::vector<PartId> parts;
        parts.reserve(static_cast<std::size_t>(job.remaining));
        auto s = c.statement("SELECT partid FROM wp_pending_parts WHERE job = ?1 ORDER BY partid");
        s.bind(1, job.id);
        while (s.step()) parts.push_back(s.int64(0));
        return parts;
    });
}

void SqliteBackend::do_list_jobs(const std::function<void(const JobStatus&)>& visit) {
    constexpr std::int64_t kPageSize = 256;
    std::int64_t after = 0;  // wp_jobs.id is positive
    for (;;) {
        std::vector<std::pair<std::int64_t, JobStatus>> page = impl_->db.read([&](Connection& c) {
            std::vector<std::pair<std::int64_t, JobStatus>> rows;
            auto s = c.statement(kSelectFull + " WHERE id > ?1 ORDER BY id LIMIT ?2");
            s.bind(1, after).bind(2, kPageSize);
            while (s.step()) rows.emplace_back(s.int64(0), status_from_row(s, c.path()));
            return rows;
        });
        for (const auto& [id, status] : page) visit(status);  // outside the transaction: may call back in
        if (static_cast<std::int64_t>(page.size()) < kPageSize) return;
        after = page.back().first;
    }
}

bool SqliteBackend::do_delete_job(const std::string& jobid) {
    return impl_->db.write([&](Connection& c) {
        const auto job = find_core(c, jobid);
        if (!job) return false;
        c.statement("DELETE FROM wp_pending_parts WHERE job = ?1").bind(1, job->id).run();
        c.statement("DELETE FROM wp_failed_parts WHERE job = ?1").bind(1, job->id).run();
        c.statement("DELETE FROM wp_alerts WHERE job = ?1").bind(1, job->id).run();
        c.statement("DELETE FROM wp_reduce_repairs WHERE job = ?1").bind(1, job->id).run();
        c.statement("DELETE FROM wp_part_failures WHERE job = ?1").bind(1, job->id).run();
        c.statement("DELETE FROM wp_jobs WHERE id = ?1").bind(1, job->id).run();
        return true;
    });
}

// The alert marks: rows of wp_alerts (a table of its own, created in files of any earlier version
// when they are opened: CREATE TABLE IF NOT EXISTS), removed with the job and by an overwrite.
bool SqliteBackend::do_claim_alert(const std::string& jobid, AlertState state) {
    return impl_->db.write([&](Connection& c) {
        const JobCore job = require_core(c, jobid);
        c.statement("INSERT OR IGNORE INTO wp_alerts (job, state) VALUES (?1, ?2)").bind(1, job.id).bind(2, to_string(state)).run();
        return c.changes() > 0;
    });
}

void SqliteBackend::do_release_alert(const std::string& jobid, AlertState state) {
    impl_->db.write([&](Connection& c) {
        c.statement("DELETE FROM wp_alerts WHERE job = (SELECT id FROM wp_jobs WHERE jobid = ?1) AND state = ?2")
            .bind(1, jobid)
            .bind(2, to_string(state))
            .run();
    });
}

// The repair count: a row of wp_reduce_repairs (a table of its own, as wp_alerts).
void SqliteBackend::do_record_reduce_repair(const std::string& jobid) {
    impl_->db.write([&](Connection& c) {
        const JobCore job = require_core(c, jobid);
        c.statement("INSERT INTO wp_reduce_repairs (job, count) VALUES (?1, 1) "
                    "ON CONFLICT (job) DO UPDATE SET count = count + 1")
            .bind(1, job.id)
            .run();
    });
}

}  // namespace watchbot_progress
