#pragma once
// A progress display on stderr: on a terminal, one line redrawn in place
//   LABEL [##########..........]  512/1000  51.2%  34.1/s  ETA 0:14
// and elsewhere (a pipe, a log file) a plain line per report
//   LABEL: 512/1000 (51.2%), 34.1/s, ETA 0:14
// Thread-safe: update() may be called from any thread (create_job's publishing threads do).

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace wpcli {

// Whether stderr is a terminal.
bool stderr_is_terminal();

// "0:14", "2:03:04".
std::string format_duration(double seconds);

class ProgressBar {
public:
    enum class Style { kTerminal, kLines };

    // `total` may be 0 when unknown (then only the count and rate are shown).
    ProgressBar(std::string label, std::uint64_t total, Style style,
                std::chrono::milliseconds min_redraw = std::chrono::milliseconds(100));
    ~ProgressBar();

    // Reports `done` units. Redraws at most every min_redraw unless `force`; the Lines style writes
    // a line only when `done` changed since the last one. The rate is measured from construction
    // (counting from 0) or from the last rebase().
    void update(std::uint64_t done, bool force = false);
    void set_total(std::uint64_t total);
    // Measures the rate from now and `done` on (work done before watching does not count).
    void rebase(std::uint64_t done);

    // Draws the last state (terminal: then moves to a new line). Further updates are ignored.
    void finish();

    // The line as it would be drawn now (for tests and the Lines style). For a terminal it fits in
    // the terminal's width minus one column (a wrapped line cannot be redrawn in place): the bar
    // shrinks or goes, then the label is cut short with "...", then the counts.
    std::string render(std::uint64_t done, bool for_terminal) const;

private:
    using Clock = std::chrono::steady_clock;

    void draw(bool final_draw);

    std::string label_;
    std::uint64_t total_;
    Style style_;
    std::chrono::milliseconds min_redraw_;
    mutable std::mutex mutex_;
    bool started_ = false;
    bool finished_ = false;
    Clock::time_point start_time_;
    std::uint64_t start_done_ = 0;
    std::uint64_t done_ = 0;
    Clock::time_point last_draw_;
    bool drawn_ = false;
    std::uint64_t drawn_done_ = 0;
};

}  // namespace wpcli
