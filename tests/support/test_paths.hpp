#pragma once
// Where the tests find the build's programs and the source tree's data. Only test_paths.cpp is
// compiled with these absolute paths, so that every other test file compiles to the same object in
// any checkout (a compiler cache shares it between clones).

#include <string>

namespace wp_test {

// The source tree's root (the interop scripts, the wordcount example's data).
const std::string& source_dir();
// tests/data in the source tree (signing vectors).
const std::string& test_data_dir();
// The command-line tool built with the tests.
const std::string& cli_path();
// The crash matrix's worker program (tests/crash/worker).
const std::string& crash_worker_path();
// The wordcount example's worker; empty when examples are not built (WP_BUILD_EXAMPLES=OFF).
const std::string& wordcount_worker_path();

}  // namespace wp_test
