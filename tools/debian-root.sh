#!/usr/bin/env bash
# Fresh Debian 12 (bookworm) roots for the checks of scripts/package-test and scripts/fresh-test.
# Sourced. The pristine root (debootstrap --variant=minbase, with bookworm-updates and the security
# archive in its sources, as an installed system has) is made once and cached as a tar file in
# ${WP_ROOT_CACHE:-$HOME/.cache/watchbot-progress}/debian12-minbase.tar; each check unpacks a fresh copy,
# so no check sees another's leftovers. Needs root (debootstrap, chroot, mount).
#
#   wp_debian_root_new DIR          unpacks a fresh root into DIR (making the cached one first if missing)
#   wp_debian_root_run DIR CMD...   runs CMD as root inside DIR, with /proc, /sys and /dev mounted in a
#                                   private mount namespace (they vanish with it), a clean environment
#                                   and the host's DNS settings; returns CMD's exit code
WP_DEBIAN_MIRROR=${WP_DEBIAN_MIRROR:-http://deb.debian.org/debian}

wp_debian_root_cache() {
    echo "${WP_ROOT_CACHE:-$HOME/.cache/watchbot-progress}/debian12-minbase.tar"
}

wp_debian_root_new() {
    local dir=$1 cache
    cache=$(wp_debian_root_cache)
    if [ ! -f "$cache" ]; then
        echo "debian-root: making a Debian 12 root with debootstrap (once; cached in $cache)" >&2
        mkdir -p "$(dirname "$cache")"
        local tmp
        tmp=$(mktemp -d "$(dirname "$cache")/debootstrap.XXXXXX")
        if ! debootstrap --variant=minbase bookworm "$tmp/root" "$WP_DEBIAN_MIRROR" >"$tmp/log" 2>&1; then
            echo "debian-root: debootstrap failed; the end of its log:" >&2
            tail -n 20 "$tmp/log" >&2
            rm -rf "$tmp"
            return 1
        fi
        local security=${WP_DEBIAN_MIRROR%/debian}/debian-security
        printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s bookworm-security main\n' \
            "$WP_DEBIAN_MIRROR" "$WP_DEBIAN_MIRROR" "$security" >"$tmp/root/etc/apt/sources.list"
        tar -C "$tmp/root" -cf "$tmp/root.tar" .
        mv "$tmp/root.tar" "$cache"  # only a complete root is ever cached
        rm -rf "$tmp"
    fi
    mkdir -p "$dir"
    tar -C "$dir" -xf "$cache"
    # A proxy's CA certificates the host trusts (e.g. one that intercepts HTTPS), so that HTTPS to the
    # npm registry works in the root as on the host; update-ca-certificates picks them up when the
    # root installs ca-certificates. None on an ordinary machine.
    if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
        mkdir -p "$dir/usr/local/share/ca-certificates"
        cp /usr/local/share/ca-certificates/*.crt "$dir/usr/local/share/ca-certificates/"
    fi
}

wp_debian_root_run() {
    local dir=$1
    shift
    cp /etc/resolv.conf "$dir/etc/resolv.conf"
    # shellcheck disable=SC2016
    unshare --mount --propagation private -- sh -c '
        dir=$1; shift
        mount -t proc proc "$dir/proc" && mount -t sysfs sys "$dir/sys" && mount --rbind /dev "$dir/dev" || exit 125
        exec chroot "$dir" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
            PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"' sh "$dir" "$@"
}

# Removes a root made by wp_debian_root_new (nothing stays mounted in it: the mounts lived in the
# namespace of wp_debian_root_run).
wp_debian_root_remove() {
    local dir=$1
    if grep -q " $dir/" /proc/mounts; then
        echo "debian-root: $dir still has mounts; not removing it" >&2
        return 1
    fi
    rm -rf "$dir"
}
