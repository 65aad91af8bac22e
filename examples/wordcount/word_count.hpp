#pragma once
// Word frequencies: the example's actual work, independent of the job plumbing.
// A word is a maximal run of ASCII letters and apostrophes inside letters, lower-cased.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace wordcount {

using Counts = std::map<std::string, std::uint64_t>;

// Counts the words of one file. Throws std::runtime_error when it cannot be read.
Counts count_file(const std::filesystem::path& file);

// Adds `more` into `total`.
void merge(Counts& total, const Counts& more);

nlohmann::json to_json(const Counts& counts);
Counts from_json(const nlohmann::json& object);

}  // namespace wordcount
