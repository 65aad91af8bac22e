#include <string>

#include "core/secure_random.hpp"
#include "watchbot_progress/job.hpp"

namespace watchbot_progress {

std::string new_jobid() { return detail::secure_random_uuid(); }

}  // namespace watchbot_progress
