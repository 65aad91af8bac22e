#include "word_count.hpp"

#include <cctype>
#include <fstream>
#include <stdexcept>

namespace wordcount {

Counts count_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + file.string());
    Counts counts;
    std::string word;
    auto flush = [&] {
        while (!word.empty() && word.back() == '\'') word.pop_back();
        if (!word.empty()) ++counts[word];
        word.clear();
    };
    char c;
    while (in.get(c)) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalpha(u) != 0) {
            word.push_back(static_cast<char>(std::tolower(u)));
        } else if (c == '\'' && !word.empty()) {
            word.push_back(c);
        } else {
            flush();
        }
    }
    flush();
    return counts;
}

void merge(Counts& total, const Counts& more) {
    for (const auto& [word, n] : more) total[word] += n;
}

nlohmann::json to_json(const Counts& counts) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [word, n] : counts) out[word] = n;
    return out;
}

Counts from_json(const nlohmann::json& object) {
    Counts counts;
    for (const auto& [word, n] : object.items()) counts[word] = n.get<std::uint64_t>();
    return counts;
}

}  // namespace wordcount
