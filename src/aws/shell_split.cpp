#include "aws/shell_split.hpp"

#include "watchbot_progress/errors.hpp"

namespace watchbot_progress::aws {

std::vector<std::string> shell_split(std::string_view text) {
    std::vector<std::string> words;
    std::string word;
    bool in_word = false;
    std::size_t i = 0;
    auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (i < text.size()) {
        const char c = text[i];
        if (blank(c)) {
            if (in_word) words.push_back(std::move(word));
            word.clear();
            in_word = false;
            ++i;
        } else if (c == '\'') {
            const auto close = text.find('\'', i + 1);
            if (close == std::string_view::npos) throw InvalidInput("no closing quotation (')");
            word.append(text.substr(i + 1, close - i - 1));
            in_word = true;
            i = close + 1;
        } else if (c == '"') {
            in_word = true;
            for (++i;; ++i) {
                if (i >= text.size()) throw InvalidInput("no closing quotation (\")");
                const char d = text[i];
                if (d == '"') break;
                if (d == '\\' && i + 1 < text.size()) {
                    const char next = text[i + 1];
                    if (next == '\\' || next == '"' || next == '$' || next == '`' || next == '\n') {
                        word.push_back(next);
                        ++i;
                        continue;
                    }
                }
                word.push_back(d);
            }
            ++i;
        } else if (c == '\\') {
            if (i + 1 >= text.size()) throw InvalidInput("ends with a backslash");
            word.push_back(text[i + 1]);
            in_word = true;
            i += 2;
        } else {
            word.push_back(c);
            in_word = true;
            ++i;
        }
    }
    if (in_word) words.push_back(std::move(word));
    return words;
}

}  // namespace watchbot_progress::aws
