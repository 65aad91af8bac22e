// _core.Guard: the C++ Part guard, in the steps a Python `with` block needs (Part::begin / succeed /
// fail). watchbot_progress.main.Part decides in Python whether an exception matches fail_job_on
// (isinstance, subclasses included) and tells fail() so; the guard then fails the job with a reason
// naming the part and the exception. The user's exception itself never enters C++.
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
// An exception that matched fail_job_on.
struct PythonFatalError : PythonError {
    using PythonError::PythonError;
};

class Guard {
public:
    // on_reduce: None, or a callable(jobid, metadata) called instead of publishing the reduce.
    Guard(std::string jobid, wp::PartId partid, std::shared_ptr<wp::Backend> backend,
          std::shared_ptr<wp::Notifier> notifier, bool fail_job_on, py::object on_reduce) {
        wp::PartOptions options;
        options.backend = std::move(backend);
        options.notifier = std::move(notifier);
        if (fail_job_on) options.fail_job_on = wp::fail_on<PythonFatalError>();
        if (!on_reduce.is_none()) {
            std::shared_ptr<py::object> callback = hold(std::move(on_reduce));
            options.on_reduce = [callback](const std::string& id, const nlohmann::json& metadata) {
                py::gil_scoped_acquire gil;
                (*callback)(id, from_json(metadata));
            };
        }
        part_.emplace(std::move(jobid), partid, std::move(options));
    }

    void begin() { part_->begin(); }
    void succeed() { part_->succeed(); }
    void fail(bool fatal, const std::string& description) {
        if (fatal) {
            part_->fail(std::make_exception_ptr(PythonFatalError(description)));
        } else {
            part_->fail(std::make_exception_ptr(PythonError(description)));
        }
    }

private:
    std::optional<wp::Part> part_;
};

}  // namespace

void register_part(py::module_& m) {
    py::class_<Guard>(m, "Guard", "The C++ Part guard in steps: begin(), then succeed() or fail()")
        .def(py::init<std::string, wp::PartId, std::shared_ptr<wp::Backend>, std::shared_ptr<wp::Notifier>, bool,
                      py::object>(),
             "jobid"_a, "partid"_a, "backend"_a, "notifier"_a.none(true), "fail_job_on"_a, "on_reduce"_a.none(true))
        .def("begin", &Guard::begin, release_gil())
        .def("succeed", &Guard::succeed, release_gil())
        .def("fail", &Guard::fail, "fatal"_a, "description"_a, release_gil());
}

}  // namespace wp_py
