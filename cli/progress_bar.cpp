#include "progress_bar.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

namespace wpcli {

namespace {

int terminal_columns() {
    struct winsize ws {};
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    return 80;
}

// Code points in UTF-8 text (what a terminal shows, wide characters aside).
std::size_t columns_of(const std::string& text) {
    std::size_t n = 0;
    for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
}

// The first `columns` code points of `text`.
std::string first_columns(const std::string& text, std::size_t columns) {
    std::size_t seen = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
            if (seen == columns) return text.substr(0, i);
            ++seen;
        }
    }
    return text;
}

std::string format_rate(double per_second) {
    char buf[64];
    if (per_second >= 100.0) {
        std::snprintf(buf, sizeof buf, "%.0f/s", per_second);
    } else {
        std::snprintf(buf, sizeof buf, "%.1f/s", per_second);
    }
    return buf;
}

}  // namespace

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

std::string format_duration(double seconds) {
    if (!(seconds >= 0.0)) seconds = 0.0;
    if (seconds > 359999.0) seconds = 359999.0;  // 99:59:59
    const auto total = static_cast<long long>(seconds + 0.5);
    const long long h = total / 3600, m = (total / 60) % 60, s = total % 60;
    char buf[32];
    if (h > 0) {
        std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", h, m, s);
    } else {
        std::snprintf(buf, sizeof buf, "%lld:%02lld", m, s);
    }
    return buf;
}

ProgressBar::ProgressBar(std::string label, std::uint64_t total, Style style, std::chrono::milliseconds min_redraw)
    : label_(std::move(label)), total_(total), style_(style), min_redraw_(min_redraw), start_time_(Clock::now()) {}

void ProgressBar::rebase(std::uint64_t done) {
    std::lock_guard lock(mutex_);
    start_time_ = Clock::now();
    start_done_ = done;
    done_ = done;
}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::set_total(std::uint64_t total) {
    std::lock_guard lock(mutex_);
    total_ = total;
}

std::string ProgressBar::render(std::uint64_t done, bool for_terminal) const {
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_time_).count();
    const std::uint64_t progressed = done >= start_done_ ? done - start_done_ : 0;
    const double rate = elapsed > 0.0 ? static_cast<double>(progressed) / elapsed : 0.0;

    std::string counts = std::to_string(done);
    std::string percent;
    std::string eta;
    double fraction = 0.0;
    if (total_ > 0) {
        counts += "/" + std::to_string(total_);
        fraction = static_cast<double>(done) / static_cast<double>(total_);
        if (fraction > 1.0) fraction = 1.0;
        char buf[16];
        std::snprintf(buf, sizeof buf, "%.1f%%", fraction * 100.0);
        percent = buf;
        if (done >= total_) {
            eta = "done in " + format_duration(elapsed);
        } else if (rate > 0.0 && elapsed >= 0.5) {
            eta = "ETA " + format_duration(static_cast<double>(total_ - done) / rate);
        } else {
            eta = "ETA --:--";
        }
    }
    // Too short a time says nothing about the rate.
    const bool finished = total_ > 0 && done >= total_;
    const std::string rate_text = elapsed >= 0.5 || (finished && elapsed > 0.0) ? format_rate(rate) : "--/s";

    if (!for_terminal) {
        std::string line = label_ + ": " + counts;
        if (!percent.empty()) line += " (" + percent + ")";
        line += ", " + rate_text;
        if (!eta.empty()) line += ", " + eta;
        return line;
    }
    std::string tail = "  " + counts;
    if (!percent.empty()) tail += "  " + percent;
    tail += "  " + rate_text;
    if (!eta.empty()) tail += "  " + eta;
    // The line must fit in the terminal's width minus one column: a line that wraps cannot be
    // redrawn in place ('\r' returns to the start of its last row only), and writing the last column
    // wraps on some terminals. So the bar shrinks, then goes; then the label is cut ("..."); then
    // the counts themselves.
    const std::size_t fit = static_cast<std::size_t>(std::max(terminal_columns(), 2) - 1);
    std::string line = label_;
    if (total_ > 0) {
        int width = static_cast<int>(fit) - static_cast<int>(columns_of(label_)) - 3 - static_cast<int>(tail.size());
        if (width > 40) width = 40;
        if (width >= 10) {
            const int filled = static_cast<int>(fraction * width);
            line += " [" + std::string(static_cast<std::size_t>(filled), '#') +
                    std::string(static_cast<std::size_t>(width - filled), '.') + "]";
        }
    }
    line += tail;
    if (columns_of(line) <= fit) return line;
    const std::size_t tail_columns = columns_of(tail);
    if (tail_columns + 4 <= fit) return first_columns(label_, fit - tail_columns - 3) + "..." + tail;
    return first_columns(line, fit);
}

void ProgressBar::update(std::uint64_t done, bool force) {
    std::lock_guard lock(mutex_);
    if (finished_) return;
    const auto now = Clock::now();
    started_ = true;
    if (done > done_ || force) done_ = done;
    if (style_ == Style::kLines && drawn_ && done_ == drawn_done_) return;  // a log line per change only
    if (!force && drawn_ && now - last_draw_ < min_redraw_) return;
    draw(false);
}

void ProgressBar::finish() {
    std::lock_guard lock(mutex_);
    if (finished_) return;
    finished_ = true;
    if (!started_) return;
    if (style_ == Style::kLines && drawn_ && done_ == drawn_done_) return;
    draw(true);
}

void ProgressBar::draw(bool final_draw) {
    last_draw_ = Clock::now();
    drawn_ = true;
    drawn_done_ = done_;
    if (style_ == Style::kTerminal) {
        std::cerr << '\r' << render(done_, true) << "\x1b[K";
        if (final_draw) std::cerr << '\n';
        std::cerr.flush();
    } else {
        std::cerr << render(done_, false) << std::endl;
    }
}

}  // namespace wpcli
