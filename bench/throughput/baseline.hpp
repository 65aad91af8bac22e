#pragma once
// The raw loop the DynamoDB figures are compared with (--baseline): W threads each sending
// UpdateItem "ADD #n :one" (ReturnValues NONE, no condition) to an item of their own in the same
// table, through the library's own DynamoDB client (same HTTP pool, signing and retries as the
// backend), so that completions/s over this figure is the cost of the layout's work alone. The
// bench runs it in rounds interleaved with the deliveries, so that both see the same load.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace watchbot_progress::detail::dynamodb {
class DynamoDbClient;
}

namespace wp_bench {

namespace dynamodb = watchbot_progress::detail::dynamodb;

struct BaselineResult {
    std::uint64_t requests = 0;  // UpdateItem calls made (HTTP attempts counted in http_requests)
    std::uint64_t http_requests = 0;
    double seconds = 0;
    double requests_per_s = 0;
    double bytes_per_request = 0;  // request + response bodies
    std::uint64_t errors = 0;
};

class UpdateItemBaseline {
public:
    // A client for the table `table_arn` (endpoint, region and credentials from the environment, as
    // the backend's), on items named "<prefix>#baseline#<thread>". Sends nothing yet. Throws what
    // the client throws for a bad table or configuration.
    UpdateItemBaseline(const std::string& table_arn, std::string prefix, std::size_t workers);
    ~UpdateItemBaseline();  // deletes the counter items (errors are printed, not thrown)
    UpdateItemBaseline(const UpdateItemBaseline&) = delete;
    UpdateItemBaseline& operator=(const UpdateItemBaseline&) = delete;

    // `requests` more UpdateItems from the threads; their time adds to the result.
    void run(std::uint64_t requests);
    BaselineResult result() const;

private:
    std::shared_ptr<dynamodb::DynamoDbClient> client_;
    std::string prefix_;
    std::size_t workers_;
    std::uint64_t requests_ = 0;
    std::uint64_t errors_ = 0;
    double seconds_ = 0;
};

}  // namespace wp_bench
