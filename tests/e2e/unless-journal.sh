#!/bin/sh
# unless-journal.sh - "source file PATH unless-journal": with no readable
# journal (the journal directories hidden under empty tmpfs mounts in a
# private mount namespace: what a host without journald looks like) the
# daemon says so in one line and reads the file instead, and an attack in
# it is banned. In a private network namespace (unshare -n -m: both go away
# with the test). Exit 0 pass, 1 fail, 77 skip.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
A5=$top/build/article5
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root"; exit 77; }
[ -x "$A5" ] || { echo "skip: build/article5 missing"; exit 77; }
command -v nft >/dev/null || { echo "skip: nft missing"; exit 77; }
if [ "${A5_IN_NETNS:-}" != 1 ]; then
	A5_IN_NETNS=1 exec unshare -n -m --propagation private sh "$0" "$@"
fi
ip link set lo up
for d in /var/log/journal /run/log/journal; do
	[ -d "$d" ] && mount -t tmpfs -o size=1m,mode=0755 none "$d"
done

T=$(mktemp -d /tmp/a5unlessj.XXXXXX)
chmod 755 "$T"	# the worker (user article5) watches the log here
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }

cat > "$T/a5.conf" <<CONF
state_dir $T/state
rules_dir $top/etc/rules
rules_local none
control_socket $T/ctl.sock
source journal _SYSTEMD_UNIT=ssh.service
source file $T/auth.log unless-journal
maxretry 3
CONF
: > "$T/auth.log"
"$A5" daemon -c "$T/a5.conf" >>"$T/daemon.log" 2>&1 &
pid=$!
i=0
while [ $i -lt 50 ] && ! "$A5" status -c "$T/a5.conf" >/dev/null 2>&1; do
	sleep 0.1; i=$((i + 1))
done
"$A5" status -c "$T/a5.conf" >/dev/null 2>&1 || { bad "daemon did not start"; cat "$T/daemon.log"; exit 1; }
grep -q "no readable journal: reading the 1 unless-journal source(s) instead" "$T/daemon.log" &&
    ok "the choice is logged: $(grep -o 'sources: .*' "$T/daemon.log")" || bad "no log line: $(cat "$T/daemon.log")"

n=0
while [ $n -lt 3 ]; do
	echo "$(date '+%b %e %H:%M:%S') host sshd[$((5000 + n))]: Failed password for root from 192.0.2.50 port $((40000 + n)) ssh2" >> "$T/auth.log"
	n=$((n + 1))
done
i=0
while [ $i -lt 50 ] && ! nft get element inet article5 ban4 "{ 192.0.2.50 }" >/dev/null 2>&1; do
	sleep 0.1; i=$((i + 1))
done
nft get element inet article5 ban4 "{ 192.0.2.50 }" >/dev/null 2>&1 &&
    ok "3 failures in the unless-journal file: 192.0.2.50 banned" || bad "not banned: $(cat "$T/daemon.log")"

[ "$fails" -eq 0 ] && echo "unless-journal: all passed" || echo "unless-journal: $fails failed"
[ "$fails" -eq 0 ]
