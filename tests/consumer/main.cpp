// Creates a job on the memory backend and completes it through the Part guard.
#include <iostream>
#include <watchbot_progress/watchbot_progress.hpp>

namespace wp = watchbot_progress;

int main() {
    auto backend = std::make_shared<wp::MemoryBackend>();
    auto notifier = std::make_shared<wp::MemoryNotifier>();
    const std::string jobid = wp::create_job({{{"n", 1}}, {{"n", 2}}}, {.backend = backend, .notifier = notifier});
    for (wp::PartId p = 0; p < 2; ++p) wp::Part(jobid, p, {.backend = backend, .notifier = notifier}).run([] {});
    const auto reduces = notifier->messages("reduce").size();
    std::cout << "version " << wp::version() << ", reduce messages: " << reduces << "\n";
    return reduces == 1 ? 0 : 1;
}
