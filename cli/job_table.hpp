#pragma once
// `ls --format table` and `info --format table`: jobs as a table for people, one row per job,
// columns padded to their widest cell:
//
//   JOB ID   STATE     DONE/TOTAL  AGE     LAST PROGRESS  REDUCE SENT
//   tiles-1  running   512/1000    3h 2m   3m ago         no
//
// STATE is failed, complete or running; AGE is the time since the job was created and LAST PROGRESS
// the time since it last changed (JobStatus::created_at_ms / updated_at_ms), "-" when the backend or
// the tool that wrote the job records no time (the Python and Node tools).

#include <cstdint>
#include <string>
#include <vector>

#include "watchbot_progress/backend.hpp"

namespace wpcli {

// "0s", "59s", "12m", "3h 2m", "2d 4h": a duration in ms, to the two largest units (negative: "0s").
std::string format_age(std::int64_t ms);

// The table's text, header first, each line ending in '\n'; times relative to `now_ms`.
std::string job_table(const std::vector<watchbot_progress::JobStatus>& jobs, std::int64_t now_ms);

// Checks a --format value ("json" or "table"); InvalidInput otherwise.
bool table_format(const std::string& format);

}  // namespace wpcli
