#pragma once
// A host-local cache of what a worker's check before its command reads (Backend::check_part_facts),
// shared by the worker processes of one host: `watchbot-progress-cpp worker` runs as a new process
// per map message, so without it every delivery reads the job before its command runs (on DynamoDB
// one GetItem of the job item, beside the completion's one write). With it, a delivery whose job
// was checked on this host less than `interval` ago does no read: the facts kept (the job's total,
// a DynamoDB job's layout) are handed to the new backend (Backend::assume_job_facts), and the
// completion is the delivery's one request.
//
//   wp::JobFactsCache cache(wp::job_facts_cache_options_from_env());
//   std::optional<std::string> failed = wp::check_part_cached(*backend, &cache, jobid, partid);
//
// What is kept, and what that costs (docs/performance.md, "The worker path"):
//   - one small file per (backend, job) in `directory` (mode 0700, owned by the user), written to a
//     temporary file and renamed, holding the job's total, the backend's layout facts, the failure
//     as read and when it was read (the time before the read began);
//   - only facts of a job that exists and whose part was in range: a job that does not exist and a
//     part out of range are never kept (every such delivery reads);
//   - a failure is never trusted from the cache to skip a read: an entry that records one (read,
//     or recorded_failure by this host's worker or `fail-job`) makes the next delivery read the
//     job, which then finds the failure and does not run the command (or finds the job overwritten
//     and works it). So a failure known on this host stops the host's later deliveries at once;
//   - a failure recorded elsewhere is seen by this host at its next read, at most `interval` after
//     the last one: meanwhile a delivery may run its command for a failed job. Its completion is
//     harmless: the reduce claim requires the job not failed, so no reduce is ever sent for it;
//   - a job deleted or overwritten elsewhere within `interval`: the completion finds it out (its
//     item is gone: it reads the job as it is now), after the command ran.
// Every file error (a missing, corrupt, foreign or unwritable file or directory) is ignored: the
// delivery reads, as without the cache. Thread-safe; any number of processes may share a directory.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "watchbot_progress/backend.hpp"
#include "watchbot_progress/export.hpp"

namespace watchbot_progress {

struct JobFactsCacheOptions {
    // Where the entries live; empty: default_job_facts_cache_directory(). Created (mode 0700) when
    // missing; a directory not owned by this user, or writable by others, is not used.
    std::filesystem::path directory;
    // How long facts read by one delivery spare later deliveries their read. 0: nothing is kept,
    // every delivery reads (as without a cache).
    std::chrono::milliseconds interval{std::chrono::seconds(5)};
    // Entries older than this (by their file's time) are removed when a new entry is written, and
    // at most max_entries are kept (the oldest go first), so entries of finished jobs do not pile up.
    std::chrono::milliseconds max_age{std::chrono::hours(1)};
    std::size_t max_entries = 1024;
    // ms since the Unix epoch; empty: the system clock. Tests inject one.
    std::function<std::int64_t()> now_ms;
};

// ${WATCHBOT_PROGRESS_CACHE_DIR}, else ${TMPDIR:-/tmp}/watchbot-progress-<uid>.
WATCHBOT_PROGRESS_EXPORT std::filesystem::path default_job_facts_cache_directory();

// The defaults, with WATCHBOT_PROGRESS_CACHE_DIR (directory) and WATCHBOT_PROGRESS_CHECK_INTERVAL
// (interval: a duration such as 5s, 500ms, 1m, or 0) read from the environment. ConfigError when
// the interval is not a duration.
WATCHBOT_PROGRESS_EXPORT JobFactsCacheOptions job_facts_cache_options_from_env();

// A duration as WATCHBOT_PROGRESS_CHECK_INTERVAL and `worker --check-interval` take it: a whole
// number with a unit (ms, s, m, h), or 0. InvalidInput saying what is wrong (naming `what`).
WATCHBOT_PROGRESS_EXPORT std::chrono::milliseconds parse_check_interval(const std::string& text, const std::string& what);

class WATCHBOT_PROGRESS_EXPORT JobFactsCache {
public:
    explicit JobFactsCache(JobFactsCacheOptions options = {});

    // The facts kept for `jobid` of the backend described by `backend` (Backend::describe()) when
    // they were read less than `interval` ago (and not after now); nullopt when there are none,
    // they are older, the file cannot be read or is not an entry of that backend and job.
    std::optional<JobFacts> fresh(const std::string& backend, const std::string& jobid) const;

    // Keeps `facts` (read by a read that began at `read_at_ms`) for later deliveries. Does nothing
    // when interval is 0 or facts.total is 0 (nothing a later process may assume), and keeps an
    // entry that records a failure later than read_at_ms (the facts predate it). Never throws.
    void store(const std::string& backend, const std::string& jobid, const JobFacts& facts, std::int64_t read_at_ms) noexcept;

    // The job failed on this host (its worker failed it, or `fail-job` ran here): the entry records
    // the failure now, so that the next delivery of the job on this host reads it instead of
    // trusting facts that say the job had not failed. Never throws.
    void record_failure(const std::string& backend, const std::string& jobid, const std::string& reason) noexcept;

    // Removes the entry (the job was found not to exist). Never throws.
    void forget(const std::string& backend, const std::string& jobid) noexcept;

    // The entry's file (whether or not it exists).
    std::filesystem::path entry_path(const std::string& backend, const std::string& jobid) const;
    const std::filesystem::path& directory() const noexcept { return directory_; }
    std::chrono::milliseconds interval() const noexcept { return options_.interval; }
    std::int64_t now_ms() const;

private:
    // Whether the directory may be used (created if missing; owned by this user, not writable by
    // others). Checked once per cache.
    bool usable() const;
    void write_entry(const std::filesystem::path& path, const std::string& text) const noexcept;
    void prune() const noexcept;

    JobFactsCacheOptions options_;
    std::filesystem::path directory_;
    mutable std::optional<bool> usable_;
};

// What a worker checks before it works a part (Backend::check_part), through `cache` (nullptr, or
// an interval of 0: Backend::check_part itself). Facts kept for the job that are fresh, say the
// job has not failed and hold the part (partid < total) are assumed (Backend::assume_job_facts)
// instead of read: returns nullopt without a request. Otherwise reads (check_part_facts), keeps
// what it read, and returns the failure; JobDoesNotExist (the entry removed) and InvalidInput as
// check_part throws them.
WATCHBOT_PROGRESS_EXPORT std::optional<std::string> check_part_cached(Backend& backend, JobFactsCache* cache,
                                                                      const std::string& jobid, PartId partid);

}  // namespace watchbot_progress
