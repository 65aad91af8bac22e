#!/bin/bash
# Runs inside the fresh Debian 12 root of scripts/package-test (as root, in /tmp/check, which holds
# the .deb and the consumer project tests/consumer):
#   check.sh FILE.deb COMMAND...    (COMMAND...: the CLI's commands, each must have its --help and man page)
set -euo pipefail
deb=$1
shift
cd /tmp/check
say() { echo "in-root: $*" >&2; }
export DEBIAN_FRONTEND=noninteractive

apt-get update -qq
# The package alone, on the bare root: apt must find every runtime dependency it declares.
apt-get install -y -qq --no-install-recommends "$deb" >apt.log 2>&1 || { cat apt.log >&2; exit 1; }
say "installed $(dpkg-query -W -f='${Package} ${Version}' watchbot-progress-cpp) with $(grep -c '^Setting up' apt.log) packages"

# The CLI runs, with what it was built with, against a real backend.
watchbot-progress-cpp --version
watchbot-progress-cpp --version | grep -qx 'local queue (run, send): yes'
printf '{"n": 1}\n{"n": 2}\n' >parts.jsonl
jobid=$(watchbot-progress-cpp create parts.jsonl -d sqlite:///tmp/check/jobs.db --topic sqlite:///tmp/check/queue.db)
watchbot-progress-cpp complete-part "$jobid" -p 0 -d sqlite:///tmp/check/jobs.db >/dev/null
watchbot-progress-cpp info "$jobid" -d sqlite:///tmp/check/jobs.db | grep -Eq '"remaining": ?1[,}]' ||
    { say "info did not show one remaining part"; exit 1; }
say "the CLI created a job on SQLite and completed a part"

# Every command: its --help works and its man page is there, a gzipped page for it.
for c in "$@"; do
    watchbot-progress-cpp "$c" --help >/dev/null
    page=/usr/share/man/man1/watchbot-progress-cpp-$c.1.gz
    gzip -dc "$page" | grep -q "^\.TH WATCHBOT-PROGRESS-CPP-${c^^} " || { say "bad man page $page"; exit 1; }
done
gzip -dc /usr/share/man/man1/watchbot-progress-cpp.1.gz | grep -q '^\.TH WATCHBOT-PROGRESS-CPP '
say "man pages: watchbot-progress-cpp(1) and one per command ($#)"

# Bash completion: the commands, then a command's options.
completions() {  # words... -> what completing the last word offers, one a line
    bash -c 'source /usr/share/bash-completion/completions/watchbot-progress-cpp
             COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _watchbot_progress_cpp; printf "%s\n" "${COMPREPLY[@]}"' sh "$@"
}
[ "$(completions watchbot-progress-cpp in)" = info ] || { say "completion of 'in' is not info"; exit 1; }
completions watchbot-progress-cpp info --da | grep -qx -- --database || { say "no --database completion for info"; exit 1; }
say "bash completion completes commands and options"

# Consumers: the toolchain is a user's, installed after the package so it could not have supplied
# the package's dependencies.
apt-get install -y -qq --no-install-recommends g++ cmake make pkg-config >>apt.log 2>&1 || { cat apt.log >&2; exit 1; }
cmake -S . -B build-cmake >/dev/null
cmake --build build-cmake >/dev/null
./build-cmake/consumer
say "the consumer built with find_package runs"
# shellcheck disable=SC2046
g++ -std=c++20 -o consumer-pkg-config main.cpp $(pkg-config --cflags --libs watchbot_progress)
./consumer-pkg-config
say "the consumer built with pkg-config runs"
