#include "error_text.hpp"

namespace wpcli {

std::string what_of(const std::exception_ptr& error) {
    try {
        if (error) std::rethrow_exception(error);
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
    }
    return "unknown error";
}

std::string unrecorded_repair_message(const std::string& jobid, const std::exception_ptr& error) {
    return "job '" + jobid + "': its reduce was sent, but counting the repair failed (" + what_of(error) +
           "): the metric watchbot_progress_reduce_repairs misses it; nothing else is affected";
}

}  // namespace wpcli
