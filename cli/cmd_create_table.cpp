// create-table NAME: creates the DynamoDB progress table (hash key `id`, type S) and prints its ARN.
#include <cmath>
#include <memory>
#include <string>

#include "commands.hpp"
#include "output.hpp"
#include "watchbot_progress/config.hpp"
#include "watchbot_progress/errors.hpp"
#if WP_WITH_AWS
#include "watchbot_progress/dynamodb_backend.hpp"
#endif

namespace wpcli {

namespace {

struct CreateTableOptions {
    std::string table;
    std::string region;
    std::string endpoint;
    long long read_capacity = 0;   // > 0 with write_capacity: provisioned capacity
    long long write_capacity = 0;
    bool fail_if_exists = false;
    double timeout = 300.0;  // seconds to wait for ACTIVE
};

void run_create_table(const CreateTableOptions& opt, Context&) {
    if ((opt.read_capacity > 0) != (opt.write_capacity > 0) || opt.read_capacity < 0 || opt.write_capacity < 0) {
        throw watchbot_progress::InvalidInput(
            "--read-capacity and --write-capacity go together, both at least 1 (without them: on-demand capacity)");
    }
    if (!(opt.timeout > 0.0) || !std::isfinite(opt.timeout)) {
        throw watchbot_progress::InvalidInput("--timeout must be a positive number of seconds");
    }
#if WP_WITH_AWS
    watchbot_progress::ProgressTableOptions options;
    options.aws.region = opt.region;
    options.aws.endpoint = opt.endpoint;
    if (opt.read_capacity > 0) {
        options.on_demand = false;
        options.read_capacity_units = opt.read_capacity;
        options.write_capacity_units = opt.write_capacity;
    }
    options.exist_ok = !opt.fail_if_exists;
    options.timeout = std::chrono::milliseconds(static_cast<long long>(opt.timeout * 1000.0));
    const auto info = watchbot_progress::create_progress_table(opt.table, options);
    if (!info.created) print_message("table '" + info.name + "' exists already (" + info.status + ")");
    print_line(info.arn);
#else
    throw watchbot_progress::ConfigError(
        "DynamoDB support is not built into this binary: rebuild with -DWP_WITH_AWS=ON");
#endif
}

}  // namespace

void setup_create_table(CLI::App& app, Context& ctx) {
    auto opt = std::make_shared<CreateTableOptions>();
    auto* sub = app.add_subcommand("create-table", "Create the DynamoDB progress table and print its ARN");
    sub->add_option("table", opt->table, "The table's name or ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME)")
        ->required()
        ->type_name("NAME");
    sub->add_option("--region", opt->region, "AWS region (default: the ARN's, else AWS_REGION / AWS_DEFAULT_REGION)")
        ->type_name("REGION");
    sub->add_option("--endpoint", opt->endpoint,
                    "DynamoDB endpoint URL (default: AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL, DynamoDbEndpoint, "
                    "else AWS's)")
        ->type_name("URL");
    sub->add_option("--read-capacity", opt->read_capacity, "Provisioned read capacity units (default: on-demand)")
        ->type_name("N");
    sub->add_option("--write-capacity", opt->write_capacity, "Provisioned write capacity units (default: on-demand)")
        ->type_name("N");
    sub->add_flag("--fail-if-exists", opt->fail_if_exists,
                  "Refuse a table that exists already (default: accept it if its key is `id` of type S)");
    sub->add_option("--timeout", opt->timeout, "Seconds to wait for the table to become ACTIVE")
        ->type_name("SECONDS")
        ->capture_default_str();
    sub->footer(
        "Prints the table's ARN, the value for ProgressTable / --database. An existing table with the right\n"
        "key is accepted (a note goes to stderr) unless --fail-if-exists. Credentials: the usual AWS chain.\n\n"
        "Examples:\n"
        "  watchbot-progress-cpp create-table my-progress --region us-east-1\n"
        "  export ProgressTable=$(watchbot-progress-cpp create-table arn:aws:dynamodb:us-east-1:123456789012:table/my-progress)");
    sub->callback([opt, &ctx] { run_create_table(*opt, ctx); });
}

}  // namespace wpcli
