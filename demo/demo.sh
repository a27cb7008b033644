#!/bin/sh
# shellcheck shell=bash disable=SC2016,SC2119,SC2317
# demo.sh - an article5 coalition stops an SSH password-guessing attack on
# three hosts although only one of them was attacked, told step by step.
#
# A nats-server (JetStream) runs in a hub namespace; three members, each a
# private network namespace with a real OpenSSH server and an article5
# daemon, share one coalition charter; an attacker and a legitimate user
# (alice) sit behind the hub. The attacker guesses passwords at member 1
# only. Member 1 bans it, signs a report and publishes it; members 2 and 3
# check the report and ban the attacker too, within milliseconds. The demo
# measures how long that took, shows that the attacker's TCP connections to
# members 2 and 3 are dropped while alice still logs in everywhere, and
# prints `article5 members` and `article5 bans` of member 2.
# Everything it creates is removed at the end, also on failure or Ctrl-C.
# See docs/demo.md. Run as root: `make demo` or `sh demo/demo.sh`.
# Environment: ARTICLE5=path/to/binary, A5_KEEP=1 keeps logs, NO_COLOR=1,
#              A5_DEMO_PAUSE=SECONDS between steps (default 0.6).

if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || { echo "demo: needs bash" >&2; exit 1; }
	exec bash "$0" "$@"
fi
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/e2e/lib.sh"

MAX_ATTEMPTS=6		# the attacker gives up after this many tries
PAUSE=${A5_DEMO_PAUSE:-0.6}	# seconds between narrative beats

# In the demo a missing prerequisite is an error, not a skip.
a5_skip() { echo "demo: cannot run: $*" >&2; exit 1; }
a5_check_prereqs
command -v nats-server >/dev/null 2>&1 || a5_skip "nats-server is not installed (make deps)"
a5c_init a5demo m1 m2 m3
A5C_COALITION=demo
ATK=$A5C_ATK_IP

say()  { printf '\n%s%s%s\n' "$A5_C_B" "$*" "$A5_C_0"; sleep "$PAUSE"; }
note() { printf '    %s\n' "$*"; }
run()  { # run MEMBER COMMAND...: shows a command as typed on MEMBER, and its output
	M=$1
	shift
	printf '    %s%s# %s%s\n' "$A5_C_C" "$M" "$*" "$A5_C_0"
	"$@" 2>&1 | sed 's/^/      /'
	return "${PIPESTATUS[0]}"
}
# the commands shown, run on member $M (inside its namespace)
article5() { a5c_cli "$M" "$@"; }
nft()      { ip netns exec "${A5C_NS[$M]}" nft "$@"; }
nft_on()   { local m=$1; shift; ip netns exec "${A5C_NS[$m]}" nft "$@"; }
log_lines() { # auth.log lines of member $1 after line $2
	tail -n +"$(( $2 + 1 ))" "${A5C_DIR[$1]}/auth.log" | sed "s/^/      ${A5_C_D}$1 auth.log:${A5_C_0} /"
}

printf '%sarticle5 coalition demo: an attack on one member, stopped at all three%s\n' "$A5_C_B" "$A5_C_0"
cat <<EOF

                               hub: router + nats-server (JetStream) $A5C_HUB_IP:$A5C_NATS_PORT
    attacker $ATK ---+                  |                    +--- $A5C_CLI_IP alice (legitimate)
                               +--------------+---------------+
                               |              |               |
                        m1 ${A5C_IP[m1]}  m2 ${A5C_IP[m2]}  m3 ${A5C_IP[m3]}
                        sshd + article5  sshd + article5  sshd + article5

    Six private network namespaces; TEST-NET addresses only. The host's own
    network and firewall are not touched.
EOF

say "1. Building the network, starting nats-server and a real OpenSSH server on each member"
a5c_topology
a5c_start_nats
a5_add_user
for m in m1 m2 m3; do a5c_start_sshd "$m"; done
note "nats-server pid $A5C_NATS_PID listens on $A5C_NATS_URL (inside the hub namespace)"
note "sshd on ${A5C_IP[m1]}, ${A5C_IP[m2]} and ${A5C_IP[m3]}; alice's account: $A5_USER (throw-away)"

say "2. Each member creates a key pair; the coalition charter lists the members' public keys"
for m in m1 m2 m3; do a5c_keygen "$m"; done
a5c_write_charter
sed "/^#/d; s/^/      /" "$A5C_CHARTER"
note "every member has the same charter, and its own secret key; reports are signed"
note "and hash-chained, and a member never bans another member's own addresses"

say "3. Starting article5 on the three members"
for m in m1 m2 m3; do a5c_write_config "$m"; done
note "member configuration (m2's; the others differ only in paths):"
grep -Ev '^#|^(findtime|bantime|mode) ' "$(a5c_conf m2)" | sed "s|$A5_TMP|\$TMP|g; s/^/      /"
for m in m1 m2 m3; do
	a5c_start_daemon "$m"
	a5c_monitor_start "$m"
done
sleep 0.3
note "three daemons running (pids ${A5C_DPID[m1]} ${A5C_DPID[m2]} ${A5C_DPID[m3]}), each connected to NATS"
run m2 article5 members

say "4. alice logs in to the three members as usual"
for m in m1 m2 m3; do
	out=$(a5_ssh "$A5C_NS_CLI" "$A5_USER" "$A5_PASS" "${A5C_IP[$m]}" 'echo "logged in to $(cat /proc/sys/kernel/hostname) as $(id -un)"' 2>&1) ||
		a5_fail "alice cannot log in to $m: $out"
	note "ssh $A5_USER@${A5C_IP[$m]} -> ${A5_C_G}ok${A5_C_0}"
done

say "5. The attacker $ATK guesses passwords at m1 only (article5 bans after 3 failures)"
users=(admin root oracle "$A5_USER" postgres test)
banned_after=0
for (( i = 1; i <= MAX_ATTEMPTS; i++ )); do
	u=${users[$(( (i - 1) % ${#users[@]} ))]}
	n0=$(wc -l <"${A5C_DIR[m1]}/auth.log")
	t0=${EPOCHREALTIME/[.,]/}
	a5_ssh "$A5C_NS_ATK" "$u" "guess$i" "${A5C_IP[m1]}" >/dev/null 2>"$A5_TMP/ssh.err"; rc=$?
	t1=${EPOCHREALTIME/[.,]/}
	sleep 0.2
	now_banned=0
	if [ "$banned_after" -eq 0 ] && a5c_wait_banned m1 "$ATK" 1; then now_banned=1; fi
	case $rc in
	5)   printf '    %sattempt %d%s: ssh %s@%s, password "guess%d" -> %spermission denied%s (%s)\n' \
			"$A5_C_B" "$i" "$A5_C_0" "$u" "${A5C_IP[m1]}" "$i" "$A5_C_Y" "$A5_C_0" "$(a5_ms $(( t1 - t0 )))" ;;
	255|124)
		if [ "$now_banned" = 1 ]; then
			printf '    %sattempt %d%s: ssh %s@%s, password "guess%d" -> %scut off mid-connection%s (%s)\n' \
				"$A5_C_B" "$i" "$A5_C_0" "$u" "${A5C_IP[m1]}" "$i" "$A5_C_R" "$A5_C_0" "$(a5_ms $(( t1 - t0 )))"
		else
			printf '    %sattempt %d%s: ssh %s@%s -> %sno answer: connection timed out%s (%s)\n' \
				"$A5_C_B" "$i" "$A5_C_0" "$u" "${A5C_IP[m1]}" "$A5_C_R" "$A5_C_0" "$(a5_ms $(( t1 - t0 )))"
		fi ;;
	*)   printf '    attempt %d: ssh status %d: %s\n' "$i" "$rc" "$(tail -n 1 "$A5_TMP/ssh.err")" ;;
	esac
	log_lines m1 "$n0"
	if [ "$now_banned" = 1 ]; then
		banned_after=$i
		printf '    %s>>> m1 banned %s after attempt %d%s\n' "$A5_C_G" "$ATK" "$i" "$A5_C_0"
		break
	fi
	a5c_daemon_alive m1 || a5_fail "the article5 daemon of m1 died (see its log below)"
done
[ "$banned_after" -ne 0 ] || a5_fail "m1 did not ban $ATK after $MAX_ATTEMPTS failed logins"

say "6. The coalition: m2 and m3 ban $ATK too"
for m in m2 m3; do
	a5c_wait_banned "$m" "$ATK" 5 || a5_fail "$m did not ban $ATK within 5 s"
done
re="add element inet article5 c?ban4 .*${ATK}[ ,}]"
declare -A tb=()
for m in m1 m2 m3; do
	tb[$m]=$(a5c_wait_monitor "$m" "$re" 2) || a5_fail "nft monitor of $m saw no element for $ATK"
done
tl=$(a5c_line_time_before m1 "(Invalid user|Failed password).* from $ATK port" "${tb[m1]}")
note "measured from outside the daemons: a reader stamps each line sshd writes to m1's"
note "auth.log, and \`nft monitor\` in each namespace stamps the element's arrival:"
if [ -n "$tl" ]; then
	note "  m1's failure line -> ban in m1's kernel:        ${A5_C_B}$(a5_ms $(( tb[m1] - tl )))${A5_C_0}  (detection)"
	for m in m2 m3; do
		note "  m1's failure line -> ban in $m's kernel:        ${A5_C_B}$(a5_ms $(( tb[$m] - tl )))${A5_C_0}  (m1 -> NATS -> $m: $(a5_ms $(( tb[$m] - tb[m1] ))))"
	done
else
	for m in m2 m3; do
		note "  ban in m1's kernel -> ban in $m's kernel: ${A5_C_B}$(a5_ms $(( tb[$m] - tb[m1] )))${A5_C_0}"
	done
fi
note "what the daemons logged:"
for m in m1 m2 m3; do
	grep -h "ban $ATK" "${A5C_DIR[$m]}/daemon.log" | head -n 1 | sed "s/^/      ${A5_C_D}$m:${A5_C_0} /"
done

say "7. The attacker turns to m2 and m3, which never saw it before"
n2=$(grep -c "$ATK" "${A5C_DIR[m2]}/auth.log")
n3=$(grep -c "$ATK" "${A5C_DIR[m3]}/auth.log")
# both at once: each waits 3 s for an answer that does not come
( a5_tcp "$A5C_NS_ATK" "${A5C_IP[m2]}" 22 3 && echo open || echo dropped ) >"$A5_TMP/tcp-m2" &
p2=$!
( a5_tcp "$A5C_NS_ATK" "${A5C_IP[m3]}" 22 3 && echo open || echo dropped ) >"$A5_TMP/tcp-m3" &
p3=$!
wait "$p2" "$p3" 2>/dev/null
for m in m2 m3; do
	r=$(cat "$A5_TMP/tcp-$m")
	[ "$r" = dropped ] || a5_fail "the attacker can still connect to $m:22"
	note "TCP connection from $ATK to $m (${A5C_IP[$m]}:22): ${A5_C_R}timed out after 3 s${A5_C_0} (SYN dropped)"
done
[ "$(grep -c "$ATK" "${A5C_DIR[m2]}/auth.log")" = "$n2" ] && [ "$(grep -c "$ATK" "${A5C_DIR[m3]}/auth.log")" = "$n3" ] &&
	note "m2's and m3's sshd did not even see these connections: their auth.log has no new line"
note "the drop rule's counter on m2:"
nft_on m2 list chain inet article5 input 2>&1 | grep -E '@c?ban4 ' | sed 's/^[[:space:]]*/      /'

say "8. Meanwhile alice is not affected"
for m in m1 m2 m3; do
	a5_ssh "$A5C_NS_CLI" "$A5_USER" "$A5_PASS" "${A5C_IP[$m]}" 'exit' >/dev/null 2>&1 ||
		a5_fail "alice cannot log in to $m while the attacker is banned"
	a5c_banned "$m" "$A5C_CLI_IP" && a5_fail "alice's $A5C_CLI_IP is banned at $m"
	note "ssh $A5_USER@${A5C_IP[$m]} -> ${A5_C_G}still welcome${A5_C_0}"
done

say "9. What m2 says: the members of its coalition and its bans"
run m2 article5 members
note "(ACCEPTED: that member's reports m2 checked and applied; REFUSED would count forged,"
note " replayed, too wide ones, or aimed at a member's or m2's own addresses, over the rate...)"
run m2 article5 bans
note "ORIGIN m1: m2 banned $ATK on m1's signed report; on m1 the origin says 'local'"
run m3 nft list set inet article5 cban4

say "10. Cleaning up"
st=""
for m in m1 m2 m3; do
	a5c_stop_daemon "$m" 10
	st="$st $m:$A5C_RC"
done
note "article5 daemons stopped (exit status$st)"
note "removing the namespaces, nats-server, the sshds, user $A5_USER and $A5_TMP"
printf '\n%sdemo finished: attacked at m1 only (banned after attempt %d), dropped by m1, m2 and m3 within %s; alice unaffected%s\n' \
	"$A5_C_G" "$banned_after" "$(a5_ms $(( (tb[m2] > tb[m3] ? tb[m2] : tb[m3]) - ${tl:-${tb[m1]}} )))" "$A5_C_0"
exit 0
