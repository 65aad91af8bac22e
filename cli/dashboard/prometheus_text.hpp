#pragma once
// The Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/): metric families, each a `# HELP`
// line, a `# TYPE` line and its samples, with label values and help text escaped as the format says.

#include <string>
#include <utility>
#include <vector>

namespace wpcli::dashboard {

// The Content-Type of a response in this format.
inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

using Labels = std::vector<std::pair<std::string, std::string>>;  // name, value; names are [a-zA-Z_][a-zA-Z0-9_]*

// A label value as the format writes it inside its double quotes: backslash, double quote and line
// feed as \\, \" and \n.
std::string escape_label_value(const std::string& value);

// HELP text as the format writes it: backslash and line feed as \\ and \n.
std::string escape_help(const std::string& help);

// Builds the exposition text. Call family() once per metric name, then sample() for its samples;
// the samples of one family must follow its family() call.
class PrometheusText {
public:
    // `type`: "gauge", "counter" or "untyped".
    void family(const std::string& name, const char* type, const std::string& help);
    void sample(const std::string& name, const Labels& labels, double value);
    void sample(const std::string& name, double value) { sample(name, {}, value); }

    const std::string& text() const { return text_; }

private:
    std::string text_;
};

}  // namespace wpcli::dashboard
