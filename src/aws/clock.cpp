#include "aws/clock.hpp"

#include <cctype>
#include <cstdio>

#include "watchbot_progress/errors.hpp"

namespace watchbot_progress::aws {
namespace {

using namespace std::chrono;

[[noreturn]] void bad_time(std::string_view text, const char* expected) {
    throw InvalidInput("invalid timestamp '" + std::string(text) + "': expected " + expected);
}

// Reads `count` digits at `pos`; returns -1 when they are not all digits.
int digits(std::string_view text, std::size_t pos, std::size_t count) {
    if (pos + count > text.size()) return -1;
    int value = 0;
    for (std::size_t i = pos; i < pos + count; ++i) {
        if (std::isdigit(static_cast<unsigned char>(text[i])) == 0) return -1;
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

bool make_time(int y, int mo, int d, int h, int mi, int s, TimePoint& out) {
    if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) return false;
    year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (!ymd.ok() || h > 23 || mi > 59 || s > 60) return false;
    out = sys_days{ymd} + hours{h} + minutes{mi} + seconds{s};
    return true;
}

struct Fields {
    int y, mo, d, h, mi, s;
};

Fields split(TimePoint t) {
    auto secs = floor<seconds>(t);
    auto day_start = floor<days>(secs);
    year_month_day ymd{day_start};
    hh_mm_ss<seconds> hms{secs - day_start};
    return {static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
            static_cast<int>(static_cast<unsigned>(ymd.day())), static_cast<int>(hms.hours().count()),
            static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count())};
}

}  // namespace

TimePoint system_clock_now() { return system_clock::now(); }

std::string format_amz_date(TimePoint t) {
    Fields f = split(t);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02dZ", f.y, f.mo, f.d, f.h, f.mi, f.s);
    return buf;
}

TimePoint parse_amz_date(std::string_view text) {
    constexpr const char* kExpected = "YYYYMMDDTHHMMSSZ";
    if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') bad_time(text, kExpected);
    TimePoint out;
    if (!make_time(digits(text, 0, 4), digits(text, 4, 2), digits(text, 6, 2), digits(text, 9, 2),
                   digits(text, 11, 2), digits(text, 13, 2), out)) {
        bad_time(text, kExpected);
    }
    return out;
}

TimePoint parse_iso8601(std::string_view text) {
    constexpr const char* kExpected = "YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM)";
    if (text.size() < 20 || text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't') ||
        text[13] != ':' || text[16] != ':') {
        bad_time(text, kExpected);
    }
    TimePoint out;
    if (!make_time(digits(text, 0, 4), digits(text, 5, 2), digits(text, 8, 2), digits(text, 11, 2),
                   digits(text, 14, 2), digits(text, 17, 2), out)) {
        bad_time(text, kExpected);
    }
    std::size_t pos = 19;
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        std::size_t start = pos;
        long long nanos = 0;
        int scale = 0;
        while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])) != 0) {
            if (scale < 9) {
                nanos = nanos * 10 + (text[pos] - '0');
                ++scale;
            }
            ++pos;
        }
        if (pos == start) bad_time(text, kExpected);
        for (; scale < 9; ++scale) nanos *= 10;
        out += duration_cast<system_clock::duration>(nanoseconds{nanos});
    }
    std::string_view zone = text.substr(pos);
    if (zone == "Z" || zone == "z") return out;
    if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
        int h = digits(zone, 1, 2);
        int m = digits(zone, 4, 2);
        if (h < 0 || m < 0 || h > 23 || m > 59) bad_time(text, kExpected);
        auto offset = hours{h} + minutes{m};
        return zone[0] == '+' ? out - offset : out + offset;
    }
    bad_time(text, kExpected);
}

std::string format_iso8601(TimePoint t) {
    Fields f = split(t);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", f.y, f.mo, f.d, f.h, f.mi, f.s);
    return buf;
}

}  // namespace watchbot_progress::aws
