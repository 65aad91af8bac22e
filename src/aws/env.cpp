#include "aws/env.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <utility>

#include "core/ascii.hpp"

namespace watchbot_progress::aws {

EnvLookup process_env() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        if (value == nullptr) return std::nullopt;
        return std::string(value);
    };
}

EnvLookup map_env(std::map<std::string, std::string> vars) {
    auto shared = std::make_shared<const std::map<std::string, std::string>>(std::move(vars));
    return [shared](const std::string& name) -> std::optional<std::string> {
        auto it = shared->find(name);
        if (it == shared->end()) return std::nullopt;
        return it->second;
    };
}

std::optional<std::string> env_non_empty(const EnvLookup& env, const std::string& name) {
    if (!env) return std::nullopt;
    auto value = env(name);
    if (!value || value->empty()) return std::nullopt;
    return value;
}

bool env_true(const EnvLookup& env, const std::string& name) {
    auto value = env_non_empty(env, name);
    if (!value) return false;
    return watchbot_progress::detail::ascii_lower(*value) == "true";
}

}  // namespace watchbot_progress::aws
