#!/usr/bin/env bash
# dpkg-cycle.sh DEB_DIR SCRATCH - install, use, upgrade, remove and purge the
# .deb files for real, with no trace on this machine: run by check-debs.sh
# as root under "unshare -m --propagation private", it lays throw-away
# overlays over /etc, /usr, /var and /run first.  Prints ok/FAIL lines like
# check-debs.sh; exits 1 if any check failed, 77 if overlays cannot be made.
set -uo pipefail

DEBS=$1
T=$2
fails=0
ok() { echo "ok    $*"; }
bad() { echo "FAIL  $*"; fails=$((fails + 1)); }
quiet() { "$@" >>"$T/dpkg.log" 2>&1; }

for d in etc usr var run; do
    mkdir -p "$T/up/$d" "$T/work/$d"
    mount -t overlay overlay -o "lowerdir=/$d,upperdir=$T/up/$d,workdir=$T/work/$d" "/$d" 2>/dev/null ||
        exit 77
done
# Start from a machine without syncmgr: what this one has (packages, user,
# /etc/syncmgr from scripts/run-broker) goes, in the overlays only -- after
# making sure that they are overlays.
for d in etc usr var run; do
    [ "$(findmnt -n -o FSTYPE --target "/$d" | tail -1)" = overlay ] || exit 77
done
quiet dpkg --purge syncmgrd libsyncmgr-dev syncmgr-tools libsyncmgr0
rm -rf /etc/syncmgr /var/lib/syncmgr /run/syncmgr
if getent passwd syncmgr >/dev/null; then quiet userdel syncmgr; fi
if getent group syncmgr >/dev/null; then quiet groupdel syncmgr; fi

if quiet dpkg -i "$DEBS"/libsyncmgr0_*.deb "$DEBS"/syncmgr-tools_*.deb "$DEBS"/syncmgrd_*.deb \
    "$DEBS"/libsyncmgr-dev_*.deb; then
    ok "dpkg -i the four packages"
else
    bad "dpkg -i the four packages"
    tail -20 "$T/dpkg.log" | sed 's/^/      /'
    exit 1
fi

if getent passwd syncmgr >/dev/null && getent group syncmgr >/dev/null; then
    ok "postinst made user and group syncmgr: $(getent passwd syncmgr)"
else bad "postinst made no user or group syncmgr"; fi
key=/etc/syncmgr/authkey
st=$(stat -c '%a %U:%G %s' "$key" 2>/dev/null)
if [ "$st" = "640 root:syncmgr 65" ] && grep -Eqx '[0-9a-f]{64}' "$key"; then
    ok "postinst made $key: $st"
else bad "postinst's $key: '$st'"; fi
cp "$key" "$T/key.before"

# the packaged broker, as the unit runs it (User=/Group=syncmgr, --config)
install -d -o syncmgr -g syncmgr -m 0750 /run/syncmgr
setpriv --reuid=syncmgr --regid=syncmgr --init-groups \
    /usr/sbin/syncmgrd --config /etc/syncmgr/syncmgrd.conf >"$T/syncmgrd.log" 2>&1 &
pid=$!
sock=/run/syncmgr/syncmgrd.sock
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
st=$(stat -c '%a %U:%G' "$sock" 2>/dev/null)
if [ "$st" = "660 syncmgr:syncmgr" ]; then ok "socket $sock: $st"; else bad "socket $sock: '$st'"; fi
if out=$(syncmgrctl ping 2>&1); then ok "syncmgrctl ping (root, default address and key): $out"
else bad "syncmgrctl ping: $out"; fi
if ! syncmgrctl keygen "$key" >/dev/null 2>&1 && cmp -s "$key" "$T/key.before"; then
    ok "syncmgrctl keygen refuses the existing key"
else bad "syncmgrctl keygen replaced $key"; fi
kill -TERM "$pid"
wait "$pid"
rc=$?
if [ "$rc" -eq 0 ] && [ ! -e "$sock" ]; then ok "syncmgrd: SIGTERM, exit 0, socket removed"
else bad "syncmgrd: exit $rc, socket $( [ -e "$sock" ] && echo left || echo removed)"; sed 's/^/      /' "$T/syncmgrd.log"; fi

if quiet dpkg -i "$DEBS"/syncmgrd_*.deb && cmp -s "$key" "$T/key.before"; then
    ok "dpkg -i again (upgrade path) keeps the key"
else bad "dpkg -i again (upgrade path)"; fi
if quiet dpkg -r syncmgrd && [ ! -e /usr/sbin/syncmgrd ] && [ -e "$key" ] &&
    [ -e /etc/syncmgr/syncmgrd.conf ]; then
    ok "dpkg -r syncmgrd: binary gone, key and conffile kept"
else bad "dpkg -r syncmgrd"; fi
if quiet dpkg --purge syncmgrd libsyncmgr-dev syncmgr-tools libsyncmgr0 && [ ! -e /etc/syncmgr ] &&
    ! ls /usr/lib/libsyncmgr* /usr/lib/*/libsyncmgr* >/dev/null 2>&1; then
    ok "dpkg --purge: /etc/syncmgr and the libraries gone"
else bad "dpkg --purge left $(ls -d /etc/syncmgr /usr/lib/libsyncmgr* /usr/lib/*/libsyncmgr* 2>/dev/null)"; fi

[ "$fails" -eq 0 ]
