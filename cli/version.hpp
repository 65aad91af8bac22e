#pragma once
// The text of `watchbot-progress-cpp --version`: the version on the first line (as help2man and
// scripts read it), then what this build contains, from the library it runs with.

#include <string>

namespace wpcli {

// "watchbot-progress-cpp VERSION\nbackends: ...\nnotifiers: ...\nlocal queue (run, send): yes|no ...",
// without a trailing newline.
std::string version_text();

}  // namespace wpcli
