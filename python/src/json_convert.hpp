#pragma once
// Python objects <-> nlohmann::json, and the pybind11 casters that use them, so that bound functions
// take and return JSON values (parts, metadata) as plain Python dicts, lists, strings and numbers.
//
// Python -> JSON follows json.dumps: dict (keys str, or int/float/bool/None turned into strings as
// json.dumps does), list and tuple, str, int (64 bits at most), float (finite only, as
// json.dumps(allow_nan=False)), bool, None; decimal.Decimal (what boto3 gives for DynamoDB numbers)
// as an int when integral, else a float. Anything else: TypeError naming the type, as json.dumps.
// Both directions need the GIL.

#include <pybind11/pybind11.h>

#include <nlohmann/json.hpp>

#include "watchbot_progress/backend.hpp"

namespace wp_py {

namespace py = pybind11;

nlohmann::json to_json(py::handle value);
py::object from_json(const nlohmann::json& value);

// A job's status as a dict: {"jobid", "total", "remaining", "progress", "failed", "reason",
// "metadata", "reduce_sent"}; the Python backends shape it into the Python tool's dicts.
py::dict status_to_dict(const watchbot_progress::JobStatus& status);

}  // namespace wp_py

namespace pybind11::detail {

template <>
struct type_caster<nlohmann::json> {
    PYBIND11_TYPE_CASTER(nlohmann::json, const_name("object"));

    bool load(handle src, bool /*convert*/) {
        value = wp_py::to_json(src);
        return true;
    }
    static handle cast(const nlohmann::json& src, return_value_policy /*policy*/, handle /*parent*/) {
        return wp_py::from_json(src).release();
    }
};

template <>
struct type_caster<watchbot_progress::JobStatus> {
    PYBIND11_TYPE_CASTER(watchbot_progress::JobStatus, const_name("dict"));

    bool load(handle, bool) { return false; }  // statuses only go from C++ to Python
    static handle cast(const watchbot_progress::JobStatus& src, return_value_policy /*policy*/, handle /*parent*/) {
        return wp_py::status_to_dict(src).release();
    }
};

}  // namespace pybind11::detail
