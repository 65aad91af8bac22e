#pragma once
// A tiny HTTP/1.1 server for tests: listens on 127.0.0.1 on an ephemeral port, answers with
// scripted responses (a FIFO queue, then an optional handler), records every request, and can
// misbehave on purpose (delay, close without answering) for retry and fault-injection tests.
//
// One thread accepts; one thread per connection serves requests in order with keep-alive.
// Every public method is thread-safe. The destructor stops the server and joins its threads.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace wp_test {

using TestHeaders = std::vector<std::pair<std::string, std::string>>;

struct RecordedRequest {
    std::string method;
    std::string target;  // path and query as sent, e.g. "/latest/api/token"
    TestHeaders headers; // names as sent
    std::string body;
    int connection_id = 0;  // 1 for the first connection accepted, 2 for the next, ...

    // First header with this name, case-insensitive.
    std::optional<std::string> header(const std::string& name) const;
};

struct ScriptedResponse {
    enum class Action {
        kRespond,               // send the response, keep the connection open
        kRespondAndClose,       // send it with "Connection: close", then close
        kCloseWithoutResponse,  // read the request, then close the socket without a byte
        kCutShort,              // announce Content-Length declared_length, send `body` (shorter), close
    };
    int status = 200;
    TestHeaders headers;
    std::string body;
    std::chrono::milliseconds delay{0};  // wait this long before acting
    Action action = Action::kRespond;
    std::size_t declared_length = 0;     // kCutShort: the Content-Length announced

    static ScriptedResponse text(int status, std::string body, TestHeaders headers = {});
    static ScriptedResponse json(int status, std::string body);  // Content-Type: application/x-amz-json-1.0
    static ScriptedResponse xml(int status, std::string body);   // Content-Type: text/xml
    static ScriptedResponse close_without_response();
    // The connection drops in the middle of the body: `body` is sent, `declared_length` announced.
    static ScriptedResponse cut_short(int status, std::string body, std::size_t declared_length, TestHeaders headers = {});
};

class TestHttpServer {
public:
    using Handler = std::function<ScriptedResponse(const RecordedRequest&)>;

    TestHttpServer();   // binds and starts; throws std::runtime_error when it cannot
    ~TestHttpServer();
    TestHttpServer(const TestHttpServer&) = delete;
    TestHttpServer& operator=(const TestHttpServer&) = delete;

    int port() const { return port_; }
    std::string base_url() const;  // "http://127.0.0.1:PORT"

    // Responses are used in the order enqueued; when the queue is empty the handler answers;
    // without a handler the answer is 501 "no scripted response".
    void enqueue(ScriptedResponse response);
    void set_handler(Handler handler);

    std::vector<RecordedRequest> requests() const;
    std::size_t request_count() const;
    int connection_count() const;

    void stop();

private:
    void accept_loop();
    void serve(int fd, int connection_id);
    ScriptedResponse next_response(const RecordedRequest& request);

    int listen_fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stopping_{false};
    std::thread acceptor_;

    mutable std::mutex mutex_;
    std::deque<ScriptedResponse> queue_;
    Handler handler_;
    std::vector<RecordedRequest> requests_;
    std::vector<std::thread> workers_;
    std::vector<int> open_fds_;
    int connections_ = 0;
};

// A 127.0.0.1 port nothing listens on (bound then released), for connection-refused tests.
int unused_local_port();

}  // namespace wp_test
