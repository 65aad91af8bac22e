#pragma once
// The schema version table every SQLite file of this library holds: wp_schema_versions, one row per
// component ("jobs" for the SQLite backend, "queue" for the local queue), so that the backend and
// the queue can share a file and each upgrade its own tables. Not thread-safe: call it inside a
// Database's init (its write transaction), on the connection init is given.

#include <cstdint>
#include <string>

#include "sqlite/sqlite_connection.hpp"

namespace watchbot_progress::detail::sqlite {

// One component's tables and the version this library writes of them.
struct SchemaComponent {
    const char* name;         // its row in wp_schema_versions: "jobs", "queue"
    const char* description;  // for messages: "jobs", "a queue" ("... holds jobs in schema version 4")
    int version;              // the version `tables` creates (>= 1)
    const char* tables;       // CREATE ... IF NOT EXISTS statements of the current version
};

// Creates wp_schema_versions and the component's tables where missing, records a new component at
// its version, and returns the version the file records for it: component.version for a new or
// current file, less for a file of an older version (the caller upgrades it, in the same
// transaction). Throws ConfigError when the file holds a newer version than this library knows.
std::int64_t init_component_schema(Connection& c, const SchemaComponent& component);

}  // namespace watchbot_progress::detail::sqlite
