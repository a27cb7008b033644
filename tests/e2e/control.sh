#!/bin/sh
# control.sh - the control socket and the CLI an operator uses on it, end to
# end inside a private network namespace (unshare -n: it disappears with the
# test): the socket's directory and file (modes, group, no symlinked
# directory), who asked (SO_PEERCRED in the log, a group member allowed, a
# stranger refused), ban capped to bantime_max, a ban the coalition would
# refuse kept local with the reason, ping and reload, unban that tells the truth (inside a
# prefix, --split, nothing), bans filters, history newest first, -o json as
# --json, errors as JSON, status SERVICE, each source's state and the quiet
# source warning. Exit 0 pass, 1 fail, 77 skip.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
A5=$top/build/article5
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root"; exit 77; }
[ -x "$A5" ] || { echo "skip: build/article5 missing"; exit 77; }
command -v nft >/dev/null || { echo "skip: nft missing"; exit 77; }
command -v jq >/dev/null || { echo "skip: jq missing"; exit 77; }
command -v setpriv >/dev/null || { echo "skip: setpriv missing"; exit 77; }
getent group nogroup >/dev/null || { echo "skip: no group nogroup"; exit 77; }
if [ "${A5_IN_NETNS:-}" != 1 ]; then
	A5_IN_NETNS=1 exec unshare -n sh "$0" "$@"
fi
ip link set lo up

T=$(mktemp -d /tmp/a5control.XXXXXX)
chmod 755 "$T"	# the worker (user article5) follows the logs here and reaches its state_dir
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
C="-c $T/a5.conf"

write_conf() { # extra lines...
	{
		echo "mode enforce"
		echo "state_dir $T/state"
		echo "rules_dir $top/etc/rules"
		echo "rules_local none"
		echo "control_socket $T/run/ctl.sock"
		echo "control_group nogroup"
		echo "source file $T/auth.log"
		echo "source file $T/missing.log"
		echo "source_quiet 5s"
		echo "maxretry 3"
		echo "findtime 10m"
		echo "bantime 1h"
		echo "bantime_max 2h"
		for l in "$@"; do echo "$l"; done
	} > "$T/a5.conf"
}
start() {
	"$A5" daemon -c "$T/a5.conf" >>"$T/daemon.log" 2>&1 &
	pid=$!
	i=0
	while [ $i -lt 50 ] && ! "$A5" ping $C >/dev/null 2>&1; do
		sleep 0.1; i=$((i + 1))
	done
	"$A5" ping $C >/dev/null 2>&1 || { bad "daemon did not start"; cat "$T/daemon.log"; exit 1; }
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null; pid=""; }
fail_lines() { # addr count
	n=0
	while [ $n -lt "$2" ]; do
		echo "$(date '+%b %e %H:%M:%S') host sshd[$((5000 + n))]: Failed password for root from $1 port $((40000 + n)) ssh2" >> "$T/auth.log"
		n=$((n + 1))
	done
}
# blocked: the kernel drops addr (as an element or inside an interval)
blocked() { nft get element inet article5 ban4 "{ $1 }" >/dev/null 2>&1 ||
    nft get element inet article5 ban4net "{ $1 }" >/dev/null 2>&1; }
wait_blocked() {
	i=0
	while [ $i -lt 50 ] && ! blocked "$1"; do sleep 0.1; i=$((i + 1)); done
	blocked "$1"
}

# --- the socket's directory and file ---
: > "$T/auth.log"
write_conf
start
d=$(stat -c '%a %U %G' "$T/run")
s=$(stat -c '%a %U %G %F' "$T/run/ctl.sock")
[ "$d" = "750 root nogroup" ] && ok "socket directory: $d" || bad "socket directory: $d (want 750 root nogroup)"
[ "$s" = "660 root nogroup socket" ] && ok "socket: $s" || bad "socket: $s (want 660 root nogroup socket)"

# the documented group reaches it; someone outside it does not
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$A5" ping -s "$T/run/ctl.sock" 2>&1)
[ "$out" = "pong" ] && ok "group nogroup member: ping answered" || bad "group member: '$out'"
setpriv --reuid=65534 --regid=12345 --clear-groups "$A5" ping -s "$T/run/ctl.sock" >/dev/null 2>&1 &&
    bad "a caller outside the group reached the socket" || ok "caller outside the group refused"

# SO_PEERCRED: who asked for a change is logged
setpriv --reuid=65534 --regid=65534 --clear-groups "$A5" ban -s "$T/run/ctl.sock" 192.0.2.200 >/dev/null 2>&1 ||
    bad "group member's ban failed"
grep -q 'control: "text ban 192.0.2.200 0" from uid 65534 gid 65534 pid [0-9]' "$T/daemon.log" &&
    ok "caller logged: $(grep -o 'from uid 65534 gid 65534 pid [0-9]*' "$T/daemon.log" | head -1)" ||
    bad "no SO_PEERCRED line for the group member's ban"

# --- ping, reload ---
[ "$("$A5" ping $C)" = "pong" ] && ok "ping: pong" || bad "ping"
[ "$("$A5" ping $C -o json | jq -r .message)" = "pong" ] && ok "ping -o json" || bad "ping -o json"
out=$("$A5" reload $C 2>&1) && case $out in reloaded*) ok "reload: $out" ;; *) bad "reload: $out" ;; esac ||
    bad "reload failed: $out"
echo "maxretry many" >> "$T/a5.conf"
# -s: with -c the CLI itself would stop at the broken file (it reads it for the socket path)
out=$("$A5" reload -s "$T/run/ctl.sock" 2>&1) && bad "bad reload exit 0: $out" ||
    case $out in *"reload refused"*"a5.conf:1"[0-9]": bad maxretry 'many'"*) ok "bad reload: exit 1, $out" ;;
    *) bad "bad reload message: $out" ;; esac
write_conf

# --- ban capped to bantime_max ---
out=$("$A5" ban $C 198.51.100.0/24 --for 30d 2>&1) || bad "ban --for 30d failed: $out"
case $out in *"cut to bantime_max"*) ok "ban over bantime_max: $out" ;; *) bad "ban not capped: $out" ;; esac
left=$("$A5" bans $C --json | jq '.[] | select(.prefix == "198.51.100.0/24") | .expires - .created')
[ "$left" = 7200 ] && ok "ledger: 198.51.100.0/24 for 7200 s" || bad "ledger duration: $left"
wait_blocked 198.51.100.7 && ok "198.51.100.0/24 in the kernel" || bad "prefix ban missing in the kernel"

# --- unban that tells the truth ---
out=$("$A5" unban $C 198.51.100.5 2>&1) && bad "unban inside a prefix: exit 0 ($out)" ||
    case $out in *"inside the banned prefix 198.51.100.0/24"*) ok "unban inside a prefix: exit 1, prefix named" ;;
    *) bad "unban inside a prefix: $out" ;; esac
blocked 198.51.100.5 && ok "  ... and nothing lifted" || bad "refused unban lifted something"
out=$("$A5" unban $C -o json 198.51.100.5)
[ $? -eq 1 ] && echo "$out" | jq -e '.error | test("198.51.100.0/24")' >/dev/null &&
    ok "JSON mode: the refusal is {\"error\": ...} on stdout" || bad "JSON refusal: $out"
out=$("$A5" unban $C --split 198.51.100.5 2>&1) && ok "unban --split: $out" || bad "unban --split: $out"
sleep 0.3
blocked 198.51.100.5 && bad "198.51.100.5 still blocked after --split" || ok "  198.51.100.5 no longer blocked"
blocked 198.51.100.4 && blocked 198.51.100.200 && ok "  the rest of the /24 still blocked" ||
    bad "the rest of the /24 lost"
n=$("$A5" bans $C --json | jq '[.[] | select(.prefix | startswith("198.51.100."))] | length')
[ "$n" = 8 ] && ok "  the /24 is now 8 narrower bans" || bad "after split: $n bans"
# nested bans that all hold the address, more of them than the 8 the first
# version looked at, the widest banned last (so it is the one in the kernel,
# having replaced the narrower ones): each is cut around the next narrower
# one, so the pieces never overlap (nftables refuses overlapping intervals)
# and each piece stays banned as long as the widest ban holding it.
for p in 10.20.30.4/31 10.20.30.4/30 10.20.30.0/29 10.20.30.0/28 10.20.30.0/27 10.20.30.0/26 \
    10.20.30.0/25 10.20.16.0/20 10.20.0.0/18; do
	"$A5" ban $C $p --for 1h >/dev/null 2>&1 || bad "nested ban $p"
done
"$A5" ban $C 10.20.30.0/24 --for 2h >/dev/null 2>&1 || bad "nested ban /24 for 2h"
"$A5" ban $C 10.20.0.0/16 --for 1h >/dev/null 2>&1 || bad "nested ban /16"
wait_blocked 10.20.200.1 || bad "10.20.0.0/16 not in the kernel"
logl=$(wc -l < "$T/daemon.log")
out=$("$A5" unban $C --split 10.20.30.5 2>&1) && ok "unban --split inside 11 nested bans: $out" ||
    bad "unban --split nested: $out"
sleep 0.3
blocked 10.20.30.5 && bad "10.20.30.5 still blocked after --split of nested bans" ||
    ok "  10.20.30.5 no longer blocked"
blocked 10.20.30.4 && blocked 10.20.30.200 && blocked 10.20.31.1 && blocked 10.20.200.1 &&
    ok "  the rest of the /16 still blocked" || bad "nested split: part of the rest lost"
tail -n +"$((logl + 1))" "$T/daemon.log" | grep -q "refused" &&
    bad "nested split: nftables refused: $(tail -n +"$((logl + 1))" "$T/daemon.log" | grep refused | head -2)" ||
    ok "  nftables refused nothing"
nb=$("$A5" bans $C --json | jq -c '[.[] | select(.prefix | startswith("10.20."))]')
n=$(echo "$nb" | jq length)
[ "$n" = 16 ] && ok "  the /16 is now 16 narrower bans" || bad "nested split: $n bans: $(echo "$nb" | jq -c '[.[].prefix]')"
# inside the /24 banned for 2h: 2h, outside it: 1h (in minutes: a piece
# keeps its ban's creation time, and the bans above were made over a second)
x=$(echo "$nb" | jq -r '[.[] | select(.prefix | startswith("10.20.30.")) | (.expires - .created) / 60 | floor] | unique | join(",")')
y=$(echo "$nb" | jq -r '[.[] | select(.prefix | startswith("10.20.30.") | not) | (.expires - .created) / 60 | floor] | unique | join(",")')
[ "$x" = 120 ] && [ "$y" = 60 ] && ok "  pieces keep the latest expiry holding them: 2h inside the /24, 1h outside" ||
    bad "nested split expiries: inside the /24 '$x', outside '$y'"
out=$("$A5" unban $C 203.0.113.77 2>&1) && bad "unban of nothing: exit 0 ($out)" ||
    case $out in *"was not banned"*) ok "unban of nothing: exit 1, $out" ;; *) bad "unban of nothing: $out" ;; esac

# --- bans filters, status SERVICE ---
fail_lines 192.0.2.10 3
wait_blocked 192.0.2.10 || bad "192.0.2.10 not banned"
m=$("$A5" bans $C --service manual --json | jq -r '[.[].service] | unique | join(",")')
s=$("$A5" bans $C --service sshd --json | jq -r '[.[].prefix] | join(",")')
[ "$m" = manual ] && [ "$s" = 192.0.2.10 ] && ok "bans --service: manual / sshd=$s" || bad "bans --service: '$m' '$s'"
o=$("$A5" bans $C --origin local --json | jq length)
z=$("$A5" bans $C --origin nobody --json | jq length)
[ "$o" -ge 10 ] && [ "$z" = 0 ] && ok "bans --origin: local $o, nobody $z" || bad "bans --origin: $o $z"
[ "$("$A5" bans $C --json)" = "$("$A5" bans $C -o json)" ] && ok "-o json identical to --json" ||
    bad "-o json differs from --json"
st=$("$A5" status $C sshd --json)
a=$(echo "$st" | jq .attempts)
h=$(echo "$st" | jq '[.rules[].hits] | add')
b=$(echo "$st" | jq -r '[.bans[].prefix] | join(",")')
[ "$a" -ge 3 ] && [ "$h" -ge 3 ] && [ "$b" = 192.0.2.10 ] && ok "status sshd: $a attempts, $h rule hits, bans $b" ||
    bad "status sshd: attempts $a hits $h bans $b"
"$A5" status $C sshd | grep -q "^policy: *maxretry 3" && ok "status sshd (text): policy shown" || bad "status sshd text"
out=$("$A5" status $C nosuchservice -o json)
[ $? -eq 1 ] && echo "$out" | jq -e .error >/dev/null && ok "status of an unknown service: JSON error, exit 1" ||
    bad "status unknown service: $out"

# --- history, newest first ---
h=$("$A5" history $C --json)
first=$(echo "$h" | jq '.[0].seq') second=$(echo "$h" | jq '.[1].seq')
[ "$first" -gt "$second" ] && ok "history newest first ($first, $second, ...)" || bad "history order: $first $second"
[ "$(echo "$h" | jq -r '.[0].action + " " + .[0].prefix')" = "ban 192.0.2.10" ] &&
    ok "history: the last decision is the ban of 192.0.2.10" || bad "history head: $(echo "$h" | jq -c '.[0]')"
f=$("$A5" history $C 198.51.100.5 --json | jq -r '[.[].prefix] | unique | join(" ")')
case " $f " in *" 192.0.2.10 "*) bad "history ADDR not filtered: $f" ;;
    *" 198.51.100.0/24 "*) ok "history 198.51.100.5: $f" ;; *) bad "history ADDR: $f" ;; esac
[ "$("$A5" history $C --limit 2 --json | jq length)" = 2 ] && ok "history --limit 2" || bad "history --limit"
[ "$("$A5" history $C -o json --limit 3)" = "$("$A5" history $C --json --limit 3)" ] && ok "history -o json = --json" ||
    bad "history -o json differs"

# --- JSON errors from the CLI itself ---
out=$("$A5" ban $C -o json 10.0.0.1/8 2>/dev/null)
[ $? -eq 2 ] && echo "$out" | jq -e '.error' >/dev/null && ok "usage error in JSON mode: $out" || bad "usage error JSON: $out"
out=$("$A5" ping -s "$T/none.sock" --json 2>/dev/null)
[ $? -eq 1 ] && echo "$out" | jq -e '.error | test("cannot reach")' >/dev/null && ok "unreachable in JSON mode: exit 1, $out" ||
    bad "unreachable JSON: $out"

# --- each source's state; the quiet source ---
sleep 11	# source_quiet 5s, checked every 5 s
st=$("$A5" status $C --json)
sa=$(echo "$st" | jq -r --arg p "$T/auth.log" '.source_status[] | select(.path == $p) | "\(.state) \(.lines) \(.quiet)"')
sm=$(echo "$st" | jq -r --arg p "$T/missing.log" '.source_status[] | select(.path == $p) | "\(.state) \(.lines) \(.quiet)"')
[ "$sa" = "open 3 false" ] || [ "$sa" = "open 3 true" ] && ok "source auth.log: $sa" || bad "source auth.log: $sa"
[ "$sm" = "missing 0 true" ] && ok "source missing.log: $sm" || bad "source missing.log: $sm"
grep -q "source $T/missing.log: no line for" "$T/daemon.log" && ok "quiet source warned in the log" ||
    bad "no quiet warning in the log"
"$A5" status $C | grep -q "missing.log  *missing .*0 lines" && ok "status (text) lists missing.log as missing" ||
    bad "status text: $("$A5" status $C | grep missing.log)"
echo "$(date '+%b %e %H:%M:%S') host sshd[1]: Connection closed by 192.0.2.1 port 1 [preauth]" > "$T/missing.log"
sleep 0.5
sm=$("$A5" status $C --json | jq -r --arg p "$T/missing.log" '.source_status[] | select(.path == $p) | "\(.state) \(.lines) \(.quiet)"')
[ "$sm" = "open 1 false" ] && ok "missing.log created: $sm" || bad "missing.log after creation: $sm"
# replaced by a file the worker may not read: error, with the reason
mv "$T/missing.log" "$T/missing.log.1"
(umask 077; : > "$T/missing.log")
sleep 6
sm=$("$A5" status $C --json | jq -r --arg p "$T/missing.log" '.source_status[] | select(.path == $p) | "\(.state) \(.detail)"')
[ "$sm" = "error Permission denied" ] && ok "unreadable source: $sm" || bad "unreadable source: $sm"
stop
rm -f "$T/missing.log"	# unreadable at start would stop the daemon (as it should)

# --- a symlinked socket directory is refused ---
mkdir "$T/real"
ln -s "$T/real" "$T/link"
write_conf
sed -i "s|^control_socket .*|control_socket $T/link/ctl.sock|" "$T/a5.conf"
timeout 10 "$A5" daemon -c "$T/a5.conf" >"$T/link.log" 2>&1 && bad "daemon started with a symlinked socket directory" ||
    { grep -q "symbolic link" "$T/link.log" && ok "symlinked socket directory refused: $(grep -o 'control: .*' "$T/link.log" | head -1)" ||
    bad "symlinked socket directory: $(cat "$T/link.log")"; }
[ -e "$T/real/ctl.sock" ] && bad "a socket was made through the symlink" || ok "  nothing made through the symlink"
# a directory that others may write to is refused too
mkdir -m 777 "$T/open"
sed -i "s|^control_socket .*|control_socket $T/open/ctl.sock|" "$T/a5.conf"
timeout 10 "$A5" daemon -c "$T/a5.conf" >"$T/open.log" 2>&1 && bad "daemon started with a world-writable socket directory" ||
    { grep -q "writable by group or others" "$T/open.log" && ok "world-writable socket directory refused" ||
    bad "world-writable directory: $(cat "$T/open.log")"; }

# --- a ban the coalition would refuse (the charter's scope) ---
mkdir "$T/key"
"$A5" keygen -o "$T/key" >/dev/null 2>&1 || bad "keygen"
cat > "$T/charter" <<CH
coalition e2e-control
nats nats://127.0.0.1:1
member self $(cat "$T/key/member.pub") member 203.0.113.0/26
member other ed25519:YloG3VWUqsh2MqO-kMzgcvNZo3KQqt6_8pf5XyRtqiY member 203.0.113.64/26
max_prefix4 24
CH
write_conf "coalition $T/charter" "identity $T/key/member.key"
rm -rf "$T/state"
start
# Enforced here (a local decision), not published, and the reply says why.
out=$("$A5" ban $C 198.18.0.0/16 2>&1) || bad "over-broad ban failed: $out"
case $out in *"not published"*"too-wide"*) ok "over-broad ban kept local: $out" ;; *) bad "over-broad: $out" ;; esac
out=$("$A5" ban $C 203.0.113.70 2>&1) || bad "ban of a member's prefix failed: $out"
case $out in *"not published"*"member-prefix"*) ok "member's prefix kept local, says why" ;; *) bad "member prefix: $out" ;; esac
wait_blocked 203.0.113.70 && ok "  the local ban is enforced here" || bad "local ban of a member's address not enforced"
out=$("$A5" ban $C 198.18.5.0/24 2>&1) && ok "a /24 within the charter: $out" || bad "/24 refused: $out"
case $out in *"not published"*) bad "a /24 within the charter said not published: $out" ;; esac
stop
sed -i 's/^coalition .*/&\npublish no/' "$T/a5.conf"
start
out=$("$A5" ban $C 198.18.0.0/16 2>&1) && ok "publish no: the /16 is a local ban ($out)" || bad "publish no: $out"
stop

echo "---- daemon log ----"
cat "$T/daemon.log"
[ $fails -eq 0 ]
