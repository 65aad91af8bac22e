// The library's exceptions as the Python classes of watchbot_progress.errors (one place).
#include <exception>
#include <string>

#include "bindings.hpp"
#include "watchbot_progress/errors.hpp"

namespace wp_py {

namespace {

namespace wp = watchbot_progress;

// Raises errors.<name>(message) with the given attributes set on the instance.
void raise(const char* name, const char* message, const py::dict& attributes = py::dict()) {
    const py::object errors = py::module_::import("watchbot_progress.errors");
    const py::object type = errors.attr(name);
    py::object instance = type(message);
    for (const auto& [key, value] : attributes) py::setattr(instance, key, value);
    PyErr_SetObject(type.ptr(), instance.ptr());
}

void translate(std::exception_ptr error) {
    try {
        if (error) std::rethrow_exception(error);
    } catch (const wp::JobDoesNotExist& e) {
        raise("JobDoesNotExist", e.what(), py::dict(py::arg("jobid") = e.jobid()));
    } catch (const wp::JobFailed& e) {
        raise("JobFailed", e.what(), py::dict(py::arg("jobid") = e.jobid(), py::arg("reason") = e.reason()));
    } catch (const wp::ReducePending& e) {
        raise("ReducePending", e.what(),
              py::dict(py::arg("code") = e.code(), py::arg("retryable") = e.retryable(), py::arg("jobid") = e.jobid(),
                       py::arg("retry_after") = static_cast<double>(e.retry_after_ms()) / 1000.0));
    } catch (const wp::PublishError& e) {
        raise("PublishError", e.what(),
              py::dict(py::arg("code") = e.code(), py::arg("retryable") = e.retryable(),
                       py::arg("failed_indexes") = py::cast(e.failed_indexes())));
    } catch (const wp::BackendError& e) {
        raise("BackendError", e.what(), py::dict(py::arg("code") = e.code(), py::arg("retryable") = e.retryable()));
    } catch (const wp::InvalidInput& e) {
        raise("InvalidInput", e.what());
    } catch (const wp::ConfigError& e) {
        raise("ConfigError", e.what());
    } catch (const wp::Error& e) {
        raise("WatchbotProgressError", e.what());
    }
    // Anything else goes on to pybind11's own translators.
}

}  // namespace

void register_errors(py::module_& /*m*/) { py::register_exception_translator(&translate); }

}  // namespace wp_py
