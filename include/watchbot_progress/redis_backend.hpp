#pragma once
// Redis backend over hiredis, with the Python tool's key layout:
//   <jobid>-metadata  hash: total, failed ("1"), error, reduce_message_sent ("True"), and one field
//                     per user-metadata key (strings as-is, other JSON values as JSON text)
//   <jobid>-parts     set of pending part ids
// complete_part_and_claim_reduce is one Lua script (EVALSHA, reloaded on NOSCRIPT): one round trip.
//
// Thread safety: each thread that uses the backend gets its own connection from a pool (up to
// pool_size open at once; more callers wait). A dropped connection is reopened on next use.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "watchbot_progress/backend.hpp"

namespace watchbot_progress {

struct RedisOptions {
    std::string host = "127.0.0.1";
    int port = 6379;
    int db = 0;
    std::optional<std::string> password;
    std::chrono::milliseconds connect_timeout{2000};
    std::chrono::milliseconds command_timeout{5000};
    std::size_t pool_size = 32;
    // Delete a job's keys once its reduce has been claimed and sent.
    bool delete_when_done = false;
    // Retry a command once on a fresh connection when the connection dropped (the commands the
    // backend sends are idempotent).
    int reconnect_attempts = 3;
};

class RedisBackend final : public Backend {
public:
    explicit RedisBackend(RedisOptions options = {});
    // redis://[:password@]host[:port][/db][?db=N]; InvalidInput when malformed.
    static std::shared_ptr<RedisBackend> from_uri(std::string_view uri);
    static RedisOptions parse_uri(std::string_view uri);
    ~RedisBackend() override;

    void set_total(const std::string& jobid, std::int64_t total, bool overwrite = false) override;
    void set_metadata(const std::string& jobid, const nlohmann::json& metadata) override;
    bool complete_part(const std::string& jobid, PartId partid) override;
    bool claim_reduce(const std::string& jobid) override;
    void release_reduce(const std::string& jobid) override;
    CompletionResult complete_part_and_claim_reduce(const std::string& jobid, PartId partid) override;
    void fail_job(const std::string& jobid, const std::string& reason) override;
    JobStatus status(const std::string& jobid) override;
    bool part_complete(const std::string& jobid, PartId partid) override;
    std::vector<PartId> list_pending_parts(const std::string& jobid) override;
    void list_jobs(const std::function<void(const JobStatus&)>& visit) override;
    bool delete_job(const std::string& jobid) override;
    std::string describe() const override;

    const RedisOptions& options() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace watchbot_progress
