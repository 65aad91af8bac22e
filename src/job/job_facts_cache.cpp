#include "watchbot_progress/job_facts_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <vector>

#include <nlohmann/json.hpp>

#include "watchbot_progress/errors.hpp"

namespace watchbot_progress {

namespace {

constexpr int kEntryVersion = 1;
std::atomic<unsigned> temporary_counter{0};  // temporary file names of this process
constexpr std::uintmax_t kMaxEntryBytes = 64 * 1024;  // an entry is a few hundred bytes; larger: not ours

std::int64_t system_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// FNV-1a, 64 bits: a stable file name for (backend, job) across processes and builds. A collision
// only makes two jobs share a file; the entry names its backend and job, so neither trusts the
// other's facts.
std::uint64_t fnv1a(const std::string& text) {
    std::uint64_t h = 14695981039346656037ULL;
    for (const unsigned char c : text) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return h;
}

struct Entry {
    JobFacts facts;
    std::int64_t read_at_ms = 0;
};

// The entry in `path` when it is a well-formed entry of `backend` and `jobid`; nullopt otherwise.
std::optional<Entry> read_entry(const std::filesystem::path& path, const std::string& backend, const std::string& jobid) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec || size > kMaxEntryBytes) return std::nullopt;
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_object()) return std::nullopt;
    const auto string_at = [&](const char* key) -> const std::string* {
        const auto it = j.find(key);
        return it != j.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
    };
    const auto int_at = [&](const char* key) -> std::optional<std::int64_t> {
        const auto it = j.find(key);
        if (it == j.end() || !it->is_number_integer()) return std::nullopt;
        return it->get<std::int64_t>();
    };
    const std::string* b = string_at("backend");
    const std::string* id = string_at("jobid");
    const auto version = int_at("v");
    const auto total = int_at("total");
    const auto read_at = int_at("readAt");
    if (!b || !id || *b != backend || *id != jobid || version != kEntryVersion || !total || *total < 0 || !read_at) {
        return std::nullopt;
    }
    Entry entry;
    entry.facts.total = *total;
    entry.read_at_ms = *read_at;
    if (const auto f = j.find("failure"); f != j.end() && !f->is_null()) {
        if (!f->is_string()) return std::nullopt;
        entry.facts.failure = f->get<std::string>();
    }
    if (const auto l = j.find("layout"); l != j.end()) entry.facts.layout = *l;
    return entry;
}

std::string entry_text(const std::string& backend, const std::string& jobid, const JobFacts& facts, std::int64_t read_at_ms) {
    nlohmann::json j = {{"v", kEntryVersion},
                        {"backend", backend},
                        {"jobid", jobid},
                        {"total", facts.total},
                        {"readAt", read_at_ms},
                        {"failure", facts.failure ? nlohmann::json(*facts.failure) : nlohmann::json(nullptr)},
                        {"layout", facts.layout}};
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace

std::filesystem::path default_job_facts_cache_directory() {
    if (const char* dir = std::getenv("WATCHBOT_PROGRESS_CACHE_DIR"); dir != nullptr && *dir != '\0') return dir;
    const char* tmp = std::getenv("TMPDIR");
    const std::filesystem::path base = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
    return base / ("watchbot-progress-" + std::to_string(::geteuid()));
}

std::chrono::milliseconds parse_check_interval(const std::string& text, const std::string& what) {
    const auto bad = [&] {
        return InvalidInput(what + " '" + text.substr(0, 40) +
                            "' is not a duration: give a whole number with a unit (500ms, 5s, 1m, 1h) or 0 (every "
                            "delivery reads the job)");
    };
    long long n = 0;
    const char* end = text.data() + text.size();
    const auto [rest, ec] = std::from_chars(text.data(), end, n);
    if (ec != std::errc() || n < 0 || rest == text.data()) throw bad();
    const std::string unit(rest, end);
    if (unit.empty()) {
        if (n != 0) throw bad();
        return std::chrono::milliseconds(0);
    }
    long long scale = 0;
    if (unit == "ms") scale = 1;
    else if (unit == "s") scale = 1000;
    else if (unit == "m") scale = 60'000;
    else if (unit == "h") scale = 3'600'000;
    else throw bad();
    if (n > 24LL * 3'600'000 / scale) throw bad();  // at most a day: a longer one is a mistake
    return std::chrono::milliseconds(n * scale);
}

JobFactsCacheOptions job_facts_cache_options_from_env() {
    JobFactsCacheOptions options;
    options.directory = default_job_facts_cache_directory();
    if (const char* interval = std::getenv("WATCHBOT_PROGRESS_CHECK_INTERVAL"); interval != nullptr && *interval != '\0') {
        try {
            options.interval = parse_check_interval(interval, "WATCHBOT_PROGRESS_CHECK_INTERVAL");
        } catch (const InvalidInput& e) {
            throw ConfigError(e.what());
        }
    }
    return options;
}

JobFactsCache::JobFactsCache(JobFactsCacheOptions options)
    : options_(std::move(options)),
      directory_(options_.directory.empty() ? default_job_facts_cache_directory() : options_.directory) {}

std::int64_t JobFactsCache::now_ms() const { return options_.now_ms ? options_.now_ms() : system_now_ms(); }

std::filesystem::path JobFactsCache::entry_path(const std::string& backend, const std::string& jobid) const {
    char name[32];
    std::snprintf(name, sizeof name, "%016llx.json", static_cast<unsigned long long>(fnv1a(backend + '\0' + jobid)));
    return directory_ / name;
}

bool JobFactsCache::usable() const {
    if (usable_) return *usable_;
    usable_ = false;
    std::error_code ec;
    if (directory_.has_parent_path()) std::filesystem::create_directories(directory_.parent_path(), ec);
    if (::mkdir(directory_.c_str(), 0700) != 0 && errno != EEXIST) return false;
    struct stat st {};
    if (::lstat(directory_.c_str(), &st) != 0) return false;
    // Another user's directory (or one others may write) could feed this user's workers facts.
    if (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 022) != 0) {
        std::fprintf(stderr,
                     "watchbot-progress: the job cache directory %s is not a directory of this user closed to others "
                     "(mode 0700): not used, every delivery reads its job (set WATCHBOT_PROGRESS_CACHE_DIR)\n",
                     directory_.c_str());
        return false;
    }
    usable_ = true;
    return true;
}

std::optional<JobFacts> JobFactsCache::fresh(const std::string& backend, const std::string& jobid) const {
    if (options_.interval.count() <= 0) return std::nullopt;
    try {
        if (!usable()) return std::nullopt;
        const auto entry = read_entry(entry_path(backend, jobid), backend, jobid);
        if (!entry) return std::nullopt;
        const std::int64_t age = now_ms() - entry->read_at_ms;
        if (age < 0 || age >= options_.interval.count()) return std::nullopt;
        return entry->facts;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

void JobFactsCache::write_entry(const std::filesystem::path& path, const std::string& text) const noexcept {
    const std::string tmp = path.string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(temporary_counter++);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return;
    std::size_t done = 0;
    bool ok = true;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ok = false;
            break;
        }
        done += static_cast<std::size_t>(n);
    }
    ok = ::close(fd) == 0 && ok;
    // rename: readers see the old entry or the new one, never a part of one.
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) ::unlink(tmp.c_str());
}

void JobFactsCache::store(const std::string& backend, const std::string& jobid, const JobFacts& facts,
                          std::int64_t read_at_ms) noexcept {
    if (options_.interval.count() <= 0 || facts.total <= 0) return;
    try {
        if (!usable()) return;
        const auto path = entry_path(backend, jobid);
        const auto old = read_entry(path, backend, jobid);
        // A failure recorded on this host after this read began is newer than what the read saw.
        if (old && old->facts.failure && !facts.failure && old->read_at_ms > read_at_ms) return;
        write_entry(path, entry_text(backend, jobid, facts, read_at_ms));
        if (!old) prune();  // a new entry: time to drop the old ones
    } catch (const std::exception&) {
    }
}

void JobFactsCache::record_failure(const std::string& backend, const std::string& jobid, const std::string& reason) noexcept {
    if (options_.interval.count() <= 0) return;
    try {
        if (!usable()) return;
        const auto path = entry_path(backend, jobid);
        JobFacts facts;
        if (const auto old = read_entry(path, backend, jobid)) facts = old->facts;
        facts.failure = reason;
        write_entry(path, entry_text(backend, jobid, facts, now_ms()));
    } catch (const std::exception&) {
    }
}

void JobFactsCache::forget(const std::string& backend, const std::string& jobid) noexcept {
    if (options_.interval.count() <= 0) return;
    try {
        if (!usable()) return;
        std::error_code ec;
        std::filesystem::remove(entry_path(backend, jobid), ec);
    } catch (const std::exception&) {
    }
}

void JobFactsCache::prune() const noexcept {
    try {
        namespace fs = std::filesystem;
        std::error_code ec;
        const auto now = fs::file_time_type::clock::now();
        const auto max_age = std::max<std::chrono::milliseconds>(options_.max_age, 10 * options_.interval);
        std::vector<std::pair<fs::file_time_type, fs::path>> kept;
        for (fs::directory_iterator it(directory_, ec), end; !ec && it != end; it.increment(ec)) {
            const auto& p = it->path();
            const std::string name = p.filename().string();
            if (name.find(".json") == std::string::npos) continue;  // not an entry (or its temporary file)
            std::error_code time_ec;
            const auto time = fs::last_write_time(p, time_ec);
            if (time_ec) continue;
            if (now - time > max_age) {
                fs::remove(p, time_ec);
            } else if (name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0) {
                kept.emplace_back(time, p);
            }
        }
        if (kept.size() <= options_.max_entries) return;
        std::sort(kept.begin(), kept.end());
        for (std::size_t i = 0; i + options_.max_entries < kept.size(); ++i) fs::remove(kept[i].second, ec);
    } catch (const std::exception&) {
    }
}

std::optional<std::string> check_part_cached(Backend& backend, JobFactsCache* cache, const std::string& jobid,
                                             PartId partid) {
    if (cache == nullptr || cache->interval().count() <= 0) return backend.check_part(jobid, partid);
    const std::string where = backend.describe();
    if (const auto facts = cache->fresh(where, jobid); facts && !facts->failure && partid >= 0 && partid < facts->total) {
        backend.assume_job_facts(jobid, *facts);
        return std::nullopt;
    }
    const std::int64_t read_at = cache->now_ms();  // before the read: the facts are at least this old
    JobFacts facts;
    try {
        facts = backend.check_part_facts(jobid, partid);
    } catch (const JobDoesNotExist&) {
        cache->forget(where, jobid);
        throw;
    }
    cache->store(where, jobid, facts, read_at);
    return facts.failure;
}

}  // namespace watchbot_progress
