#include "job_table.hpp"

#include <algorithm>
#include <array>

#include "watchbot_progress/errors.hpp"

namespace wpcli {

namespace {

std::string state_of(const watchbot_progress::JobStatus& s) {
    if (s.failed) return "failed";
    return s.complete() ? "complete" : "running";
}

// Display width of UTF-8 text: code points (job ids may hold any; wide characters are rare enough).
std::size_t width_of(const std::string& text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

}  // namespace

std::string format_age(std::int64_t ms) {
    const std::int64_t s = std::max<std::int64_t>(ms, 0) / 1000;
    if (s < 60) return std::to_string(s) + "s";
    if (s < 3600) return std::to_string(s / 60) + "m";
    if (s < 86400) {
        const std::int64_t m = (s / 60) % 60;
        return std::to_string(s / 3600) + "h" + (m ? " " + std::to_string(m) + "m" : "");
    }
    const std::int64_t h = (s / 3600) % 24;
    return std::to_string(s / 86400) + "d" + (h ? " " + std::to_string(h) + "h" : "");
}

std::string job_table(const std::vector<watchbot_progress::JobStatus>& jobs, std::int64_t now_ms) {
    constexpr std::size_t kColumns = 6;
    using Row = std::array<std::string, kColumns>;
    std::vector<Row> rows;
    rows.reserve(jobs.size() + 1);
    rows.push_back({"JOB ID", "STATE", "DONE/TOTAL", "AGE", "LAST PROGRESS", "REDUCE SENT"});
    for (const auto& s : jobs) {
        // The job id as shown: control characters (validate_jobid refuses them, other tools may not) as '?'.
        std::string id = s.jobid;
        for (char& c : id) {
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
        }
        rows.push_back({id, state_of(s), std::to_string(s.total - s.remaining) + "/" + std::to_string(s.total),
                        s.created_at_ms ? format_age(now_ms - *s.created_at_ms) : "-",
                        s.updated_at_ms ? format_age(now_ms - *s.updated_at_ms) + " ago" : "-",
                        s.reduce_sent ? "yes" : "no"});
    }
    std::array<std::size_t, kColumns> widths{};
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < kColumns; ++i) widths[i] = std::max(widths[i], width_of(row[i]));
    }
    std::string out;
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < kColumns; ++i) {
            line += row[i];
            if (i + 1 < kColumns) line += std::string(widths[i] - width_of(row[i]) + 2, ' ');
        }
        out += line + "\n";
    }
    return out;
}

bool table_format(const std::string& format) {
    if (format == "table") return true;
    if (format == "json") return false;
    throw watchbot_progress::InvalidInput("--format must be json or table, not '" + format.substr(0, 40) + "'");
}

}  // namespace wpcli
