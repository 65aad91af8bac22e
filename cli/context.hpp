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

#include "exit_codes.hpp"
#include "watchbot_progress/backend.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/notifier.hpp"

namespace watchbot_progress {
class LocalQueue;
}

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

    // What a command does with a database that is not there yet.
    enum class Missing {
        kRefuse,  // commands that read or change existing jobs: a sqlite:// file that does not exist is
                 // an error (exit 1) and is not created (SQLite would create an empty database)
        kCreate,  // commands that create jobs (create, set-total): the file is created
    };

    // Opens the selected backend. A bad -d value: InvalidInput (exit 2) naming the accepted forms;
    // ProgressTable unset or bad: ConfigError (exit 4); with Missing::kRefuse, a sqlite:// file that
    // does not exist: ExitError(kExitJobFailed), nothing created. With dynamodb_layout set, the
    // database must be a DynamoDB table (else InvalidInput, exit 2) and new jobs get that layout.
    std::shared_ptr<watchbot_progress::Backend> open_backend(Missing missing = Missing::kRefuse);

    // Opens a notifier: `topic` when non-empty (bad value: InvalidInput), else the WorkTopic
    // environment variable (unset or bad: ConfigError). A memory:// topic lives only as long as this
    // command, so its messages would reach no worker: it is refused (InvalidInput for --topic,
    // ConfigError for WorkTopic) unless the selected database is a memory:// one too (then the whole job
    // lives in this process: a dry run that checks the input). Call it before open_backend when
    // both are needed, so that a refused topic leaves no database file behind.
    std::shared_ptr<watchbot_progress::Notifier> open_notifier(const std::string& topic);
};

// The local queue of run, send and dead-letters: `given` (--queue) when non-empty, else WorkTopic
// when it names a sqlite:// queue; ConfigError otherwise.
std::string local_queue_uri(const std::string& given);

// The local queue that `given` (or WorkTopic) names, for the commands that only read or work it (run,
// queue, dead-letters): a missing file is refused as missing_database says (nothing created), a
// malformed URI is InvalidInput starting "--queue: ". Only `send` (and a notifier) may create a queue.
// Built with WP_WITH_SQLITE only.
std::shared_ptr<watchbot_progress::LocalQueue> open_existing_local_queue(const std::string& given);

// The CLI's error for a sqlite:// database or queue that does not exist (the library's
// DatabaseDoesNotExist): exit kExitJobFailed, "SQLite database 'PATH' does not exist (nothing was
// created): <what_to_do>".
ExitError missing_database(const watchbot_progress::DatabaseDoesNotExist& e, const std::string& what_to_do);

// Adds -d/--database to a subcommand, stored in ctx.database.
CLI::Option* add_database_option(CLI::App& sub, Context& ctx);

// Adds --dynamodb-layout (sharded, compatible, auto) to a subcommand that creates jobs, stored in
// ctx.dynamodb_layout.
CLI::Option* add_dynamodb_layout_option(CLI::App& sub, Context& ctx);

// Adds the JOBID positional (required).
CLI::Option* add_jobid_argument(CLI::App& sub, std::string& jobid);

// The options of the commands that read a parts file and publish its map messages (create, resend):
// --format auto|array|lines and --workers N (batches published at once).
void add_parts_input_options(CLI::App& sub, std::string& format, std::size_t& workers);

// A check for integer options: refuses what is not a whole number ("--part: 'abc' is not a whole
// number: expected a part id, 0 or more") instead of CLI11's bare "could not convert", and a number
// too large for the type, which CLI11 turns into the type's limit without a word. `expected` says
// what the option takes, e.g. "a part id, 0 or more".
CLI::Validator integer_in_range(const std::string& expected);

// A part id option value check: a non-negative integer. Throws InvalidInput naming the option.
void check_part_id(long long partid, const char* option);

}  // namespace wpcli
