// wordcount-worker: one watchbot worker program for all three subjects of a map-reduce job that
// counts word frequencies over a directory of text files.
//
//   Subject=start   Message={"input": DIR, "output": DIR}   lists DIR's files, one part per file,
//                                                           and calls create_job
//   Subject=map     Message=a map message                   counts one file's words inside the Part
//                                                           guard; writes OUTPUT/<jobid>/parts/<partid>.json
//   Subject=reduce  Message={"jobid": ..., "metadata": ...} adds the partial counts into
//                                                           OUTPUT/<jobid>/result.json
//
// The backend and the topic come from ProgressTable and WorkTopic, so the same binary runs locally
// under `watchbot-progress-cpp run` (sqlite:// URIs) and on ECS watchbot (a DynamoDB table ARN and an
// SNS topic ARN). Exit codes follow watchbot: 0 done, 3 reject the message (bad input), 1 retry.

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <vector>

#include "watchbot_progress/watchbot_progress.hpp"
#include "word_count.hpp"

namespace fs = std::filesystem;
namespace wp = watchbot_progress;
using nlohmann::json;

namespace {

constexpr int kReject = 3;

// The input is unusable: retrying will not help, so the job fails.
struct BadInput : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string env(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr) throw wp::ConfigError(std::string(name) + " is not set: run this program as a watchbot worker");
    return value;
}

// Writes a file atomically: readers see the old content or the new, never half of it.
void write_atomically(const fs::path& path, const std::string& content) {
    fs::create_directories(path.parent_path());
    const fs::path tmp = path.string() + ".tmp." + std::to_string(::getpid());
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << content;
        if (!out) throw std::runtime_error("cannot write " + tmp.string());
    }
    fs::rename(tmp, path);
}

int start(const json& message) {
    const fs::path input = message.at("input").get<std::string>();
    const fs::path output = message.at("output").get<std::string>();
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(input)) {
        if (entry.is_regular_file()) files.push_back(fs::absolute(entry.path()));
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) throw BadInput("no files in " + input.string());
    std::vector<json> parts;
    for (const auto& f : files) parts.push_back({{"file", f.string()}});
    const std::string jobid = wp::create_job(parts, {.metadata = {{"input", fs::absolute(input).string()},
                                                                  {"output", fs::absolute(output).string()}}});
    std::cerr << "start: job " << jobid << " with " << parts.size() << " parts\n";
    return 0;
}

int map(const std::string& body) {
    const wp::MapMessage message = wp::parse_map_message(body);
    const fs::path output = message.metadata.at("output").get<std::string>();
    wp::Part part(message, {.fail_job_on = wp::fail_on<BadInput>()});
    part.run([&] {
        const fs::path file = message.body.at("file").get<std::string>();
        if (!fs::is_regular_file(file)) throw BadInput("part " + std::to_string(message.partid) + ": no file " + file.string());
        const wordcount::Counts counts = wordcount::count_file(file);
        write_atomically(output / message.jobid / "parts" / (std::to_string(message.partid) + ".json"),
                         json{{"file", file.string()}, {"counts", wordcount::to_json(counts)}}.dump());
    });
    return 0;
}

int reduce(const json& message) {
    const std::string jobid = message.at("jobid").get<std::string>();
    const fs::path output = message.at("metadata").at("output").get<std::string>();
    const auto backend = wp::default_backend();
    const wp::JobStatus status = backend->status(jobid);
    wordcount::Counts total;
    for (wp::PartId p = 0; p < status.total; ++p) {
        std::ifstream in(output / jobid / "parts" / (std::to_string(p) + ".json"));
        if (!in) throw std::runtime_error("reduce: the result of part " + std::to_string(p) + " is missing");
        wordcount::merge(total, wordcount::from_json(json::parse(in).at("counts")));
    }
    write_atomically(output / jobid / "result.json", wordcount::to_json(total).dump(2) + "\n");
    std::cerr << "reduce: job " << jobid << ": " << total.size() << " distinct words from " << status.total
              << " files -> " << (output / jobid / "result.json").string() << "\n";
    return 0;
}

}  // namespace

int main() {
    try {
        const std::string subject = env("Subject");
        const std::string body = env("Message");
        if (subject == "start") return start(json::parse(body));
        if (subject == "map") return map(body);
        if (subject == "reduce") return reduce(json::parse(body));
        std::cerr << "wordcount-worker: unknown subject '" << subject << "'\n";
        return kReject;
    } catch (const wp::JobFailed& e) {
        std::cerr << "wordcount-worker: " << e.what() << "\n";
        return kReject;  // the job failed: this message can never succeed
    } catch (const BadInput& e) {
        std::cerr << "wordcount-worker: " << e.what() << "\n";
        return kReject;
    } catch (const wp::InvalidInput& e) {
        std::cerr << "wordcount-worker: " << e.what() << "\n";
        return kReject;
    } catch (const json::exception& e) {
        std::cerr << "wordcount-worker: bad message: " << e.what() << "\n";
        return kReject;
    } catch (const std::exception& e) {
        std::cerr << "wordcount-worker: " << e.what() << " (will be retried)\n";
        return 1;
    }
}
