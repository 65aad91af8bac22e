// `watchbot-progress-cpp serve`: the JSON API, the event stream, the static page and the action
// guard, over HTTP against the real binary on a free port of 127.0.0.1 with a SQLite database.
// Synchronised on what the server says (its start-up lines on stderr, its events), never on time.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli_runner.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace {

namespace wp = watchbot_progress;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

// A directory removed with the object.
class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "wp-serve-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    std::string path() const { return path_; }

private:
    std::string path_;
};

// `serve` running in the background: constructed once it printed its start-up lines (its port and,
// with --allow-actions, its token); stopped with SIGINT when destroyed or by stop().
class ServeProcess {
public:
    explicit ServeProcess(std::vector<std::string> args) {
        args.insert(args.begin(), "serve");
        auto ready = ready_.get_future();
        thread_ = std::thread([this, args] {
            wp_test::RunOptions options;
            options.timeout = std::chrono::seconds(600);
            options.interrupt_when = [this] { return stopping_.load(); };
            options.on_stderr = [this](const std::string& err) { on_stderr(err); };
            result_ = wp_test::run_cli(args, options);
            if (!announced_) ready_.set_value();
        });
        ready.get();
        if (port_ == 0) {
            stop();
            ADD_FAILURE() << "serve did not start: " << result_;
        }
    }
    ~ServeProcess() { stop(); }

    // Stops the server and returns how it ended.
    const wp_test::CliResult& stop() {
        stopping_ = true;
        if (thread_.joinable()) thread_.join();
        return result_;
    }

    int port() const { return port_; }
    const std::string& token() const { return token_; }
    const std::string& startup() const { return startup_; }

    httplib::Client client() const {
        httplib::Client c("127.0.0.1", port_);
        c.set_read_timeout(120, 0);
        return c;
    }

private:
    void on_stderr(const std::string& err) {
        if (announced_) return;
        // The last start-up line says whether actions are allowed.
        if (err.find("read-only") == std::string::npos && err.find("actions allowed") == std::string::npos) return;
        std::smatch m;
        if (std::regex_search(err, m, std::regex(R"(on http://[^ ]*:([0-9]+)/)"))) port_ = std::stoi(m[1]);
        if (std::regex_search(err, m, std::regex(R"(with the token ([0-9a-f]+))"))) token_ = m[1];
        startup_ = err;
        announced_ = true;
        ready_.set_value();
    }

    std::promise<void> ready_;
    bool announced_ = false;
    std::atomic<bool> stopping_{false};
    int port_ = 0;
    std::string token_;
    std::string startup_;
    wp_test::CliResult result_;
    std::thread thread_;
};

json body_of(const httplib::Result& res) {
    if (!res) throw std::runtime_error("no HTTP answer: " + httplib::to_string(res.error()));
    return json::parse(res->body);
}

const std::string kHostileId = "<img src=x onerror=\"alert('id')\">&amp;\\";

class ServeApi : public ::testing::Test {
protected:
    void SetUp() override {
        uri_ = "sqlite://" + dir_.path() + "/jobs.db";
        backend_ = wp::open_backend(uri_);
        backend_->set_total("running-job", 4);
        backend_->complete_part("running-job", 0);
        backend_->set_metadata("running-job", {{"zoom", 12}});
        backend_->set_total("complete-job", 1);
        backend_->complete_part("complete-job", 0);
        backend_->set_total("failed-job", 3);
        backend_->fail_job("failed-job", "disk full <b>really</b>");
        backend_->set_total(kHostileId, 2);
        backend_->set_metadata(kHostileId, {{"note", "<script>alert(\"meta\")</script>\n\u2028"}});
    }

    std::vector<std::string> args(std::vector<std::string> extra = {}) const {
        std::vector<std::string> a = {"-d", uri_, "--listen", "127.0.0.1:0", "--interval", "0.05"};
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    }

    TempDir dir_;
    std::string uri_;
    std::shared_ptr<wp::Backend> backend_;
};

TEST_F(ServeApi, SaysWhereItListensAndStopsOnSigint) {
    ServeProcess serve(args());
    ASSERT_NE(serve.port(), 0);
    EXPECT_THAT(serve.startup(), HasSubstr("listening on 127.0.0.1 only"));
    EXPECT_THAT(serve.startup(), HasSubstr("read-only"));
    const auto& result = serve.stop();
    EXPECT_EQ(result.code, 0) << result;
}

TEST_F(ServeApi, ListsJobsWithStatesCountsAndPages) {
    ServeProcess serve(args());
    auto c = serve.client();
    const json all = body_of(c.Get("/api/jobs"));
    EXPECT_EQ(all["matching"], 4);
    EXPECT_EQ(all["counts"], (json{{"running", 2}, {"complete", 1}, {"failed", 1}, {"stale", 0}}));
    ASSERT_EQ(all["jobs"].size(), 4u);
    // Ordered by job id: "<img..." sorts first.
    EXPECT_EQ(all["jobs"][0]["jobid"], kHostileId);
    const json& running = all["jobs"][3];
    EXPECT_EQ(running["jobid"], "running-job");
    EXPECT_EQ(running["state"], "running");
    EXPECT_EQ(running["done"], 1);
    EXPECT_EQ(running["total"], 4);
    EXPECT_FALSE(running.contains("metadata")) << "the list leaves metadata out";

    const json failed = body_of(c.Get("/api/jobs?state=failed"));
    ASSERT_EQ(failed["jobs"].size(), 1u);
    EXPECT_EQ(failed["jobs"][0]["reason"], "disk full <b>really</b>");
    EXPECT_EQ(failed["matching"], 1);

    const json page = body_of(c.Get("/api/jobs?offset=1&limit=2"));
    ASSERT_EQ(page["jobs"].size(), 2u);
    EXPECT_EQ(page["jobs"][0]["jobid"], "complete-job");
    EXPECT_EQ(page["jobs"][1]["jobid"], "failed-job");
    EXPECT_EQ(page["matching"], 4);

    auto bad = c.Get("/api/jobs?state=sleeping");
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 400);
    EXPECT_THAT(body_of(bad)["error"].get<std::string>(), HasSubstr("running, complete, failed or stale"));
    bad = c.Get("/api/jobs?limit=0");
    EXPECT_EQ(bad->status, 400);
    bad = c.Get("/api/jobs?offset=-1");
    EXPECT_EQ(bad->status, 400);
}

TEST_F(ServeApi, OneJobWithMetadataAndPendingPartsPaged) {
    ServeProcess serve(args());
    auto c = serve.client();
    const json job = body_of(c.Get("/api/job?id=running-job"));
    EXPECT_EQ(job["job"]["metadata"], (json{{"zoom", 12}}));
    EXPECT_EQ(job["job"]["remaining"], 3);
    EXPECT_EQ(job["failedParts"], json::array());

    const json pending = body_of(c.Get("/api/job/pending?id=running-job&offset=1&limit=1"));
    EXPECT_EQ(pending["parts"], (json{2}));
    EXPECT_EQ(pending["matching"], 3);

    auto missing = c.Get("/api/job?id=no-such-job");
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->status, 404);
    EXPECT_THAT(body_of(missing)["error"].get<std::string>(), HasSubstr("'no-such-job' does not exist"));
    auto no_id = c.Get("/api/job");
    EXPECT_EQ(no_id->status, 400);
}

TEST_F(ServeApi, HostileIdsAndMetadataComeBackExactlyAsEscapedJson) {
    ServeProcess serve(args());
    auto c = serve.client();
    auto res = c.Get(("/api/job?id=" + httplib::detail::encode_query_param(kHostileId)).c_str());
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
    EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff");
    // No markup survives in the raw text: '<', '>' and '&' are sent as \u escapes.
    EXPECT_THAT(res->body, Not(HasSubstr("<")));
    EXPECT_THAT(res->body, Not(HasSubstr(">")));
    EXPECT_THAT(res->body, Not(HasSubstr("&")));
    const json job = json::parse(res->body);
    EXPECT_EQ(job["job"]["jobid"], kHostileId);
    EXPECT_EQ(job["job"]["metadata"]["note"], "<script>alert(\"meta\")</script>\n\u2028");
    const auto list = c.Get("/api/jobs");
    EXPECT_THAT(list->body, Not(HasSubstr("<")));
    EXPECT_EQ(json::parse(list->body)["jobs"][0]["jobid"], kHostileId);
}

TEST_F(ServeApi, ServesThePageWithAContentSecurityPolicy) {
    ServeProcess serve(args());
    auto c = serve.client();
    auto page = c.Get("/");
    ASSERT_TRUE(page);
    EXPECT_EQ(page->status, 200);
    EXPECT_THAT(page->get_header_value("Content-Type"), HasSubstr("text/html"));
    EXPECT_THAT(page->body, HasSubstr("<script src=\"/app.js\""));
    EXPECT_THAT(page->get_header_value("Content-Security-Policy"), HasSubstr("script-src 'self'"));
    auto script = c.Get("/app.js");
    EXPECT_EQ(script->status, 200);
    EXPECT_THAT(script->get_header_value("Content-Type"), HasSubstr("javascript"));
    EXPECT_THAT(script->body, HasSubstr("textContent"));
    EXPECT_EQ(c.Get("/style.css")->status, 200);
    EXPECT_EQ(c.Get("/nothing.js")->status, 404);
}

// The raw bytes of one HTTP request on a new connection, and everything the server sent back until
// it closed the connection (the request says Connection: close).
std::string raw_request(int port, const std::string& request) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot connect to the dashboard");
    }
    (void)!::write(fd, request.data(), request.size());
    std::string answer;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) answer.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    return answer;
}

// Every answer under /api/ is the API's JSON, also those httplib makes itself.
TEST_F(ServeApi, ErrorsOutsideTheRoutesAreJsonToo) {
    ServeProcess serve(args({"--allow-actions"}));
    auto c = serve.client();
    auto unknown = c.Get("/api/nothing-here");
    ASSERT_TRUE(unknown);
    EXPECT_EQ(unknown->status, 404);
    EXPECT_THAT(unknown->get_header_value("Content-Type"), HasSubstr("application/json"));
    EXPECT_THAT(body_of(unknown).at("error").get<std::string>(), HasSubstr("no such API endpoint"));

    const std::string answer = raw_request(serve.port(),
                                           "POST /api/job/fail?id=running-job HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                           "Connection: close\r\n\r\n");
    const auto body_at = answer.find("\r\n\r\n");
    ASSERT_NE(body_at, std::string::npos) << answer;
    EXPECT_THAT(answer.substr(0, answer.find("\r\n")), ::testing::MatchesRegex("HTTP/1.1 4[0-9][0-9] .*")) << answer;
    EXPECT_THAT(answer, HasSubstr("application/json")) << answer;
    EXPECT_TRUE(json::parse(answer.substr(body_at + 4)).contains("error")) << answer;
    EXPECT_FALSE(backend_->status("running-job").failed);
}

TEST_F(ServeApi, RefusesRequestsForAnotherHostName) {
    ServeProcess serve(args());
    auto c = serve.client();
    auto res = c.Get("/api/jobs", httplib::Headers{{"Host", "attacker.example:80"}});
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 421);
    EXPECT_EQ(c.Get("/api/jobs", httplib::Headers{{"Host", "localhost:1"}})->status, 200);
}

TEST_F(ServeApi, AWildcardListenAddressStillRefusesForeignHostNames) {
    // Bound to every interface on a free port; the test talks to 127.0.0.1 only.
    ServeProcess serve({"-d", uri_, "--listen", "0.0.0.0:0", "--interval", "0.05"});
    ASSERT_NE(serve.port(), 0);
    EXPECT_THAT(serve.startup(), HasSubstr("--allow-host"));
    auto c = serve.client();
    for (const char* foreign : {"attacker.example:80", "attacker.example", "0.0.0.0:80", "10.0.0.1"}) {
        auto res = c.Get("/api/jobs", httplib::Headers{{"Host", foreign}});
        ASSERT_TRUE(res) << foreign;
        EXPECT_EQ(res->status, 421) << foreign;
        EXPECT_THAT(body_of(res)["error"].get<std::string>(), HasSubstr("--allow-host")) << foreign;
        EXPECT_THAT(res->body, Not(HasSubstr("running-job"))) << foreign;
    }
    EXPECT_EQ(c.Get("/api/events", httplib::Headers{{"Host", "attacker.example"}})->status, 421);
    for (const char* loopback : {"127.0.0.1", "localhost:1", "[::1]:80", "127.0.0.2"}) {
        auto res = c.Get("/api/jobs", httplib::Headers{{"Host", loopback}});
        ASSERT_TRUE(res) << loopback;
        EXPECT_EQ(res->status, 200) << loopback;
    }
    EXPECT_EQ(c.Get("/api/jobs")->status, 200);
}

TEST_F(ServeApi, AllowHostAcceptsTheNamesGiven) {
    ServeProcess serve({"-d", uri_, "--listen", "0.0.0.0:0", "--interval", "0.05", "--allow-host", "Dash.Example",
                        "--allow-host", "[fd00::5]", "--allow-host", "192.0.2.10"});
    ASSERT_NE(serve.port(), 0);
    EXPECT_THAT(serve.startup(), HasSubstr("dash.example"));
    auto c = serve.client();
    for (const char* allowed : {"dash.example:8080", "DASH.EXAMPLE", "[FD00::5]:80", "192.0.2.10:8080", "localhost"}) {
        auto res = c.Get("/api/jobs", httplib::Headers{{"Host", allowed}});
        ASSERT_TRUE(res) << allowed;
        EXPECT_EQ(res->status, 200) << allowed;
    }
    for (const char* foreign : {"attacker.example", "dash.example.attacker.example", "192.0.2.11", "0.0.0.0"}) {
        auto res = c.Get("/api/jobs", httplib::Headers{{"Host", foreign}});
        ASSERT_TRUE(res) << foreign;
        EXPECT_EQ(res->status, 421) << foreign;
    }
}

// Every open page holds an event stream, and every stream a server thread: more pages than the
// bound are refused (503) and leave threads for the API and the actions, which stay answered.
TEST_F(ServeApi, MorePagesThanTheStreamBoundLeaveTheApiAndActionsAnswered) {
    const std::string queue = "sqlite://" + dir_.path() + "/queue.db";
    ServeProcess serve(args({"--allow-actions", "--topic", queue}));
    ASSERT_EQ(serve.token().size(), 64u) << serve.startup();

    constexpr int kPages = 48;  // above the default bound (16) and the pool of the server without one (32)
    // One request from this thread before the page threads start: it initializes the HTTP client's
    // function-local statics (its response-line regex) here. cpp-httplib is an uninstrumented system
    // library, so ThreadSanitizer cannot see the guard of a static first built on two page threads at
    // once and reports it as a race.
    {
        httplib::Client warm("127.0.0.1", serve.port());
        const auto res = warm.Get("/api/config");
        ASSERT_TRUE(res);
        ASSERT_EQ(res->status, 200);
    }
    std::mutex mutex;
    std::condition_variable changed;
    int settled = 0;  // streams open, refused or failed
    int open = 0;
    int refused = 0;
    std::string refusal;
    bool release = false;
    std::vector<std::thread> pages;
    // Ends the open streams and joins the pages however the test ends.
    struct Closer {
        std::function<void()> close;
        ~Closer() { close(); }
    } closer{[&] {
        {
            std::lock_guard lock(mutex);
            release = true;
            changed.notify_all();
        }
        for (auto& t : pages) {
            if (t.joinable()) t.join();
        }
    }};
    for (int i = 0; i < kPages; ++i) {
        pages.emplace_back([&] {
            httplib::Client c("127.0.0.1", serve.port());
            c.set_read_timeout(60, 0);
            int status = 0;
            std::string body;  // of a refusal
            bool counted = false;
            const auto settle = [&](bool is_open) {
                std::lock_guard lock(mutex);
                ++settled;
                if (is_open) ++open;
                counted = true;
                changed.notify_all();
            };
            auto res = c.Get(
                "/api/events",
                [&](const httplib::Response& r) {
                    status = r.status;
                    return true;
                },
                [&](const char* data, size_t size) {
                    if (status != 200) {
                        body.append(data, size);
                        return true;
                    }
                    if (!counted) settle(true);
                    std::unique_lock lock(mutex);
                    changed.wait(lock, [&] { return release; });
                    return false;
                });
            if (!counted) {
                std::lock_guard lock(mutex);
                if (res && res->status == 503) {
                    ++refused;
                    refusal = body;
                }
                ++settled;
                changed.notify_all();
            }
        });
    }
    {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return settled == kPages; });
    }
    EXPECT_EQ(open, 16);
    EXPECT_EQ(refused, kPages - 16);
    EXPECT_THAT(refusal, HasSubstr("--max-streams"));

    // With every stream still open: the API, the page and an action are answered.
    auto c = serve.client();
    c.set_read_timeout(60, 0);
    auto jobs = c.Get("/api/jobs");
    ASSERT_TRUE(jobs) << httplib::to_string(jobs.error());
    EXPECT_EQ(jobs->status, 200);
    auto page = c.Get("/");
    ASSERT_TRUE(page) << httplib::to_string(page.error());
    EXPECT_EQ(page->status, 200);
    auto fail = c.Post("/api/job/fail?id=running-job", httplib::Headers{{"X-Watchbot-Token", serve.token()}},
                       R"({"reason": "stopped by hand"})", "application/json");
    ASSERT_TRUE(fail) << httplib::to_string(fail.error());
    EXPECT_EQ(fail->status, 200) << fail->body;
    EXPECT_TRUE(backend_->status("running-job").failed);
}

TEST_F(ServeApi, ActionsAreRefusedWhenReadOnly) {
    ServeProcess serve(args());
    auto c = serve.client();
    EXPECT_EQ(body_of(c.Get("/api/config"))["actions"], false);
    for (const char* action : {"fail", "sweep", "delete"}) {
        auto res = c.Post((std::string("/api/job/") + action + "?id=running-job").c_str(),
                          httplib::Headers{{"X-Watchbot-Token", "anything"}}, R"({"reason": "x"})", "application/json");
        ASSERT_TRUE(res);
        EXPECT_EQ(res->status, 403) << action;
        EXPECT_THAT(body_of(res)["error"].get<std::string>(), HasSubstr("--allow-actions"));
    }
    const auto status = backend_->status("running-job");
    EXPECT_FALSE(status.failed);
}

TEST_F(ServeApi, ActionsNeedTheTokenPrintedAtStartup) {
    const std::string queue = "sqlite://" + dir_.path() + "/queue.db";
    ServeProcess serve(args({"--allow-actions", "--topic", queue}));
    ASSERT_EQ(serve.token().size(), 64u) << serve.startup();
    EXPECT_THAT(serve.startup(), HasSubstr("#token=" + serve.token()));
    auto c = serve.client();
    EXPECT_EQ(body_of(c.Get("/api/config"))["actions"], true);
    const std::string reason = R"({"reason": "stopped by hand"})";

    auto none = c.Post("/api/job/fail?id=running-job", reason, "application/json");
    ASSERT_TRUE(none);
    EXPECT_EQ(none->status, 401);
    EXPECT_THAT(body_of(none)["error"].get<std::string>(), HasSubstr("token"));
    auto wrong = c.Post("/api/job/delete?id=running-job",
                        httplib::Headers{{"X-Watchbot-Token", std::string(64, '0')}}, "", "application/json");
    EXPECT_EQ(wrong->status, 401);
    EXPECT_FALSE(backend_->status("running-job").failed);

    const httplib::Headers with_token{{"X-Watchbot-Token", serve.token()}};
    auto bad_body = c.Post("/api/job/fail?id=running-job", with_token, "{}", "application/json");
    EXPECT_EQ(bad_body->status, 400);
    auto fail = c.Post("/api/job/fail?id=running-job", with_token, reason, "application/json");
    ASSERT_TRUE(fail);
    EXPECT_EQ(fail->status, 200) << fail->body;
    const auto status = backend_->status("running-job");
    EXPECT_TRUE(status.failed);
    EXPECT_EQ(status.reason, "stopped by hand");

    // complete-job was completed through the library without claiming its reduce: sweep sends it.
    auto sweep = c.Post("/api/job/sweep?id=complete-job", with_token, "", "application/json");
    ASSERT_TRUE(sweep);
    EXPECT_EQ(sweep->status, 200) << sweep->body;
    EXPECT_EQ(body_of(sweep)["sent"], 1);
    EXPECT_TRUE(backend_->status("complete-job").reduce_sent);

    auto del = c.Post("/api/job/delete?id=failed-job", with_token, "", "application/json");
    EXPECT_EQ(del->status, 200) << del->body;
    EXPECT_THROW(backend_->status("failed-job"), wp::JobDoesNotExist);
    EXPECT_EQ(c.Post("/api/job/delete?id=failed-job", with_token, "", "application/json")->status, 404);
}

// The job page's failed parts: what their failures said, and the token-guarded resend of the
// failed parts or of one part, from the job's parts file (--parts-dir), one map message per part.
TEST_F(ServeApi, TheJobListsItsFailedPartsAndResendsThemFromThePartsFile) {
    {
        std::ofstream parts(dir_.path() + "/running-job.jsonl");
        for (int i = 0; i < 4; ++i) parts << json{{"tile", i}}.dump() << "\n";
    }
    backend_->record_part_failure("running-job", {.partid = 2, .exit_code = 4, .attempts = 3, .time_ms = 1'700'000'000'000,
                                                  .text = "the command exited with code 4; the end of its stderr:\ntile 2 is <b>corrupt</b>"});
    backend_->record_failed_part("running-job", 3);  // failed for good, nothing recorded of it
    const std::string queue = "sqlite://" + dir_.path() + "/queue.db";
    ServeProcess serve(args({"--allow-actions", "--topic", queue, "--parts-dir", dir_.path()}));
    ASSERT_EQ(serve.token().size(), 64u) << serve.startup();
    auto c = serve.client();
    EXPECT_EQ(body_of(c.Get("/api/config"))["resend"], true);

    const json job = body_of(c.Get("/api/job?id=running-job"));
    EXPECT_EQ(job["failedParts"], json::array({3}));
    ASSERT_EQ(job["failures"].size(), 2u) << job.dump();
    EXPECT_EQ(job["failures"][0], (json{{"partid", 2}, {"failedForGood", false}, {"exitCode", 4}, {"attempts", 3},
                                        {"failedAt", 1'700'000'000'000}, {"text", "the command exited with code 4; the end of its stderr:\ntile 2 is <b>corrupt</b>"}}));
    EXPECT_EQ(job["failures"][1], (json{{"partid", 3}, {"failedForGood", true}}));

    const auto messages = [&] { return wp::LocalQueue::from_uri(queue)->list_messages(); };
    auto none = c.Post("/api/job/resend?id=running-job&part=2", "", "application/json");
    ASSERT_TRUE(none);
    EXPECT_EQ(none->status, 401);
    EXPECT_TRUE(messages().empty());

    const httplib::Headers with_token{{"X-Watchbot-Token", serve.token()}};
    auto one = c.Post("/api/job/resend?id=running-job&part=2", with_token, "", "application/json");
    ASSERT_TRUE(one);
    EXPECT_EQ(one->status, 200) << one->body;
    EXPECT_EQ(body_of(one)["resent"], json::array({2}));
    auto sent = messages();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].subject, "map");
    EXPECT_EQ(json::parse(sent[0].body),
              (json{{"tile", 2}, {"jobid", "running-job"}, {"partid", 2}, {"metadata", {{"zoom", 12}}}}));

    auto failed = c.Post("/api/job/resend?id=running-job&parts=failed", with_token, "", "application/json");
    ASSERT_TRUE(failed);
    EXPECT_EQ(failed->status, 200) << failed->body;
    EXPECT_EQ(body_of(failed)["resent"], json::array({3}));
    EXPECT_EQ(messages().size(), 2u);

    // Nothing to redo, or nothing that names a part: refused, nothing sent.
    EXPECT_EQ(c.Post("/api/job/resend?id=running-job&part=0", with_token, "", "application/json")->status, 409);
    EXPECT_EQ(c.Post("/api/job/resend?id=running-job&part=4", with_token, "", "application/json")->status, 400);
    EXPECT_EQ(c.Post("/api/job/resend?id=running-job", with_token, "", "application/json")->status, 400);
    backend_->set_total("no-parts-file", 2);
    auto missing = c.Post("/api/job/resend?id=no-parts-file&part=0", with_token, "", "application/json");
    EXPECT_EQ(missing->status, 400);
    EXPECT_THAT(body_of(missing)["error"].get<std::string>(), HasSubstr("no parts file for job 'no-parts-file'"));
    EXPECT_EQ(messages().size(), 2u);
}

TEST_F(ServeApi, ResendNeedsThePartsDirectory) {
    const std::string queue = "sqlite://" + dir_.path() + "/queue.db";
    ServeProcess serve(args({"--allow-actions", "--topic", queue}));
    auto c = serve.client();
    EXPECT_EQ(body_of(c.Get("/api/config"))["resend"], false);
    auto res = c.Post("/api/job/resend?id=running-job&part=1", httplib::Headers{{"X-Watchbot-Token", serve.token()}}, "",
                      "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 409);
    EXPECT_THAT(body_of(res)["error"].get<std::string>(), HasSubstr("--parts-dir"));
}

TEST_F(ServeApi, EventsTellThePageWhenAJobChanges) {
    ServeProcess serve(args());
    auto c = serve.client();
    std::string buffer;
    std::vector<std::uint64_t> versions;
    bool completed = false;
    auto res = c.Get("/api/events", [&](const char* data, size_t size) {
        buffer.append(data, size);
        for (std::size_t end; (end = buffer.find("\n\n")) != std::string::npos; buffer.erase(0, end + 2)) {
            const std::string event = buffer.substr(0, end);
            const auto at = event.find("data: ");
            if (event.find("event: update") == std::string::npos || at == std::string::npos) continue;
            versions.push_back(json::parse(event.substr(at + 6))["version"].get<std::uint64_t>());
        }
        if (!versions.empty() && !completed) {
            // The page is open and told of the first version: now a part completes elsewhere.
            completed = true;
            for (int part = 1; part < 4; ++part) backend_->complete_part("running-job", part);
            return true;
        }
        if (!completed) return true;
        // Stop once an event says something changed and the list shows the completed job.
        if (versions.back() <= versions.front()) return true;
        const json jobs = body_of(serve.client().Get("/api/jobs?state=complete"));
        return jobs["matching"] != 2;
    });
    ASSERT_GE(versions.size(), 2u);
    EXPECT_GT(versions.back(), versions.front());
    const json complete = body_of(c.Get("/api/jobs?state=complete"));
    EXPECT_EQ(complete["matching"], 2);
}

TEST(ServeUsage, HelpHasTheOptionsAndAnExample) {
    const auto r = wp_test::run_cli({"serve", "--help"});
    EXPECT_EQ(r.code, 0) << r;
    for (const char* option : {"--listen", "--allow-actions", "--interval", "--stale", "--topic", "--allow-host",
                               "--max-streams", "--parts-dir", "-d,--database"}) {
        EXPECT_THAT(r.out, HasSubstr(option));
    }
    EXPECT_THAT(r.out, HasSubstr("watchbot-progress-cpp serve -d sqlite:///tmp/jobs.db"));
}

TEST(ServeUsage, BadListenAddressIsAUsageError) {
    auto result = wp_test::run_cli({"serve", "-d", "memory://", "--listen", "localhost"});
    EXPECT_EQ(result.code, 2) << result;
    EXPECT_THAT(result.err, HasSubstr("--listen must be HOST:PORT"));
    result = wp_test::run_cli({"serve", "-d", "memory://", "--listen", "127.0.0.1:70000"});
    EXPECT_EQ(result.code, 2) << result;
    result = wp_test::run_cli({"serve", "-d", "memory://", "--interval", "0"});
    EXPECT_EQ(result.code, 2) << result;
}

TEST(ServeUsage, BadAllowHostOrMaxStreamsIsAUsageError) {
    for (const char* bad : {"dash.example:8080", "http://dash.example", "a b", "dash/x"}) {
        const auto result = wp_test::run_cli({"serve", "-d", "memory://", "--listen", "127.0.0.1:0", "--allow-host", bad});
        EXPECT_EQ(result.code, 2) << bad << "\n" << result;
        EXPECT_THAT(result.err, HasSubstr("--allow-host")) << bad;
    }
    for (const char* bad : {"0", "-1", "1001"}) {
        const auto result = wp_test::run_cli({"serve", "-d", "memory://", "--listen", "127.0.0.1:0", "--max-streams", bad});
        EXPECT_EQ(result.code, 2) << bad << "\n" << result;
        EXPECT_THAT(result.err, HasSubstr("--max-streams")) << bad;
    }
    const auto result = wp_test::run_cli({"serve", "-d", "memory://", "--listen", "127.0.0.1:0", "--parts-dir",
                                          "/nonexistent/wp-parts-" + wp::new_jobid()});
    EXPECT_EQ(result.code, 2) << result;
    EXPECT_THAT(result.err, HasSubstr("--parts-dir"));
}

}  // namespace
