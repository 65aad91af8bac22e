// PYBIND11_MODULE for watchbot_progress._core: the C++ library as the Python package sees it.
#include <string>

#include "bindings.hpp"
#include "watchbot_progress/version.hpp"

namespace wp_py {

std::shared_ptr<py::object> hold(py::object object) {
    return std::shared_ptr<py::object>(new py::object(std::move(object)), [](py::object* p) {
        py::gil_scoped_acquire gil;
        delete p;
    });
}

namespace {

// "TypeName: message" on one line (runs of whitespace, newlines included, become one space).
std::string one_line(py::error_already_set& error) {
    std::string text;
    try {
        text = py::str(error.type().attr("__name__")).cast<std::string>();
        const std::string message = py::str(error.value()).cast<std::string>();
        if (!message.empty()) text += ": " + message;
    } catch (const py::error_already_set&) {  // a broken __str__: the type alone
        PyErr_Clear();
        if (text.empty()) text = "a Python exception";
    }
    std::string out;
    bool space = false;
    for (const char c : text) {
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
            space = !out.empty();
            continue;
        }
        if (space) out += ' ';
        space = false;
        out += c;
    }
    return out;
}

}  // namespace

PythonException::PythonException(py::error_already_set& error)
    : std::runtime_error(one_line(error)),
      type_(hold(error.type())),
      value_(hold(error.value())),
      traceback_(hold(error.trace())) {}

void PythonException::restore() const {
    PyErr_Restore(type_->inc_ref().ptr(), value_->inc_ref().ptr(),
                  traceback_->is_none() ? nullptr : traceback_->inc_ref().ptr());
}

}  // namespace wp_py

PYBIND11_MODULE(_core, m) {
    m.doc() = "watchbot-progress for C++, bound for Python (internal: use the watchbot_progress package)";
    m.attr("library_version") = watchbot_progress::version();
    wp_py::register_errors(m);
    wp_py::register_backends(m);
    wp_py::register_python_backend(m);
    wp_py::register_notifiers(m);
    wp_py::register_part(m);
    wp_py::register_create_job(m);
}
