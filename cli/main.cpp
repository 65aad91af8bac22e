// watchbot-progress-cpp: inspect and edit watchbot-progress jobs. Exception -> exit code mapping
// happens here only.
#include <CLI/CLI.hpp>
#include <iostream>

#include "watchbot_progress/watchbot_progress.hpp"

int main(int argc, char** argv) {
    CLI::App app{"watchbot-progress-cpp: inspect and edit watchbot-progress jobs"};
    app.set_version_flag("--version", std::string("watchbot-progress-cpp ") + watchbot_progress::version());
    app.require_subcommand(0);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    std::cout << app.help();
    return 0;
}
