#include <string>
#include <vector>

#include "job/batch_publisher.hpp"
#include "job/map_message_stream.hpp"
#include "watchbot_progress/error_codes.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/job.hpp"
#include "watchbot_progress/messages.hpp"
#include "watchbot_progress/open_backend.hpp"

namespace watchbot_progress {

namespace {

class JsonArraySource final : public PartSource {
public:
    explicit JsonArraySource(const nlohmann::json& array) : array_(array), it_(array.begin()) {}
    bool next(nlohmann::json& part) override {
        if (it_ == array_.end()) return false;
        part = *it_++;
        return true;
    }
    bool rewind() override {
        it_ = array_.begin();
        return true;
    }

private:
    const nlohmann::json& array_;
    nlohmann::json::const_iterator it_;
};

}  // namespace

std::string create_job(const nlohmann::json& parts, const CreateJobOptions& options) {
    if (!parts.is_array()) {
        throw InvalidInput(std::string("parts must be a JSON array of objects, not ") + parts.type_name());
    }
    JsonArraySource source(parts);
    return create_job(static_cast<PartSource&>(source), options);
}

std::string create_job(PartSource& parts, const CreateJobOptions& options) {
    const std::string jobid = options.jobid.empty() ? new_jobid() : options.jobid;
    validate_jobid(jobid);
    if (!options.metadata.is_null() && !options.metadata.is_object()) {
        throw InvalidInput(std::string("job metadata must be a JSON object (or null), not ") + options.metadata.type_name());
    }
    std::string metadata_json;
    try {
        metadata_json = options.metadata.dump();
    } catch (const nlohmann::json::type_error&) {
        throw InvalidInput("job metadata holds a key or string that is not valid UTF-8: give UTF-8 text");
    }
    const std::shared_ptr<Backend> backend = options.backend ? options.backend : default_backend();
    const std::shared_ptr<Notifier> notifier = options.notifier ? options.notifier : default_notifier();
    if (options.metadata.is_object() && !options.metadata.empty()) backend->check_metadata(options.metadata);

    detail::MapMessageStream stream(parts, jobid, std::move(metadata_json), *notifier);
    const std::uint64_t total = stream.validate();
    notifier->check_ready();

    backend->set_total(jobid, static_cast<std::int64_t>(total), options.overwrite);
    if (options.metadata.is_object() && !options.metadata.empty()) backend->set_metadata(jobid, options.metadata);

    detail::BatchPublisher publisher(*notifier, options.workers, total, options.on_progress);
    std::string body;
    PartId partid = 0;
    while (stream.next(body, partid)) publisher.add(kMapSubject, std::move(body), partid);
    std::string first_error;
    const std::vector<PartId> failed = publisher.finish(first_error);
    if (!failed.empty()) {
        std::vector<std::size_t> indexes(failed.begin(), failed.end());
        throw PublishError("job '" + jobid + "' was created, but the map messages of " + std::to_string(failed.size()) +
                               " of its " + std::to_string(total) + " parts could not be published to " +
                               notifier->describe() + " (parts " + detail::part_id_list(failed) + "): " + first_error +
                               ". Send those parts again, or delete the job and create it anew.",
                           std::string(error_code::kPublishFailed), true, std::move(indexes));
    }
    return jobid;
}

}  // namespace watchbot_progress
