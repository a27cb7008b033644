#!/bin/sh
# unless-journal.sh - "source file PATH unless-journal": with no readable
# journal (the journal directories hidden under empty tmpfs mounts in a
# private mount namespace: what a host without journald looks like) the
# daemon says so in one line and reads the file instead, and an attack in
# it is banned. Then with a readable journal (a systemd-journald of the
# test's own, under a private /run): the file is not read, not counted as a
# source (status, systemd's STATUS, the start line), and its directory not
# checked (check-config, start). In a private network namespace (unshare
# -n -m: both go away with the test). Exit 0 pass, 1 fail, 77 skip.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
A5=$top/build/article5
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root"; exit 77; }
[ -x "$A5" ] || { echo "skip: build/article5 missing"; exit 77; }
command -v nft >/dev/null || { echo "skip: nft missing"; exit 77; }
command -v jq >/dev/null || { echo "skip: jq missing"; exit 77; }
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

kill "$pid"; wait "$pid" 2>/dev/null; pid=""

# --- a readable journal: the unless-journal file is not read ---
# systemd-journald of this test alone, under a private /run (its sockets
# and its runtime journal: gone with the mount namespace), fed one line.
# Then the fallback file does not count as a source (status, systemd's
# STATUS), and its directory is not checked (check-config, daemon start):
# it will not be watched.
JD=/lib/systemd/systemd-journald
if [ ! -x "$JD" ] || ! command -v systemd-cat >/dev/null || ! command -v python3 >/dev/null; then
	echo "skip: readable journal part (systemd-journald, systemd-cat or python3 missing)"
	[ "$fails" -eq 0 ] && echo "unless-journal: all passed" || echo "unless-journal: $fails failed"
	exit $((fails != 0))
fi
mount -t tmpfs -o size=16m,mode=0755 none /run
mkdir -p /run/systemd/journal /run/log/journal
# what systemd-tmpfiles does for journald: the journal's group may read it
# (the worker's user is in it, tools/deps.sh)
chgrp systemd-journal /run/log/journal && chmod 2755 /run/log/journal
"$JD" >"$T/journald.log" 2>&1 &
jpid=$!
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "${lpid:-}" ] && kill "$lpid" 2>/dev/null && wait "$lpid" 2>/dev/null
	kill "$jpid" 2>/dev/null && wait "$jpid" 2>/dev/null
	rm -rf "$T"
}
i=0
while [ $i -lt 50 ] && [ ! -S /run/systemd/journal/socket ]; do sleep 0.1; i=$((i + 1)); done
echo "unless-journal test line" | systemd-cat -t a5test
i=0
while [ $i -lt 50 ] && ! journalctl -q -t a5test --no-pager 2>/dev/null | grep -q "test line"; do
	sleep 0.1; i=$((i + 1))
done
journalctl -q -t a5test --no-pager 2>/dev/null | grep -q "test line" && ok "a journal of the test's own, readable" ||
    { bad "no readable journal: $(cat "$T/journald.log")"; exit 1; }

python3 - "$T/notify.sock" "$T/notify.log" <<'PY' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
end = time.time() + 60
with open(sys.argv[2], "a", buffering=1) as f:
    f.write("listening\n")
    while time.time() < end:
        s.settimeout(1)
        try:
            d = s.recv(4096)
        except socket.timeout:
            continue
        f.write("%s\n" % d.decode(errors="replace").replace("\n", "|"))
PY
lpid=$!
i=0
while [ $i -lt 50 ] && ! grep -q listening "$T/notify.log" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done

start_daemon() {
	: > "$T/daemon.log"
	NOTIFY_SOCKET="$T/notify.sock" "$A5" daemon -c "$T/a5.conf" >>"$T/daemon.log" 2>&1 &
	pid=$!
	i=0
	while [ $i -lt 50 ] && ! "$A5" status -c "$T/a5.conf" >/dev/null 2>&1; do
		sleep 0.1; i=$((i + 1))
	done
	"$A5" status -c "$T/a5.conf" >/dev/null 2>&1
}

# the journal is read, the fallback file is not: one source
if start_daemon; then
	grep -q "the journal is readable: the 1 unless-journal source(s) are not read" "$T/daemon.log" &&
	    ok "the choice is logged: $(grep -o 'sources: .*' "$T/daemon.log")" ||
	    bad "journal choice not logged: $(cat "$T/daemon.log")"
	n=$("$A5" status -c "$T/a5.conf" --json | jq .sources)
	[ "$n" = 1 ] && ok "status: 1 source (the journal)" || bad "status --json: $n sources, 1 expected"
	"$A5" status -c "$T/a5.conf" | grep -q "^sources: *1;" && ok "status (text): 1 source" ||
	    bad "status text: $("$A5" status -c "$T/a5.conf" | grep '^sources')"
	i=0
	while [ $i -lt 50 ] && ! grep -q "READY=1" "$T/notify.log"; do sleep 0.1; i=$((i + 1)); done
	grep "READY=1" "$T/notify.log" | grep -q "STATUS=protecting: 1 source," &&
	    ok "systemd STATUS: $(grep -o 'STATUS=[^|]*' "$T/notify.log" | head -1)" ||
	    bad "systemd STATUS: $(grep -o 'STATUS=[^|]*' "$T/notify.log" | head -1)"
	grep -q "started: .*, 1 sources\?," "$T/daemon.log" && ok "start line: 1 source" ||
	    bad "start line: $(grep -o 'started: .*' "$T/daemon.log")"
	kill "$pid"; wait "$pid" 2>/dev/null; pid=""
else
	bad "daemon did not start: $(cat "$T/daemon.log")"
fi

# a fallback in a directory that does not exist: never watched, so not
# checked, by check-config or at start
sed -i "s|^source file .*unless-journal|source file $T/nodir/auth.log unless-journal|" "$T/a5.conf"
out=$("$A5" check-config -c "$T/a5.conf" 2>&1) && ok "check-config: $out" ||
    bad "check-config refused the unused fallback's directory: $out"
start_daemon && ok "daemon started with the unused fallback's directory missing" ||
    bad "daemon did not start: $(cat "$T/daemon.log")"

[ "$fails" -eq 0 ] && echo "unless-journal: all passed" || echo "unless-journal: $fails failed"
[ "$fails" -eq 0 ]
