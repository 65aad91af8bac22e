// Table administration: create_progress_table (the `create-table` command), apart from the
// backend's job operations. The table's one requirement is a hash key `id` of type S.
#include <chrono>
#include <thread>

#include "aws/arn.hpp"
#include "backends/dynamodb/dynamodb_client.hpp"
#include "backends/dynamodb/dynamodb_config.hpp"
#include "backends/dynamodb/dynamodb_attribute_names.hpp"
#include "watchbot_progress/dynamodb_backend.hpp"
#include "watchbot_progress/error_codes.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress {

using namespace detail::dynamodb;  // kId, resolve_table, make_client_config

ProgressTableInfo create_progress_table(const std::string& table, const ProgressTableOptions& options) {
    if (table.empty()) throw ConfigError("create_progress_table needs a table name or ARN");
    const ResolvedTable resolved = resolve_table(table);
    DynamoDbClient client(make_client_config(resolved, options.aws, "ProgressTableOptions::aws"), resolved.name);

    ProgressTableInfo info;
    info.name = resolved.name;
    info.created = true;
    CreateTableRequest request;
    request.on_demand = options.on_demand;
    request.read_capacity = options.read_capacity_units;
    request.write_capacity = options.write_capacity_units;
    if (!options.on_demand && (options.read_capacity_units < 1 || options.write_capacity_units < 1)) {
        throw InvalidInput("provisioned capacity units must be at least 1");
    }
    try {
        client.create_table(request);
    } catch (const BackendError& e) {
        if (e.code() != "ResourceInUseException") throw;
        if (!options.exist_ok) {
            throw ConfigError("DynamoDB table '" + resolved.name + "' already exists: use it, or choose another name");
        }
        info.created = false;
    }

    const auto deadline = std::chrono::steady_clock::now() + options.timeout;
    for (;;) {
        nlohmann::json description;
        try {
            description = client.describe_table();
        } catch (const BackendError& e) {
            if (e.code() != "ResourceNotFoundException") throw;  // not visible yet right after creation
        }
        info.status = description.value("TableStatus", "");
        if (info.status == "ACTIVE") {
            const nlohmann::json expected_key = nlohmann::json::array({{{"AttributeName", kId}, {"KeyType", "HASH"}}});
            bool id_is_string = false;
            for (const auto& d : description.value("AttributeDefinitions", nlohmann::json::array())) {
                if (d.value("AttributeName", "") == kId && d.value("AttributeType", "") == "S") id_is_string = true;
            }
            if (description.value("KeySchema", nlohmann::json::array()) != expected_key || !id_is_string) {
                throw ConfigError("DynamoDB table '" + resolved.name + "' exists with key schema " +
                                  description.value("KeySchema", nlohmann::json::array()).dump() +
                                  ": a progress table needs a hash key `id` of type S and no sort key; choose "
                                  "another name");
            }
            // The ARN as DynamoDB reports it, in the region the request was signed for: emulators
            // such as dynalite report one fixed region whatever the client asked for.
            info.arn = description.value("TableArn", "");
            const std::string& region = client.aws().config().region;
            try {
                aws::Arn arn = aws::parse_arn(info.arn);
                if (arn.region != region) {
                    arn.region = region;
                    info.arn = arn.to_string();
                }
            } catch (const InvalidInput&) {
                info.arn = resolved.arn ? resolved.arn->to_string() : "";
            }
            if (info.arn.empty()) {
                throw BackendError("DynamoDB DescribeTable gave no ARN for table '" + resolved.name +
                                       "': check that the endpoint is a DynamoDB service",
                                   std::string(error_code::kInvalidResponse), false);
            }
            return info;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            throw BackendError("DynamoDB table '" + resolved.name + "' is still " +
                                   (info.status.empty() ? std::string("not visible") : info.status) + " after " +
                                   std::to_string(options.timeout.count()) +
                                   " ms: wait and check it with DescribeTable, or raise the timeout",
                               std::string(error_code::kTableNotActive), true);
        }
        std::this_thread::sleep_for(options.poll_interval);
    }
}

}  // namespace watchbot_progress
