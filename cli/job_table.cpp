#include "job_table.hpp"

#include <algorithm>
#include <array>

#include "core/excerpt.hpp"
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

// Control characters (which validate_jobid refuses, other tools may not) as '?'.
using watchbot_progress::detail::printable;

// At most `limit` code points of UTF-8 text, "..." marking a cut.
std::string at_most(const std::string& text, std::size_t limit) {
    std::size_t points = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
        if (++points > limit) return text.substr(0, i) + "...";
    }
    return text;
}

std::string reason_of(const JobRow& row) {
    constexpr std::size_t kLimit = 80;
    if (row.status.failed) {
        const std::string reason = row.status.reason && !row.status.reason->empty() ? *row.status.reason : "no reason recorded";
        return at_most(printable(reason), kLimit);
    }
    if (row.failed_parts.empty()) return "-";
    constexpr std::size_t kShown = 5;
    std::string text = row.failed_parts.size() == 1 ? "part failed: " : "parts failed: ";
    for (std::size_t i = 0; i < row.failed_parts.size() && i < kShown; ++i) {
        text += (i > 0 ? ", " : "") + std::to_string(row.failed_parts[i]);
    }
    if (row.failed_parts.size() > kShown) text += " and " + std::to_string(row.failed_parts.size() - kShown) + " more";
    return text;
}

}  // namespace

std::vector<JobRow> job_rows(watchbot_progress::Backend& backend, std::vector<watchbot_progress::JobStatus> jobs) {
    std::vector<JobRow> rows;
    rows.reserve(jobs.size());
    for (auto& status : jobs) {
        auto failed = backend.list_failed_parts(status.jobid);
        rows.push_back({std::move(status), std::move(failed)});
    }
    return rows;
}

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

std::string job_table(const std::vector<JobRow>& jobs, std::int64_t now_ms) {
    constexpr std::size_t kColumns = 7;
    using Row = std::array<std::string, kColumns>;
    std::vector<Row> rows;
    rows.reserve(jobs.size() + 1);
    rows.push_back({"JOB ID", "STATE", "DONE/TOTAL", "AGE", "LAST PROGRESS", "REDUCE SENT", "REASON"});
    for (const auto& row : jobs) {
        const auto& s = row.status;
        rows.push_back({printable(s.jobid), state_of(s),
                        std::to_string(s.total - s.remaining) + "/" + std::to_string(s.total),
                        s.created_at_ms ? format_age(now_ms - *s.created_at_ms) : "-",
                        s.updated_at_ms ? format_age(now_ms - *s.updated_at_ms) + " ago" : "-",
                        s.reduce_sent ? "yes" : "no", reason_of(row)});
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
    throw watchbot_progress::InvalidInput("--format must be json or table, not " +
                                              watchbot_progress::detail::quoted_excerpt(format, 40));
}

}  // namespace wpcli
