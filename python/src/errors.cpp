// The library's exceptions as the Python classes of watchbot_progress.errors (one place).
#include <exception>
#include <string>
#include <string_view>
#include <utility>

#include "bindings.hpp"
#include "watchbot_progress/errors.hpp"

namespace wp_py {

namespace {

namespace wp = watchbot_progress;
using namespace pybind11::literals;

// Advice the C++ library writes for C++ callers (an options struct's member) -> what a Python user
// sets instead: the constructor argument or environment variable. Each `from` is a phrase of a
// library message; python/tests/test_values.py and test_backend_methods.py check the ones raised.
constexpr std::pair<std::string_view, std::string_view> kPythonTerms[] = {
    {"or pass DynamoDbOptions::table", "or pass DynamoProgress(table_arn='arn:aws:dynamodb:...')"},
    {"or pass SnsOptions::topic_arn",
     "or pass topic_arn='arn:aws:sns:...' to the backend (DynamoProgress, RedisProgress, NativeProgress)"},
    {"set WorkTopic or pass one in the options",
     "set WorkTopic or pass topic_arn='arn:aws:sns:...' to the backend (DynamoProgress, RedisProgress, "
     "NativeProgress)"},
    {"set ProgressTable or pass one in the options",
     "set ProgressTable or pass DynamoProgress(table_arn='arn:aws:dynamodb:...')"},
    {"(the default; DynamoDbOptions::layout kSharded)",
     "(the default: WATCHBOT_PROGRESS_DYNAMODB_LAYOUT unset or 'sharded')"},
    {"give it as redis://:PASSWORD@host or RedisOptions::password",
     "give it as RedisProgress(password=...) or in the URI, redis://:PASSWORD@host"},
    {"(a program linking the library may also raise RedisOptions::connect_timeout, command_timeout or "
     "reconnect_attempts)",
     "(RedisProgress's socket_connect_timeout and socket_timeout, in seconds)"},
    {", RedisTlsOptions::cert_file)", ")"},
    {" (RedisTlsOptions::ca_file)", ""},
};

std::string python_terms(std::string message) {
    for (const auto& [from, to] : kPythonTerms) {
        for (std::size_t at = message.find(from); at != std::string::npos; at = message.find(from, at + to.size())) {
            message.replace(at, from.size(), to);
        }
    }
    return message;
}

// The message on one line: a line break (with the spaces around it) becomes one space. Library
// messages are one line already; a service's answer quoted in one may not be.
std::string one_line(std::string message) {
    if (message.find_first_of("\r\n") == std::string::npos) return message;
    std::string out;
    out.reserve(message.size());
    bool pending_space = false;
    for (std::size_t i = 0; i < message.size(); ++i) {
        const char c = message[i];
        if (c == '\r' || c == '\n') {
            while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
            pending_space = !out.empty();
            while (i + 1 < message.size() && (message[i + 1] == ' ' || message[i + 1] == '\t' ||
                                              message[i + 1] == '\r' || message[i + 1] == '\n')) {
                ++i;
            }
            continue;
        }
        if (pending_space) out += ' ';
        pending_space = false;
        out += c;
    }
    return out;
}

// Raises errors.<name>(message) with the given attributes set on the instance.
// The message is put in Python terms (python_terms) and on one line (one_line) first.
void raise(const char* name, const std::string& message, const py::dict& attributes = py::dict()) {
    const py::object errors = py::module_::import("watchbot_progress.errors");
    const py::object type = errors.attr(name);
    py::object instance = type(one_line(python_terms(message)));
    for (const auto& [key, value] : attributes) py::setattr(instance, key, value);
    PyErr_SetObject(type.ptr(), instance.ptr());
}

void translate(std::exception_ptr error) {
    try {
        if (error) std::rethrow_exception(error);
    } catch (const PythonException& e) {
        e.restore();  // a Python exception that went through C++ code: raised again as it was
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
    } catch (const wp::JobAlreadyExists& e) {
        // The library's message says "overwrite it on purpose", which a Python user does with overwrite=True.
        raise("InvalidInput",
              "job '" + e.jobid() + "' already exists: choose another job id, or pass overwrite=True "
              "(create_job(..., overwrite=True) or set_total(..., overwrite=True)) to replace it on purpose",
              py::dict(py::arg("jobid") = e.jobid()));
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

void register_errors(py::module_& m) {
    py::register_exception_translator(&translate);
    m.def("_python_terms", &python_terms, "message"_a,
          "A library message with its C++ advice put in Python terms (what every raised error gets)");
    m.def("_one_line", &one_line, "message"_a, "A message on one line (what every raised error gets)");
}

}  // namespace wp_py
