#pragma once
// What the metrics tests share: Debian's promtool (`promtool check metrics`, the package
// `prometheus`, which scripts/deps.sh installs) run on an exposition text, and a reader of the text
// format's samples that takes apart exactly what /metrics writes (and fails on anything else).

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace wp_test {

// promtool's path: on PATH, else Debian's /usr/bin/promtool; empty when neither is there.
inline std::string promtool_path() {
    if (const char* path = std::getenv("PATH")) {
        std::stringstream dirs(path);
        for (std::string dir; std::getline(dirs, dir, ':');) {
            const std::string candidate = (dir.empty() ? "." : dir) + "/promtool";
            if (::access(candidate.c_str(), X_OK) == 0) return candidate;
        }
    }
    return ::access("/usr/bin/promtool", X_OK) == 0 ? "/usr/bin/promtool" : "";
}

// Runs `promtool check metrics` on `text` (its stdin) and fails the test, with promtool's words, when
// promtool finds a problem, or when promtool is missing (never a skip: CI must have it).
inline void expect_promtool_accepts(const std::string& text) {
    const std::string promtool = promtool_path();
    if (promtool.empty()) {
        ADD_FAILURE() << "promtool is missing: run the tests through scripts/test, which takes promtool from "
                         "Debian's `prometheus` package into tools/promtool/ and puts it on PATH (or put a "
                         "promtool on PATH)";
        return;
    }
    char input[] = "/tmp/wp-metrics-XXXXXX";
    const int fd = ::mkstemp(input);
    ASSERT_GE(fd, 0);
    ::close(fd);
    std::ofstream(input, std::ios::binary) << text;
    const std::string command = promtool + " check metrics < " + input + " 2>&1";
    std::string output;
    FILE* pipe = ::popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
    const int status = ::pclose(pipe);
    ::unlink(input);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "promtool check metrics refused the text:\n" << output << "\n--- the text:\n" << text;
}

// One sample: the metric's name and its labels (values unescaped).
struct Sample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
};

// The samples of an exposition text, in order. Throws std::runtime_error naming the line for a line
// that is neither `# HELP name text`, `# TYPE name type` nor `name{label="value",...} value`, a
// sample whose family has no TYPE line before it, or a bad escape in a label value.
inline std::vector<Sample> parse_exposition(const std::string& text) {
    static const std::regex help(R"(^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$)");
    static const std::regex type(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$)");
    static const std::regex name_re(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*))");
    static const std::regex label_re(R"(^([a-zA-Z_][a-zA-Z0-9_]*)=\")");
    std::vector<Sample> samples;
    std::map<std::string, std::string> types;
    std::istringstream in(text);
    int number = 0;
    for (std::string line; std::getline(in, line);) {
        ++number;
        const auto bad = [&](const std::string& why) {
            return std::runtime_error("line " + std::to_string(number) + " (" + line + "): " + why);
        };
        std::smatch m;
        if (line.rfind("#", 0) == 0) {
            if (std::regex_match(line, m, type)) {
                types[m[1]] = m[2];
            } else if (!std::regex_match(line, m, help)) {
                throw bad("a comment that is neither HELP nor TYPE");
            }
            continue;
        }
        if (line.empty()) throw bad("an empty line");
        Sample s;
        std::string rest = line;
        if (!std::regex_search(rest, m, name_re)) throw bad("no metric name");
        s.name = m[1];
        rest = rest.substr(m.length(0));
        if (!rest.empty() && rest[0] == '{') {
            rest = rest.substr(1);
            while (!rest.empty() && rest[0] != '}') {
                if (!std::regex_search(rest, m, label_re)) throw bad("a label is not name=\"value\"");
                const std::string label = m[1];
                rest = rest.substr(m.length(0));
                std::string value;
                std::size_t i = 0;
                for (; i < rest.size() && rest[i] != '"'; ++i) {
                    if (rest[i] != '\\') {
                        value += rest[i];
                        continue;
                    }
                    if (++i == rest.size()) throw bad("an escape at the end");
                    if (rest[i] == '\\') value += '\\';
                    else if (rest[i] == '"') value += '"';
                    else if (rest[i] == 'n') value += '\n';
                    else throw bad("an unknown escape");
                }
                if (i == rest.size()) throw bad("an unterminated label value");
                if (!s.labels.emplace(label, value).second) throw bad("a label given twice");
                rest = rest.substr(i + 1);
                if (!rest.empty() && rest[0] == ',') rest = rest.substr(1);
            }
            if (rest.empty()) throw bad("no closing brace");
            rest = rest.substr(1);
        }
        if (rest.size() < 2 || rest[0] != ' ') throw bad("no value after one space");
        rest = rest.substr(1);
        std::size_t used = 0;
        try {
            s.value = std::stod(rest, &used);
        } catch (const std::exception&) {
            throw bad("the value is not a number");
        }
        if (used != rest.size()) throw bad("something after the value");
        if (types.count(s.name) == 0) throw bad("a sample without a TYPE line before it");
        samples.push_back(std::move(s));
    }
    return samples;
}

// The value of the one sample of `name` with exactly these labels; nullopt when there is none.
inline std::optional<double> sample_value(const std::vector<Sample>& samples, const std::string& name,
                                          const std::map<std::string, std::string>& labels = {}) {
    std::optional<double> found;
    for (const auto& s : samples) {
        if (s.name != name || s.labels != labels) continue;
        if (found) throw std::runtime_error("two samples of " + name);
        found = s.value;
    }
    return found;
}

}  // namespace wp_test
