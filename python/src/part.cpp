// _core.Guards: the C++ Part guard, in the steps a Python `with` block needs (Part::begin / succeed /
// fail), for one backend and one reduce target. watchbot_progress.main.Part makes one Guards per
// backend and topic and keeps it on the progress object, so a delivery costs two calls with plain
// arguments (jobid, partid) and no per-delivery resolution of the backend, notifier or options.
// Part decides in Python whether an exception matches fail_job_on (isinstance, subclasses
// included) and calls fail() only then; the guard then fails the job with a reason naming the part
// and the exception. The user's exception itself never enters C++.
//
// GIL: every step that may wait for a database, SNS or a file runs with the GIL released. A backend
// kept in the process (memory://, counted or not) never waits for I/O: its steps keep the GIL, so
// a delivery does not hand the GIL to another thread and wait to get it back for a call of a
// microsecond.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "bindings.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace wp_py {

namespace {

namespace wp = watchbot_progress;
using namespace pybind11::literals;

// Stand-ins for the Python exception in the C++ guard: what() is its "TypeName: message".
struct PythonError : std::runtime_error {
    using std::runtime_error::runtime_error;
};
// An exception that matched fail_job_on (the only one Part passes to fail()).
struct PythonFatalError : PythonError {
    using PythonError::PythonError;
};

// Whether every call of `backend` stays in the process without I/O (memory://, possibly wrapped).
bool in_process(const std::shared_ptr<wp::Backend>& backend) {
    const wp::Backend* b = backend.get();
    while (const auto* forwarding = dynamic_cast<const wp::ForwardingBackend*>(b)) b = forwarding->target().get();
    return dynamic_cast<const wp::MemoryBackend*>(b) != nullptr;
}

// Releases the GIL for its scope when `release`; with the GIL held on entry.
class MaybeReleased {
public:
    explicit MaybeReleased(bool release) {
        if (release) unlocked_.emplace();
    }

private:
    std::optional<py::gil_scoped_release> unlocked_;
};

// The delivery's start, from Python's time.monotonic_ns() (CLOCK_MONOTONIC, which steady_clock reads
// too); 0 or less: now.
std::chrono::steady_clock::time_point start_of(std::int64_t monotonic_ns) {
    if (monotonic_ns <= 0) return std::chrono::steady_clock::now();
    return std::chrono::steady_clock::time_point(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::nanoseconds(monotonic_ns)));
}

// With metrics on (WATCHBOT_PROGRESS_METRICS=emf): flushes sys.stdout, so that what the block printed
// is out before the guard's metrics line, which goes to file descriptor 1 directly. GIL held.
void flush_python_stdout() {
    if (!wp::delivery_metrics_enabled()) return;
    try {
        py::object out = py::module_::import("sys").attr("stdout");
        if (!out.is_none()) out.attr("flush")();
    } catch (py::error_already_set&) {
        // A stdout that cannot flush (closed): the line still goes out.
    }
}

class Guards {
public:
    // on_reduce: None, or a callable(jobid, metadata) called instead of publishing the reduce.
    // notifier: None (and no on_reduce): each delivery opens the default notifier (WorkTopic).
    // on_failed: None, or a callable(alert: dict) called once per job when a delivery of this guard
    // fails the job (PartOptions::on_failed; the alert message's fields, docs/wire-formats.md).
    Guards(std::shared_ptr<wp::Backend> backend, std::shared_ptr<wp::Notifier> notifier, py::object on_reduce,
           py::object on_failed) {
        if (!backend) throw wp::InvalidInput("Guards: the backend is None");
        // Opening the default notifier (no notifier, no on_reduce) may read files: not in process.
        const bool default_notifier = !notifier && on_reduce.is_none();
        release_ = !in_process(backend) || default_notifier;
        construct_releases_ = default_notifier;
        options_.backend = std::move(backend);
        options_.notifier = std::move(notifier);
        options_.fail_job_on = wp::fail_on<PythonFatalError>();  // fail() is called for matching exceptions only
        if (!on_failed.is_none()) {
            std::shared_ptr<py::object> callback = hold(std::move(on_failed));
            options_.on_failed = [callback](const wp::Alert& alert) {
                py::gil_scoped_acquire gil;
                (*callback)(from_json(alert.to_json()));  // what it raises is reported, changes nothing
            };
        }
        if (!on_reduce.is_none()) {
            std::shared_ptr<py::object> callback = hold(std::move(on_reduce));
            options_.on_reduce = [callback](const std::string& id, const nlohmann::json& metadata) {
                py::gil_scoped_acquire gil;
                (*callback)(id, from_json(metadata));
            };
        }
    }

    // The guard's entry: checks the ids (InvalidInput); with check_failed (fail_job_on is set),
    // raises JobFailed when the job failed (one small read).
    void begin(const std::string& jobid, wp::PartId partid, bool check_failed) {
        if (!check_failed) {
            MaybeReleased unlocked(construct_releases_);
            part(jobid, partid);
            return;
        }
        flush_python_stdout();  // a failed job's metrics line follows what was printed before
        MaybeReleased unlocked(release_);
        // Only the failure check: Part::begin() reads it when fail_job_on is non-empty, as here.
        part(jobid, partid).begin();
    }

    // The block returned: completes the part and, when this delivery wins the claim, sends the reduce.
    // `started_ns`: time.monotonic_ns() at the block's start, for the metrics line (0: now).
    void succeed(const std::string& jobid, wp::PartId partid, std::int64_t started_ns) {
        flush_python_stdout();
        MaybeReleased unlocked(release_);
        wp::Part p = part(jobid, partid);
        p.started_at(start_of(started_ns));
        p.succeed();
    }

    // The block raised an exception that matches fail_job_on: fails the job with a reason naming the
    // part and `description` ("TypeName: message"). Never raises.
    void fail(const std::string& jobid, wp::PartId partid, const std::string& description, std::int64_t started_ns) {
        flush_python_stdout();
        MaybeReleased unlocked(release_);
        wp::Part p = part(jobid, partid);
        p.started_at(start_of(started_ns));
        p.fail(std::make_exception_ptr(PythonFatalError(description)));
    }

    // The block raised an exception that leaves the job alone (no fail_job_on match): only the
    // delivery's metrics line (outcome "failed"), when metrics are on; nothing is written to the store.
    static void failed(const std::string& jobid, wp::PartId partid, std::int64_t started_ns) {
        if (!wp::delivery_metrics_enabled()) return;
        flush_python_stdout();
        wp::DeliveryMetrics metrics;
        metrics.jobid = jobid;
        metrics.partid = partid;
        metrics.outcome = wp::DeliveryOutcome::kFailed;
        metrics.duration_ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_of(started_ns)).count();
        metrics.timestamp_ms = wp::system_time_ms();
        wp::write_delivery_metrics(metrics);
    }

    std::string describe() const { return options_.backend->describe(); }

private:
    wp::Part part(const std::string& jobid, wp::PartId partid) const { return wp::Part(jobid, partid, options_); }

    wp::PartOptions options_;
    bool release_ = true;
    bool construct_releases_ = false;
};

}  // namespace

void register_part(py::module_& m) {
    py::class_<Guards, std::shared_ptr<Guards>>(
        m, "Guards",
        "The C++ Part guard in steps, for one backend and reduce target: begin(), then succeed() or fail()")
        .def(py::init<std::shared_ptr<wp::Backend>, std::shared_ptr<wp::Notifier>, py::object, py::object>(),
             "backend"_a, "notifier"_a.none(true), "on_reduce"_a.none(true), "on_failed"_a.none(true) = py::none())
        .def("begin", &Guards::begin, "jobid"_a, "partid"_a, "check_failed"_a)
        .def("succeed", &Guards::succeed, "jobid"_a, "partid"_a, "started_ns"_a = 0)
        .def("fail", &Guards::fail, "jobid"_a, "partid"_a, "description"_a, "started_ns"_a = 0)
        .def_static("failed", &Guards::failed, "jobid"_a, "partid"_a, "started_ns"_a = 0)
        .def("__repr__", [](const Guards& g) { return "<watchbot_progress._core.Guards " + g.describe() + ">"; });
}

}  // namespace wp_py
