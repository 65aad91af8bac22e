#!/bin/bash
# Runs inside the fresh Debian 12 root of scripts/package-test (as root, in /tmp/check, which holds
# the two .deb files, tools/python-check-in-root.sh as python-check and the consumer project
# tests/consumer):
#   check.sh LIBRARY.deb PYTHON.deb VERSION COMMAND...
# LIBRARY.deb: watchbot-progress-cpp; PYTHON.deb: python3-watchbot-progress; VERSION: theirs;
# COMMAND...: the CLI's commands, each must have its --help and man page. The C++ package is
# installed and checked first, then the Python package (with no compiler in the root), then a
# compiler for the consumers.
set -euo pipefail
deb=$1 pydeb=$2 version=$3
shift 3
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

# The Python package, on the library's: apt-get installs python3 for it, and no compiler.
apt-get install -y -qq --no-install-recommends "$deb" "$pydeb" >apt-python.log 2>&1 || { cat apt-python.log >&2; exit 1; }
say "installed $(dpkg-query -W -f='${Package} ${Version}' python3-watchbot-progress) with $(grep -c '^Setting up' apt-python.log) packages"
dpkg -s python3-watchbot-progress | grep -qx "Version: $version" || { say "dpkg -s python3-watchbot-progress: not Version: $version"; exit 1; }
bash ./python-check deb "$version"
# Its postinst byte-compiled the package (py3compile); its prerm removes what that wrote (py3clean).
pkgdir=$(python3 -c 'import os, watchbot_progress; print(os.path.dirname(watchbot_progress.__file__))')
compgen -G "$pkgdir/__pycache__/*.pyc" >/dev/null || { say "no byte-compiled files in $pkgdir/__pycache__"; exit 1; }
apt-get purge -y -qq python3-watchbot-progress >>apt-python.log 2>&1 || { cat apt-python.log >&2; exit 1; }
[ ! -e "$pkgdir" ] || { say "apt-get purge left $pkgdir: $(find "$pkgdir" | head)"; exit 1; }
say "dpkg -s shows Version: $version; byte-compiled on install, $pkgdir gone after apt-get purge"

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
