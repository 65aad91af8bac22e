#!/bin/bash
# Runs inside a fresh Debian 12 root of scripts/package-test (as root, in /tmp/check, which holds the
# wheel and tools/python-check-in-root.sh as python-check):
#   check.sh WHEEL VERSION DEBIAN_PACKAGE...
# DEBIAN_PACKAGE...: what the wheel's module needs at run time (scripts/build-wheel --debian-depends).
# Installs them and python3-venv from Debian (no watchbot-progress-cpp, no compiler), makes a virtual
# environment of Debian's python3, pip-installs the wheel into it, and checks the package there.
set -euo pipefail
wheel=$1 version=$2
shift 2
cd /tmp/check
say() { echo "in-root (wheel): $*" >&2; }
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

apt-get update -qq
apt-get install -y -qq --no-install-recommends python3-venv "$@" >apt.log 2>&1 || { cat apt.log >&2; exit 1; }
say "installed python3-venv and $* with $(grep -c '^Setting up' apt.log) packages"
python3 -m venv /tmp/check/venv
/tmp/check/venv/bin/pip install -q --no-index "$wheel"
say "pip installed $(basename "$wheel") into /tmp/check/venv ($(/tmp/check/venv/bin/pip --version | cut -d' ' -f1-2))"
PATH=/tmp/check/venv/bin:$PATH bash ./python-check wheel "$version"
if dpkg-query -W watchbot-progress-cpp >/dev/null 2>&1; then say "watchbot-progress-cpp is installed: the wheel must not need it"; exit 1; fi
