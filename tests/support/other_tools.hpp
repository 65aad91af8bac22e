#pragma once
// Jobs written the way the other tools write them, with this project's own clients: the raw
// DynamoDB client (the same requests, item for item, as the Python tool's DynamoProgress and the
// Node tool's client send) and a raw Redis connection (the commands of the Python tool's
// RedisProgress). Nothing here runs those tools; the tests that use it check that this library reads
// and guards such jobs as those tools mean them.
//
//   Python, DynamoDB: set_total is `SET parts = {0..n-1}, total = n` (no metadata, no reduceSent);
//     set_metadata replaces the whole map (`SET metadata = :m`); complete_part is `DELETE parts :p`;
//     its Part, after publishing the reduce, calls set_metadata({"reduce_message_sent": True}) and
//     never writes reduceSent.
//   Node, DynamoDB: setTotal is `SET parts = {1..n}, total = n`; completePart `DELETE parts :p`;
//     reduceSent `SET reduceSent = true` (its users send the reduce themselves, then mark it).
//   Python, Redis: HSET <id>-metadata total n; SADD <id>-parts 0..n-1; SREM to complete; its Part
//     marks a sent reduce with HSET <id>-metadata reduce_message_sent True.

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "watchbot_progress/config.hpp"

#if WP_WITH_AWS
#include "backends/dynamodb/dynamodb_attribute_value.hpp"
#include "backends/dynamodb/dynamodb_client.hpp"
#endif
#if WP_WITH_REDIS
#include "backends/redis/redis_connection.hpp"

#endif

namespace wp_test::other_tools {

namespace dynamodb = watchbot_progress::detail::dynamodb;

#if WP_WITH_AWS

namespace detail {
inline void update(const dynamodb::DynamoDbClient& client, const std::string& jobid,
                   const std::string& expression, nlohmann::json names, nlohmann::json values) {
    dynamodb::UpdateItemRequest request;
    request.key = {{"id", {{"S", jobid}}}};
    request.update = expression;
    request.names = std::move(names);
    request.values = std::move(values);
    client.update_item(request);
}
}  // namespace detail

// The Python tool's DynamoProgress.set_total: parts 0 .. total-1.
inline void python_dynamodb_set_total(const dynamodb::DynamoDbClient& client, const std::string& jobid,
                                      std::int64_t total) {
    namespace aws = watchbot_progress::aws;
    detail::update(client, jobid, "set #p = :p, #t = :t", {{"#p", "parts"}, {"#t", "total"}},
                   {{":p", dynamodb::number_set_range(0, total)}, {":t", dynamodb::number_value(total)}});
}

// The Python tool's set_metadata: the whole map replaced by `metadata` (a JSON object).
inline void python_dynamodb_set_metadata(const dynamodb::DynamoDbClient& client, const std::string& jobid,
                                         const nlohmann::json& metadata) {
    detail::update(client, jobid, "set #m = :m", {{"#m", "metadata"}},
                   {{":m", dynamodb::to_attribute_value(metadata)}});
}

// The Python tool's / the Node tool's completePart: DELETE parts :p.
inline void dynamodb_delete_part(const dynamodb::DynamoDbClient& client, const std::string& jobid,
                                 std::int64_t partid) {
    detail::update(client, jobid, "delete #p :p", {{"#p", "parts"}}, {{":p", dynamodb::number_set({partid})}});
}

// What the Python tool's Part does once it published a job's reduce.
inline void python_dynamodb_mark_reduce_sent(const dynamodb::DynamoDbClient& client,
                                             const std::string& jobid) {
    python_dynamodb_set_metadata(client, jobid, {{"reduce_message_sent", true}});
}

// Python's truth value of an attribute value as boto3 reads it: BOOL as it is, NULL false, a number
// true unless 0, a string, binary, set, list or map true unless empty.
inline bool python_truthy(const nlohmann::json& attribute) {
    if (!attribute.is_object() || attribute.size() != 1) throw std::runtime_error("not an attribute value: " + attribute.dump());
    const std::string type = attribute.begin().key();
    const nlohmann::json& value = attribute.begin().value();
    if (type == "BOOL") return value.get<bool>();
    if (type == "NULL") return false;
    if (type == "N") return std::stod(value.get<std::string>()) != 0.0;
    return !value.empty();  // S, B: the text; SS, NS, BS, L: the array; M: the object
}

// What the Python tool's Part reads before it sends a job's reduce, on a delivery that found the job
// complete: `metadata.get('reduce_message_sent', False)` of the job item, then `if already_sent:`
// (any true value in Python's sense; it sends the reduce when the key is absent or false).
inline bool python_dynamodb_sees_reduce_sent(const dynamodb::DynamoDbClient& client,
                                             const std::string& jobid) {
    const auto item = client.get_item({{{"id", {{"S", jobid}}}}, true, "", nlohmann::json::object()});
    if (!item) throw std::runtime_error("no item " + jobid);
    const auto m = item->find("metadata");
    if (m == item->end() || !m->contains("M")) return false;
    const auto flag = (*m)["M"].find("reduce_message_sent");
    return flag != (*m)["M"].end() && python_truthy(*flag);
}

// The Python tool's `len(item['parts'])` (status, ls, info: remaining = that when present, else 0):
// the elements of a set or list, the entries of a map, the characters of a string; nullopt where
// Python's len() raises TypeError (a number, a boolean, NULL).
inline std::optional<std::size_t> python_len(const nlohmann::json& attribute) {
    if (!attribute.is_object() || attribute.size() != 1) throw std::runtime_error("not an attribute value: " + attribute.dump());
    const std::string type = attribute.begin().key();
    const nlohmann::json& value = attribute.begin().value();
    if (type == "N" || type == "BOOL" || type == "NULL") return std::nullopt;
    return value.size();  // S: bytes, which is characters for the ASCII this library writes
}

// The Python tool's list_pending_parts (its `pending` command): `[int(p) for p in item.get('parts',
// [])]`. Iterating a map yields its keys, a string its characters; int() of a text that is no
// integer raises ValueError. nullopt where the tool raises instead of listing.
inline std::optional<std::vector<std::int64_t>> python_dynamodb_pending(const dynamodb::DynamoDbClient& client,
                                                                        const std::string& jobid) {
    const auto item = client.get_item({{{"id", {{"S", jobid}}}}, true, "", nlohmann::json::object()});
    if (!item) throw std::runtime_error("no item " + jobid);
    const auto parts = item->find("parts");
    if (parts == item->end()) return std::vector<std::int64_t>{};
    const std::string type = parts->begin().key();
    const nlohmann::json& value = parts->begin().value();
    std::vector<std::string> texts;
    if (type == "NS" || type == "SS") {
        for (const auto& v : value) texts.push_back(v.get<std::string>());
    } else if (type == "M") {
        for (const auto& [key, ignored] : value.items()) texts.push_back(key);
    } else if (type == "S") {
        for (char c : value.get<std::string>()) texts.emplace_back(1, c);
    } else {
        return std::nullopt;  // not iterable: TypeError
    }
    std::vector<std::int64_t> out;
    for (const auto& t : texts) {
        std::size_t used = 0;
        try {
            const double d = std::stod(t, &used);
            if (used != t.size() || d != static_cast<double>(static_cast<std::int64_t>(d))) return std::nullopt;
            out.push_back(static_cast<std::int64_t>(d));
        } catch (const std::exception&) {
            return std::nullopt;  // int('sharded'): ValueError
        }
    }
    return out;
}

// The Node tool's setTotal: parts 1 .. total.
inline void node_dynamodb_set_total(const dynamodb::DynamoDbClient& client, const std::string& jobid,
                                    std::int64_t total) {
    namespace aws = watchbot_progress::aws;
    detail::update(client, jobid, "set #p = :p, #t = :t", {{"#p", "parts"}, {"#t", "total"}},
                   {{":p", dynamodb::number_set_range(1, total + 1)}, {":t", dynamodb::number_value(total)}});
}

#endif  // WP_WITH_AWS

#if WP_WITH_REDIS

// The Python tool's RedisProgress, command by command, on its own connection.
class PythonRedisTool {
public:
    explicit PythonRedisTool(const watchbot_progress::RedisOptions& options) : connection_(options) {}

    void set_total(const std::string& jobid, std::int64_t total) {
        run({"HSET", jobid + "-metadata", "total", std::to_string(total)});
        watchbot_progress::detail::redis::Args sadd{"SADD", jobid + "-parts"};
        for (std::int64_t p = 0; p < total; ++p) sadd.push_back(std::to_string(p));
        run(sadd);
    }
    void complete_part(const std::string& jobid, std::int64_t partid) {
        run({"SREM", jobid + "-parts", std::to_string(partid)});
    }
    // What its Part does once it published the job's reduce (set_metadata HSETs each key; Python's
    // True is stored as "True").
    void mark_reduce_sent(const std::string& jobid) { run({"HSET", jobid + "-metadata", "reduce_message_sent", "True"}); }
    void remove(const std::string& jobid) { run({"DEL", jobid + "-metadata", jobid + "-parts"}); }

private:
    void run(const watchbot_progress::detail::redis::Args& args) {
        watchbot_progress::detail::redis::Reply reply = connection_.command(args);
        if (reply->type == REDIS_REPLY_ERROR) throw std::runtime_error("redis: " + watchbot_progress::detail::redis::as_string(*reply));
    }
    watchbot_progress::detail::redis::Connection connection_;
};

#endif  // WP_WITH_REDIS

}  // namespace wp_test::other_tools
