#!/usr/bin/env bash
# install-deps.sh: install the Debian 12 packages lolwire needs to build, test and run.
#
# Idempotent and quiet: asks dpkg what is already there and calls apt-get only for
# what is missing.  Needs root (or sudo) only when something is missing.
set -euo pipefail

# Build and runtime libraries, then the tools the tests and the demo use.
PKGS=(
    build-essential cmake pkg-config
    libpcap-dev libndpi-dev libmaxminddb-dev libcmocka-dev
    libssl-dev zlib1g-dev libcjson-dev libxml2-dev libevtx-dev libbfio-dev
    python3 python3-jsonschema tcpdump iproute2 mmdb-bin libmaxmind-db-writer-perl
    bsdextrautils clang tshark
)

missing=()
for p in "${PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: need root to install ${missing[*]}" >&2; exit 1; }
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
