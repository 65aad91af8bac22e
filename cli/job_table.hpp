#pragma once
// `ls --format table` and `info --format table`: jobs as a table for people, one row per job,
// columns padded to their widest cell:
//
//   JOB ID   STATE     DONE/TOTAL  AGE     LAST PROGRESS  REDUCE SENT  REASON
//   tiles-1  running   512/1000    3h 2m   3m ago         no           parts failed: 4, 9
//   tiles-2  failed    3/1000      1d      1d ago         no           bad input in part 7
//
// STATE is failed, complete or running; AGE is the time since the job was created and LAST PROGRESS
// the time since it last changed (JobStatus::created_at_ms / updated_at_ms), "-" when the backend or
// the tool that wrote the job records no time (the Python and Node tools). REASON is why a failed
// job failed, else its parts recorded as failed for good (failure tolerance, `run`'s dead letters),
// else "-"; on one line, control characters as '?', at most 80 characters.

#include <cstdint>
#include <string>
#include <vector>

#include "watchbot_progress/backend.hpp"

namespace wpcli {

// "0s", "59s", "12m", "3h 2m", "2d 4h": a duration in ms, to the two largest units (negative: "0s").
std::string format_age(std::int64_t ms);

// One row: a job and the parts recorded as failed for good (Backend::list_failed_parts).
struct JobRow {
    watchbot_progress::JobStatus status;
    std::vector<watchbot_progress::PartId> failed_parts;
};

// The rows of `jobs`, reading each job's failed parts from `backend` (one read per job).
std::vector<JobRow> job_rows(watchbot_progress::Backend& backend, std::vector<watchbot_progress::JobStatus> jobs);

// The table's text, header first, each line ending in '\n'; times relative to `now_ms`.
std::string job_table(const std::vector<JobRow>& rows, std::int64_t now_ms);

// Checks a --format value ("json" or "table"); InvalidInput otherwise.
bool table_format(const std::string& format);

}  // namespace wpcli
