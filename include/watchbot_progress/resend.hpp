#pragma once
// resend_parts: repairing a job whose map messages were lost (a publish that failed part-way, a
// queue purged by mistake, messages dead-lettered and dropped): publishes again the map messages of
// the parts still pending, or of the parts recorded failed, from the same parts create_job read.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "watchbot_progress/backend.hpp"
#include "watchbot_progress/export.hpp"
#include "watchbot_progress/job.hpp"
#include "watchbot_progress/notifier.hpp"

namespace watchbot_progress {

struct ResendOptions {
    // Which parts' messages go out again.
    enum class Which {
        kPending,  // every part not yet complete (list_pending_parts)
        kFailed,   // the parts recorded failed for good (list_failed_parts, PartOptions::failure_tolerance)
        kListed,   // the parts in `parts` (each within the job, else InvalidInput before anything is sent)
    };
    Which which = Which::kPending;
    // The part ids to re-send when `which` is kListed (the dashboard's "resend this part").
    std::vector<PartId> parts;
    // The job's backend. Null: default_backend() (the `ProgressTable` env var).
    std::shared_ptr<Backend> backend;
    // Where the map messages go. Null: default_notifier() (the `WorkTopic` env var).
    std::shared_ptr<Notifier> notifier;
    // How many batches are published at once.
    std::size_t workers = 25;
    // Called from the publishing threads as messages go out: (published so far, to publish).
    std::function<void(std::uint64_t, std::uint64_t)> on_progress;
};

// Reads every part of `parts` (the job's parts in the order create_job numbered them) and checks,
// before anything is published, that they are this job's: as many as the job's total, each a JSON
// object, any "jobid"/"partid" a part carries equal to the job's id and its 0-based position, each
// message within the notifier's limits. Any mismatch is InvalidInput saying what differs, with
// nothing published. Then publishes, in batches (`workers` at once), the map message of each
// selected part exactly as create_job builds it, with the job's metadata as it is now (null when
// it has none). Returns the part ids re-sent, ascending (none when no part is selected).
//
// Throws JobDoesNotExist for an unknown job, JobFailed for a failed job (its workers would drop the
// messages), PublishError naming the part ids still not published when some fail after retries.
// Re-sending a part whose message is still queued runs it twice, which the Part guard tolerates:
// completing a part is idempotent and the reduce is sent once.
WATCHBOT_PROGRESS_EXPORT std::vector<PartId> resend_parts(const std::string& jobid, PartSource& parts, const ResendOptions& options = {});

}  // namespace watchbot_progress
