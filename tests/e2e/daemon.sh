#!/bin/sh
# daemon.sh - the daemon end to end inside a private network namespace
# (unshare -n: it disappears with the test): detection from a followed log
# file, escalation of repeat offenders, restore from the ledger after the
# kernel table is lost (expired bans stay out), log rotation, SIGHUP reload
# with a bad file kept out, observe mode, and the control socket's errors.
# Exit 0 pass, 1 fail, 77 skip.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
A5=$top/build/article5
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root"; exit 77; }
[ -x "$A5" ] || { echo "skip: build/article5 missing"; exit 77; }
command -v nft >/dev/null || { echo "skip: nft missing"; exit 77; }
command -v jq >/dev/null || { echo "skip: jq missing"; exit 77; }
if [ "${A5_IN_NETNS:-}" != 1 ]; then
	A5_IN_NETNS=1 exec unshare -n sh "$0" "$@"
fi
ip link set lo up

T=$(mktemp -d /tmp/a5daemon.XXXXXX)
chmod 755 "$T"	# the daemon's worker (user article5) watches the log here and reaches its state_dir
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }

write_conf() { # mode
	cat > "$T/a5.conf" <<CONF
mode $1
state_dir $T/state
rules_dir $top/etc/rules
rules_local none
control_socket $T/ctl.sock
source file $T/auth.log
maxretry 3
findtime 10m
bantime 1h
bantime_factor 4
kernel_mirror yes
CONF
}
start() {
	"$A5" daemon -c "$T/a5.conf" >>"$T/daemon.log" 2>&1 &
	pid=$!
	i=0
	while [ $i -lt 50 ] && ! "$A5" status -c "$T/a5.conf" >/dev/null 2>&1; do
		sleep 0.1; i=$((i + 1))
	done
	"$A5" status -c "$T/a5.conf" >/dev/null 2>&1 || { bad "daemon did not start"; cat "$T/daemon.log"; exit 1; }
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null; pid=""; }
fail_lines() { # addr count [file]
	n=0
	while [ $n -lt "$2" ]; do
		echo "$(date '+%b %e %H:%M:%S') host sshd[$((5000 + n))]: Failed password for root from $1 port $((40000 + n)) ssh2" >> "${3:-$T/auth.log}"
		n=$((n + 1))
	done
}
in_set() { nft get element inet article5 ban4 "{ $1 }" >/dev/null 2>&1; }
wait_set() { # addr
	i=0
	while [ $i -lt 50 ] && ! in_set "$1"; do sleep 0.1; i=$((i + 1)); done
	in_set "$1"
}
expires_in() { # addr -> seconds left per the ledger
	"$A5" bans -c "$T/a5.conf" --json | tr '{' '\n' | grep "\"prefix\": \"$1\"" |
	    sed 's/.*"expires": \([0-9]*\).*/\1/' | { read -r e; echo $((e - $(date +%s))); }
}

: > "$T/auth.log"
write_conf enforce
start

# detection and the threshold
fail_lines 192.0.2.10 2
sleep 0.5
in_set 192.0.2.10 && bad "banned below maxretry" || ok "2 failures: not banned"
fail_lines 192.0.2.10 1
wait_set 192.0.2.10 && ok "3rd failure: 192.0.2.10 in the kernel set" || bad "not banned after maxretry"

# escalation: a second ban of the same offender lasts bantime_factor times longer
first=$(expires_in 192.0.2.10)
"$A5" unban -c "$T/a5.conf" 192.0.2.10 >/dev/null
in_set 192.0.2.10 && bad "unban left the element" || ok "unban removed it"
fail_lines 192.0.2.10 3
wait_set 192.0.2.10 || bad "second ban missing"
second=$(expires_in 192.0.2.10)
[ "$first" -le 3600 ] && [ "$second" -gt 10000 ] && ok "escalation: ${first}s then ${second}s" ||
    bad "escalation: ${first}s then ${second}s"

# manual bans, allowlist, bad requests
"$A5" ban -c "$T/a5.conf" 198.51.100.0/24 --for 1h >/dev/null || bad "manual ban failed"
"$A5" ban -c "$T/a5.conf" 203.0.113.50 --for 2s >/dev/null || bad "short ban failed"
"$A5" ban -c "$T/a5.conf" 127.0.0.0/8 >/dev/null 2>&1 && bad "loopback ban accepted" || ok "loopback refused"
"$A5" ban -c "$T/a5.conf" 10.0.0.1/8 >/dev/null 2>&1 && bad "host bits accepted" || ok "prefix with host bits refused"
nft get element inet article5 ban4net '{ 198.51.100.0/24 }' >/dev/null 2>&1 ||
    nft get element inet article5 ban4 '{ 198.51.100.0/24 }' >/dev/null 2>&1 && ok "prefix ban in the kernel" || bad "prefix ban missing"

# rotation: rename + new file; lines in the new file still count
mv "$T/auth.log" "$T/auth.log.1"
: > "$T/auth.log"
sleep 0.3
fail_lines 192.0.2.20 3
wait_set 192.0.2.20 && ok "after rotation: 192.0.2.20 banned" || bad "rotation lost lines"

# restore: the kernel table is lost (as on reboot); unexpired bans return, expired do not
stop
nft delete table inet article5
sleep 2.5
start
sleep 0.3
in_set 192.0.2.10 && in_set 192.0.2.20 && ok "restored unexpired bans" || bad "restore missed bans"
in_set 203.0.113.50 && bad "restored an expired ban" || ok "expired ban not restored"

# the kernel digest follows what the kernel holds, not what the daemon meant
kd() { "$A5" status -c "$T/a5.conf" --json | jq -r '.kernel | "\(.prefixes) \(.digest)"'; }
before=$(kd)
nft delete element inet article5 ban4 '{ 192.0.2.20 }'
sleep 0.3
after=$(kd)
n0=${before%% *} n1=${after%% *}
[ "$n1" -eq $((n0 - 1)) ] && [ "${before#* }" != "${after#* }" ] &&
    ok "kernel digest: element deleted by hand seen ($n0 -> $n1 prefixes)" ||
    bad "kernel digest did not follow a hand deletion: '$before' -> '$after'"

# SIGHUP: a broken file is refused and the old configuration kept
echo "maxretry many" >> "$T/a5.conf"
kill -HUP "$pid"
sleep 0.5
grep -q "reload refused" "$T/daemon.log" && ok "bad reload refused" || bad "bad reload not reported"
"$A5" status -s "$T/ctl.sock" >/dev/null 2>&1 && ok "still answering after bad reload" || bad "daemon died on bad reload"
write_conf enforce
echo "maxretry 2" >> "$T/a5.conf"
kill -HUP "$pid"
sleep 0.5
fail_lines 192.0.2.30 2
wait_set 192.0.2.30 && ok "reload applied maxretry 2" || bad "reload not applied"

# config error names file:line
printf 'mode enforce\nfindtime soon\n' > "$T/bad.conf"
msg=$("$A5" check-config -c "$T/bad.conf" 2>&1)
case $msg in *"bad.conf:2: bad findtime 'soon'"*) ok "config error: $msg" ;; *) bad "config error: $msg" ;; esac

# clean shutdown, then the tamper-evident journal checks out
stop
out=$("$A5" verify -c "$T/a5.conf" 2>&1) && ok "verify: $out" || bad "verify: $out"
# an attacker with write access drops the guard triggers, then edits a row
sqlite3 "$T/state/ledger.db" "SELECT name FROM sqlite_master WHERE type='trigger'" 2>/dev/null | while read -r t; do
	sqlite3 "$T/state/ledger.db" "DROP TRIGGER $t"; done
sqlite3 "$T/state/ledger.db" "UPDATE journal SET subject = '192.0.2.99' WHERE seq = 1" 2>/dev/null
out=$("$A5" verify -c "$T/a5.conf" 2>&1) && bad "edited journal passed verify: $out" || ok "edited journal: $out"

# observe mode never touches nftables
grep -q "stopped" "$T/daemon.log" && ok "clean shutdown on SIGTERM" || bad "no clean shutdown"
nft delete table inet article5
rm -rf "$T/state"
write_conf observe
start
fail_lines 192.0.2.40 3
sleep 0.5
nft list table inet article5 >/dev/null 2>&1 && bad "observe mode created the table" || ok "observe: no table"
grep -q "would ban 192.0.2.40" "$T/daemon.log" && ok "observe: decision logged" || bad "observe: no decision logged"
[ "$("$A5" bans -c "$T/a5.conf" --json)" = "[]" ] && ok "observe: nothing recorded as a ban" || bad "observe: decision recorded as a ban"
stop

echo "---- daemon log ----"
cat "$T/daemon.log"
[ $fails -eq 0 ]
