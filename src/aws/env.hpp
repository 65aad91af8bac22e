#pragma once
// Environment lookup, injectable so tests never have to mutate the process environment.
//
// An EnvLookup returns the value of a variable, or std::nullopt when it is unset. Every function of
// the AWS layer that reads configuration takes an EnvLookup; production code passes process_env().

#include <functional>
#include <map>
#include <optional>
#include <string>

namespace watchbot_progress::aws {

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Reads the real process environment (std::getenv). Thread-safe as long as nobody calls setenv
// concurrently.
EnvLookup process_env();

// A fixed environment, for tests. The map is copied.
EnvLookup map_env(std::map<std::string, std::string> vars);

// The value of `name` when it is set and not empty, else std::nullopt.
std::optional<std::string> env_non_empty(const EnvLookup& env, const std::string& name);

// True when `name` is set to "true" (any case), as the AWS SDKs read boolean settings.
bool env_true(const EnvLookup& env, const std::string& name);

}  // namespace watchbot_progress::aws
