#include "test_paths.hpp"

namespace wp_test {

const std::string& source_dir() {
    static const std::string path = WP_SOURCE_DIR;
    return path;
}

const std::string& test_data_dir() {
    static const std::string path = WP_TEST_DATA_DIR;
    return path;
}

const std::string& cli_path() {
    static const std::string path = WP_CLI_PATH;
    return path;
}

const std::string& crash_worker_path() {
#ifdef WP_CRASH_WORKER_PATH
    static const std::string path = WP_CRASH_WORKER_PATH;
#else
    static const std::string path;
#endif
    return path;
}

const std::string& wordcount_worker_path() {
#ifdef WP_EXAMPLE_WORDCOUNT_PATH
    static const std::string path = WP_EXAMPLE_WORDCOUNT_PATH;
#else
    static const std::string path;
#endif
    return path;
}

}  // namespace wp_test
