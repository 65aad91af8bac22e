// _core.Backend: the library's backends (DynamoDB, Redis, SQLite, memory) as one opaque Python type,
// with the Backend methods the Python package's progress classes call. Every call releases the GIL.
#include <atomic>
#include <chrono>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "core/counting_backend.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace wp_py {

namespace {

namespace wp = watchbot_progress;
using namespace pybind11::literals;

// Seconds given as a Python float -> milliseconds; InvalidInput for negative or non-finite values.
std::chrono::milliseconds seconds_option(const char* name, double seconds) {
    if (!std::isfinite(seconds) || seconds < 0 || seconds > 86'400.0 * 365) {
        throw wp::InvalidInput(std::string(name) + " must be a number of seconds from 0 to one year, not " +
                               std::to_string(seconds));
    }
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(seconds * 1000.0)));
}

#if WP_WITH_REDIS
std::shared_ptr<wp::Backend> redis_backend(const std::string& host, int port, int db,
                                           const std::optional<std::string>& username,
                                           const std::optional<std::string>& password, bool delete_when_done,
                                           std::optional<double> connect_timeout, std::optional<double> command_timeout,
                                           std::optional<int> pool_size) {
    if (host.empty()) throw wp::InvalidInput("the Redis host is empty: give a host name or address, e.g. 'localhost'");
    if (port < 1 || port > 65535) {
        throw wp::InvalidInput("the Redis port must be from 1 to 65535, not " + std::to_string(port));
    }
    if (db < 0) throw wp::InvalidInput("the Redis db must be a number from 0, not " + std::to_string(db));
    wp::RedisOptions options;
    options.host = host;
    options.port = port;
    options.db = db;
    options.username = username;
    options.password = password;
    options.delete_when_done = delete_when_done;
    if (connect_timeout) options.connect_timeout = seconds_option("socket_connect_timeout", *connect_timeout);
    if (command_timeout) options.command_timeout = seconds_option("socket_timeout", *command_timeout);
    if (pool_size) {
        if (*pool_size < 1) throw wp::InvalidInput("max_connections must be at least 1, not " + std::to_string(*pool_size));
        options.pool_size = static_cast<std::size_t>(*pool_size);
    }
    return std::make_shared<wp::RedisBackend>(std::move(options));
}
#endif

#if WP_WITH_AWS
std::shared_ptr<wp::Backend> dynamodb_backend(const std::string& table) {
    wp::DynamoDbOptions options;
    options.table = table;  // empty: the ProgressTable environment variable
    return std::make_shared<wp::DynamoDbBackend>(std::move(options));
}
#endif

py::dict stats_dict(const wp::Backend& backend) {
    const wp::BackendStats stats = backend.stats();
    py::dict out("requests"_a = stats.requests, "bytes_sent"_a = stats.bytes_sent,
                 "bytes_received"_a = stats.bytes_received);
    if (const auto* counting = dynamic_cast<const wp::detail::CountingBackend*>(&backend)) out["calls"] = counting->calls.load();
    return out;
}

}  // namespace

void register_backends(py::module_& m) {
    py::class_<wp::Backend, std::shared_ptr<wp::Backend>>(m, "Backend",
                                                           "A backend of the C++ library (see backend.hpp)")
        .def("set_total",
             [](wp::Backend& b, const std::string& jobid, std::int64_t total, bool overwrite) {
                 b.set_total(jobid, total, overwrite);
             },
             "jobid"_a, "total"_a, "overwrite"_a = false, release_gil())
        .def("set_metadata", &wp::Backend::set_metadata, "jobid"_a, "metadata"_a, release_gil())
        .def("check_metadata", &wp::Backend::check_metadata, "metadata"_a, release_gil())
        .def("complete_part", &wp::Backend::complete_part, "jobid"_a, "partid"_a, release_gil())
        .def("fail_job", &wp::Backend::fail_job, "jobid"_a, "reason"_a, release_gil())
        .def("status", &wp::Backend::status, "jobid"_a, release_gil())
        .def("part_complete", &wp::Backend::part_complete, "jobid"_a, "partid"_a, release_gil())
        .def("list_pending_parts", &wp::Backend::list_pending_parts, "jobid"_a, release_gil())
        .def("list_jobs",
             [](wp::Backend& b) {
                 std::vector<wp::JobStatus> jobs;
                 b.list_jobs([&](const wp::JobStatus& status) { jobs.push_back(status); });
                 return jobs;
             },
             release_gil())
        .def("delete_job", &wp::Backend::delete_job, "jobid"_a, release_gil())
        .def("describe", &wp::Backend::describe)
        .def("stats", &stats_dict)
        .def("__repr__", [](const wp::Backend& b) { return "<watchbot_progress._core.Backend " + b.describe() + ">"; });

    m.def("open_backend", static_cast<std::shared_ptr<wp::Backend> (*)(std::string_view)>(&wp::open_backend), "uri"_a,
          release_gil(),
          "A backend from a URI: a DynamoDB table ARN, redis://, sqlite:///path, memory://name");
    m.def("sqlite_path",
          [](const std::string& uri) -> std::optional<std::string> {
#if WP_WITH_SQLITE
              if (uri.rfind("sqlite://", 0) != 0) return std::nullopt;
              return wp::parse_sqlite_uri(uri).path;
#else
              (void)uri;
              return std::nullopt;
#endif
          },
          "uri"_a,
          "The file a sqlite:// URI names, as SQLite opens it (relative to the current directory when "
          "relative); None for another scheme (or a build without SQLite). InvalidInput for a malformed one.");
#if WP_WITH_REDIS
    m.def("redis_backend", &redis_backend, "host"_a, "port"_a, "db"_a, "username"_a, "password"_a,
          "delete_when_done"_a, "connect_timeout"_a, "command_timeout"_a, "pool_size"_a,
          release_gil());  // as the other backends' constructors (this one connects on first use)
#endif
#if WP_WITH_AWS
    m.def("dynamodb_backend", &dynamodb_backend, "table"_a, release_gil());
#endif
    m.def("counting_backend",
          [](std::shared_ptr<wp::Backend> target) -> std::shared_ptr<wp::Backend> {
              return std::make_shared<wp::detail::CountingBackend>(std::move(target));
          },
          "target"_a);
    m.attr("with_redis") = static_cast<bool>(WP_WITH_REDIS);
    m.attr("with_aws") = static_cast<bool>(WP_WITH_AWS);
    m.attr("with_sqlite") = static_cast<bool>(WP_WITH_SQLITE);
}

}  // namespace wp_py
