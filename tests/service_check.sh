#!/usr/bin/env bash
# service_check.sh: lolwire as an installed service: make install, the systemd unit, the
# sysusers.d file, the manual page and the example configuration.
#
#   tests/service_check.sh BUILD_DIR
#
# (a) `make install PREFIX=/usr DESTDIR=<tmp>` into a build directory of its own (not
#     BUILD_DIR, so it never races the main build): every file is where it belongs; after
#     the installed configuration is edited, a second `make install` keeps it.
# (b) `systemd-analyze verify` accepts the installed unit (its ExecStart pointed into
#     DESTDIR, MANPATH at DESTDIR's manual for Documentation=man:) and says nothing;
#     systemd-sysusers creates the user lolwire from the sysusers.d file.
# (c) `man` renders the page with no warning (groff -ww too), and the rendered page has
#     every long option that BUILD_DIR/lolwire --help prints.
# (d) BUILD_DIR/lolwire accepts the installed configuration (-c FILE --list-rules); each
#     commented-out `# key = value` of it is a key lolwire knows with a value it takes;
#     every long option of --help is a key of it (but config, help, version, list-rules).
#
# Prints each problem and one line per part; exit 0 when every part passes, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD_DIR=${1:-build}
LOLWIRE=$(cd "$BUILD_DIR" 2>/dev/null && pwd)/lolwire
if [ ! -x "$LOLWIRE" ]; then
    echo "service_check: no lolwire binary in '$BUILD_DIR' (give the build directory)" >&2
    exit 1
fi

tmp=$(mktemp -d /tmp/lolwire-service.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/root          # DESTDIR
prefix=/usr             # so the unit, config and sysusers paths are the distribution's
errors=0
part_errors=0
fail() {
    echo "service_check: FAIL: $*"
    errors=$((errors + 1))
    part_errors=$((part_errors + 1))
}
part_start() { part_errors=0; }
part_end() {
    if [ "$part_errors" -eq 0 ]; then
        echo "service_check: $1: ok"
    else
        echo "service_check: $1: $part_errors problem(s)"
    fi
}

# MAKEFLAGS cleared: under `make test` it names the parent's jobserver, not ours.
install_once() {
    MAKEFLAGS= make --no-print-directory install BUILD="$tmp/build" PREFIX="$prefix" DESTDIR="$dest" \
        CMAKE_ARGS=-DLOLWIRE_TESTS=OFF >"$tmp/install.out" 2>&1
}

# ---------------------------------------------------------------------------- (a) install
part_start
if ! install_once; then
    fail "make install PREFIX=$prefix DESTDIR=$dest failed:"
    sed 's/^/    /' "$tmp/install.out" | tail -30
    part_end "(a) make install"
    echo "service_check: cannot go on without the installed files"
    exit 1
fi
sbin=$dest$prefix/sbin/lolwire
man8=$dest$prefix/share/man/man8/lolwire.8
unit=$dest$prefix/lib/systemd/system/lolwire.service
sysusers=$dest$prefix/lib/sysusers.d/lolwire.conf
conf=$dest/etc/lolwire/lolwire.conf        # GNUInstallDirs: /etc for the prefix /usr
docdir=$dest$prefix/share/doc/lolwire

[ -f "$sbin" ] && [ -x "$sbin" ] || fail "$sbin is missing or not executable"
"$sbin" --version >/dev/null 2>&1 || fail "$sbin --version does not run"
cmp -s "$man8" dist/lolwire.8 || fail "$man8 is missing or differs from dist/lolwire.8"
cmp -s "$sysusers" dist/lolwire.sysusers || fail "$sysusers is missing or differs from dist/lolwire.sysusers"
cmp -s "$conf" dist/lolwire.conf || fail "$conf is missing or differs from dist/lolwire.conf"
if [ -f "$unit" ]; then
    grep -q "^ExecStart=$prefix/sbin/lolwire -c /etc/lolwire/lolwire.conf " "$unit" ||
        fail "$unit: ExecStart does not run $prefix/sbin/lolwire -c /etc/lolwire/lolwire.conf:" \
            "$(grep '^ExecStart=' "$unit")"
    if grep -n '@[A-Z_]*@' "$unit"; then
        fail "$unit: placeholders left unconfigured (above)"
    fi
else
    fail "$unit is missing"
fi
for doc in README.md docs/*.md; do
    cmp -s "$doc" "$docdir/$(basename "$doc")" || fail "$docdir/$(basename "$doc") is missing or differs from $doc"
done

# A reinstall keeps the configuration in use.
if [ -f "$conf" ]; then
    echo "interface = service-check0   # edited by service_check" >>"$conf"
    if ! install_once; then
        fail "the second make install failed:"
        sed 's/^/    /' "$tmp/install.out" | tail -30
    fi
    grep -q 'edited by service_check' "$conf" ||
        fail "a reinstall overwrote the edited $conf"
    sed -i '/edited by service_check/d' "$conf"
    cmp -s "$conf" dist/lolwire.conf || fail "$conf changed beyond the edit on reinstall"
fi
part_end "(a) make install (sbin, man8, unit, sysusers.d, config kept on reinstall, docs)"

# ---------------------------------------------------------------- (b) systemd unit, user
part_start
if [ -f "$unit" ]; then
    mkdir -p "$tmp/units"
    # verify wants the ExecStart binary to exist: the one in DESTDIR.
    sed "s|^ExecStart=$prefix/sbin/lolwire |ExecStart=$sbin |" "$unit" >"$tmp/units/lolwire.service"
    grep -q "^ExecStart=$sbin " "$tmp/units/lolwire.service" ||
        fail "could not point ExecStart of the unit at $sbin"
    if ! MANPATH=$dest$prefix/share/man systemd-analyze verify "$tmp/units/lolwire.service" \
        >"$tmp/verify.out" 2>&1; then
        fail "systemd-analyze verify rejects the unit:"
        sed 's/^/    /' "$tmp/verify.out"
    elif [ -s "$tmp/verify.out" ]; then
        fail "systemd-analyze verify warns about the unit:"
        sed 's/^/    /' "$tmp/verify.out"
    fi
fi
if [ -f "$sysusers" ]; then
    mkdir -p "$tmp/sysroot/etc"
    if ! systemd-sysusers --root="$tmp/sysroot" "$sysusers" >"$tmp/sysusers.out" 2>&1; then
        fail "systemd-sysusers rejects $sysusers:"
        sed 's/^/    /' "$tmp/sysusers.out"
    fi
    grep -q '^lolwire:x:[0-9]*:[0-9]*:[^:]*:/var/lib/lolwire:' "$tmp/sysroot/etc/passwd" 2>/dev/null ||
        fail "systemd-sysusers did not create the user lolwire with home /var/lib/lolwire"
    grep -q '^lolwire:' "$tmp/sysroot/etc/group" 2>/dev/null ||
        fail "systemd-sysusers did not create the group lolwire (the unit's Group=)"
fi
part_end "(b) systemd-analyze verify (no warnings), systemd-sysusers"

# ------------------------------------------------------------------------- (c) man page
part_start
if [ -f "$man8" ]; then
    LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l "$man8" \
        >"$tmp/man.txt" 2>"$tmp/man.err"
    rc=$?
    [ "$rc" -eq 0 ] || fail "man -l $man8 exits $rc"
    if [ -s "$tmp/man.err" ]; then
        fail "man warns about the page:"
        sed 's/^/    /' "$tmp/man.err"
    fi
    groff -man -ww -z "$man8" >"$tmp/groff.err" 2>&1
    if [ -s "$tmp/groff.err" ]; then
        fail "groff -man -ww warns about the page:"
        sed 's/^/    /' "$tmp/groff.err"
    fi
    # Hyphens as the rendering may print them (hyphen, non-breaking hyphen, minus) to '-'.
    LC_ALL=C sed -e 's/\xe2\x80\x90/-/g' -e 's/\xe2\x80\x91/-/g' -e 's/\xe2\x88\x92/-/g' \
        "$tmp/man.txt" >"$tmp/man.ascii"
    "$LOLWIRE" --help >"$tmp/help.txt" 2>&1 || fail "$LOLWIRE --help exits non-zero"
    grep -oE -- '--[a-z][a-z0-9-]*[a-z0-9]' "$tmp/help.txt" | sort -u >"$tmp/help.opts"
    [ -s "$tmp/help.opts" ] || fail "no long option found in lolwire --help"
    missing=()
    while read -r opt; do
        grep -qE -e "(^|[^a-z0-9-])$opt([^a-z0-9-]|\$)" "$tmp/man.ascii" || missing+=("$opt")
    done <"$tmp/help.opts"
    [ ${#missing[@]} -eq 0 ] ||
        fail "options in lolwire --help but not in the manual page (dist/lolwire.8): ${missing[*]}"
fi
part_end "(c) man page renders without warnings and has all $(wc -l <"$tmp/help.opts" 2>/dev/null || echo 0) long options of --help"

# ------------------------------------------------------------- (d) example configuration
part_start
if [ -f "$conf" ]; then
    if ! "$LOLWIRE" -c "$conf" --list-rules >/dev/null 2>"$tmp/conf.err"; then
        fail "lolwire -c $conf --list-rules rejects the example configuration:"
        sed 's/^/    /' "$tmp/conf.err"
    fi
    # Each commented-out setting, alone: an error naming the file's line 1 is the parser's
    # (unknown key, bad value); later errors (a missing rules file, a source with
    # --list-rules...) are about the machine, not the example.
    n=0
    while IFS= read -r line; do
        n=$((n + 1))
        printf '%s\n' "$line" >"$tmp/one.conf"
        "$LOLWIRE" -c "$tmp/one.conf" --list-rules >/dev/null 2>"$tmp/one.err"
        if grep -q "one.conf:1:" "$tmp/one.err"; then
            fail "the example's commented-out '$line' is not a valid setting: $(head -1 "$tmp/one.err")"
        fi
    done < <(sed -n 's/^#[[:space:]]*\([a-z][a-z0-9-]* = .*\)$/\1/p' "$conf")
    [ "$n" -gt 0 ] || fail "no commented-out '# key = value' setting found in $conf"
    # Every option --help lists is a key of the example (set or commented out).
    missing=()
    while read -r opt; do
        key=${opt#--}
        case $key in config | help | version | list-rules) continue ;; esac
        grep -qE "^#?[[:space:]]*$key = " "$conf" || missing+=("$key")
    done <"$tmp/help.opts"
    [ ${#missing[@]} -eq 0 ] ||
        fail "options of lolwire --help with no key in dist/lolwire.conf: ${missing[*]}"
fi
part_end "(d) the example configuration is accepted, its $n commented-out settings are valid, it has every option"

echo
if [ "$errors" -eq 0 ]; then
    echo "service_check: all parts passed"
    exit 0
fi
echo "service_check: $errors problem(s)"
exit 1
