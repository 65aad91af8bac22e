// send --subject S --message JSON: put one message on the local SQLite queue.
#include <cstdlib>
#include <memory>
#include <string>

#include "commands.hpp"
#include "output.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/local_queue.hpp"

namespace wp = watchbot_progress;

namespace wpcli {

namespace {

struct SendOptions {
    std::string queue;
    std::string subject;
    std::string message;
};

void run_send(const SendOptions& opt) {
    std::string uri = opt.queue;
    if (uri.empty()) {
        const char* env = std::getenv("WorkTopic");
        if (env == nullptr || std::string(env).rfind("sqlite://", 0) != 0) {
            throw wp::ConfigError("no queue given: pass --queue sqlite:///path/queue.db or set WorkTopic to one");
        }
        uri = env;
    }
    const nlohmann::json body = parse_json_argument(opt.message, "--message");
    auto notifier = wp::LocalQueueNotifier::from_uri(uri);
    const std::string id = notifier->queue()->send(opt.subject, body.dump());
    print_line(id);
}

}  // namespace

void setup_send(CLI::App& app, Context&) {
    auto opt = std::make_shared<SendOptions>();
    auto* sub = app.add_subcommand("send", "Put a message on the local SQLite queue");
    sub->add_option("--queue", opt->queue, "The local queue (sqlite:///path/queue.db). Default: WorkTopic")->type_name("URI");
    sub->add_option("--subject", opt->subject, "The message's subject (start, map, reduce, ...)")->required();
    sub->add_option("--message", opt->message, "The message: JSON text")->required()->type_name("JSON");
    sub->footer(
        "Prints the new message's id.\n\n"
        "Example:\n"
        "  watchbot-progress-cpp send --queue sqlite:///tmp/q.db --subject start --message '{\"input\": \"data\"}'");
    sub->callback([opt] { run_send(*opt); });
}

}  // namespace wpcli
