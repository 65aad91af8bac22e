#pragma once
// The local watcher behind `watchbot-progress-cpp run`: takes messages from a LocalQueue and runs a
// worker process per message, as ECS watchbot does with SQS.
//
// Each worker gets, in its environment: Subject, Message, MessageId, SentTimestamp,
// ApproximateFirstReceiveTimestamp, ApproximateReceiveCount (as SQS names them; times in ms since
// the epoch) and WorkTopic (the queue's URI, so the worker publishes back into it), plus everything
// in the runner's own environment. Its stdout and stderr go to the runner's stderr.
//
// Exit codes (watchbot's): 0 deletes the message; 3 rejects it (deleted, counted as rejected); 4
// returns it without counting an attempt; anything else (or a kill for --timeout, or a signal) is a
// failure: the message is returned with exponential backoff (base * 2^(attempt-1), capped), or moved
// to the dead letters once it has been received max_attempts times.
//
// Leases: a message is leased for `lease` and the lease is renewed (every third of it) while its
// worker runs, so a runner that dies (SIGKILL, a lost machine) holds its messages for at most one
// lease; each lease records its holder ("<hostname>:<pid>", see `queue`). When the runner stops for
// any reason (drained, interrupted, an error) every message it still holds goes back to the queue
// without counting an attempt. The worker's executable is looked up before anything is leased.
//
// Dead letters of map messages: with a `backend`, a map message ({"jobid", "partid", ...}) moved to
// the dead letters is also recorded as a failed part of its job (Backend::record_failed_part), so
// `failed`, `info` and `ls` show it.
//
// Not thread-safe: one runner per thread. Several runner processes may share one queue.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "watchbot_progress/backend.hpp"
#include "watchbot_progress/local_queue.hpp"

namespace wpcli {

struct RunnerOptions {
    std::string queue_uri;                 // sqlite:///path/queue.db
    std::vector<std::string> command;      // the worker and its arguments
    std::size_t concurrency = 1;           // workers at once
    std::int64_t max_attempts = 10;        // receives before a failing message is dead-lettered
    std::chrono::milliseconds timeout{0};  // kill a worker running longer; 0: never
    std::chrono::milliseconds backoff{1000};      // first retry delay
    std::chrono::milliseconds max_backoff{900000};  // cap on the retry delay (15 min)
    std::chrono::milliseconds kill_grace{2000};   // SIGTERM, then SIGKILL after this
    std::chrono::milliseconds lease{60000};       // a message's lease, renewed while its worker runs (>= 1 s)
    std::shared_ptr<watchbot_progress::Backend> backend;  // where dead-lettered map parts are recorded; may be null
    bool follow = false;                   // keep polling when the queue is drained
    bool progress = true;                  // progress on stderr
};

struct RunnerSummary {
    std::uint64_t messages = 0;     // distinct messages whose worker ran at least once
    std::uint64_t attempts = 0;     // worker runs that ended (a retried message counts each run)
    std::uint64_t succeeded = 0;    // exit 0
    std::uint64_t rejected = 0;     // exit 3
    std::uint64_t returned = 0;     // exit 4
    std::uint64_t failures = 0;     // any other exit, timeouts and signals included
    std::uint64_t timeouts = 0;     // killed for --timeout
    std::uint64_t dead_letters = 0; // moved to the dead letters by this run
    std::uint64_t failed_parts = 0; // dead-lettered map messages recorded as failed parts of their job
    bool interrupted = false;       // stopped by SIGINT/SIGTERM
};

// Runs until the queue is drained and no worker runs (or, with follow, until interrupted).
// SIGINT/SIGTERM stop it cleanly: running workers get SIGTERM (SIGKILL after kill_grace) and their
// messages are returned to the queue without counting an attempt. Throws InvalidInput for bad
// options or a worker that cannot be started (before anything is leased), BackendError when the
// queue fails (after giving back what it holds, as far as the queue lets it).
RunnerSummary run_local_queue(const RunnerOptions& options);

}  // namespace wpcli
