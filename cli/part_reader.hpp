#pragma once
// Reads the parts of `create` from a file or stdin, one part at a time, as a PartSource:
//   a JSON array of objects          [{"url": "a"}, {"url": "b"}]   (may span any number of lines)
//   JSON Lines                       one object per line; blank lines are skipped
// Auto-detection looks at the first non-blank character: '[' is an array, anything else JSON Lines.
// Only one part is held in memory at a time: the array is split into its elements by a small
// scanner (strings, escapes and nesting respected) and each element is parsed on its own.
//
// A regular file rewinds (create_job then reads it twice: validate, publish); a pipe does not (create_job
// spools the validated messages to a temporary file). Errors are InvalidInput naming the part and line.

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "watchbot_progress/job.hpp"

namespace wpcli {

class PartReader final : public watchbot_progress::PartSource {
public:
    enum class Format { kAuto, kArray, kLines };

    // path "-": stdin. Throws InvalidInput when the file cannot be opened.
    PartReader(const std::string& path, Format format);
    ~PartReader() override;
    PartReader(const PartReader&) = delete;
    PartReader& operator=(const PartReader&) = delete;

    bool next(nlohmann::json& part) override;
    bool rewind() override;

    // Called after each part read during the first pass, with the count so far.
    void on_read(std::function<void(std::uint64_t)> callback) { on_read_ = std::move(callback); }

    // The format in use (after auto-detection; Auto before the first read).
    Format format() const noexcept { return format_; }

private:
    int get();
    void unget(int c);
    int skip_whitespace();  // returns the first non-whitespace character (or EOF), consumed
    [[noreturn]] void fail(const std::string& message) const;
    void start();
    bool next_array(nlohmann::json& part);
    bool next_line(nlohmann::json& part);
    nlohmann::json parse_part(const std::string& text, std::uint64_t line) const;

    std::string name_;  // for messages: the path or "standard input"
    std::FILE* file_ = nullptr;
    bool owns_file_ = false;
    bool seekable_ = false;
    long start_offset_ = 0;
    Format requested_format_;
    Format format_ = Format::kAuto;

    // Scanner state, reset by rewind().
    bool started_ = false;
    bool finished_ = false;
    bool expect_element_ = true;  // array: right after '[' or ','
    std::uint64_t line_ = 1;      // current line (1-based)
    std::uint64_t index_ = 0;     // parts returned so far in this pass
    std::string buffer_;
    bool first_pass_ = true;
    std::function<void(std::uint64_t)> on_read_;
};

}  // namespace wpcli
