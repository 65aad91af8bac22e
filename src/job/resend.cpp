#include "watchbot_progress/resend.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "job/batch_publisher.hpp"
#include "job/map_message_stream.hpp"
#include "watchbot_progress/error_codes.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/messages.hpp"
#include "watchbot_progress/open_backend.hpp"

namespace watchbot_progress {

std::vector<PartId> resend_parts(const std::string& jobid, PartSource& parts, const ResendOptions& options) {
    validate_jobid(jobid);
    const std::shared_ptr<Backend> backend = options.backend ? options.backend : default_backend();
    const std::shared_ptr<Notifier> notifier = options.notifier ? options.notifier : default_notifier();

    const JobStatus status = backend->status(jobid);
    if (status.failed) throw JobFailed(jobid, status.reason.value_or(""));
    std::vector<PartId> selected;
    switch (options.which) {
        case ResendOptions::Which::kPending: selected = backend->list_pending_parts(jobid); break;
        case ResendOptions::Which::kFailed: selected = backend->list_failed_parts(jobid); break;
        case ResendOptions::Which::kListed:
            selected = options.parts;
            for (const PartId partid : selected) validate_partid(jobid, partid, status.total);
            break;
    }
    std::sort(selected.begin(), selected.end());
    selected.erase(std::unique(selected.begin(), selected.end()), selected.end());

    // The map messages as create_job built them: the job's metadata, null when it has none.
    const std::string metadata_json = status.metadata.empty() ? std::string("null") : status.metadata.dump();
    detail::MapMessageStream stream(parts, jobid, metadata_json, *notifier);
    const std::uint64_t count = stream.validate();
    if (count != static_cast<std::uint64_t>(status.total)) {
        throw InvalidInput("the parts given hold " + std::to_string(count) + " part" + (count == 1 ? "" : "s") +
                           " but job '" + jobid + "' has " + std::to_string(status.total) +
                           ": give the same parts, in the same order, that created the job (nothing was sent)");
    }
    if (selected.empty()) return selected;

    detail::BatchPublisher publisher(*notifier, options.workers, selected.size(), options.on_progress);
    std::string body;
    PartId partid = 0;
    auto next = selected.begin();
    while (next != selected.end() && stream.next(body, partid)) {
        if (partid != *next) continue;
        publisher.add(kMapSubject, std::move(body), partid);
        ++next;
    }
    std::string first_error;
    const std::vector<PartId> failed = publisher.finish(first_error);
    if (!failed.empty()) {
        // Indexes in the selection, as PublishError counts them.
        std::vector<std::size_t> indexes;
        for (PartId id : failed) {
            indexes.push_back(static_cast<std::size_t>(std::lower_bound(selected.begin(), selected.end(), id) - selected.begin()));
        }
        throw PublishError("the map messages of " + std::to_string(failed.size()) + " of the " +
                               std::to_string(selected.size()) + " parts of job '" + jobid + "' to re-send could not be published to " +
                               notifier->describe() + " (parts " + detail::part_id_list(failed) + "): " + first_error +
                               ". Run the same resend again",
                           std::string(error_code::kPublishFailed), true, std::move(indexes));
    }
    return selected;
}

}  // namespace watchbot_progress
