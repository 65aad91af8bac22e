#pragma once
// What an error says, for the commands that report errors they collected (events of sweep and
// monitor) rather than threw.

#include <exception>
#include <string>

namespace wpcli {

// The error's what(); "unknown error" for null or an exception not derived from std::exception.
std::string what_of(const std::exception_ptr& error);

// What sweep and monitor say when a reduce they sent could not be counted as a repair (the metrics'
// watchbot_progress_reduce_repairs misses it; the reduce itself is out).
std::string unrecorded_repair_message(const std::string& jobid, const std::exception_ptr& error);

}  // namespace wpcli
