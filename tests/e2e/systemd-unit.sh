#!/bin/bash
# systemd-unit.sh - etc/systemd/article5.service and the daemon's word to
# systemd, without systemd as PID 1 (docs/systemd.md):
#  - `systemd-analyze verify` accepts the unit (a copy whose ExecStart is
#    build/article5 when /usr/sbin/article5 is not installed), and its
#    `systemd-analyze security --offline=true` exposure is at most 2.0;
#  - the daemon started as the unit starts it (user article5, ambient and
#    bounding sets CAP_NET_ADMIN only, via setpriv) in a private network
#    namespace, with NOTIFY_SOCKET on a datagram socket this test reads,
#    WATCHDOG_USEC=2 s and JOURNAL_STREAM naming its stderr: READY=1 with
#    STATUS, WATCHDOG=1 (and none while the worker is stopped), a ban in
#    the kernel, the worker without capabilities, RELOADING=1 +
#    MONOTONIC_USEC then READY=1 after SIGHUP, STOPPING=1 at SIGTERM, and
#    log lines with <N> priorities.
# Exit 0 pass, 1 fail, 77 skip.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"	# tests/run.sh uses sh
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
A5=$top/build/article5
UNIT=$top/etc/systemd/article5.service
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root"; exit 77; }
[ -x "$A5" ] || { echo "skip: build/article5 missing"; exit 77; }
for c in systemd-analyze nft python3 setpriv unshare; do
	command -v "$c" >/dev/null || { echo "skip: $c missing"; exit 77; }
done
id article5 >/dev/null 2>&1 || { echo "skip: user article5 missing (make deps)"; exit 77; }
if [ "${A5_IN_NETNS:-}" != 1 ]; then
	A5_IN_NETNS=1 exec unshare -n bash "$0" "$@"
fi
ip link set lo up

T=$(mktemp -d /tmp/a5unit.XXXXXX)
chmod 755 "$T"
pid="" lpid=""
cleanup() {
	[ -n "$pid" ] && kill -CONT "$pid" 2>/dev/null
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "$lpid" ] && kill "$lpid" 2>/dev/null && wait "$lpid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }

# ---- the unit, statically
cp "$UNIT" "$T/article5.service"
[ -x /usr/sbin/article5 ] || sed -i "s|/usr/sbin/article5|$A5|" "$T/article5.service"
man -w article5 >/dev/null 2>&1 || sed -i '/^Documentation=/d' "$T/article5.service"
if out=$(systemd-analyze verify "$T/article5.service" 2>&1) && [ -z "$out" ]; then
	ok "systemd-analyze verify: no complaint"
else
	bad "systemd-analyze verify: $out"
fi
score() {
	systemd-analyze security --offline=true "$1" 2>&1 |
	    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'
}
e=$(score "$UNIT")
if [ -n "$e" ] && awk -v e="$e" 'BEGIN { exit !(e <= 2.0) }'; then
	ok "exposure $e (target <= 2.0)"
else
	bad "exposure '$e' (target <= 2.0)"
fi
[ -f /lib/systemd/system/fail2ban.service ] &&
	echo "     (fail2ban.service: $(score /lib/systemd/system/fail2ban.service))"
for want in "Type=notify" "User=article5" "CapabilityBoundingSet=CAP_NET_ADMIN" \
    "AmbientCapabilities=CAP_NET_ADMIN" "WatchdogSec=" "ExecReload=/bin/kill -HUP \$MAINPID"; do
	grep -q "^$want" "$UNIT" || bad "unit lacks $want"
done

# ---- the daemon as the unit runs it
python3 - "$T/notify.sock" "$T/notify.log" <<'PY' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)
end = time.time() + 120
with open(sys.argv[2], "a", buffering=1) as f:
    f.write("listening\n")
    while time.time() < end:
        s.settimeout(1)
        try:
            d = s.recv(4096)
        except socket.timeout:
            continue
        f.write("%.3f %s\n" % (time.time(), d.decode(errors="replace").replace("\n", "|")))
PY
lpid=$!
i=0
while [ $i -lt 50 ] && ! grep -q listening "$T/notify.log" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done

mkdir -m 700 "$T/state" "$T/run"
chown article5:article5 "$T/state" "$T/run"
: > "$T/auth.log"
: > "$T/daemon.log"
cat > "$T/a5.conf" <<CONF
mode enforce
state_dir $T/state
rules_dir $top/etc/rules
rules_local none
control_socket $T/run/ctl.sock
source file $T/auth.log
maxretry 3
findtime 10m
bantime 1h
CONF
(
	exec 2>>"$T/daemon.log"
	JOURNAL_STREAM=$(stat -c '%d:%i' "$T/daemon.log")
	export JOURNAL_STREAM NOTIFY_SOCKET="$T/notify.sock" WATCHDOG_USEC=2000000
	exec setpriv --reuid article5 --regid article5 --init-groups \
	    --inh-caps=-all,+net_admin --ambient-caps=-all,+net_admin \
	    --bounding-set=-all,+net_admin "$A5" daemon -c "$T/a5.conf" </dev/null >/dev/null
) &
pid=$!
wait_for() { # regex seconds
	local i=0
	while [ $i -lt $(($2 * 10)) ]; do
		grep -Eq "$1" "$T/notify.log" && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
if wait_for 'READY=1' 15; then
	ok "READY=1: $(grep -m1 READY=1 "$T/notify.log" | cut -d' ' -f2-)"
else
	bad "no READY=1"; cat "$T/daemon.log"; exit 1
fi
grep 'READY=1' "$T/notify.log" | grep -q 'STATUS=protecting: 1 source, 0 bans in force' &&
	ok "STATUS with READY" || bad "no STATUS with READY"
[ "$(grep -c 'READY=1' "$T/notify.log")" -eq 1 ] && ok "READY=1 once" || bad "READY=1 more than once"

worker=""
IFS= read -r worker < "/proc/$pid/task/$pid/children" 2>/dev/null
worker=${worker%% *}
cap() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }
[ "$(cap "$pid" CapEff)" = 0000000000001000 ] && [ "$(cap "$pid" CapBnd)" = 0000000000001000 ] &&
	[ "$(stat -c %U "/proc/$pid")" = article5 ] &&
	ok "enforcer process: user article5, CAP_NET_ADMIN only" ||
	bad "enforcer process: $(stat -c %U "/proc/$pid") CapEff $(cap "$pid" CapEff) CapBnd $(cap "$pid" CapBnd)"
if [ -n "$worker" ] && [ "$(cap "$worker" CapEff)$(cap "$worker" CapPrm)$(cap "$worker" CapAmb)" = \
    000000000000000000000000000000000000000000000000 ] && [ "$(cap "$worker" NoNewPrivs)" = 1 ] &&
    [ "$(cap "$worker" Seccomp)" = 2 ]; then
	ok "worker $worker: no capability, no-new-privs, seccomp"
else
	bad "worker '$worker': CapEff $(cap "$worker" CapEff) CapPrm $(cap "$worker" CapPrm) CapAmb $(cap "$worker" CapAmb)"
fi

n0=$(grep -c 'WATCHDOG=1' "$T/notify.log")
sleep 3
n1=$(grep -c 'WATCHDOG=1' "$T/notify.log")
[ $((n1 - n0)) -ge 2 ] && ok "WATCHDOG=1: $((n1 - n0)) in 3 s (WATCHDOG_USEC 2 s)" ||
	bad "WATCHDOG=1: $((n1 - n0)) in 3 s"
# a worker that no longer turns its loop: the pings stop, systemd would
# restart the service
kill -STOP "$worker"
sleep 1.2
n0=$(grep -c 'WATCHDOG=1' "$T/notify.log")
sleep 3
n1=$(grep -c 'WATCHDOG=1' "$T/notify.log")
kill -CONT "$worker"
[ "$n1" -eq "$n0" ] && ok "no WATCHDOG=1 while the worker is stopped" ||
	bad "$((n1 - n0)) WATCHDOG=1 while the worker was stopped"
wait_for 'WATCHDOG=1' 1
sleep 2
[ "$(grep -c 'WATCHDOG=1' "$T/notify.log")" -gt "$n1" ] && ok "pings again once it runs" ||
	bad "no ping after SIGCONT"

# a ban by the unprivileged enforcer, logged as one line with its reason
for n in 1 2 3; do
	echo "$(date '+%b %e %H:%M:%S') host sshd[$((500 + n))]: Failed password for root from 192.0.2.77 port $((40000 + n)) ssh2" >> "$T/auth.log"
done
i=0
while [ $i -lt 50 ] && ! nft get element inet article5 ban4 '{ 192.0.2.77 }' >/dev/null 2>&1; do sleep 0.1; i=$((i + 1)); done
nft get element inet article5 ban4 '{ 192.0.2.77 }' >/dev/null 2>&1 &&
	ok "ban in the kernel set (enforcer as user article5)" || bad "192.0.2.77 not banned"
line=$(grep -m1 '^<5>ban 192.0.2.77' "$T/daemon.log")
case $line in
*"service sshd"*"rule "*"3 failures in"*"reason maxretry"*"origin local"*) ok "decision line: $line" ;;
*) bad "decision line: '$line'" ;;
esac
grep -q '^<6>started: ' "$T/daemon.log" && ok "journal priorities: <6>started" || bad "no <6> line"
grep -Evq '^<[0-7]>' "$T/daemon.log" && bad "a line without priority: $(grep -Ev '^<[0-7]>' "$T/daemon.log" | head -n1)"
i=0
while [ $i -lt 40 ] && ! grep -q 'STATUS=protecting: 1 source, 1 ban in force' "$T/notify.log"; do sleep 0.1; i=$((i + 1)); done
grep -q 'STATUS=protecting: 1 source, 1 ban in force' "$T/notify.log" && ok "STATUS follows: 1 ban in force" ||
	bad "STATUS did not follow the ban: $(grep STATUS "$T/notify.log" | tail -n1)"

# reload: RELOADING=1 with MONOTONIC_USEC, then READY=1; a refused one too
for conf in good bad; do
	[ $conf = bad ] && echo "maxretry many" >> "$T/a5.conf"
	before=$(wc -l < "$T/notify.log")
	kill -HUP "$pid"
	i=0
	while [ $i -lt 50 ] && ! tail -n +$((before + 1)) "$T/notify.log" | grep -q 'READY=1'; do sleep 0.1; i=$((i + 1)); done
	seq=$(tail -n +$((before + 1)) "$T/notify.log" | grep -v WATCHDOG | cut -d' ' -f2- | tr '\n' ' ')
	case $seq in
	RELOADING=1\|MONOTONIC_USEC=[0-9]*READY=1*) ok "$conf reload: $seq" ;;
	*) bad "$conf reload: '$seq'" ;;
	esac
done
echo "$seq" | grep -q 'last reload refused' && ok "a refused reload says so in STATUS" ||
	bad "refused reload not in STATUS"

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=""
grep -q 'STOPPING=1' "$T/notify.log" && ok "STOPPING=1 at SIGTERM (exit $rc)" || bad "no STOPPING=1"
[ $rc -eq 0 ] || bad "exit status $rc"
# Every system call the daemon made, started the same way under strace
# (a start, a ban, a reload, a stop), must be one the unit's
# SystemCallFilter allows: the filter itself needs systemd as PID 1.
if command -v strace >/dev/null; then
	sed -i '/^maxretry many$/d' "$T/a5.conf"
	(
		exec 2>>"$T/daemon2.log"
		exec strace -f -qq -o "$T/strace.out" setpriv --reuid article5 --regid article5 \
		    --init-groups --inh-caps=-all,+net_admin --ambient-caps=-all,+net_admin \
		    --bounding-set=-all,+net_admin "$A5" daemon -c "$T/a5.conf" </dev/null >/dev/null
	) &
	pid=$!
	i=0
	while [ $i -lt 100 ] && ! "$A5" status -s "$T/run/ctl.sock" >/dev/null 2>&1; do sleep 0.1; i=$((i + 1)); done
	for n in 1 2 3; do
		echo "$(date '+%b %e %H:%M:%S') host sshd[$((600 + n))]: Failed password for root from 192.0.2.78 port $((41000 + n)) ssh2" >> "$T/auth.log"
	done
	dpid=$(pgrep -P "$pid" -x article5 || echo "$pid")	# strace's child
	sleep 1.5
	kill -HUP "$dpid" 2>/dev/null
	sleep 1.5
	kill -TERM "$dpid" 2>/dev/null
	wait "$pid"
	pid=""
	# the filter as systemd builds it: groups expanded by systemd-analyze
	# from the daemon's own start on (setpriv's calls before are systemd's)
	awk -v bin="execve(\"$A5\"" 'index($0, bin) { on = 1; next }
	    on && /^[0-9]+ +[a-z_0-9]+\(/ { sub(/^[0-9]+ +/, ""); sub(/\(.*/, ""); print }' "$T/strace.out" |
	    sort -u > "$T/used.txt"
	filt=$(sed -n 's/^SystemCallFilter=//p' "$UNIT" | tr '\n' ' ')
	python3 - "$T/used.txt" $filt > "$T/denied.txt" <<'PY'
import subprocess, sys
out = subprocess.run(["systemd-analyze", "syscall-filter"], capture_output=True, text=True).stdout
groups, cur = {}, None
for line in out.splitlines():
    if line.startswith("@"):
        cur = line.strip(); groups[cur] = []
    elif cur and line.strip() and not line.strip().startswith("#"):
        groups[cur].append(line.strip())
def expand(name, seen):
    if not name.startswith("@"):
        return {name}
    r = set()
    for x in groups.get(name, []):
        if x not in seen:
            seen.add(x); r |= expand(x, seen)
    return r
allowed = set()
for word in sys.argv[2:]:
    deny = word.startswith("~")
    if deny:
        allowed -= expand(word[1:], set())
    else:
        allowed |= expand(word, set())
used = [l.strip() for l in open(sys.argv[1]) if l.strip()]
print("\n".join(u for u in used if u not in allowed))
PY
	nused=$(wc -l < "$T/used.txt")
	if [ "$nused" -gt 20 ] && ! grep -q "[a-z]" "$T/denied.txt"; then
		ok "all $nused system calls the daemon made are allowed by the unit's SystemCallFilter"
	else
		bad "system calls outside the unit's SystemCallFilter ($nused used): $(tr '\n' ' ' < "$T/denied.txt")"
	fi
	grep -q '192.0.2.78' "$T/daemon2.log" || bad "the traced daemon did not ban (strace run)"
	grep -q 'reloaded ' "$T/daemon2.log" || bad "the traced daemon did not reload (strace run)"
fi

if [ $fails -ne 0 ]; then
	echo "---- notify ----"; cat "$T/notify.log"
	echo "---- daemon log ----"; cat "$T/daemon.log"
fi
[ $fails -eq 0 ]
