#pragma once
// A DynamoDbBackend over an existing DynamoDbClient: for the library's tests (a client on a fault
// proxy, a test HTTP server, fixed credentials) and the fuzzers. Not public: the client is a private
// type, so the constructor that takes one is private and this is its only caller.

#include <memory>

#include "backends/dynamodb/dynamodb_client.hpp"
#include "watchbot_progress/dynamodb_backend.hpp"

namespace watchbot_progress::detail {

struct DynamoDbBackendAccess {
    // options.table/region/endpoint/credentials are not used except in describe(). Throws
    // ConfigError when `client` is null, InvalidInput for bad layout options.
    static std::shared_ptr<DynamoDbBackend> over_client(DynamoDbOptions options,
                                                        std::shared_ptr<detail::dynamodb::DynamoDbClient> client) {
        return std::shared_ptr<DynamoDbBackend>(new DynamoDbBackend(std::move(options), std::move(client)));
    }
};

}  // namespace watchbot_progress::detail
