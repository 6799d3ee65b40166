# netns-lib.sh: what the capture scripts share (sourced, not run): installing missing
# Debian packages, cleaning up on exit, and two network namespaces joined by a veth pair
# with offloads off.
#
# The sourcing script defines first: NS_C NS_S (namespaces), IF_C IF_S (veth ends),
# IP_C IP_S (/24 addresses), MAC_C MAC_S.  It adds the pids of background processes to
# PIDS and sets TMP to its temporary directory; both are cleaned up on exit.  Messages go
# through log and die, prefixed with the script's name.

LW_NAME=$(basename "$0" .sh)
log() { printf '%s: %s\n' "$LW_NAME" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Every capture script needs root (network namespaces, tcpdump).
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, tcpdump): sudo bash $0"

# Install the given Debian packages (duplicates allowed) if the list is not empty.
lw_install() {
    [ $# -gt 0 ] || return 0
    local pkgs
    mapfile -t pkgs < <(printf '%s\n' "$@" | sort -u)
    log "installing ${pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
}

# Print the packages of the commands in the associative array PKG_OF that are missing.
lw_missing_commands() {
    local cmd
    for cmd in "${!PKG_OF[@]}"; do
        command -v "$cmd" >/dev/null 2>&1 || printf '%s\n' "${PKG_OF[$cmd]}"
    done
}

# Cleanup: background processes, anything left inside the namespaces, the namespaces,
# the temporary directory.
TMP=""
PIDS=()
lw_cleanup() {
    local rc=$?
    set +e
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
    for ns in "$NS_C" "$NS_S"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    done
    ip netns del "$NS_C" 2>/dev/null
    ip netns del "$NS_S" 2>/dev/null
    [ -n "$TMP" ] && rm -rf "$TMP"
    exit "$rc"
}
trap lw_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Foreground helpers.  Background jobs call `ip netns exec` directly, so that $! is the
# server's (or tcpdump's) own pid: ip execs the command in place.
inc() { ip netns exec "$NS_C" "$@"; }   # run in the client namespace
ins() { ip netns exec "$NS_S" "$@"; }   # run in the server namespace

# Leftovers from an interrupted run: processes still inside, then the namespaces.
lw_remove_leftovers() {
    local ns pid
    for ns in "$NS_C" "$NS_S"; do
        if ip netns list | grep -qw "$ns"; then
            log "removing leftover namespace $ns"
            for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
            ip netns del "$ns"
        fi
    done
}

# The two namespaces (IPv4 only: no router solicitations, MLD or link-local chatter in
# the capture) and the veth pair, with offloads off and checked off: the capture must
# hold wire-sized frames, not 64 KB GSO/GRO super-frames.
lw_make_namespaces() {
    local ns ns_if feat
    log "creating namespaces $NS_C ($IP_C) and $NS_S ($IP_S)"
    ip netns add "$NS_C"
    ip netns add "$NS_S"
    for ns in "$NS_C" "$NS_S"; do
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
        ip -n "$ns" link set lo up
    done
    ip -n "$NS_C" link add "$IF_C" address "$MAC_C" type veth peer name "$IF_S" address "$MAC_S" netns "$NS_S"
    ip -n "$NS_C" addr add "$IP_C/24" dev "$IF_C"
    ip -n "$NS_S" addr add "$IP_S/24" dev "$IF_S"
    inc ethtool -K "$IF_C" tx off rx off tso off gso off gro off >/dev/null
    ins ethtool -K "$IF_S" tx off rx off tso off gso off gro off >/dev/null
    ip -n "$NS_C" link set "$IF_C" up
    ip -n "$NS_S" link set "$IF_S" up
    for ns_if in "$NS_C:$IF_C" "$NS_S:$IF_S"; do
        for feat in tcp-segmentation-offload generic-segmentation-offload generic-receive-offload; do
            ip netns exec "${ns_if%%:*}" ethtool -k "${ns_if#*:}" | grep -q "^$feat: off" \
                || die "$feat still on for ${ns_if#*:}"
        done
    done
}
