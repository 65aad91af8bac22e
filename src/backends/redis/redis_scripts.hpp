#pragma once
// Private to the Redis backend: the Lua scripts. Each runs atomically on the server and returns an
// array whose first element is a status code, one of ScriptStatus (redis_script_status.hpp), whose
// names (OK, JOB_DOES_NOT_EXIST, PART_OUT_OF_RANGE, ...) script_source() defines in every script:
// run a script as script_source(kPrelude, kComplete), or script_source(kFail) for one without the
// prelude.
//
// Only commands that exist since Redis 2.6 are required (UNLINK is tried, with RENAME as the
// fallback), and every script may be run twice with the same arguments with the same outcome: the
// backend retries a script on a fresh connection when the first connection dropped.
//
// Keys: KEYS[1] <jobid>-metadata, KEYS[2] <jobid>-parts, KEYS[3] <jobid>-reduce-claim, KEYS[4]
// <jobid>-failed-parts (the parts failed for good), and for set_total KEYS[5] the temporary parts key
// and KEYS[6] <jobid>-part-failures (record_part_failure's records: a hash of part id to the
// record's JSON, PartFailure::to_json; this library's key alone, the Python tool reads none of it).

#include <string_view>

namespace watchbot_progress::detail::redis::scripts {

// Helpers prepended to the scripts that complete or fail parts and claim the reduce:
//  part_error(meta, partid): nil when partid names a part of the job, else the status reply to return
//    ({JOB_DOES_NOT_EXIST}, {TOTAL_NOT_A_NUMBER} or {PART_OUT_OF_RANGE, total}).
//  touch(claimkey, now): records `now` as the job's last progress in the claim record hash.
//  failed(meta): `failed` present and not a false-looking value.
//  expire_if_done(meta, parts, claimkey, failedkey, ttl): with ttl > 0 (delete_when_done), when no part is
//    pending and the reduce is claimed, makes the job's keys expire after ttl seconds, unless they
//    already expire (so late duplicates do not push the expiry back). The job's <jobid>-part-failures
//    key (named from `meta`, which ends in "-metadata") expires with them.
//  claim(meta, parts, claimkey, failedkey, token, ttl, now): 1 when the caller with `token` holds the reduce
//    claim (it just won it, or a lost earlier attempt with the same token did), else 0. A claim is
//    made only while no part is pending and the job has not failed. The claim
//    record `claimkey` is a hash: token (the winner's), at (claim time, ms since the epoch, the
//    client's clock), confirmed ("1" once confirm_reduce ran). A claim written by the Python tool
//    (`reduce_message_sent` without a claim record) has no time and is never taken over. The same
//    hash keeps `updated`: when a part was last completed (or the job created), in ms, and `created`:
//    when set_total created the job, in ms.
inline constexpr std::string_view kPrelude = R"lua(
local function part_error(meta, partid)
  local total = redis.call('HGET', meta, 'total')
  if not total then return {JOB_DOES_NOT_EXIST} end
  local n = tonumber(total)
  if not n then return {TOTAL_NOT_A_NUMBER} end
  local p = tonumber(partid)
  if p < 0 or p >= n then return {PART_OUT_OF_RANGE, n} end
  return nil
end
local function touch(claimkey, now)
  if redis.call('TYPE', claimkey)['ok'] ~= 'string' then redis.call('HSET', claimkey, 'updated', now) end
end
local function failed(meta)
  local f = redis.call('HGET', meta, 'failed')
  return f and f ~= '' and f ~= '0' and f ~= 'false' and f ~= 'False'
end
local function expire_if_done(meta, parts, claimkey, failedkey, ttl)
  if tonumber(ttl) > 0 and redis.call('SCARD', parts) == 0
     and redis.call('HEXISTS', meta, 'reduce_message_sent') == 1 and redis.call('TTL', meta) == -1 then
    redis.call('EXPIRE', meta, ttl)
    redis.call('EXPIRE', parts, ttl)
    redis.call('EXPIRE', claimkey, ttl)
    redis.call('EXPIRE', failedkey, ttl)
    -- record_part_failure's records (<jobid>-part-failures, named from the metadata key)
    redis.call('EXPIRE', string.sub(meta, 1, #meta - 9) .. '-part-failures', ttl)
  end
end
local function claim(meta, parts, claimkey, failedkey, token, ttl, now)
  if redis.call('TYPE', claimkey)['ok'] == 'hash' and redis.call('HGET', claimkey, 'token') == token then
    return 1
  end
  if failed(meta) or redis.call('SCARD', parts) > 0 then return 0 end
  if redis.call('HSETNX', meta, 'reduce_message_sent', 'True') == 0 then return 0 end
  local t = redis.call('TYPE', claimkey)['ok']
  if t ~= 'hash' and t ~= 'none' then redis.call('DEL', claimkey) end
  redis.call('HMSET', claimkey, 'token', token, 'at', now, 'confirmed', '0')
  expire_if_done(meta, parts, claimkey, failedkey, ttl)
  return 1
end
)lua";

// complete_part / complete_part_and_claim_reduce.
// ARGV: partid (decimal), want_claim ("1"/"0"), token, ttl, now (ms). Returns {OK, remaining, claimed}.
inline constexpr std::string_view kComplete = R"lua(
local err = part_error(KEYS[1], ARGV[1])
if err then return err end
if redis.call('SREM', KEYS[2], ARGV[1]) == 1 then touch(KEYS[3], ARGV[5]) end
local remaining = redis.call('SCARD', KEYS[2])
local claimed = 0
if remaining == 0 then
  if ARGV[2] == '1' then claimed = claim(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[3], ARGV[4], ARGV[5]) end
  expire_if_done(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[4])
end
return {OK, remaining, claimed}
)lua";

// claim_reduce. ARGV: token, ttl, now (ms). Returns {OK, claimed}.
inline constexpr std::string_view kClaim = R"lua(
if redis.call('HEXISTS', KEYS[1], 'total') == 0 then return {JOB_DOES_NOT_EXIST} end
return {OK, claim(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], ARGV[3])}
)lua";

// reclaim_reduce. ARGV: token, now (ms), cutoff (ms: claims taken at or before it are stale).
// Takes over an unconfirmed claim with a recorded time at or before cutoff. Returns {OK, claimed}.
inline constexpr std::string_view kReclaim = R"lua(
if redis.call('HEXISTS', KEYS[1], 'total') == 0 then return {JOB_DOES_NOT_EXIST} end
if redis.call('TYPE', KEYS[3])['ok'] ~= 'hash' then return {OK, 0} end
local record = redis.call('HMGET', KEYS[3], 'token', 'at', 'confirmed')
if record[1] == ARGV[1] then return {OK, 1} end
if failed(KEYS[1]) or redis.call('SCARD', KEYS[2]) > 0
   or redis.call('HEXISTS', KEYS[1], 'reduce_message_sent') == 0 or record[3] == '1' then
  return {OK, 0}
end
local at = tonumber(record[2])
if not at or at > tonumber(ARGV[3]) then return {OK, 0} end
redis.call('HMSET', KEYS[3], 'token', ARGV[1], 'at', ARGV[2], 'confirmed', '0')
return {OK, 1}
)lua";

// record_failed_part. ARGV: partid, now (ms). Returns {OK, failed parts} or {PART_OUT_OF_RANGE, total}.
inline constexpr std::string_view kRecordFailed = R"lua(
local err = part_error(KEYS[1], ARGV[1])
if err then return err end
if redis.call('SADD', KEYS[4], ARGV[1]) == 1 then touch(KEYS[3], ARGV[2]) end
return {OK, redis.call('SCARD', KEYS[4])}
)lua";

// record_part_failure. KEYS[1] <jobid>-metadata, KEYS[2] <jobid>-part-failures. ARGV: partid,
// the most records a job keeps, the record (JSON). A part's record replaces its older one; a part
// not yet recorded is not kept once the job holds that many. The records expire with the job
// (delete_when_done). Returns {OK, 1} when kept, {OK, 0} when not, or {PART_OUT_OF_RANGE, total}.
inline constexpr std::string_view kRecordPartFailure = R"lua(
local err = part_error(KEYS[1], ARGV[1])
if err then return err end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 and redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[2]) then
  return {OK, 0}
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
return {OK, 1}
)lua";

// confirm_reduce. ARGV: token. Returns {OK, 1} when the claim record holds `token` (now confirmed),
// else {OK, 0} and changes nothing.
inline constexpr std::string_view kConfirm = R"lua(
if redis.call('HEXISTS', KEYS[1], 'total') == 0 then return {JOB_DOES_NOT_EXIST} end
if redis.call('HEXISTS', KEYS[1], 'reduce_message_sent') == 1 and redis.call('TYPE', KEYS[3])['ok'] == 'hash'
   and redis.call('HGET', KEYS[3], 'token') == ARGV[1] then
  redis.call('HSET', KEYS[3], 'confirmed', '1')
  return {OK, 1}
end
return {OK, 0}
)lua";

// release_reduce. ARGV: token. Only while the claim record holds `token`: deletes the claim (the
// field and the record's token, time and confirmation) and cancels a delete_when_done expiry.
// Returns {OK, 1} when it released, {OK, 0} when the token does not hold the claim.
inline constexpr std::string_view kRelease = R"lua(
if redis.call('HEXISTS', KEYS[1], 'total') == 0 then return {JOB_DOES_NOT_EXIST} end
if redis.call('HEXISTS', KEYS[1], 'reduce_message_sent') == 0 or redis.call('TYPE', KEYS[3])['ok'] ~= 'hash'
   or redis.call('HGET', KEYS[3], 'token') ~= ARGV[1] then
  return {OK, 0}
end
redis.call('HDEL', KEYS[1], 'reduce_message_sent')
redis.call('HDEL', KEYS[3], 'token', 'at', 'confirmed')
redis.call('PERSIST', KEYS[1])
redis.call('PERSIST', KEYS[2])
redis.call('PERSIST', KEYS[3])
redis.call('PERSIST', KEYS[4])
redis.call('PERSIST', string.sub(KEYS[1], 1, #KEYS[1] - 9) .. '-part-failures')
return {OK, 1}
)lua";

// fail_job. ARGV: reason. Returns {OK}.
inline constexpr std::string_view kFail = R"lua(
if redis.call('HEXISTS', KEYS[1], 'total') == 0 then return {JOB_DOES_NOT_EXIST} end
redis.call('HSET', KEYS[1], 'failed', '1')
redis.call('HSET', KEYS[1], 'error', ARGV[1])
return {OK}
)lua";

// set_metadata. ARGV: field, value, field, value, ... Returns {OK}.
inline constexpr std::string_view kSetMetadata = R"lua(
if redis.call('HEXISTS', KEYS[1], 'total') == 0 then return {JOB_DOES_NOT_EXIST} end
for i = 1, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
return {OK}
)lua";

// status. ARGV: more fields of the claim record to read. Returns {OK, {field, value, ...}, remaining,
// {claim time, confirmed, updated, created, ARGV's fields...} (each or false)}.
inline constexpr std::string_view kStatus = R"lua(
local t = redis.call('TYPE', KEYS[1])['ok']
if t == 'none' then return {JOB_DOES_NOT_EXIST} end
if t ~= 'hash' then return {METADATA_NOT_A_HASH, t} end
local h = redis.call('HGETALL', KEYS[1])
for i = 1, #h, 2 do
  if h[i] == 'total' then
    local record = {false, false, false, false}
    for _ = 1, #ARGV do record[#record + 1] = false end
    if redis.call('TYPE', KEYS[3])['ok'] == 'hash' then record = redis.call('HMGET', KEYS[3], 'at', 'confirmed', 'updated', 'created', unpack(ARGV)) end
    return {OK, h, redis.call('SCARD', KEYS[2]), record}
  end
end
return {JOB_DOES_NOT_EXIST}
)lua";

// part_complete. ARGV: partid. Returns {OK, total, is_pending}; the caller checks the range.
inline constexpr std::string_view kPartPending = R"lua(
local total = redis.call('HGET', KEYS[1], 'total')
if not total then return {JOB_DOES_NOT_EXIST} end
local n = tonumber(total)
if not n then return {TOTAL_NOT_A_NUMBER} end
return {OK, n, redis.call('SISMEMBER', KEYS[2], ARGV[1])}
)lua";

// The last step of set_total. KEYS[5]: the temporary parts key. ARGV: total, overwrite ("1"/"0"), now (ms).
// Refuses an existing job unless overwrite (deleting the temporary key); else resets the failure and
// the reduce claim, moves the parts into place, writes `total` last and cancels any expiry. User
// metadata is kept. Returns {OK}.
inline constexpr std::string_view kCommitTotal = R"lua(
if redis.call('EXISTS', KEYS[5]) == 0 then return {TEMPORARY_KEY_MISSING} end
if ARGV[2] ~= '1' and redis.call('HEXISTS', KEYS[1], 'total') == 1 then
  redis.call('DEL', KEYS[5])
  return {JOB_EXISTS}
end
redis.call('HDEL', KEYS[1], 'failed', 'error', 'reduce_message_sent')
redis.call('DEL', KEYS[3])
if KEYS[6] then redis.call('DEL', KEYS[6]) end
redis.call('HMSET', KEYS[3], 'updated', ARGV[3], 'created', ARGV[3])
redis.pcall('UNLINK', KEYS[2])
redis.call('DEL', KEYS[4])
redis.call('RENAME', KEYS[5], KEYS[2])
redis.call('PERSIST', KEYS[2])
redis.call('HSET', KEYS[1], 'total', ARGV[1])
redis.call('PERSIST', KEYS[1])
return {OK}
)lua";

// claim_alert. KEYS[1] metadata, KEYS[2] the claim record. ARGV: field (`alert-<state>`), token.
// Writes the field into the claim record (the record a job of this library always has; created for
// a job of another tool, with the job's expiry) unless it is there: {OK, 1} for the caller whose
// token is in the field (it just took it, or a lost earlier attempt with the same token did), else
// {OK, 0}. set_total's overwrite deletes the record, and with it the marks.
inline constexpr std::string_view kClaimAlert = R"lua(
if redis.call('HEXISTS', KEYS[1], 'total') == 0 then return {JOB_DOES_NOT_EXIST} end
local t = redis.call('TYPE', KEYS[2])['ok']
if t ~= 'hash' and t ~= 'none' then redis.call('DEL', KEYS[2]) end
local holder = redis.call('HGET', KEYS[2], ARGV[1])
if holder then
  if holder == ARGV[2] then return {OK, 1} end
  return {OK, 0}
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
local ttl = redis.call('TTL', KEYS[1])
if ttl > 0 and redis.call('TTL', KEYS[2]) == -1 then redis.call('EXPIRE', KEYS[2], ttl) end
return {OK, 1}
)lua";

// record_reduce_repair. KEYS: metadata, claim record. ARGV: the count's field. Adds one to the
// field of the claim record (created as claim_alert creates it). Returns {OK, count}.
inline constexpr std::string_view kRecordRepair = R"lua(
if redis.call('HEXISTS', KEYS[1], 'total') == 0 then return {JOB_DOES_NOT_EXIST} end
local t = redis.call('TYPE', KEYS[2])['ok']
if t ~= 'hash' and t ~= 'none' then redis.call('DEL', KEYS[2]) end
local n = redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
local ttl = redis.call('TTL', KEYS[1])
if ttl > 0 and redis.call('TTL', KEYS[2]) == -1 then redis.call('EXPIRE', KEYS[2], ttl) end
return {OK, n}
)lua";

}  // namespace watchbot_progress::detail::redis::scripts
