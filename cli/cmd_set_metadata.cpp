// set-metadata JOBID --metadata JSON: merges the object's keys into the job's metadata.
#include <memory>
#include <string>

#include "commands.hpp"
#include "output.hpp"
#include "watchbot_progress/errors.hpp"

namespace wpcli {

namespace {

struct SetMetadataOptions {
    std::string jobid;
    std::string metadata;
};

void run_set_metadata(const SetMetadataOptions& opt, Context& ctx) {
    const auto metadata = parse_json_argument(opt.metadata, "--metadata");
    if (!metadata.is_object()) {
        throw watchbot_progress::InvalidInput(std::string("--metadata must be a JSON object, not ") +
                                              metadata.type_name());
    }
    const auto backend = ctx.open_backend();
    backend->set_metadata(opt.jobid, metadata);
}

}  // namespace

void setup_set_metadata(CLI::App& app, Context& ctx) {
    auto opt = std::make_shared<SetMetadataOptions>();
    auto* sub = app.add_subcommand("set-metadata", "Merge keys into a job's metadata");
    add_jobid_argument(*sub, opt->jobid);
    sub->add_option("-m,--metadata", opt->metadata, "A JSON object; its top-level keys replace those of the job's metadata")
        ->required()
        ->type_name("JSON");
    add_database_option(*sub, ctx);
    sub->footer(
        "Prints nothing. Keys not in the object are kept (the Node tool replaced the whole metadata).\n\n"
        "Example:\n"
        "  watchbot-progress-cpp set-metadata my-job --metadata '{\"owner\": \"tiles\", \"zoom\": 12}'");
    sub->callback([opt, &ctx] { run_set_metadata(*opt, ctx); });
}

}  // namespace wpcli
