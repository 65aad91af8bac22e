// dead-letters ls | redrive [ID...]: the local queue's dead letters (messages whose worker kept
// failing, moved aside by `run`), listed, or put back into the queue to be run again.
#include <chrono>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "output.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/local_queue.hpp"

namespace wp = watchbot_progress;

namespace wpcli {

namespace {

struct DeadLettersOptions {
    std::string queue;
    std::vector<std::string> ids;  // redrive: these message ids; empty: all
};



void run_ls(const DeadLettersOptions& opt) {
    const auto queue = open_existing_local_queue(opt.queue);
    for (const auto& d : queue->list_dead_letters()) {
        ordered_json line = {
            {"id", d.message_id},
            {"subject", d.subject},
            {"reason", d.reason},
            {"receive_count", d.receive_count},
            {"sent", iso_time(d.sent_timestamp)},
            {"dead_lettered", iso_time(d.dead_lettered_at)},
            {"message", d.body},
        };
        print_line(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
}

void run_redrive(const DeadLettersOptions& opt) {
    const auto queue = open_existing_local_queue(opt.queue);
    const auto moved = queue->redrive_dead_letters(opt.ids);
    for (const auto& id : moved) print_line(id);
    print_message("redrove " + counted(moved.size(), "dead letter") + " into " + queue->describe());
}

}  // namespace

void setup_dead_letters(CLI::App& app, Context&) {
    auto opt = std::make_shared<DeadLettersOptions>();
    auto* sub = app.add_subcommand("dead-letters", "List the local queue's dead letters, or put them back in the queue");
    sub->require_subcommand(1);
    sub->footer(
        "Messages whose worker kept failing (`run`, --max-attempts) wait in the queue file's dead letters.\n\n"
        "Examples:\n"
        "  watchbot-progress-cpp dead-letters ls --queue sqlite:///tmp/q.db\n"
        "  watchbot-progress-cpp dead-letters redrive --queue sqlite:///tmp/q.db     # all of them\n"
        "  watchbot-progress-cpp dead-letters redrive 0f8e...-... --queue sqlite:///tmp/q.db");

    auto* ls = sub->add_subcommand("ls", "Print each dead letter as one JSON object per line, oldest first");
    ls->add_option("--queue", opt->queue, "The local queue (sqlite:///path/queue.db). Default: WorkTopic")->type_name("URI");
    ls->footer(
        "Output, one line per dead letter: {\"id\": message id, \"subject\", \"reason\" (why the last attempt\n"
        "failed), \"receive_count\", \"sent\" and \"dead_lettered\" (UTC times), \"message\" (the body)}.\n\n"
        "Example:\n"
        "  watchbot-progress-cpp dead-letters ls --queue sqlite:///tmp/q.db");
    ls->callback([opt] { run_ls(*opt); });

    auto* redrive = sub->add_subcommand("redrive", "Put dead letters back in the queue, to be run again");
    redrive->add_option("ids", opt->ids, "The message ids (as `dead-letters ls` prints them); none: every dead letter")
        ->type_name("ID...");
    redrive->add_option("--queue", opt->queue, "The local queue (sqlite:///path/queue.db). Default: WorkTopic")
        ->type_name("URI");
    redrive->footer(
        "Each message goes back visible at once, with its id, subject and body, and a receive count of 0, so\n"
        "the next `run` gives it --max-attempts attempts again. Prints the ids put back, one per line. All or\n"
        "none: an id that is not a dead letter is an error (exit 2) and nothing is moved.\n\n"
        "Example:\n"
        "  watchbot-progress-cpp dead-letters redrive --queue sqlite:///tmp/q.db && watchbot-progress-cpp run --queue sqlite:///tmp/q.db -- ./worker");
    redrive->callback([opt] { run_redrive(*opt); });
}

}  // namespace wpcli
