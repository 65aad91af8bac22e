// _core.Notifier: where map and reduce messages go (an SNS topic ARN, sqlite:// queue, memory://),
// and _core.python_notifier: a notifier whose messages go to a Python function.
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace wp_py {

namespace {

namespace wp = watchbot_progress;
using namespace pybind11::literals;

py::dict notifier_stats(const wp::Notifier& notifier) {
    py::dict out;
#if WP_WITH_AWS
    if (const auto* sns = dynamic_cast<const wp::SnsNotifier*>(&notifier)) {
        const wp::SnsStats s = sns->stats();
        out["requests"] = s.requests;
        out["bytes_sent"] = s.bytes_sent;
        out["bytes_received"] = s.bytes_received;
        out["messages_published"] = s.messages_published;
        out["messages_failed"] = s.messages_failed;
    }
#else
    (void)notifier;
#endif
    return out;
}

// What memory:// notifiers hold, for users' unit tests: [(subject, body), ...].
py::list memory_messages(const wp::Notifier& notifier) {
    py::list out;
    if (const auto* memory = dynamic_cast<const wp::MemoryNotifier*>(&notifier)) {
        for (const auto& message : memory->messages()) out.append(py::make_tuple(message.subject, message.body));
        return out;
    }
    throw wp::InvalidInput("only memory:// topics keep their messages; this one is " + notifier.describe());
}

// Hands every batch to a Python function, publish([(subject, body), ...]), with the GIL taken. Its
// messages are checked as every notifier's are (SNS's rules and size limit: Notifier's checks), so
// that create_job refuses the same parts whatever the notifier; an exception of the function fails
// the whole batch (create_job's PublishError names its parts, its message quotes the exception on
// one line).
class PythonNotifier final : public wp::Notifier {
public:
    // With the GIL held.
    PythonNotifier(py::object publish, std::size_t batch_entries, std::string description)
        : publish_(hold(std::move(publish))), batch_entries_(batch_entries), description_(std::move(description)) {}

    wp::NotifierLimits limits() const override {
        wp::NotifierLimits limits;
        limits.max_message_bytes = wp::kSnsLimits.max_message_bytes;
        limits.max_batch_entries = batch_entries_;
        return limits;
    }

    std::string describe() const override { return description_; }

protected:
    void do_publish(const std::string& subject, const std::string& body) override {
        const wp::OutgoingMessage message{subject, body};
        do_publish_batch(std::span<const wp::OutgoingMessage>(&message, 1));
    }

    void do_publish_batch(std::span<const wp::OutgoingMessage> messages) override {
        py::gil_scoped_acquire gil;
        call_python([&] {
            py::list batch;
            for (const auto& message : messages) batch.append(py::make_tuple(message.subject, message.body));
            (*publish_)(batch);
        });
    }

private:
    std::shared_ptr<py::object> publish_;
    std::size_t batch_entries_;
    std::string description_;
};

}  // namespace

void register_notifiers(py::module_& m) {
    py::class_<wp::Notifier, std::shared_ptr<wp::Notifier>>(m, "Notifier", "A notifier of the C++ library")
        .def("publish", &wp::Notifier::publish, "subject"_a, "body"_a, release_gil())
        .def("check_message", &wp::Notifier::check_message, "subject"_a, "body"_a,
             "Raises InvalidInput when publish would refuse the message (SNS's rules), sending nothing")
        .def("describe", &wp::Notifier::describe)
        .def("stats", &notifier_stats)
        .def("messages", &memory_messages)
        .def("__repr__", [](const wp::Notifier& n) { return "<watchbot_progress._core.Notifier " + n.describe() + ">"; });

    m.def("open_notifier", &wp::open_notifier, "uri"_a, release_gil(),
          "A notifier from a URI: an SNS topic ARN, sqlite:///path (the local queue), memory://name");
    m.def(
        "python_notifier",
        [](py::object publish, std::size_t batch_entries, std::string description) -> std::shared_ptr<wp::Notifier> {
            if (batch_entries < 1) throw wp::InvalidInput("python_notifier: batch_entries must be at least 1");
            return std::make_shared<PythonNotifier>(std::move(publish), batch_entries, std::move(description));
        },
        "publish"_a, "batch_entries"_a, "description"_a,
        "A notifier that calls publish([(subject, body), ...]) with batches of at most batch_entries messages");
}

}  // namespace wp_py
