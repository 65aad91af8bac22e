// _core.Notifier: where map and reduce messages go (an SNS topic ARN, sqlite:// queue, memory://).
#include <string>

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

}  // namespace

void register_notifiers(py::module_& m) {
    py::class_<wp::Notifier, std::shared_ptr<wp::Notifier>>(m, "Notifier", "A notifier of the C++ library")
        .def("publish", &wp::Notifier::publish, "subject"_a, "body"_a, release_gil())
        .def("describe", &wp::Notifier::describe)
        .def("stats", &notifier_stats)
        .def("messages", &memory_messages)
        .def("__repr__", [](const wp::Notifier& n) { return "<watchbot_progress._core.Notifier " + n.describe() + ">"; });

    m.def("open_notifier", &wp::open_notifier, "uri"_a, release_gil(),
          "A notifier from a URI: an SNS topic ARN, sqlite:///path (the local queue), memory://name");
}

}  // namespace wp_py
