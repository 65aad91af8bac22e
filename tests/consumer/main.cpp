// Uses the installed library as a program outside the project would, through the public headers
// only: creates a job on the memory backend and completes it through the Part guard, with a notifier
// of its own (a subclass: the library's vtables and typeinfo are exported), catches the library's
// exceptions by their public types and finds a backend's type with dynamic_cast.
#include <iostream>
#include <span>
#include <watchbot_progress/watchbot_progress.hpp>

namespace wp = watchbot_progress;

namespace {
class CountingNotifier final : public wp::ForwardingNotifier {
public:
    using ForwardingNotifier::ForwardingNotifier;
    int published = 0;

protected:
    // Notifier's checks have passed when a do_ method is called (notifier.hpp).
    void do_publish(const std::string& subject, const std::string& body) override {
        ++published;
        ForwardingNotifier::do_publish(subject, body);
    }
    void do_publish_batch(std::span<const wp::OutgoingMessage> messages) override {
        published += static_cast<int>(messages.size());
        ForwardingNotifier::do_publish_batch(messages);
    }
};

int fail(const char* what) {
    std::cerr << "consumer: " << what << "\n";
    return 1;
}
}  // namespace

int main() {
    auto backend = std::make_shared<wp::MemoryBackend>();
    auto memory = std::make_shared<wp::MemoryNotifier>();
    auto notifier = std::make_shared<CountingNotifier>(memory);
    const std::string jobid = wp::create_job({{{"n", 1}}, {{"n", 2}}}, {.backend = backend, .notifier = notifier});
    for (wp::PartId p = 0; p < 2; ++p) wp::Part(jobid, p, {.backend = backend, .notifier = notifier}).run([] {});
    const auto reduces = memory->messages("reduce").size();
    std::cout << "version " << wp::version() << ", reduce messages: " << reduces << "\n";
    if (reduces != 1) return fail("not one reduce message");
    if (notifier->published == 0) return fail("the notifier subclass was not called");

    try {
        backend->status("no-such-job");
        return fail("status of a missing job did not throw");
    } catch (const wp::JobDoesNotExist& e) {
        if (e.jobid() != "no-such-job") return fail("JobDoesNotExist names another job");
    }
    try {
        wp::open_backend("nonsense://");
        return fail("open_backend accepted an unknown scheme");
    } catch (const wp::InvalidInput&) {
    }
    if (!std::dynamic_pointer_cast<wp::MemoryBackend>(wp::open_backend("memory://")))
        return fail("open_backend(\"memory://\") is not a MemoryBackend");
    return 0;
}
