// run [--queue URI] [options] -- WORKER [ARGS...]: run a whole job on this machine from the local
// SQLite queue, as watchbot's watcher does on ECS.
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "local_runner.hpp"
#include "output.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/open_backend.hpp"

namespace wp = watchbot_progress;

namespace wpcli {

namespace {

struct RunCommandOptions {
    std::string queue;
    std::string alert_topic;  // given to the workers as AlertTopic
    std::size_t concurrency = 1;
    std::int64_t max_attempts = 10;
    double timeout_s = 0;
    double backoff_s = 1;
    double max_backoff_s = 900;
    double lease_s = 60;
    bool no_database = false;
    bool follow = false;
    bool quiet = false;
    std::vector<std::string> command;
};

std::chrono::milliseconds seconds(double s) { return std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000.0)); }

// The workers' database, checked once before any message is taken: given (-d or ProgressTable) and
// well-formed, unless --no-database says the workers keep no progress. Null with --no-database.
std::shared_ptr<wp::Backend> workers_database(const RunCommandOptions& opt, Context& ctx) {
    const char* env = std::getenv("ProgressTable");
    const bool given = ctx.database_given || (env != nullptr && *env != '\0');
    if (opt.no_database) {
        if (ctx.database_given) throw wp::InvalidInput("--no-database and -d/--database contradict each other: drop one");
        return nullptr;
    }
    if (!given) {
        throw wp::ConfigError(
            "no database for the workers: pass -d/--database (e.g. -d sqlite:///path/jobs.db) or set ProgressTable, "
            "which the workers get as ProgressTable; for workers that keep no progress, pass --no-database");
    }
    const std::string uri = ctx.database_given ? ctx.database : std::string(env);
    if (uri.rfind("memory://", 0) == 0) {
        throw wp::InvalidInput(
            "the workers' database is memory://, which lives inside one process: each worker would see an empty "
            "database. Give one the workers share, e.g. -d sqlite:///path/jobs.db");
    }
    // Opening checks the URI and the configuration it needs (sends nothing); a SQLite file may not exist
    // yet: the start worker creates the job in it.
    return ctx.open_backend(Context::Missing::kCreate);
}

void run_run(const RunCommandOptions& opt, Context& ctx) {
    RunnerOptions options;
    open_existing_local_queue(opt.queue);  // refuses a missing or malformed queue before anything runs
    options.queue_uri = local_queue_uri(opt.queue);
    options.backend = workers_database(opt, ctx);
    options.command = opt.command;
    options.concurrency = opt.concurrency;
    options.max_attempts = opt.max_attempts;
    options.timeout = seconds(opt.timeout_s);
    options.backoff = seconds(opt.backoff_s);
    options.max_backoff = seconds(opt.max_backoff_s);
    options.lease = seconds(opt.lease_s);
    options.follow = opt.follow;
    options.progress = !opt.quiet;
    if (ctx.database_given) ::setenv("ProgressTable", ctx.database.c_str(), 1);  // the workers' backend
    if (!opt.alert_topic.empty()) {
        wp::open_notifier(opt.alert_topic);  // refuses a malformed URI before anything runs
        ::setenv("AlertTopic", opt.alert_topic.c_str(), 1);  // the workers' alerts
    }

    const RunnerSummary s = run_local_queue(options);
    ordered_json summary = {
        {"messages", s.messages},   {"attempts", s.attempts},   {"succeeded", s.succeeded}, {"rejected", s.rejected},
        {"returned", s.returned},   {"failures", s.failures},   {"timeouts", s.timeouts},
        {"dead_letters", s.dead_letters}, {"failed_parts", s.failed_parts}, {"interrupted", s.interrupted},
    };
    print_line(summary.dump());
    if (!opt.quiet) {
        print_message("ran " + counted(s.messages, "message") + " in " + counted(s.attempts, "attempt") + ": " +
                      std::to_string(s.succeeded) + " succeeded, " + std::to_string(s.rejected) + " rejected, " +
                      counted(s.dead_letters, "dead letter") + "; " + counted(s.failures, "failed attempt") + ", " +
                      counted(s.returned, "returned attempt") + (s.interrupted ? " (interrupted)" : ""));
    }
    if (s.interrupted) ctx.exit_code = 130;
    else if (s.dead_letters > 0 || s.rejected > 0) ctx.exit_code = kExitJobFailed;
}

}  // namespace

void setup_run(CLI::App& app, Context& ctx) {
    auto opt = std::make_shared<RunCommandOptions>();
    auto* sub = app.add_subcommand("run", "Run workers for the messages of a local SQLite queue, as watchbot does");
    sub->add_option("--queue", opt->queue, "The local queue (sqlite:///path/queue.db). Default: WorkTopic")->type_name("URI");
    add_database_option(*sub, ctx)->description(
        "The workers' database, passed to them as ProgressTable. Default: the ProgressTable environment variable");
    sub->add_option("--concurrency", opt->concurrency, "Workers running at once")
        ->check(integer_in_range("a number of workers, 1 to 1024"))
        ->check(CLI::Range(1, 1024).description(""))
        ->capture_default_str()
        ->type_name("N");
    sub->add_option("--max-attempts", opt->max_attempts, "Attempts before a failing message goes to the dead letters")
        ->check(integer_in_range("a number of attempts, 1 to 1000"))
        ->check(CLI::Range(1, 1000).description(""))
        ->capture_default_str()
        ->type_name("N");
    sub->add_option("--timeout", opt->timeout_s, "Kill a worker running longer than this many seconds (0: never)")
        ->check(CLI::NonNegativeNumber.description(""))->capture_default_str()->type_name("SECONDS");
    sub->add_option("--backoff", opt->backoff_s, "Seconds before the first retry of a failed message; doubles each attempt")
        ->check(CLI::NonNegativeNumber.description(""))->capture_default_str()->type_name("SECONDS");
    sub->add_option("--max-backoff", opt->max_backoff_s, "Longest retry delay, in seconds")
        ->check(CLI::NonNegativeNumber.description(""))->capture_default_str()->type_name("SECONDS");
    sub->add_option("--lease", opt->lease_s,
                    "Seconds a message stays leased to this runner unless renewed; renewed while its worker runs, "
                    "so a runner that dies holds its messages this long at most")
        ->check(CLI::Range(1.0, 43200.0).description(""))->capture_default_str()->type_name("SECONDS");
    sub->add_option("--alert-topic", opt->alert_topic,
                    "Where the workers send alerts (passed to them as AlertTopic), e.g. sqlite:///tmp/alerts.db: "
                    "a queue of its own, not --queue. Default: the AlertTopic environment variable")
        ->type_name("URI");
    sub->add_flag("--no-database", opt->no_database,
                  "The workers keep no progress: run them without a database (else -d or ProgressTable is required)");
    sub->add_flag("--follow", opt->follow, "Keep polling when the queue is drained (stop with Ctrl-C)");
    sub->add_flag("-q,--quiet", opt->quiet, "No progress or summary line on stderr");
    sub->add_option("command", opt->command, "The worker and its arguments, after --")->required()->expected(-1);
    sub->footer(
        "Each worker gets Subject, Message, MessageId, SentTimestamp, ApproximateFirstReceiveTimestamp,\n"
        "ApproximateReceiveCount and WorkTopic in its environment. Exit 0 deletes the message, 3 rejects it,\n"
        "4 returns it without counting an attempt, anything else retries it with backoff until --max-attempts.\n"
        "A dead-lettered map message is recorded as a failed part of its job (see `failed`).\n"
        "Prints a JSON summary on stdout; exits 1 when messages were rejected or went to the dead letters,\n"
        "130 when interrupted. `queue` shows what the queue holds.\n\n"
        "Example:\n"
        "  watchbot-progress-cpp send --queue sqlite:///tmp/q.db --subject start --message '{\"input\": \"data\"}'\n"
        "  watchbot-progress-cpp run --queue sqlite:///tmp/q.db -d sqlite:///tmp/jobs.db --concurrency 4 -- ./my-worker");
    sub->callback([opt, &ctx] { run_run(*opt, ctx); });
}

}  // namespace wpcli
