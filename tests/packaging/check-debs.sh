#!/usr/bin/env bash
# check-debs.sh BUILD_DIR - the packaging test (ctest: packaging_deb).
#
# Builds the .deb files with CPack into a scratch folder and checks their
# contents, control data and computed Depends; stages the library and -dev
# components and builds a consumer program against them with pkg-config and
# with find_package(syncmgr); stages the daemon component under DESTDIR;
# as root, installs, runs, upgrades, removes and purges the packages inside
# throw-away overlays (dpkg-cycle.sh); checks the man pages and the unit's
# systemd-analyze exposure (<= 2.0).
# Prints each check; exits 1 if any failed, 2 on a usage error.
set -uo pipefail

[ $# -eq 1 ] && [ -f "$1/CMakeCache.txt" ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
SCRATCH=$BUILD/packaging-test
MAX_EXPOSURE=2.0

fails=0
ok() { echo "ok    $*"; }
bad() { echo "FAIL  $*"; fails=$((fails + 1)); }
skip() { echo "skip  $*"; }
check() { # check DESCRIPTION COMMAND...: ok when the command succeeds
    local what=$1
    shift
    if "$@" >"$SCRATCH/last.log" 2>&1; then ok "$what"; else bad "$what"; sed 's/^/      /' "$SCRATCH/last.log"; fi
}

rm -rf "$SCRATCH"
mkdir -p "$SCRATCH"
echo "packaging test: build $BUILD, scratch $SCRATCH"

# ---- 1. cpack -G DEB -----------------------------------------------------------
echo "== cpack -G DEB"
if ! (cd "$BUILD" && cpack -G DEB -B "$SCRATCH/debs") >"$SCRATCH/cpack.log" 2>&1; then
    bad "cpack -G DEB"
    tail -30 "$SCRATCH/cpack.log" | sed 's/^/      /'
    echo "packaging: $fails failed"
    exit 1
fi
ok "cpack -G DEB"

version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$BUILD/CPackConfig.cmake")
debver="$version-1"
deb() { ls "$SCRATCH/debs/$1_${debver}_"*.deb 2>/dev/null | head -1; }

declare -A DEB
for p in syncmgrd libsyncmgr0 libsyncmgr-dev syncmgr-tools; do
    DEB[$p]=$(deb "$p")
    if [ -n "${DEB[$p]}" ]; then ok "$(basename "${DEB[$p]}") exists"; else bad "no ${p}_${debver}_*.deb"; fi
done
n=$(ls "$SCRATCH/debs/"*.deb 2>/dev/null | wc -l)
if [ "$n" -eq 4 ]; then ok "exactly 4 .deb files"; else bad "$n .deb files, expected 4"; ls "$SCRATCH/debs"; fi

# ---- 2. contents ------------------------------------------------------------------
# has_files PKG REGEX...: each (extended, anchored) regex matches a listed path
has_files() {
    local pkg=$1 f=${DEB[$1]}
    shift
    [ -n "$f" ] || return 0
    dpkg-deb -c "$f" | awk '{print $6}' | sed 's|^\./|/|' >"$SCRATCH/$pkg.files"
    for re in "$@"; do
        if grep -Eq "^$re\$" "$SCRATCH/$pkg.files"; then ok "$pkg contains $re"; else bad "$pkg lacks $re"; fi
    done
}
LIB='/usr/lib(/[^/]+)?'
echo "== contents (dpkg-deb -c)"
has_files syncmgrd /usr/sbin/syncmgrd /lib/systemd/system/syncmgrd.service \
    /usr/lib/systemd/user/syncmgrd.service /usr/lib/sysusers.d/syncmgr.conf \
    /etc/syncmgr/syncmgrd.conf /usr/share/man/man8/syncmgrd.8.gz /usr/share/man/man5/syncmgrd.conf.5.gz
has_files libsyncmgr0 "$LIB/libsyncmgr\.so\.0" "$LIB/libsyncmgr\.so\.${version//./\\.}"
has_files libsyncmgr-dev /usr/include/syncmgr\.h /usr/include/syncmgr-errors\.def \
    "$LIB/libsyncmgr\.a" "$LIB/libsyncmgr\.so" "$LIB/pkgconfig/syncmgr\.pc" \
    "$LIB/cmake/syncmgr/syncmgrConfig\.cmake" "$LIB/cmake/syncmgr/syncmgrConfigVersion\.cmake" \
    /usr/share/man/man3/syncmgr\.3\.gz
has_files syncmgr-tools /usr/bin/syncmgrctl /usr/share/man/man1/syncmgrctl\.1\.gz \
    /usr/bin/syncmgr-bench /usr/share/man/man1/syncmgr-bench\.1\.gz \
    /usr/share/bash-completion/completions/syncmgrctl
if [ -n "${DEB[syncmgr-tools]}" ]; then
    comp=$SCRATCH/syncmgrctl.bash
    dpkg-deb --fsys-tarfile "${DEB[syncmgr-tools]}" |
        tar -xO ./usr/share/bash-completion/completions/syncmgrctl >"$comp" 2>/dev/null
    if bash -n "$comp" 2>/dev/null && bash -c '. "$1" && complete -p syncmgrctl' _ "$comp" 2>/dev/null |
        grep -q -- '-F _syncmgrctl'; then
        ok "syncmgr-tools' bash completion loads and completes syncmgrctl"
    else bad "syncmgr-tools' bash completion does not load or does not complete syncmgrctl"; fi
fi
if [ -n "${DEB[libsyncmgr-dev]}" ]; then
    pc=$(grep -E '/pkgconfig/syncmgr\.pc$' "$SCRATCH/libsyncmgr-dev.files")
    if dpkg-deb --fsys-tarfile "${DEB[libsyncmgr-dev]}" | tar -xO ".$pc" | grep -qx 'prefix=/usr'; then
        ok "libsyncmgr-dev's syncmgr.pc says prefix=/usr"
    else bad "libsyncmgr-dev's syncmgr.pc does not say prefix=/usr"; fi
fi
# the library package holds no .so link, the -dev package no runtime library
if [ -n "${DEB[libsyncmgr0]}" ] && grep -Eq '\.so$|\.a$|include' "$SCRATCH/libsyncmgr0.files"; then
    bad "libsyncmgr0 holds development files"
else ok "libsyncmgr0 holds no development files"; fi
if [ -n "${DEB[libsyncmgr-dev]}" ] && grep -Eq '\.so\.[0-9]' "$SCRATCH/libsyncmgr-dev.files"; then
    bad "libsyncmgr-dev holds the runtime library"
else ok "libsyncmgr-dev holds no runtime library"; fi

# ---- 3. control data -------------------------------------------------------------
echo "== control (dpkg-deb -f / -I)"
# depends PKG REGEX...: each regex matches one of the Depends entries
depends() {
    local pkg=$1 f=${DEB[$1]}
    shift
    [ -n "$f" ] || return 0
    local d
    d=$(dpkg-deb -f "$f" Depends)
    echo "      $pkg Depends: $d"
    for re in "$@"; do
        if tr ',' '\n' <<<"$d" | sed 's/^ *//' | grep -Eq "^($re)( |$)"; then
            ok "$pkg Depends on $re"
        else bad "$pkg does not Depend on $re"; fi
    done
}
# computed by dpkg-shlibdeps, with versions
# (msgpack-c is used through its inline functions only: no libmsgpackc2)
depends syncmgrd 'libc6 \(>=' 'libnng1 \(>=' 'libsodium23 \(>=' 'adduser \| systemd'
depends libsyncmgr0 'libc6 \(>=' 'libnng1 \(>=' 'libsodium23 \(>='
depends syncmgr-tools 'libc6 \(>=' 'libnng1 \(>=' 'libsodium23 \(>=' 'libjansson4 \(>='
depends libsyncmgr-dev "libsyncmgr0 \\(= ${debver//./\\.}\\)" libnng-dev libmsgpack-dev libsodium-dev

if [ -n "${DEB[syncmgrd]}" ]; then
    ctl=$SCRATCH/control-syncmgrd
    dpkg-deb -e "${DEB[syncmgrd]}" "$ctl"
    for s in postinst prerm postrm; do
        if [ -x "$ctl/$s" ] && sh -n "$ctl/$s"; then ok "syncmgrd $s is an executable sh script"
        else bad "syncmgrd $s missing, not executable or not valid sh"; fi
    done
    if grep -qx /etc/syncmgr/syncmgrd.conf "$ctl/conffiles" 2>/dev/null; then
        ok "syncmgrd conffiles lists /etc/syncmgr/syncmgrd.conf"
    else bad "syncmgrd conffiles lacks /etc/syncmgr/syncmgrd.conf"; fi
fi
if [ -n "${DEB[libsyncmgr0]}" ]; then
    s=$(dpkg-deb -I "${DEB[libsyncmgr0]}" shlibs 2>/dev/null)
    if grep -q "^libsyncmgr 0 libsyncmgr0" <<<"$s"; then ok "libsyncmgr0 shlibs: $s"
    else bad "libsyncmgr0 shlibs: '$s'"; fi
fi

# ---- 4. the postinst's key recipe ------------------------------------------------
key=$SCRATCH/authkey
{ head -c 32 /dev/urandom | od -An -tx1 -v | tr -dc 0-9a-f; echo; } >"$key"
if grep -Eqx '[0-9a-f]{64}' "$key" && [ "$(wc -c <"$key")" -eq 65 ]; then
    ok "key recipe: 64 hex digits and a newline"
else bad "key recipe gives '$(cat "$key")'"; fi
if grep -q 'od -An -tx1 -v | tr -dc 0-9a-f' "$SRC/packaging/debian/syncmgrd/postinst"; then
    ok "postinst uses the key recipe"
else bad "postinst does not use the key recipe checked here"; fi

# ---- 5. staged installs ----------------------------------------------------------
echo "== staged install"
STAGE=$SCRATCH/stage
for c in lib dev; do
    check "cmake --install --prefix stage --component $c" cmake --install "$BUILD" --prefix "$STAGE" --component "$c"
done
ROOT=$SCRATCH/root
check "DESTDIR=root cmake --install --component daemon" env DESTDIR="$ROOT" cmake --install "$BUILD" --component daemon
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$BUILD/CMakeCache.txt")
for f in "$prefix/sbin/syncmgrd" /etc/syncmgr/syncmgrd.conf /lib/systemd/system/syncmgrd.service \
    /usr/lib/sysusers.d/syncmgr.conf; do
    if [ -e "$ROOT$f" ]; then ok "DESTDIR install has $f"; else bad "DESTDIR install lacks $f"; fi
done

pcdir=$(dirname "$(find "$STAGE" -name syncmgr.pc | head -1)")
libdir=$(dirname "$(find "$STAGE" -name 'libsyncmgr.so.0' | head -1)")
CONSUMER=$SRC/tests/packaging/consumer
if [ -f "$pcdir/syncmgr.pc" ]; then
    export PKG_CONFIG_PATH=$pcdir
    flags=$(pkg-config --cflags --libs syncmgr)
    echo "      pkg-config --cflags --libs syncmgr: $flags"
    sflags=$(pkg-config --static --libs syncmgr)
    echo "      pkg-config --static --libs syncmgr: $sflags"
    check "pkg-config: version $version" test "$(pkg-config --modversion syncmgr)" = "$version"
    for l in -lnng -lmsgpackc -lsodium; do
        check "pkg-config --static has $l" grep -q -- "$l" <<<"$sflags"
    done
    # shellcheck disable=SC2086
    check "pkg-config: cc consumer.c" cc -Wall -Werror -o "$SCRATCH/consumer-pc" "$CONSUMER/consumer.c" $flags
    check "pkg-config: consumer needs libsyncmgr.so.0" sh -c "readelf -d '$SCRATCH/consumer-pc' | grep -q 'NEEDED.*libsyncmgr.so.0'"
    check "pkg-config: consumer runs" env LD_LIBRARY_PATH="$libdir" "$SCRATCH/consumer-pc"
    unset PKG_CONFIG_PATH
else
    bad "no syncmgr.pc in the staged install"
fi

cm=$SCRATCH/cmake-consumer
check "find_package(syncmgr): configure" cmake -S "$CONSUMER" -B "$cm" -DCMAKE_PREFIX_PATH="$STAGE" -DCMAKE_BUILD_TYPE=Release
check "find_package(syncmgr): build" cmake --build "$cm"
check "find_package(syncmgr): consumer needs libsyncmgr.so.0" sh -c "readelf -d '$cm/consumer' | grep -q 'NEEDED.*libsyncmgr.so.0'"
check "find_package(syncmgr): consumer runs" "$cm/consumer"
check "find_package(syncmgr): consumer_static (syncmgr::syncmgr_static) runs" "$cm/consumer_static"
check "find_package(syncmgr): consumer_static needs no libsyncmgr.so" sh -c "! readelf -d '$cm/consumer_static' | grep -q 'NEEDED.*libsyncmgr'"
wrong=$SCRATCH/cmake-wrong-version
mkdir -p "$wrong"
printf 'cmake_minimum_required(VERSION 3.18)\nproject(w LANGUAGES C)\nfind_package(syncmgr 9.0 REQUIRED)\n' >"$wrong/CMakeLists.txt"
check "find_package(syncmgr 9.0) is refused" sh -c "! cmake -S '$wrong' -B '$wrong/b' -DCMAKE_PREFIX_PATH='$STAGE'"

# ---- 6. a real install, in a private mount namespace -------------------------
echo "== dpkg -i / -r / --purge (throw-away overlays in a private mount namespace)"
if [ "$(id -u)" -ne 0 ]; then
    skip "not root: the install / remove / purge cycle is not run"
elif ! command -v unshare >/dev/null || ! unshare -m true 2>/dev/null; then
    skip "no mount namespaces here: the install / remove / purge cycle is not run"
else
    mkdir -p "$SCRATCH/cycle"
    unshare -m --propagation private "$SRC/tests/packaging/dpkg-cycle.sh" "$SCRATCH/debs" "$SCRATCH/cycle"
    case $? in
    0) ;;
    77) skip "overlay mounts not possible here: the install / remove / purge cycle is not run" ;;
    *) bad "the install / remove / purge cycle (dpkg log: $SCRATCH/cycle/dpkg.log)" ;;
    esac
fi

# ---- 7. man pages -----------------------------------------------------------------
echo "== man pages"
for m in "$SRC"/packaging/man/*.[0-9]; do
    if command -v mandoc >/dev/null; then
        check "mandoc -T lint $(basename "$m")" mandoc -T lint -W warning "$m"
    elif command -v groff >/dev/null; then
        check "groff renders $(basename "$m")" sh -c "groff -man -Tutf8 -ww -z '$m' 2>&1 | (! grep .)"
    else
        skip "$(basename "$m"): neither mandoc nor groff"
    fi
done

# ---- 8. systemd-analyze security ---------------------------------------------
echo "== systemd-analyze security"
if command -v systemd-analyze >/dev/null; then
    unit=$SRC/packaging/systemd/syncmgrd.service
    systemd-analyze security --offline=true "$unit" >"$SCRATCH/security.log" 2>&1
    line=$(grep -o 'Overall exposure level for [^:]*: [0-9.]*' "$SCRATCH/security.log")
    exposure=${line##* }
    if [ -z "$exposure" ]; then
        bad "systemd-analyze security printed no exposure"
        tail -5 "$SCRATCH/security.log" | sed 's/^/      /'
    elif awk -v e="$exposure" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(e <= m) }'; then
        ok "syncmgrd.service exposure $exposure <= $MAX_EXPOSURE"
    else
        bad "syncmgrd.service exposure $exposure > $MAX_EXPOSURE"
        grep '✗' "$SCRATCH/security.log" | sed 's/^/      /'
    fi
else
    skip "systemd-analyze is missing (apt-get install systemd): exposure not checked"
fi

echo "packaging: $fails failed"
[ "$fails" -eq 0 ]
