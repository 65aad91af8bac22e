#pragma once
// create_job: the start worker's call.

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <string>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "watchbot_progress/backend.hpp"
#include "watchbot_progress/export.hpp"
#include "watchbot_progress/notifier.hpp"

namespace watchbot_progress {

struct CreateJobOptions {
    // Where the job is written. Null: default_backend() (the `ProgressTable` env var).
    std::shared_ptr<Backend> backend;
    // Where the map messages go. Null: default_notifier() (the `WorkTopic` env var).
    std::shared_ptr<Notifier> notifier;
    // Job metadata (a JSON object, or null for none): stored with the job and sent in every map
    // message and in the reduce message.
    nlohmann::json metadata = nullptr;
    // The job id; empty: a new random UUID v4.
    std::string jobid;
    // How many batches are published at once (the Python library's `workers`).
    std::size_t workers = 25;
    // Replace an existing job of the same id instead of refusing it.
    bool overwrite = false;
    // Called from the publishing threads as map messages go out: (published so far, total).
    std::function<void(std::uint64_t, std::uint64_t)> on_progress;
};

// A source of parts read one at a time; create_job's non-template entry point.
class WATCHBOT_PROGRESS_EXPORT PartSource {
public:
    virtual ~PartSource() = default;
    // Stores the next part in `part` and returns true, or returns false at the end.
    virtual bool next(nlohmann::json& part) = 0;
    // Starts again from the first part; returns false when the source cannot (single-pass input),
    // in which case create_job spools the parts to a temporary file while validating them.
    virtual bool rewind() { return false; }
};

// Creates a job: validates every part (each a JSON object; any "jobid"/"partid" it carries must equal
// the job's id and its 0-based position; at least one part; each map message within the notifier's
// size limit) and throws InvalidInput before anything is written; then writes the total and the
// metadata; then publishes one "map" message per part (in batches, `workers` at once). Returns the
// job id. If some map messages still fail after retries, throws PublishError naming their part ids
// (the job exists; those parts can be re-sent).
WATCHBOT_PROGRESS_EXPORT std::string create_job(PartSource& parts, const CreateJobOptions& options = {});

namespace detail {

template <class Range>
class RangePartSource final : public PartSource {
public:
    explicit RangePartSource(Range& range) : range_(range), it_(std::ranges::begin(range)) {}
    bool next(nlohmann::json& part) override {
        if (it_ == std::ranges::end(range_)) return false;
        part = *it_;
        ++it_;
        return true;
    }
    bool rewind() override {
        if constexpr (std::ranges::forward_range<Range>) {
            it_ = std::ranges::begin(range_);
            return true;
        } else {
            return false;
        }
    }

private:
    Range& range_;
    std::ranges::iterator_t<Range> it_;
};

}  // namespace detail

// Accepts any input range of values convertible to nlohmann::json: a vector, a view, a generator.
// Forward ranges are read twice (validate, then publish); single-pass ranges are read once and
// spooled to a temporary file, so memory stays bounded either way.
template <std::ranges::input_range Range>
    requires std::is_convertible_v<std::ranges::range_reference_t<Range>, nlohmann::json> &&
             (!std::is_same_v<std::remove_cvref_t<Range>, nlohmann::json>)
std::string create_job(Range&& parts, const CreateJobOptions& options = {}) {
    detail::RangePartSource<std::remove_reference_t<Range>> source(parts);
    return create_job(static_cast<PartSource&>(source), options);
}

// A JSON array of parts (anything else: InvalidInput).
WATCHBOT_PROGRESS_EXPORT std::string create_job(const nlohmann::json& parts, const CreateJobOptions& options = {});

inline std::string create_job(std::initializer_list<nlohmann::json> parts, const CreateJobOptions& options = {}) {
    // Not through std::ranges::subrange: clang before 15 cannot instantiate it with libstdc++ 12.
    detail::RangePartSource<const std::initializer_list<nlohmann::json>> source(parts);
    return create_job(static_cast<PartSource&>(source), options);
}

// A new random UUID v4 string.
WATCHBOT_PROGRESS_EXPORT std::string new_jobid();

}  // namespace watchbot_progress
