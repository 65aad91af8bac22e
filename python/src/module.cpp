// PYBIND11_MODULE for watchbot_progress._core: the C++ library as the Python package sees it.
#include "bindings.hpp"
#include "watchbot_progress/version.hpp"

namespace wp_py {

std::shared_ptr<py::object> hold(py::object object) {
    return std::shared_ptr<py::object>(new py::object(std::move(object)), [](py::object* p) {
        py::gil_scoped_acquire gil;
        delete p;
    });
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
