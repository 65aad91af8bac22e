#!/bin/bash
# Runs inside a fresh Debian 12 root of scripts/package-test (as root, in /tmp/check), once the
# Python package is installed: the Debian package python3-watchbot-progress (KIND deb), or the wheel
# in a virtual environment whose bin/ is first on PATH (KIND wheel). No compiler may be installed.
#   python-check.sh KIND VERSION
# Checks the version the package and its command print, how the module links the library (the
# Debian package's from libwatchbot_progress.so.N of watchbot-progress-cpp, the wheel's inside it),
# and runs a whole job: create_job on SQLite with a memory:// topic, Part over every part delivered
# twice, exactly one reduce message.
set -euo pipefail
kind=$1 version=$2
cd /tmp/check
say() { echo "in-root ($kind): $*" >&2; }
fail() { say "$*"; exit 1; }

for c in gcc cc c++ g++ clang; do
    if command -v "$c" >/dev/null; then fail "a compiler is installed ($(command -v "$c")): this check needs a root without one"; fi
done
say "no compiler in the root (gcc, cc, c++, g++, clang)"

say "python3 is $(command -v python3) ($(python3 -c 'import platform; print(platform.python_version())'))"
got=$(python3 -c 'import watchbot_progress; print(watchbot_progress.__version__)')
[ "$got" = "$version" ] || fail "watchbot_progress.__version__ is '$got', not $version"
got=$(watchbot-progress-py --version)
[ "$got" = "watchbot-progress-py $version" ] || fail "watchbot-progress-py --version printed '$got'"
say "import watchbot_progress: __version__ $version; $(command -v watchbot-progress-py) --version: $got"

module=$(python3 -c 'import watchbot_progress._core as m; print(m.__file__)')
ldd "$module" >"ldd-$kind.txt"
if grep -q 'not found' "ldd-$kind.txt"; then cat "ldd-$kind.txt" >&2; fail "$module misses a shared library"; fi
case $kind in
deb)
    # The library as ld.so finds it (/lib or /usr/lib: the same directory on a merged /usr), and
    # the file it is, which must be watchbot-progress-cpp's.
    loaded=$(sed -n 's/^\s*libwatchbot_progress\.so\.[0-9]* => \(\S*\) .*/\1/p' "ldd-$kind.txt")
    [ -n "$loaded" ] || { cat "ldd-$kind.txt" >&2; fail "$module does not load libwatchbot_progress.so"; }
    owner=$(dpkg -S "$(readlink -f "$loaded")" | cut -d: -f1)
    [ "$owner" = watchbot-progress-cpp ] || fail "$module loads $loaded, which is not watchbot-progress-cpp's (${owner:-no package})"
    say "$module loads $loaded ($(readlink -f "$loaded"), of $owner)"
    ;;
wheel)
    if grep -q libwatchbot_progress "ldd-$kind.txt"; then cat "ldd-$kind.txt" >&2; fail "$module loads libwatchbot_progress.so: the wheel must hold the library"; fi
    say "$module holds the library (no libwatchbot_progress.so loaded)"
    ;;
esac

# The job: SQLite database, memory:// topic; every part delivered twice.
db=/tmp/check/$kind-jobs.db
rm -f "$db"
jobid=$(python3 - "$db" <<'PY'
import json
import sys

from watchbot_progress import Part, create_job
from watchbot_progress._core import open_notifier
from watchbot_progress.backends.native import NativeProgress

progress = NativeProgress('sqlite://' + sys.argv[1], topic_arn='memory://package-test')
jobid = create_job([{'n': n} for n in range(5)], progress=progress, metadata={'out': 'package-test'})
topic = open_notifier('memory://package-test')
maps = [json.loads(body) for subject, body in topic.messages() if subject == 'map']
assert sorted(m['partid'] for m in maps) == list(range(5)), maps
done = []
for delivery in range(2):
    for message in maps:
        with Part(progress=progress, **message):
            done.append(message['n'])
assert sorted(done) == sorted(list(range(5)) * 2), done
reduces = [json.loads(body) for subject, body in topic.messages() if subject == 'reduce']
assert reduces == [{'jobid': jobid, 'metadata': {'out': 'package-test'}}], reduces
status = progress.status(jobid)
assert status['progress'] == 1.0 and status['reduceSent'], status
print(jobid)
PY
)
say "job $jobid on sqlite://$db: 5 parts, each delivered twice, exactly one reduce message"
watchbot-progress-py info "$jobid" -d "sqlite://$db" >"info-$kind.json"
python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))
assert s["progress"] == 1.0 and s["remaining"] == 0 and s["reduceSent"], s' "info-$kind.json" ||
    fail "watchbot-progress-py info: $(cat "info-$kind.json")"
say "watchbot-progress-py info reads the job: $(cat "info-$kind.json")"
