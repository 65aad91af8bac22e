#include "job/output_tail.hpp"

#include <nlohmann/json.hpp>

namespace watchbot_progress::detail {

void OutputTail::append(std::string_view bytes) {
    if (limit_ == 0) {
        dropped_ = dropped_ || !bytes.empty();
        return;
    }
    if (bytes.size() >= limit_) {
        dropped_ = dropped_ || !kept_.empty() || bytes.size() > limit_;
        kept_.assign(bytes.substr(bytes.size() - limit_));
        return;
    }
    kept_.append(bytes);
    if (kept_.size() > 2 * limit_) {  // trim now and then, not on every append
        kept_.erase(0, kept_.size() - limit_);
        dropped_ = true;
    }
}

std::string OutputTail::text() const {
    std::string_view window = kept_;
    bool cut = dropped_;
    if (window.size() > limit_) {
        window.remove_prefix(window.size() - limit_);
        cut = true;
    }
    if (cut) {
        const std::size_t newline = window.find('\n');
        if (newline != std::string_view::npos && newline + 1 < window.size()) window.remove_prefix(newline + 1);
    }
    while (!window.empty() && (window.back() == '\n' || window.back() == '\r')) window.remove_suffix(1);
    if (window.empty()) return cut ? "[...]" : "";
    // nlohmann::json replaces what is not UTF-8 when asked to; the round trip gives the text back.
    const std::string quoted =
        nlohmann::json(std::string(window)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::string text = nlohmann::json::parse(quoted).get<std::string>();
    return cut ? "[...]\n" + text : text;
}

}  // namespace watchbot_progress::detail
