#include "part_reader.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <regex>

#include "output.hpp"
#include "watchbot_progress/errors.hpp"

namespace wp = watchbot_progress;

namespace wpcli {

namespace {

bool is_json_whitespace(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string show_char(int c) {
    if (c == EOF) return "the end of the input";
    if (c >= 0x20 && c < 0x7F) return std::string("'") + static_cast<char>(c) + "'";
    char buf[16];
    std::snprintf(buf, sizeof buf, "byte 0x%02X", static_cast<unsigned>(c) & 0xFFu);
    return buf;
}

}  // namespace

PartReader::PartReader(const std::string& path, Format format) : requested_format_(format) {
    if (path == "-") {
        file_ = stdin;
        name_ = "standard input";
    } else {
        name_ = "'" + path + "'";
        file_ = std::fopen(path.c_str(), "rb");
        if (file_ == nullptr) {
            throw wp::InvalidInput("cannot open the parts file " + name_ + ": " + std::strerror(errno));
        }
        owns_file_ = true;
    }
    struct stat st {};
    if (::fstat(fileno(file_), &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            if (owns_file_) std::fclose(file_);
            throw wp::InvalidInput("the parts file " + name_ + " is a directory");
        }
        if (S_ISREG(st.st_mode)) {
            const long offset = std::ftell(file_);
            if (offset >= 0) {
                seekable_ = true;
                start_offset_ = offset;
            }
        }
    }
}

PartReader::~PartReader() {
    if (owns_file_ && file_ != nullptr) std::fclose(file_);
}

int PartReader::get() {
    const int c = getc_unlocked(file_);
    if (c == '\n') {
        ++line_;
    } else if (c == EOF && std::ferror(file_)) {
        throw wp::Error("cannot read the parts from " + name_ + ": " + std::strerror(errno));
    }
    return c;
}

void PartReader::unget(int c) {
    if (c == EOF) return;
    if (c == '\n') --line_;
    std::ungetc(c, file_);
}

int PartReader::skip_whitespace() {
    int c = get();
    while (is_json_whitespace(c)) c = get();
    return c;
}

void PartReader::fail(const std::string& message) const {
    throw wp::InvalidInput("parts from " + name_ + ": " + message);
}

void PartReader::start() {
    started_ = true;
    int c = get();
    if (c == 0xEF) {  // a UTF-8 byte order mark
        const int c2 = get();
        const int c3 = get();
        if (c2 != 0xBB || c3 != 0xBF) fail("the input starts with an invalid byte (not UTF-8 JSON)");
    } else {
        unget(c);
    }
    c = skip_whitespace();
    if (c == EOF) {
        finished_ = true;  // no parts: create_job says so
        return;
    }
    Format detected = c == '[' ? Format::kArray : Format::kLines;
    if (requested_format_ == Format::kArray && c != '[') {
        fail("expected a JSON array of parts, but the input starts with " + show_char(c) +
             " (use --format lines for JSON Lines)");
    }
    if (requested_format_ == Format::kLines) detected = Format::kLines;
    format_ = detected;
    if (format_ == Format::kArray) {
        expect_element_ = true;
    } else {
        unget(c);
    }
}

nlohmann::json PartReader::parse_part(const std::string& text, std::uint64_t line) const {
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        // nlohmann counts lines from the part's own first line: give its column on the part's first
        // line, or the input's line number further in, so that one message names one line.
        std::string what = describe_json_error(e);
        static const std::regex kAt(R"(^parse error at line ([0-9]+), column ([0-9]+))");
        std::smatch at;
        if (std::regex_search(what, at, kAt)) {
            const std::uint64_t part_line = std::stoull(at[1].str());
            what = "parse error at " +
                   (part_line == 1 ? std::string() : "line " + std::to_string(line + part_line - 1) + ", ") + "column " +
                   at[2].str() + at.suffix().str();
        }
        fail("part " + std::to_string(index_) + " (line " + std::to_string(line) + ") is not valid JSON: " + what +
             (format_ == Format::kLines ? " (JSON Lines input needs one whole JSON object per line)" : ""));
    }
}

bool PartReader::next_array(nlohmann::json& part) {
    int c = skip_whitespace();
    if (c == EOF) fail("the JSON array is not closed: ']' is missing at the end of the input");
    if (c == ']') {
        if (expect_element_ && index_ > 0) {
            fail("a trailing ',' before the ']' on line " + std::to_string(line_) + " (JSON does not allow one)");
        }
        c = skip_whitespace();
        if (c != EOF) {
            fail("unexpected " + show_char(c) + " on line " + std::to_string(line_) +
                 " after the closing ']' of the array of parts");
        }
        finished_ = true;
        return false;
    }
    if (!expect_element_) {
        fail("expected ',' or ']' after part " + std::to_string(index_ - 1) + " on line " + std::to_string(line_) +
             ", found " + show_char(c));
    }
    const std::uint64_t start_line = line_;
    buffer_.clear();
    int depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (;; c = get()) {
        if (c == EOF) {
            fail("the input ends inside part " + std::to_string(index_) + " (which starts on line " +
                 std::to_string(start_line) + "): the JSON array is not closed");
        }
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            if (depth == 0) {
                unget(c);
                break;
            }
            --depth;
        } else if (c == ',' && depth == 0) {
            unget(c);
            break;
        }
        buffer_.push_back(static_cast<char>(c));
    }
    c = skip_whitespace();
    if (c == ',') {
        expect_element_ = true;
    } else if (c == ']') {
        unget(c);
        expect_element_ = false;
    } else {
        fail("expected ',' or ']' after part " + std::to_string(index_) + " on line " + std::to_string(line_) +
             ", found " + show_char(c));
    }
    part = parse_part(buffer_, start_line);
    return true;
}

bool PartReader::next_line(nlohmann::json& part) {
    for (;;) {
        buffer_.clear();
        const std::uint64_t start_line = line_;
        int c;
        while ((c = get()) != EOF && c != '\n') buffer_.push_back(static_cast<char>(c));
        bool blank = true;
        for (const char ch : buffer_) {
            if (!is_json_whitespace(static_cast<unsigned char>(ch))) {
                blank = false;
                break;
            }
        }
        if (blank) {
            if (c == EOF) {
                finished_ = true;
                return false;
            }
            continue;
        }
        part = parse_part(buffer_, start_line);
        return true;
    }
}

bool PartReader::next(nlohmann::json& part) {
    if (!started_) start();
    if (finished_) return false;
    const bool got = format_ == Format::kArray ? next_array(part) : next_line(part);
    if (!got) return false;
    ++index_;
    if (first_pass_ && on_read_) on_read_(index_);
    return true;
}

bool PartReader::rewind() {
    if (!seekable_) return false;
    if (std::fseek(file_, start_offset_, SEEK_SET) != 0) return false;
    std::clearerr(file_);
    if (started_) first_pass_ = false;
    started_ = false;
    finished_ = false;
    expect_element_ = true;
    line_ = 1;
    index_ = 0;
    format_ = Format::kAuto;
    return true;
}

}  // namespace wpcli
