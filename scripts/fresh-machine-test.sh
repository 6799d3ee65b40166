#!/usr/bin/env bash
# fresh-machine-test.sh: run `make test` on a fresh Debian 12 root that starts with nothing
# but git and make, the way a new machine or a CI image would (issue 11: a green run on a
# developer machine hid a package scripts/install-deps.sh did not install).
#
#   sudo bash scripts/fresh-machine-test.sh [--refresh] [REPOSITORY | COMMIT]
#
# Tests committed states only: the HEAD of REPOSITORY (a path to a git repository), or
# COMMIT of this repository; by default this repository's HEAD.  Uncommitted changes are
# not seen: commit them in a scratch clone and pass its path.
#
#  1. The base: a bookworm root made by mmdebstrap (variant minbase, plus git, make and
#     ca-certificates), built once and kept as /var/cache/lolwire-fresh/bookworm-base.tar
#     (--refresh builds it again).  Every run extracts a pristine copy into a new directory
#     under /var/tmp, so nothing one run installs is seen by the next.
#  2. The commit is cloned into the root at /src/lolwire; the shared corpus (../shared beside
#     this repository, or $LOLWIRE_SHARED) is bind-mounted read-only at /src/shared.
#  3. In new mount and PID namespaces (unshare), the root is bind-mounted on itself and gets
#     /proc, /sys, /dev, /dev/pts, a /dev/shm and a /run (network namespaces need /run/netns
#     and /sys); then, as root with a clean environment (env -i,
#     PATH=/usr/sbin:/usr/bin:/sbin:/bin, HOME=/root): chroot ROOT make test, in
#     /src/lolwire.  make test installs the packages itself, from the Debian mirror.
#  4. Prints the last lines of the output (the whole of it stays in the log named at the
#     start) and exits with make test's status.  The mounts live only in the namespace, and
#     a trap unmounts them and removes the root, on failure or interrupt too.
#
# Needs root, mmdebstrap (installed with apt-get if missing), the Debian mirror and about
# 4 GB free in /var/tmp.  The live-capture tests create network namespaces and veth pairs
# named as on the host: do not run `make test` on the host at the same time.
# Environment: LOLWIRE_FRESH_MIRROR (default http://deb.debian.org/debian; security
# updates from LOLWIRE_FRESH_SECURITY, default http://deb.debian.org/debian-security),
# LOLWIRE_SHARED, LOLWIRE_FRESH_TAIL (lines of output shown, default 40),
# LOLWIRE_FRESH_KEEP=1 (keep the root afterwards, to look into it).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE=/var/cache/lolwire-fresh
BASE=$CACHE/bookworm-base.tar
MIRROR=${LOLWIRE_FRESH_MIRROR:-http://deb.debian.org/debian}
SECURITY=${LOLWIRE_FRESH_SECURITY:-http://deb.debian.org/debian-security}
SHARED=${LOLWIRE_SHARED:-$(cd "$REPO/.." && pwd)/shared}
TAIL=${LOLWIRE_FRESH_TAIL:-40}
FRESH_PATH=/usr/sbin:/usr/bin:/sbin:/bin

log() { printf 'fresh-machine-test: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

refresh=0
target=""
for a in "$@"; do
    case $a in
        --refresh) refresh=1 ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) die "unknown option $a (see --help)" ;;
        *) [ -z "$target" ] || die "one REPOSITORY or COMMIT, not more"; target=$a ;;
    esac
done

[ "$(id -u)" -eq 0 ] || die "needs root (mounts, chroot): sudo bash $0"
[ -d "$SHARED/corpus" ] || die "the shared corpus is not at $SHARED (set LOLWIRE_SHARED)"

# What to test: a repository's HEAD, or a commit of this one.
if [ -z "$target" ]; then
    src=$REPO
    commit=$(git -C "$REPO" rev-parse --verify 'HEAD^{commit}')
elif [ -d "$target" ]; then
    src=$(cd "$target" && pwd)
    commit=$(git -C "$src" rev-parse --verify 'HEAD^{commit}') || die "$target: not a git repository"
else
    src=$REPO
    commit=$(git -C "$REPO" rev-parse --verify "$target^{commit}" 2>/dev/null) \
        || die "$target: neither a directory nor a commit of $REPO"
fi
log "testing $(git -C "$src" log -1 --format='%h %s' "$commit" | cut -c1-90) (from $src)"

START=$SECONDS
ROOT=""
stamp() { printf '%dm%02ds' $(((SECONDS - $1) / 60)) $(((SECONDS - $1) % 60)); }

# Anything still mounted below the root, as this mount namespace sees it.
mounted_below() { awk -v r="$1/" 'index($2 "/", r) == 1 { print $2 }' /proc/self/mounts; }

cleanup() {
    local rc=$?
    set +e
    if [ -n "$ROOT" ] && [ -d "$ROOT" ]; then
        # The namespace holds the mounts; should one show up here anyway, take it down
        # before anything is removed (never rm -r through a bind mount).
        mounted_below "$ROOT" | sort -r | while read -r m; do umount -l "$m"; done
        if [ -n "$(mounted_below "$ROOT")" ]; then
            log "still mounted below $ROOT; not removing it"
        elif [ "${LOLWIRE_FRESH_KEEP:-0}" = 1 ]; then
            log "kept the root at $ROOT"
        else
            rm -rf --one-file-system "$ROOT"
        fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# 1. The base root, cached.
if ! command -v mmdebstrap >/dev/null 2>&1; then
    log "installing mmdebstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null; }
fi
mkdir -p "$CACHE/logs"
if [ "$refresh" = 1 ] || [ ! -s "$BASE" ]; then
    t=$SECONDS
    log "building the base root (bookworm, minbase + git make ca-certificates) into $BASE"
    mmdebstrap --quiet --variant=minbase --format=tar --include=git,make,ca-certificates bookworm \
        "$BASE.tmp" "deb $MIRROR bookworm main" "deb $MIRROR bookworm-updates main" \
        "deb $SECURITY bookworm-security main" \
        || { rm -f "$BASE.tmp"; die "mmdebstrap failed"; }
    mv -f "$BASE.tmp" "$BASE"
    log "base root built in $(stamp "$t")"
else
    log "reusing the base root $BASE ($(date -r "$BASE" '+%Y-%m-%d %H:%M'); --refresh builds it again)"
fi

# 2. A pristine copy of it, the commit, the files a container runtime would provide.
ROOT=$(mktemp -d /var/tmp/lolwire-fresh.XXXXXX)
chmod 0755 "$ROOT"
tar --numeric-owner -xpf "$BASE" -C "$ROOT"
for p in git make; do
    chroot "$ROOT" dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' \
        || die "the base root has no $p"
done
rm -f "$ROOT/etc/resolv.conf" "$ROOT/etc/hosts"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$ROOT/etc/hosts"
mkdir -p "$ROOT/src/shared"
git clone --quiet --no-hardlinks --no-checkout "$src" "$ROOT/src/lolwire"
git -C "$ROOT/src/lolwire" checkout --quiet --detach "$commit"

# 3. make test inside, in its own mount and PID namespaces: the mounts vanish with it, and
# so does any process a test leaves behind.
LOG=$CACHE/logs/$(date -u +%Y%m%dT%H%M%SZ)-$(git -C "$src" rev-parse --short "$commit").log
log "running make test in $ROOT (output: $LOG)"
t=$SECONDS
rc=0
unshare --mount --pid --fork --kill-child --propagation private -- bash -euo pipefail -c '
    R=$1 SHARED=$2 FRESH_PATH=$3
    trap "umount -R \"\$R\" 2>/dev/null || umount -lR \"\$R\" 2>/dev/null || true" EXIT
    mount --bind "$R" "$R"                  # / is a mount point inside (ip netns exec needs it)
    mount -t proc proc "$R/proc"
    mount -t sysfs sysfs "$R/sys"
    mount --bind /dev "$R/dev"
    mount --bind /dev/pts "$R/dev/pts"
    mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/dev/shm"
    mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$R/run"
    mount --bind "$SHARED" "$R/src/shared"
    mount -o remount,bind,ro "$R/src/shared"
    rc=0
    chroot "$R" /usr/bin/env -i PATH="$FRESH_PATH" HOME=/root \
        /bin/bash -c "cd /src/lolwire && exec make test" </dev/null || rc=$?
    exit "$rc"
' fresh "$ROOT" "$SHARED" "$FRESH_PATH" >"$LOG" 2>&1 || rc=$?

# 4. The end of the output and make test's status.
echo "----- last $TAIL lines of make test ($LOG)"
tail -n "$TAIL" "$LOG"
echo "-----"
log "make test exited $rc after $(stamp "$t") (whole run $(stamp "$START"))"
exit "$rc"
