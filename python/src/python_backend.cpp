// A backend written in Python (a subclass of watchbot_progress.backends.base.WatchbotProgressBase),
// driven by the C++ guard and create_job.
//
// The C++ side calls a *driver* (watchbot_progress/backends/_driver.py), whose methods mirror the
// C++ Backend methods one for one with plain values (bool, int, str, a normalised status dict); the
// driver turns each into the calls of the Python tool's interface (set_total(jobid, parts),
// status(jobid) -> its dict, ...). So a change of the C++ Backend interface is one method here and
// one in the driver. Every method takes the GIL for the call. A Python exception goes through the
// C++ code as a PythonException (bindings.hpp), whose what() is one line ("ValueError: boom") for
// whatever the C++ code prints or quotes, and reaches the Python caller as it was raised.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bindings.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace wp_py {

namespace {

namespace wp = watchbot_progress;
using namespace pybind11::literals;

// The normalised status dict of the driver -> JobStatus.
wp::JobStatus status_from_dict(const py::handle& value) {
    const py::dict d = py::reinterpret_borrow<py::dict>(value);
    wp::JobStatus status;
    status.jobid = d["jobid"].cast<std::string>();
    status.total = d["total"].cast<std::int64_t>();
    status.remaining = d["remaining"].cast<std::int64_t>();
    status.progress = d["progress"].cast<double>();
    status.failed = d["failed"].cast<bool>();
    if (!d["reason"].is_none()) status.reason = d["reason"].cast<std::string>();
    status.metadata = to_json(d["metadata"]);
    status.reduce_sent = d["reduce_sent"].cast<bool>();
    return status;
}

class PythonBackend final : public wp::Backend {
public:
    // With the GIL held.
    explicit PythonBackend(py::object driver) : driver_(hold(std::move(driver))) {
        description_ = driver_->attr("describe")().cast<std::string>();
    }

    std::string describe() const override { return description_; }

protected:
    void do_set_total(const std::string& jobid, std::int64_t total, bool overwrite) override {
        py::gil_scoped_acquire gil;
        call("set_total", jobid, total, overwrite);
    }
    void do_set_metadata(const std::string& jobid, const nlohmann::json& metadata) override {
        py::gil_scoped_acquire gil;
        call("set_metadata", jobid, from_json(metadata));
    }
    bool do_complete_part(const std::string& jobid, wp::PartId partid) override {
        py::gil_scoped_acquire gil;
        return call("complete_part", jobid, partid).cast<bool>();
    }
    // The driver answers the winner's claim token (a str), or None.
    std::optional<wp::ClaimToken> do_claim_reduce(const std::string& jobid) override {
        py::gil_scoped_acquire gil;
        const py::object token = call("claim_reduce", jobid);
        if (token.is_none()) return std::nullopt;
        return token.cast<std::string>();
    }
    void do_release_reduce(const std::string& jobid, const wp::ClaimToken& token) override {
        py::gil_scoped_acquire gil;
        call("release_reduce", jobid, token);
    }
    bool do_confirm_reduce(const std::string& jobid, const wp::ClaimToken& token) override {
        py::gil_scoped_acquire gil;
        return call("confirm_reduce", jobid, token).cast<bool>();
    }
    void do_fail_job(const std::string& jobid, const std::string& reason) override {
        py::gil_scoped_acquire gil;
        call("fail_job", jobid, reason);
    }
    wp::JobStatus do_status(const std::string& jobid) override {
        py::gil_scoped_acquire gil;
        return status_from_dict(call("status", jobid));
    }
    bool do_part_complete(const std::string& jobid, wp::PartId partid) override {
        py::gil_scoped_acquire gil;
        return call("part_complete", jobid, partid).cast<bool>();
    }
    std::vector<wp::PartId> do_list_pending_parts(const std::string& jobid) override {
        py::gil_scoped_acquire gil;
        return call("list_pending_parts", jobid).cast<std::vector<wp::PartId>>();
    }
    void do_list_jobs(const std::function<void(const wp::JobStatus&)>& visit) override {
        py::gil_scoped_acquire gil;
        call_python([&] {  // the driver's list_jobs is a generator: it may raise as it is read
            for (const py::handle item : call("list_jobs")) {
                const wp::JobStatus status = status_from_dict(item);
                py::gil_scoped_release unlocked;  // the visitor is C++ and may take its own locks
                visit(status);
            }
        });
    }
    bool do_delete_job(const std::string& jobid) override {
        py::gil_scoped_acquire gil;
        return call("delete_job", jobid).cast<bool>();
    }
private:
    template <class... Args>
    py::object call(const char* method, Args&&... args) {
        return call_python([&] { return driver_->attr(method)(std::forward<Args>(args)...); });
    }

    std::shared_ptr<py::object> driver_;
    std::string description_;
};

}  // namespace

void register_python_backend(py::module_& m) {
    m.def(
        "python_backend",
        [](py::object driver) -> std::shared_ptr<wp::Backend> { return std::make_shared<PythonBackend>(std::move(driver)); },
        "driver"_a, "A C++ backend that calls a Python driver (watchbot_progress.backends._driver)");
}

}  // namespace wp_py
