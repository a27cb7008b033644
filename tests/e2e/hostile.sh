#!/bin/sh
# hostile.sh - the daemon fed hostile log text (issue 5, resource bounds),
# inside a private network namespace (unshare -n): a spray of distinct IPv6
# attackers (HOSTILE_SPRAY, default 1000000; 10000000 for the full figure),
# a 1 MiB line, 1 MiB of binary garbage, invalid UTF-8 and NUL bytes in a
# user name, a line cut without its newline, lines padded so that their
# first 16384 bytes end with a victim's address. Then an ordinary attacker
# must still be banned, and the victim must not be. Checked: the daemon stays up, the offender table stays
# at its cap (evictions counted), overlong lines are counted as truncated,
# and the resident memory stays bounded (HOSTILE_RSS_MAX_MB, default 256).
# Prints the RSS before and after. Exit 0 pass, 1 fail, 77 skip.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
A5=${ARTICLE5:-$top/build/article5}
SPRAY=${HOSTILE_SPRAY:-1000000}
RSS_MAX_MB=${HOSTILE_RSS_MAX_MB:-256}
MAX_OFFENDERS=100000
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root"; exit 77; }
[ -x "$A5" ] || { echo "skip: $A5 missing"; exit 77; }
command -v nft >/dev/null || { echo "skip: nft missing"; exit 77; }
command -v jq >/dev/null || { echo "skip: jq missing"; exit 77; }
if [ "${A5_IN_NETNS:-}" != 1 ]; then
	A5_IN_NETNS=1 exec unshare -n sh "$0" "$@"
fi
ip link set lo up

T=$(mktemp -d /tmp/a5hostile.XXXXXX)
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

cat > "$T/a5.conf" <<CONF
mode enforce
state_dir $T/state
rules_dir $top/etc/rules
rules_local none
control_socket $T/ctl.sock
source file $T/auth.log
maxretry 3
findtime 10m
bantime 1h
max_offenders $MAX_OFFENDERS
ipv6_prefix 64
CONF
: > "$T/auth.log"
"$A5" daemon -c "$T/a5.conf" >>"$T/daemon.log" 2>&1 &
pid=$!
i=0
while [ $i -lt 50 ] && ! "$A5" status -c "$T/a5.conf" >/dev/null 2>&1; do sleep 0.1; i=$((i + 1)); done
"$A5" status -c "$T/a5.conf" >/dev/null 2>&1 || { bad "daemon did not start"; cat "$T/daemon.log"; exit 1; }
st() { "$A5" status -c "$T/a5.conf" --json 2>/dev/null | jq -r ".$1"; }
# Memory is the worker's (docs/privsep.md): it reads and parses; the
# enforcer process only applies records.
wpid=$(st pid)
rss() { awk '/^VmRSS/ { print int($2 / 1024) }' "/proc/$wpid/status"; }
hwm() { awk '/^VmHWM/ { print int($2 / 1024) }' "/proc/$wpid/status"; }
wait_lines() { # n seconds
	end=$(( $(date +%s) + $2 ))
	while [ "$(date +%s)" -le "$end" ]; do
		[ "$(st lines)" -ge "$1" ] 2>/dev/null && return 0
		sleep 0.5
	done
	return 1
}
rss0=$(rss)
echo "info daemon $pid (worker $wpid), RSS at start ${rss0} MB"

# 1. spray: one failed password each for SPRAY distinct /64s (2001:db8::/32,
# documentation; no packet is sent anywhere), written in one go.
t0=$(date +%s)
awk -v n="$SPRAY" 'BEGIN {
	for (i = 0; i < n; i++)
		printf "Dec  4 10:00:00 host sshd[%d]: Failed password for root from 2001:db8:%x:%x::1 port 22 ssh2\n",
		    1000 + i % 30000, int(i / 65536), i % 65536
}' >> "$T/auth.log"
lines=$SPRAY
if wait_lines "$lines" $(( 60 + SPRAY / 20000 )); then
	t1=$(date +%s)
	ok "spray of $SPRAY distinct IPv6 attackers read in $(( t1 - t0 )) s"
else
	bad "spray: only $(st lines) of $lines lines read"
fi
tracked=$(st offenders_tracked)
evicted=$(st offenders_evicted)
if [ "$tracked" -le "$MAX_OFFENDERS" ] && [ "$evicted" -ge $(( SPRAY - MAX_OFFENDERS )) ]; then
	ok "offender table at its cap: $tracked tracked (max $MAX_OFFENDERS), $evicted evicted"
else
	bad "offender table: $tracked tracked (max $MAX_OFFENDERS), $evicted evicted (expected >= $(( SPRAY - MAX_OFFENDERS )))"
fi
rss1=$(rss)

# 2. hostile lines
head -c 1048576 /dev/zero | tr '\0' 'A' >> "$T/auth.log"; echo >> "$T/auth.log"
head -c 1048576 /dev/urandom >> "$T/auth.log"; echo >> "$T/auth.log"
printf 'Dec  4 10:00:01 host sshd[77]: Failed password for invalid user \377\376\375 from 192.0.2.50 port 22 ssh2\n' >> "$T/auth.log"
printf 'Dec  4 10:00:01 host sshd[78]: Failed password for invalid user a\000b from 192.0.2.51 port 22 ssh2\n' >> "$T/auth.log"
printf 'Dec  4 10:00:01 host sshd[79]: Failed password for root from 192.0.2.' >> "$T/auth.log"
sleep 1
printf '52 port 22 ssh2\n' >> "$T/auth.log"	# the cut line, completed later
# A user name padded so that the first 16384 bytes (SENSOR_LINE_MAX) of the
# line end with a victim's address: such a line is dropped whole, never cut
# and matched in part.
for n in 1 2 3; do
	awk -v n="$n" 'BEGIN {
		h = sprintf("Dec  4 10:00:02 host sshd[%d]: Failed password for invalid user ", 80 + n)
		s = " from 192.0.2.66 port 22 ssh2"
		u = "x"
		while (length(u) < 16384) u = u u
		print h substr(u, 1, 16384 - length(h) - length(s)) s " from 192.0.2.77 port 22 ssh2"
	}' >> "$T/auth.log"
done
# 3. an ordinary attacker afterwards
for n in 1 2 3; do
	echo "$(date '+%b %e %H:%M:%S') host sshd[$((6000 + n))]: Failed password for root from 192.0.2.99 port $((41000 + n)) ssh2" >> "$T/auth.log"
done
i=0
until nft get element inet article5 ban4 '{ 192.0.2.99 }' >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -ge 100 ] && break; sleep 0.1
done
if nft get element inet article5 ban4 '{ 192.0.2.99 }' >/dev/null 2>&1; then
	ok "after the hostile lines, an ordinary attacker is still banned"
else
	bad "192.0.2.99 not banned after the hostile lines"
fi
if nft get element inet article5 ban4 '{ 192.0.2.66 }' >/dev/null 2>&1; then
	bad "192.0.2.66 banned from the cut-off head of over-long lines"
else
	ok "over-long lines with a victim's address at the line ceiling: not counted"
fi
# The same worker: a crash would have been hidden by its restart.
kill -0 "$pid" 2>/dev/null && [ "$(st pid)" = "$wpid" ] && ok "the daemon is alive, the same worker $wpid" ||
	bad "the daemon or its worker died (worker now $(st pid), was $wpid)"
trunc=$(st lines_truncated)
[ "$trunc" -ge 1 ] && ok "overlong lines counted: lines_truncated=$trunc" || bad "lines_truncated=$trunc"
rss2=$(rss)
peak=$(hwm)
echo "info RSS: start ${rss0} MB, after the spray ${rss1} MB, after the hostile lines ${rss2} MB, peak ${peak} MB"
[ "$peak" -le "$RSS_MAX_MB" ] && ok "peak RSS ${peak} MB <= ${RSS_MAX_MB} MB" ||
	bad "peak RSS ${peak} MB > ${RSS_MAX_MB} MB"
if grep -Eq 'AddressSanitizer|runtime error:|LeakSanitizer' "$T/daemon.log"; then bad "sanitizer report"; fi
echo "hostile: spray=$SPRAY peak_rss_mb=$peak truncated=$trunc"
[ $fails -eq 0 ] || { tail -n 20 "$T/daemon.log"; exit 1; }
echo "hostile: all checks passed"
