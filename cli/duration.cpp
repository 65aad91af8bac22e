#include "duration.hpp"

#include <charconv>
#include <cmath>

#include "watchbot_progress/errors.hpp"

namespace wpcli {

std::chrono::milliseconds parse_duration(const std::string& text, const char* option) {
    const auto bad = [&] {
        return watchbot_progress::InvalidInput(std::string(option) + ": '" + text +
                                               "' is not a duration: give a number with an optional unit ms, s, m, "
                                               "h or d (e.g. 90, 90s, 15m, 2h, 7d)");
    };
    double value = 0;
    const char* first = text.data();
    const char* last = text.data() + text.size();
    auto [end, error] = std::from_chars(first, last, value);
    if (error != std::errc() || end == first || !std::isfinite(value) || value < 0) throw bad();
    const std::string unit(end, last);
    double ms_per_unit = 0;
    if (unit.empty() || unit == "s") ms_per_unit = 1000;
    else if (unit == "ms") ms_per_unit = 1;
    else if (unit == "m") ms_per_unit = 60'000;
    else if (unit == "h") ms_per_unit = 3'600'000;
    else if (unit == "d") ms_per_unit = 86'400'000;
    else throw bad();
    const double ms = value * ms_per_unit;
    if (ms > 1e15) throw bad();  // over 30,000 years: a typo
    return std::chrono::milliseconds(static_cast<long long>(std::llround(ms)));
}

std::string describe_duration(std::chrono::milliseconds duration) {
    long long ms = duration.count();
    if (ms < 0) ms = 0;
    if (ms < 1000) return std::to_string(ms) + "ms";
    const long long s = ms / 1000;
    struct Unit {
        long long seconds;
        const char* name;
    };
    constexpr Unit kUnits[] = {{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
    std::string out;
    long long rest = s;
    int shown = 0;
    for (const Unit& u : kUnits) {
        if (shown == 2) break;
        const long long n = rest / u.seconds;
        if (n == 0 && shown == 0) continue;
        if (n > 0) {
            if (!out.empty()) out += ' ';
            out += std::to_string(n) + u.name;
        }
        rest -= n * u.seconds;
        ++shown;
    }
    return out;
}

}  // namespace wpcli
