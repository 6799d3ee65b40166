#!/usr/bin/env bash
# install-deps.sh: install the Debian 12 packages lolwire needs to build, test and run.
#
# Idempotent and quiet: asks dpkg what is already there and calls apt-get only for
# what is missing.  Needs root (or sudo) only when something is missing.
set -euo pipefail

# Every package whose programs (or Python and Perl modules) the build, tests/, scripts/,
# pcaps/, bench/ and the Makefile use, grouped by who uses them.  Named even when another
# package here pulls it in: tests/commands_check.py (a suite of `make test`) fails when a
# program or module comes from a package this list does not name and that is not
# Essential, so add the package here when a script starts using its program.
PKGS=(
    # Build: compilers (cc is gcc; clang for `make build-fuzz`), make, cmake (and ctest),
    # pkg-config, and the libraries CMakeLists.txt asks pkg-config for.  pkgconf and
    # libpcap0.8-dev are what bookworm's transitional pkg-config and libpcap-dev install.
    build-essential gcc make cmake pkgconf clang
    libpcap0.8-dev libndpi-dev libmaxminddb-dev libcmocka-dev liblzma-dev
    libssl-dev zlib1g-dev libcjson-dev libxml2-dev libevtx-dev libbfio-dev librdkafka-dev
    # Tests: python3 and jsonschema (EVE schema), tshark (JA3), ip and ping (live capture
    # between namespaces), curl (--follow live), perl's MaxMind writer (the lab GeoIP
    # database); mmdblookup to look into a GeoIP database by hand.
    python3 python3-jsonschema tshark iproute2 iputils-ping curl libmaxmind-db-writer-perl
    mmdb-bin
    # Scripts: awk (demo-summary.sh, gen-tls-ciphers.sh, bench, pcaps), column
    # (demo-summary.sh), /usr/bin/time, cc and ndpiReader (bench/run.sh), git and
    # clang-format (`make format`), mmdebstrap and mount (scripts/fresh-machine-test.sh).
    mawk bsdextrautils time libndpi-bin git clang-format mmdebstrap mount
    # tests/service_check.sh: systemd-analyze and systemd-sysusers (the unit), man and
    # groff (the man page).
    systemd man-db groff-base
    # Capture scripts (pcaps/make-*.sh, pcaps/netns-lib.sh): capture, offloads, sysctl in
    # the namespaces, servers and clients (openssl, dnsmasq, dig), payload builders (MSI,
    # CAB, ZIP, file types, XLS/OLE, JPEG, WebP).
    tcpdump ethtool procps openssl dnsmasq-base bind9-dnsutils
    msitools wixl gcab faketime zip unzip file python3-xlwt python3-olefile
    libjpeg-turbo-progs webp
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
