#include "watchbot_progress/sweep.hpp"

#include <cstdint>
#include <exception>
#include <optional>
#include <utility>

#include "watchbot_progress/errors.hpp"

namespace watchbot_progress {

namespace {

// Whether the job carries this library's record (a change time): it was created or worked by this
// library, whose Part guard claims the reduce of every job it completes.
bool written_by_this_library(const JobStatus& s) { return s.updated_at_ms.has_value(); }

// A complete job that nobody claimed, without this library's record: another tool's, whose reduce
// its users may have sent themselves (the Node tool's users mark it afterwards) — no proof of a
// lost reduce.
bool unclaimed_job_of_another_tool(const JobStatus& s) {
    return !s.failed && s.complete() && !s.reduce_sent && !written_by_this_library(s);
}

// A lost reduce found by the listing.
struct Lost {
    std::string jobid;
    LostReduce why;
    std::chrono::milliseconds claim_age{0};
};

// Why the job's reduce needs sending, or nothing when it does not. `named`: the caller named the job.
std::optional<Lost> lost_reduce(const JobStatus& s, std::chrono::milliseconds older_than, std::int64_t now, bool named,
                                bool include_other_tools) {
    if (s.failed || !s.complete()) return std::nullopt;
    if (!s.reduce_sent) {
        if (written_by_this_library(s)) return Lost{s.jobid, LostReduce::kNeverClaimed};
        if (named) return Lost{s.jobid, LostReduce::kNeverClaimedNamed};
        if (include_other_tools) return Lost{s.jobid, LostReduce::kNeverClaimedOtherTool};
        return std::nullopt;
    }
    if (s.reduce_confirmed || !s.reduce_claimed_at_ms) return std::nullopt;
    const std::chrono::milliseconds age(now - *s.reduce_claimed_at_ms);
    if (age < older_than) return std::nullopt;
    return Lost{s.jobid, LostReduce::kClaimUnconfirmed, age};
}

// Finished: failed, or complete with its reduce sent (confirmed, or claimed by a tool that records
// no confirmation), and unchanged for at least `after`.
bool expired(const JobStatus& s, std::chrono::milliseconds after, std::int64_t now) {
    if (!s.updated_at_ms || now - *s.updated_at_ms < after.count()) return false;
    if (s.failed) return true;
    return s.complete() && s.reduce_sent && (s.reduce_confirmed || !s.reduce_claimed_at_ms);
}

}  // namespace

SweepResult sweep(Backend& backend, const SweepOptions& options) {
    const auto report = [&](SweepEvent event) {
        if (options.on_event) options.on_event(event);
    };
    SweepResult result;
    std::vector<Lost> lost;
    std::vector<std::pair<std::string, std::chrono::milliseconds>> finished;  // job id, unchanged for
    std::vector<std::string> left_alone;
    const std::int64_t now = read_clock(options.clock);
    const bool named = !options.jobids.empty();
    const auto consider = [&](const JobStatus& s) {
        if (auto found = lost_reduce(s, options.older_than, now, named, options.include_other_tools)) {
            lost.push_back(std::move(*found));
        } else if (unclaimed_job_of_another_tool(s)) {
            left_alone.push_back(s.jobid);
        }
        if (options.delete_finished_after && expired(s, *options.delete_finished_after, now)) {
            finished.emplace_back(s.jobid, std::chrono::milliseconds(now - *s.updated_at_ms));
        }
    };
    if (options.jobids.empty()) {
        backend.list_jobs(consider);
    } else {
        for (const auto& jobid : options.jobids) consider(backend.status(jobid));  // JobDoesNotExist
    }
    result.lost = lost.size();
    result.left_alone = left_alone.size();
    for (const auto& jobid : left_alone) report({SweepEvent::Kind::kLeftAlone, jobid});

    std::exception_ptr first_error;  // thrown once every job was tried
    const auto failed = [&](SweepEvent event) {
        if (!first_error) first_error = event.error;
        ++result.failed;
        report(std::move(event));
    };

    std::optional<ReduceSink> sink;  // opened before the first claim: a bad topic claims nothing
    for (const Lost& job : lost) {
        const std::string& jobid = job.jobid;
        if (options.dry_run) {
            report({SweepEvent::Kind::kWouldSend, jobid, job.why, job.claim_age});
            continue;
        }
        if (!sink) {
            if (!options.open_sink) throw InvalidInput("sweep found lost reduces but has nowhere to send them: give open_sink");
            sink = options.open_sink();
            sink->count_failed_parts = true;  // a job finished under failure tolerance says so
        }
        SentReduce sent;
        try {
            // The claim decides: a worker or another sweep may have sent it since the listing.
            const JobStatus before = backend.status(jobid);
            const std::optional<ClaimToken> claim =
                before.reduce_sent ? backend.reclaim_reduce(jobid, options.older_than) : backend.claim_reduce(jobid);
            if (!claim) continue;
            sent = send_claimed_reduce(backend, jobid, *claim, *sink);
        } catch (const JobDoesNotExist&) {
            continue;  // deleted since the listing: nothing to send
        } catch (...) {
            failed({SweepEvent::Kind::kReduceFailed, jobid, job.why, job.claim_age, ReduceConfirmation::kConfirmed,
                    std::current_exception()});
            continue;
        }
        ++result.sent;
        // Counted for the metrics once the reduce is out, whatever its confirmation.
        std::exception_ptr record_error;
        try {
            backend.record_reduce_repair(jobid);
        } catch (const JobDoesNotExist&) {
            // deleted since the reduce was sent: nothing left to count on
        } catch (...) {
            record_error = std::current_exception();
            ++result.unrecorded;
        }
        if (sent.confirmation == ReduceConfirmation::kUnconfirmed) {
            failed({SweepEvent::Kind::kReduceFailed, jobid, job.why, job.claim_age, sent.confirmation, sent.confirm_error});
            continue;
        }
        report({SweepEvent::Kind::kSent, jobid, job.why, job.claim_age, sent.confirmation, record_error});
    }

    if (options.delete_finished_after) {
        for (const auto& [jobid, unchanged_for] : finished) {
            if (options.dry_run) {
                SweepEvent event{SweepEvent::Kind::kWouldDelete, jobid};
                event.unchanged_for = unchanged_for;
                report(std::move(event));
                continue;
            }
            try {
                // Read again: the job may have been overwritten (set-total --overwrite) since the listing.
                if (!expired(backend.status(jobid), *options.delete_finished_after, read_clock(options.clock))) continue;
                if (backend.delete_job(jobid)) ++result.deleted;
            } catch (const JobDoesNotExist&) {
                continue;
            } catch (...) {
                SweepEvent event{SweepEvent::Kind::kDeleteFailed, jobid};
                event.error = std::current_exception();
                failed(std::move(event));
            }
        }
    }
    if (first_error) std::rethrow_exception(first_error);
    return result;
}

}  // namespace watchbot_progress
