// queue [--queue URI] [--limit N]: what the local queue holds: each message still in it (visible,
// in flight with its lease holder and the lease's end, or delayed), then the counts.
#include <memory>
#include <string>

#include "commands.hpp"
#include "output.hpp"
#include "watchbot_progress/local_queue.hpp"

namespace wp = watchbot_progress;

namespace wpcli {

namespace {

struct QueueOptions {
    std::string queue;
    std::size_t limit = 0;
};

const char* state_name(wp::QueueMessageState state) {
    switch (state) {
        case wp::QueueMessageState::kVisible: return "visible";
        case wp::QueueMessageState::kInFlight: return "in_flight";
        case wp::QueueMessageState::kDelayed: return "delayed";
    }
    return "visible";
}

void run_queue(const QueueOptions& opt) {
    const auto queue = open_existing_local_queue(opt.queue);
    for (const auto& m : queue->list_messages(opt.limit)) {
        ordered_json line = {
            {"id", m.message_id},
            {"subject", m.subject},
            {"state", state_name(m.state)},
            {"receive_count", m.receive_count},
            {"sent", iso_time(m.sent_timestamp)},
        };
        if (m.state == wp::QueueMessageState::kInFlight) {
            line["holder"] = m.lease_owner;
            line["lease_ends"] = iso_time(m.visible_at);
        } else if (m.state == wp::QueueMessageState::kDelayed) {
            line["visible_at"] = iso_time(m.visible_at);
        }
        line["message"] = m.body;
        print_line(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
    const wp::QueueCounts c = queue->counts();
    print_message(queue->describe() + ": " + std::to_string(c.visible) + " visible, " + std::to_string(c.in_flight) +
                  " in flight, " + std::to_string(c.delayed) + " delayed, " + counted(static_cast<std::uint64_t>(c.dead_letters), "dead letter") +
                  (c.dead_letters > 0 ? " (see `dead-letters ls`)" : ""));
}

}  // namespace

void setup_queue(CLI::App& app, Context&) {
    auto opt = std::make_shared<QueueOptions>();
    auto* sub = app.add_subcommand("queue", "Show the messages in a local queue: waiting, leased (by whom, until when), delayed");
    sub->add_option("--queue", opt->queue, "The local queue (sqlite:///path/queue.db). Default: WorkTopic")->type_name("URI");
    sub->add_option("--limit", opt->limit, "Show at most this many messages, oldest first (0: all)")
        ->capture_default_str()
        ->type_name("N");
    sub->footer(
        "Output, one line per message still in the queue, oldest first: {\"id\", \"subject\", \"state\" (visible,\n"
        "in_flight or delayed), \"receive_count\", \"sent\" (UTC), \"holder\" and \"lease_ends\" (in flight: the\n"
        "runner holding it, as host:pid, and when its lease ends unless renewed), \"visible_at\" (delayed),\n"
        "\"message\" (the body)}; then the counts on stderr. Dead letters: `dead-letters ls`.\n\n"
        "Example:\n"
        "  watchbot-progress-cpp queue --queue sqlite:///tmp/q.db --limit 20");
    sub->callback([opt] { run_queue(*opt); });
}

}  // namespace wpcli
