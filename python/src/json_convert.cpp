#include "json_convert.hpp"

#include <cmath>
#include <string>

namespace wp_py {

namespace {

// Deeper than this is almost surely a container that holds itself (json.dumps: "Circular reference
// detected"); stopping here also keeps the C++ stack bounded.
constexpr int kMaxDepth = 500;

std::string type_name(py::handle value) { return py::str(py::type::handle_of(value).attr("__name__")); }

std::string utf8(py::handle text) {
    Py_ssize_t size = 0;
    const char* data = PyUnicode_AsUTF8AndSize(text.ptr(), &size);
    if (data == nullptr) throw py::error_already_set();  // e.g. a lone surrogate: UnicodeEncodeError
    return std::string(data, static_cast<std::size_t>(size));
}

bool is_decimal(py::handle value) {
    const py::handle type = py::type::handle_of(value);
    return py::str(type.attr("__module__")).cast<std::string>() == "decimal" &&
           py::str(type.attr("__name__")).cast<std::string>() == "Decimal";
}

nlohmann::json integer_to_json(py::handle value) {
    int overflow = 0;
    const long long n = PyLong_AsLongLongAndOverflow(value.ptr(), &overflow);
    if (overflow == 0) {
        if (n == -1 && PyErr_Occurred()) throw py::error_already_set();
        return static_cast<std::int64_t>(n);
    }
    if (overflow > 0) {
        const unsigned long long u = PyLong_AsUnsignedLongLong(value.ptr());
        if (!(u == static_cast<unsigned long long>(-1) && PyErr_Occurred())) return static_cast<std::uint64_t>(u);
        PyErr_Clear();
    }
    throw py::value_error("the integer " + py::str(value).cast<std::string>().substr(0, 40) +
                          " does not fit in 64 bits: JSON numbers here are at most 64-bit integers; pass it as a "
                          "string");
}

nlohmann::json float_to_json(double d) {
    if (!std::isfinite(d)) {
        throw py::value_error("the float " + std::string(std::isnan(d) ? "nan" : "inf") +
                              " is not valid JSON (json.dumps(allow_nan=False) refuses it too): pass it as a string "
                              "or None");
    }
    return d;
}

// A dict key as json.dumps writes it.
std::string key_to_string(py::handle key) {
    if (PyUnicode_Check(key.ptr())) return utf8(key);
    if (key.is_none()) return "null";
    if (PyBool_Check(key.ptr())) return key.ptr() == Py_True ? "true" : "false";
    if (PyLong_Check(key.ptr())) return py::str(key);
    if (PyFloat_Check(key.ptr())) return float_to_json(PyFloat_AsDouble(key.ptr())).dump();
    throw py::type_error("keys must be str, int, float, bool or None, not " + type_name(key));
}

nlohmann::json convert(py::handle value, int depth) {
    if (depth > kMaxDepth) {
        throw py::value_error("the value is nested more than " + std::to_string(kMaxDepth) +
                              " levels deep (or holds itself): JSON cannot represent it");
    }
    PyObject* p = value.ptr();
    if (p == Py_None) return nullptr;
    if (PyBool_Check(p)) return p == Py_True;
    if (PyLong_Check(p)) return integer_to_json(value);
    if (PyFloat_Check(p)) return float_to_json(PyFloat_AS_DOUBLE(p));
    if (PyUnicode_Check(p)) return utf8(value);
    if (PyDict_Check(p)) {
        nlohmann::json out = nlohmann::json::object();
        PyObject* key = nullptr;
        PyObject* item = nullptr;
        Py_ssize_t pos = 0;
        while (PyDict_Next(p, &pos, &key, &item)) {
            out[key_to_string(key)] = convert(item, depth + 1);
        }
        return out;
    }
    if (PyList_Check(p) || PyTuple_Check(p)) {
        nlohmann::json out = nlohmann::json::array();
        const py::sequence seq = py::reinterpret_borrow<py::sequence>(value);
        for (py::handle item : seq) out.push_back(convert(item, depth + 1));
        return out;
    }
    if (is_decimal(value)) {
        const py::object integral = value.attr("to_integral_value")();
        const py::object number = py::reinterpret_borrow<py::object>(value);
        if (integral.equal(number)) return integer_to_json(py::int_(number));
        return float_to_json(py::float_(number).cast<double>());
    }
    throw py::type_error("Object of type " + type_name(value) + " is not JSON serializable");
}

py::str text(const std::string& s) {
    PyObject* out = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "replace");
    if (out == nullptr) throw py::error_already_set();
    return py::reinterpret_steal<py::str>(out);
}

}  // namespace

nlohmann::json to_json(py::handle value) { return convert(value, 0); }

py::object from_json(const nlohmann::json& value) {
    switch (value.type()) {
        case nlohmann::json::value_t::null:
        case nlohmann::json::value_t::discarded:
            return py::none();
        case nlohmann::json::value_t::boolean:
            return py::bool_(value.get<bool>());
        case nlohmann::json::value_t::number_integer:
            return py::int_(value.get<std::int64_t>());
        case nlohmann::json::value_t::number_unsigned:
            return py::int_(value.get<std::uint64_t>());
        case nlohmann::json::value_t::number_float:
            return py::float_(value.get<double>());
        case nlohmann::json::value_t::string:
            return text(value.get_ref<const std::string&>());
        case nlohmann::json::value_t::array: {
            py::list out;
            for (const auto& item : value) out.append(from_json(item));
            return out;
        }
        case nlohmann::json::value_t::object: {
            py::dict out;
            for (const auto& [key, item] : value.items()) out[text(key)] = from_json(item);
            return out;
        }
        case nlohmann::json::value_t::binary:
            break;
    }
    return py::none();
}

py::dict status_to_dict(const watchbot_progress::JobStatus& status) {
    py::dict out;
    out["jobid"] = text(status.jobid);
    out["total"] = status.total;
    out["remaining"] = status.remaining;
    out["progress"] = status.total > 0 ? static_cast<double>(status.total - status.remaining) /
                                             static_cast<double>(status.total)
                                       : status.progress;
    out["failed"] = status.failed;
    out["reason"] = status.reason ? py::object(text(*status.reason)) : py::object(py::none());
    out["metadata"] = from_json(status.metadata.is_object() ? status.metadata : nlohmann::json::object());
    out["reduce_sent"] = status.reduce_sent;
    return out;
}

}  // namespace wp_py
