#pragma once
// The extension module watchbot_progress._core: what each source file registers, and helpers they
// share. The Python package (python/watchbot_progress) builds the Python tool's API on top of it.
//
// GIL: every bound call that may reach a network, a file or another thread's lock runs with the GIL
// released (py::call_guard<py::gil_scoped_release>), so Python threads run guards in parallel; code
// that calls back into Python (a Python backend, on_reduce, a parts iterable) takes the GIL again.

#include <memory>
#include <stdexcept>
#include <utility>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "json_convert.hpp"

namespace wp_py {

namespace py = pybind11;

using release_gil = py::call_guard<py::gil_scoped_release>;

void register_errors(py::module_& m);
void register_backends(py::module_& m);
void register_python_backend(py::module_& m);
void register_notifiers(py::module_& m);
void register_part(py::module_& m);
void register_create_job(py::module_& m);

// Holds a Python object for C++ code that may copy or drop it without the GIL (std::function
// captures, backends shared with other threads): the reference is released with the GIL taken.
// Make it with the GIL held.
std::shared_ptr<py::object> hold(py::object object);

// A Python exception (raised by a custom backend, a parts iterable, a publishing function) on its
// way through C++ code. what() is one line, "TypeName: message" without pybind11's traceback, for
// the C++ code that prints or quotes it; when it reaches Python again, errors.cpp's translator
// restores the exception itself (the same object, its traceback), so the caller sees what was
// raised. Make it with the GIL held; it may be copied and dropped without the GIL.
class PythonException : public std::runtime_error {
public:
    explicit PythonException(py::error_already_set& error);
    // With the GIL held: makes the original exception the pending Python error.
    void restore() const;

private:
    std::shared_ptr<py::object> type_;
    std::shared_ptr<py::object> value_;
    std::shared_ptr<py::object> traceback_;
};

// Calls f() (which calls into Python; the GIL held), turning a Python exception into PythonException.
template <class F>
decltype(auto) call_python(F&& f) {
    try {
        return std::forward<F>(f)();
    } catch (py::error_already_set& e) {
        throw PythonException(e);
    }
}

}  // namespace wp_py
