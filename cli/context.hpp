#pragma once
// What every subcommand shares: the database and topic selection and the exit code.
//
// Subcommands register with `void setup_xxx(CLI::App& app, Context& ctx)` (declared in commands.hpp,
// listed in main.cpp). The setup function adds the subcommand and its options, and sets a callback
// that calls the subcommand's run function with its parsed options and the context. Run functions
// report errors by throwing (the library's exceptions, or ExitError); main() maps them to exit codes.

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "watchbot_progress/backend.hpp"
#include "watchbot_progress/notifier.hpp"

namespace wpcli {

struct Context {
    // -d/--database; empty: the ProgressTable environment variable.
    std::string database;
    bool database_given = false;
    // --dynamodb-layout (commands that create jobs); empty: the library's default
    // (WATCHBOT_PROGRESS_DYNAMODB_LAYOUT, else sharded).
    std::string dynamodb_layout;
    // Set when a backend was opened: where it points (no credentials), for error messages.
    std::string backend_description;
    // The exit code when the subcommand returns normally (e.g. watch sets kExitJobFailed).
    int exit_code = 0;

    // Opens the selected backend. A bad -d value: InvalidInput (exit 2) naming the accepted forms;
    // ProgressTable unset or bad: ConfigError (exit 4). With dynamodb_layout set, the database must
    // be a DynamoDB table (else InvalidInput, exit 2) and new jobs get that layout.
    std::shared_ptr<watchbot_progress::Backend> open_backend();

    // Opens a notifier: `topic` when non-empty (bad value: InvalidInput), else the WorkTopic
    // environment variable (unset or bad: ConfigError).
    std::shared_ptr<watchbot_progress::Notifier> open_notifier(const std::string& topic);
};

// Adds -d/--database to a subcommand, stored in ctx.database.
CLI::Option* add_database_option(CLI::App& sub, Context& ctx);

// Adds --dynamodb-layout (sharded, compatible, auto) to a subcommand that creates jobs, stored in
// ctx.dynamodb_layout.
CLI::Option* add_dynamodb_layout_option(CLI::App& sub, Context& ctx);

// Adds the JOBID positional (required).
CLI::Option* add_jobid_argument(CLI::App& sub, std::string& jobid);

// A check for integer options: CLI11 turns a number too large for the type into the type's limit
// without a word; this refuses it instead (a usage error saying it is out of range).
CLI::Validator integer_in_range();

// A part id option value check: a non-negative integer. Throws InvalidInput naming the option.
void check_part_id(long long partid, const char* option);

}  // namespace wpcli
