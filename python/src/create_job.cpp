// _core.create_job: the C++ create_job over parts read from a Python iterable. A list or tuple is read
// twice (validate, then publish); any other iterable (a generator) once, its messages spooled to a
// temporary file by the C++ code, so a generator of a million parts never sits in memory.
//
// The map messages go to the notifier given, which is a Python one (notifiers.cpp, python_notifier)
// when a test replaced the functions they go through (watchbot_progress.main.create_job decides).
#include <cstdint>
#include <memory>
#include <string>

#include "bindings.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace wp_py {

namespace {

namespace wp = watchbot_progress;
using namespace pybind11::literals;

// Both sources are used with the GIL released and take it for each part.
class SequenceSource final : public wp::PartSource {
public:
    explicit SequenceSource(py::sequence parts) : parts_(std::move(parts)) {}
    bool next(nlohmann::json& part) override {
        py::gil_scoped_acquire gil;
        return call_python([&] {
            if (index_ >= static_cast<std::size_t>(py::len(parts_))) return false;
            part = to_json(parts_[index_++]);
            return true;
        });
    }
    bool rewind() override {
        index_ = 0;
        return true;
    }

private:
    py::sequence parts_;
    std::size_t index_ = 0;
};

class IteratorSource final : public wp::PartSource {
public:
    explicit IteratorSource(py::iterator parts) : parts_(std::move(parts)) {}
    bool next(nlohmann::json& part) override {
        py::gil_scoped_acquire gil;
        return call_python([&] {
            PyObject* item = PyIter_Next(parts_.ptr());
            if (item == nullptr) {
                if (PyErr_Occurred()) throw py::error_already_set();  // the generator raised
                return false;
            }
            part = to_json(py::reinterpret_steal<py::object>(item));
            return true;
        });
    }

private:
    py::iterator parts_;
};

std::string create_job(py::object parts, std::shared_ptr<wp::Backend> backend, std::shared_ptr<wp::Notifier> notifier,
                       const std::string& jobid, std::int64_t workers, const nlohmann::json& metadata, bool overwrite) {
    if (workers < 1 || workers > 1024) {
        throw wp::InvalidInput("workers must be from 1 to 1024, not " + std::to_string(workers));
    }
    if (PyDict_Check(parts.ptr()) || PyUnicode_Check(parts.ptr()) || PyBytes_Check(parts.ptr())) {
        throw wp::InvalidInput("parts must be a list (or any iterable) of dicts, not a " +
                               py::str(py::type::handle_of(parts).attr("__name__")).cast<std::string>());
    }
    std::unique_ptr<wp::PartSource> source;
    if (PyList_Check(parts.ptr()) || PyTuple_Check(parts.ptr())) {
        source = std::make_unique<SequenceSource>(py::reinterpret_borrow<py::sequence>(parts));
    } else {
        source = std::make_unique<IteratorSource>(py::iter(parts));  // TypeError when not iterable
    }
    wp::CreateJobOptions options;
    options.backend = std::move(backend);
    options.notifier = std::move(notifier);
    options.jobid = jobid;
    options.workers = static_cast<std::size_t>(workers);
    options.metadata = metadata;
    options.overwrite = overwrite;
    std::string id;
    {
        py::gil_scoped_release unlocked;
        id = wp::create_job(*source, options);
    }
    return id;
}

}  // namespace

void register_create_job(py::module_& m) {
    m.def("create_job", &create_job, "parts"_a, "backend"_a, "notifier"_a.none(true), "jobid"_a, "workers"_a,
          "metadata"_a, "overwrite"_a = false);
    m.def("new_jobid", &wp::new_jobid);
}

}  // namespace wp_py
