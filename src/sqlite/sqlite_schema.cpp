#include "sqlite/sqlite_schema.hpp"

#include "watchbot_progress/errors.hpp"

namespace watchbot_progress::detail::sqlite {

std::int64_t init_component_schema(Connection& c, const SchemaComponent& component) {
    c.exec(R"sql(
CREATE TABLE IF NOT EXISTS wp_schema_versions (
    component TEXT PRIMARY KEY NOT NULL,
    version   INTEGER NOT NULL
);
)sql");
    c.exec(component.tables);
    c.statement("INSERT OR IGNORE INTO wp_schema_versions (component, version) VALUES (?1, ?2)")
        .bind(1, std::string(component.name))
        .bind(2, static_cast<std::int64_t>(component.version))
        .run();
    auto s = c.statement("SELECT version FROM wp_schema_versions WHERE component = ?1");
    s.bind(1, std::string(component.name));
    const std::int64_t version = s.step() ? s.int64(0) : 0;
    if (version > component.version) {
        throw ConfigError("SQLite database '" + c.path() + "' holds " + component.description + " in schema version " +
                          std::to_string(version) + ", newer than this library's version " +
                          std::to_string(component.version) + ": upgrade watchbot-progress or use another file");
    }
    return version;
}

}  // namespace watchbot_progress::detail::sqlite
