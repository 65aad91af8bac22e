#include "version.hpp"

#include "watchbot_progress/built_in_support.hpp"
#include "watchbot_progress/version.hpp"

namespace wp = watchbot_progress;

namespace wpcli {

namespace {
std::string joined(const std::vector<std::string>& names) {
    std::string text;
    for (const auto& name : names) text += (text.empty() ? "" : " ") + name;
    return text;
}
}  // namespace

std::string version_text() {
    const wp::BuiltInSupport built = wp::built_in_support();
    return std::string("watchbot-progress-cpp ") + wp::version() + "\n" +
           "backends: " + joined(built.backends) + "\n" +
           "notifiers: " + joined(built.notifiers) + "\n" +
           "local queue (run, send): " + (built.local_queue ? "yes" : "no (built without WP_WITH_SQLITE)");
}

}  // namespace wpcli
