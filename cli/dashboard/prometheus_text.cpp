#include "prometheus_text.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace wpcli::dashboard {

std::string escape_label_value(const std::string& value) {
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string escape_help(const std::string& help) {
    std::string out;
    out.reserve(help.size());
    for (const char c : help) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

void PrometheusText::family(const std::string& name, const char* type, const std::string& help) {
    text_ += "# HELP " + name + " " + escape_help(help) + "\n";
    text_ += "# TYPE " + name + " " + type + "\n";
}

namespace {

// A sample value: whole numbers without a fraction or exponent, others to 15 (or, when needed to read
// back the same double, 17) significant digits;
// NaN and infinities as the format spells them.
std::string format_value(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    char buffer[64];
    if (value == std::floor(value) && std::fabs(value) < 1e15) {
        std::snprintf(buffer, sizeof buffer, "%.0f", value);
    } else {
        // The shortest of 15 and 17 significant digits that reads back as the same double.
        std::snprintf(buffer, sizeof buffer, "%.15g", value);
        if (std::strtod(buffer, nullptr) != value) std::snprintf(buffer, sizeof buffer, "%.17g", value);
    }
    return buffer;
}

}  // namespace

void PrometheusText::sample(const std::string& name, const Labels& labels, double value) {
    text_ += name;
    if (!labels.empty()) {
        text_ += '{';
        bool first = true;
        for (const auto& [label, label_value] : labels) {
            if (!first) text_ += ',';
            first = false;
            text_ += label + "=\"" + escape_label_value(label_value) + "\"";
        }
        text_ += '}';
    }
    text_ += ' ' + format_value(value) + '\n';
}

}  // namespace wpcli::dashboard
