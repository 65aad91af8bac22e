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

constexpr const char* kNoQueue = "check --queue (or WorkTopic): no queue was ever made there";

struct DeadLettersOptions {
    std::string queue;
    std::vector<std::string> ids;  // redrive: these message ids; empty: all
};

// "2026-12-05T08:01:02.345Z"
std::string iso_time(std::chrono::system_clock::time_point t) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    ::gmtime_r(&seconds, &tm);
    char buf[96];  // room for any int the format could print (-Wformat-truncation)
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
    return buf;
}

std::shared_ptr<wp::LocalQueue> open_queue(const std::string& given) {
    const std::string uri = local_queue_uri(given);
    refuse_missing_sqlite(uri, kNoQueue);
    try {
        return wp::LocalQueue::from_uri(uri);
    } catch (const wp::InvalidInput& e) {
        throw wp::InvalidInput(std::string("--queue: ") + e.what());
    }
}

void run_ls(const DeadLettersOptions& opt) {
    const auto queue = open_queue(opt.queue);
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
    const auto queue = open_queue(opt.queue);
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
