#pragma once
// The subcommands, one file each (cli/cmd_<name>.cpp). Each file defines its options struct, a
// run function, and the setup function declared here, which adds the subcommand to the app.
// Adding a subcommand: declare its setup function here and list it in main.cpp's kSubcommands.

#include <CLI/CLI.hpp>

#include "context.hpp"

namespace wpcli {

using SetupFunction = void (*)(CLI::App& app, Context& ctx);

// The Python tool's commands.
void setup_info(CLI::App& app, Context& ctx);
void setup_ls(CLI::App& app, Context& ctx);
void setup_pending(CLI::App& app, Context& ctx);
// The Node tool's commands.
void setup_status(CLI::App& app, Context& ctx);
void setup_set_total(CLI::App& app, Context& ctx);
void setup_set_metadata(CLI::App& app, Context& ctx);
void setup_complete_part(CLI::App& app, Context& ctx);
void setup_fail_job(CLI::App& app, Context& ctx);
void setup_reduce_sent(CLI::App& app, Context& ctx);
// More.
void setup_create(CLI::App& app, Context& ctx);
void setup_watch(CLI::App& app, Context& ctx);
void setup_delete(CLI::App& app, Context& ctx);
void setup_create_table(CLI::App& app, Context& ctx);  // DynamoDB only
void setup_sweep(CLI::App& app, Context& ctx);
void setup_monitor(CLI::App& app, Context& ctx);  // alerts about jobs that went wrong
void setup_failed(CLI::App& app, Context& ctx);
// The container command of a watchbot worker in any language.
void setup_worker(CLI::App& app, Context& ctx);
void setup_serve(CLI::App& app, Context& ctx);  // the web dashboard (built with WP_WITH_DASHBOARD)
// The local runner (a SQLite queue standing in for SNS/SQS and watchbot).
void setup_run(CLI::App& app, Context& ctx);
void setup_send(CLI::App& app, Context& ctx);
void setup_dead_letters(CLI::App& app, Context& ctx);
void setup_queue(CLI::App& app, Context& ctx);
// Repairing a job.
void setup_resend(CLI::App& app, Context& ctx);

}  // namespace wpcli
