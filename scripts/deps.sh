#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the demo need, only those missing.
# Sourced by scripts/test, scripts/demo and scripts/fuzz; also runnable on its own.
# WP_DEPS_NO_NODE=1: do not require Node.js (scripts/fuzz needs no test service).
set -euo pipefail

WP_DEBIAN_PACKAGES=(
    g++ cmake ninja-build pkg-config make ccache
    nlohmann-json3-dev libhiredis-dev libcurl4-openssl-dev libssl-dev libsqlite3-dev
    libcli11-dev libpugixml-dev libgtest-dev libgmock-dev libbenchmark-dev
    redis-server redis-tools ca-certificates
    python3-dev python3-venv pybind11-dev python3-pytest
    help2man
)

# What scripts/install-python needs to build the Python package (python/): the library's build
# dependencies and Debian's Python headers, venv and pybind11 (all for /usr/bin/python3).
WP_PYTHON_DEBIAN_PACKAGES=(
    g++ cmake ninja-build pkg-config make ccache
    nlohmann-json3-dev libhiredis-dev libcurl4-openssl-dev libssl-dev libsqlite3-dev
    libcli11-dev libpugixml-dev
    python3-dev python3-venv pybind11-dev
)

# What scripts/package-test needs: the build's packages, help2man (the man pages), dpkg-dev
# (dpkg-shlibdeps computes the package's runtime dependencies), debootstrap (the fresh Debian 12 root).
WP_PACKAGE_DEBIAN_PACKAGES=(
    g++ cmake ninja-build pkg-config make ccache
    nlohmann-json3-dev libhiredis-dev libcurl4-openssl-dev libssl-dev libsqlite3-dev
    libcli11-dev libpugixml-dev ca-certificates
    help2man dpkg-dev debootstrap
)

# What scripts/fuzz adds: clang with libFuzzer and the sanitizer runtimes.
WP_FUZZ_DEBIAN_PACKAGES=(clang-14 libclang-rt-14-dev)

wp_install_debian_packages() {
    local missing=() p
    for p in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$p")
        fi
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "deps: installing ${missing[*]}" >&2
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
    fi
    [ "${WP_DEPS_NO_NODE:-0}" = 1 ] && return 0
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        echo "deps: Node.js 20 or newer with npm is needed for the test services (dynalite, fauxqs); install it and run again" >&2
        return 1
    fi
    local major
    major=$(node -p 'process.versions.node.split(".")[0]')
    if [ "$major" -lt 20 ]; then
        echo "deps: Node.js $(node --version) is too old for the test services: 20 or newer is needed" >&2
        return 1
    fi
}

# Compiler cache settings for a build of the tree at $1: paths are hashed relative to the tree, so
# fresh clones at other paths (CI's) reuse the objects of earlier builds. A user's own CCACHE_BASEDIR
# wins.
wp_ccache_setup() {
    export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$1}
    export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    wp_install_debian_packages "${WP_DEBIAN_PACKAGES[@]}"
fi
