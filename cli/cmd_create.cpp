// create [FILE|-]: creates a job from a JSON array or JSON Lines of parts and publishes its map
// messages; prints the job id.
#include <unistd.h>

#include <memory>
#include <mutex>
#include <string>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "output.hpp"
#include "part_reader.hpp"
#include "progress_bar.hpp"
#include "watchbot_progress/errors.hpp"
#include "watchbot_progress/job.hpp"

namespace wp = watchbot_progress;

namespace wpcli {

namespace {

// A job at least this large shows a progress bar on a terminal.
constexpr std::uint64_t kLargeJob = 1000;

struct CreateOptions {
    std::string file = "-";
    std::string metadata;
    std::string jobid;
    std::string topic;
    std::string format = "auto";
    std::size_t workers = 25;
    bool overwrite = false;
    int progress = 0;  // 1: --progress, -1: --no-progress, 0: auto
};

void run_create(const CreateOptions& opt, Context& ctx) {
    // Everything that can be checked without reading the parts, before anything is opened.
    nlohmann::json metadata = nullptr;
    if (!opt.metadata.empty()) {
        metadata = parse_json_argument(opt.metadata, "--metadata");
        if (!metadata.is_object()) {
            throw wp::InvalidInput(std::string("--metadata must be a JSON object, not ") + metadata.type_name());
        }
    }
    if (!opt.jobid.empty()) wp::validate_jobid(opt.jobid);
    if (opt.workers == 0) throw wp::InvalidInput("--workers must be at least 1");
    const PartReader::Format format = opt.format == "array"   ? PartReader::Format::kArray
                                      : opt.format == "lines" ? PartReader::Format::kLines
                                                              : PartReader::Format::kAuto;

    wp::CreateJobOptions options;
    options.notifier = ctx.open_notifier(opt.topic);  // first: a refused topic leaves no database file behind
    options.backend = ctx.open_backend(Context::Missing::kCreate);
    options.metadata = metadata;
    // Chosen here rather than inside create_job, so that it can be printed even when publishing fails.
    options.jobid = opt.jobid.empty() ? wp::new_jobid() : opt.jobid;
    options.workers = opt.workers;
    options.overwrite = opt.overwrite;

    PartReader reader(opt.file, format);
    if (opt.file == "-" && ::isatty(STDIN_FILENO) == 1) {
        print_message("reading parts from the terminal: a JSON array or one JSON object per line, then Ctrl-D");
    }

    const bool terminal = stderr_is_terminal();
    const bool show = opt.progress > 0 || (opt.progress == 0 && terminal);
    const auto style = terminal ? ProgressBar::Style::kTerminal : ProgressBar::Style::kLines;
    std::unique_ptr<ProgressBar> reading;
    std::unique_ptr<ProgressBar> publishing;
    std::mutex mutex;
    if (show) {
        // Validation reads every part first; a large input gets a count while it does.
        // Created now so that its rate counts from the start; drawn from the first update on.
        reading = std::make_unique<ProgressBar>("reading parts", 0, style,
                                                std::chrono::milliseconds(style == ProgressBar::Style::kTerminal ? 200 : 1000));
        reader.on_read([&](std::uint64_t count) {
            if (count >= kLargeJob) reading->update(count);  // small inputs are read in a blink
        });
        options.on_progress = [&](std::uint64_t published, std::uint64_t total) {
            std::lock_guard lock(mutex);
            if (total < kLargeJob && opt.progress == 0) return;
            if (!publishing) {
                if (reading) reading->finish();
                publishing = std::make_unique<ProgressBar>("publishing", total, style,
                                                           std::chrono::milliseconds(style == ProgressBar::Style::kTerminal ? 100 : 1000));
                // The first report comes after the first batch: the rate counts from there.
                publishing->rebase(published);
            }
            publishing->update(published, published == total);
        };
    }

    std::string jobid;
    try {
        jobid = wp::create_job(static_cast<wp::PartSource&>(reader), options);
    } catch (const wp::PublishError&) {
        if (publishing) publishing->finish();
        // The job exists: print its id so the caller can re-send or delete it, then report.
        print_line(options.jobid);
        throw;
    } catch (...) {
        if (reading) reading->finish();
        if (publishing) publishing->finish();
        throw;
    }
    if (reading) reading->finish();
    if (publishing) publishing->finish();
    print_line(jobid);
}

}  // namespace

void setup_create(CLI::App& app, Context& ctx) {
    auto opt = std::make_shared<CreateOptions>();
    auto* sub = app.add_subcommand("create", "Create a job from a file of parts and publish its map messages");
    sub->add_option("file", opt->file,
                    "The parts: a JSON array of objects, or JSON Lines (one object per line); - or none: stdin")
        ->type_name("FILE|-");
    sub->add_option("-m,--metadata", opt->metadata, "Job metadata, a JSON object (sent with every message)")
        ->type_name("JSON");
    sub->add_option("--jobid", opt->jobid, "The job id (default: a new random UUID)")->type_name("ID");
    sub->add_option("--topic", opt->topic,
                    "Where the map messages go: an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:TOPIC) or "
                    "sqlite:///path/to/queue.db. Default: the WorkTopic environment variable")
        ->type_name("URI");
    add_parts_input_options(*sub, opt->format, opt->workers);
    sub->add_flag("--overwrite", opt->overwrite, "Replace an existing job of the same id instead of refusing it");
    auto* progress = sub->add_flag_callback("--progress", [opt] { opt->progress = 1; },
                                            "Show progress on stderr even when it is not a terminal, for any job size");
    auto* no_progress = sub->add_flag_callback("--no-progress", [opt] { opt->progress = -1; },
                                               "Never show progress (default: on a terminal, for jobs of 1000 parts or more)");
    progress->excludes(no_progress);
    add_database_option(*sub, ctx);
    add_dynamodb_layout_option(*sub, ctx);
    sub->footer(
        "Every part is checked (a JSON object; any \"jobid\"/\"partid\" it carries must match; each message\n"
        "within the topic's size limit) before anything is written. Prints the job id. If some messages\n"
        "cannot be published the job id is still printed and the exit code is 5.\n\n"
        "Examples:\n"
        "  watchbot-progress-cpp create parts.json -d redis://localhost:6379/0 --topic arn:aws:sns:us-east-1:123456789012:work\n"
        "  printf '{\"url\": \"s3://b/1.tif\"}\\n{\"url\": \"s3://b/2.tif\"}\\n' | watchbot-progress-cpp create - --metadata '{\"zoom\": 12}'");
    sub->callback([opt, &ctx] { run_create(*opt, ctx); });
}

}  // namespace wpcli
