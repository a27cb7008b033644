#!/bin/sh
# shellcheck shell=bash disable=SC2016,SC2119,SC2317
# demo.sh - article5 stops an SSH password-guessing attack, told step by step.
#
# A real OpenSSH server and the article5 daemon run in a private network
# namespace; an attacker and a legitimate user sit in two more namespaces.
# The attacker guesses passwords, article5 reads sshd's log, bans the
# attacker's address in nftables (inside the server namespace only) and the
# demo shows how long that took, what `article5 bans` and the kernel set say,
# that the legitimate user is unaffected, and that `article5 unban` lifts it.
# Everything it creates is removed at the end, also on failure or Ctrl-C.
# See docs/demo.md. Run as root: `make demo` or `sh demo/demo.sh`.
# Environment: ARTICLE5=path/to/binary, A5_KEEP=1 keeps logs, NO_COLOR=1.

if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || { echo "demo: needs bash" >&2; exit 1; }
	exec bash "$0" "$@"
fi
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/e2e/lib.sh"

MAXRETRY=3
MAX_ATTEMPTS=8		# the attacker gives up after this many tries
PAUSE=${A5_DEMO_PAUSE:-0.6}	# seconds between narrative beats

# In the demo a missing prerequisite is an error, not a skip.
a5_skip() { echo "demo: cannot run: $*" >&2; exit 1; }
a5_check_prereqs
a5_init a5demo

say()  { printf '\n%s%s%s\n' "$A5_C_B" "$*" "$A5_C_0"; sleep "$PAUSE"; }
note() { printf '    %s\n' "$*"; }
run()  { # shows a command (as typed on the server) and its output
	printf '    %s# %s%s\n' "$A5_C_C" "$*" "$A5_C_0"
	"$@" 2>&1 | sed 's/^/      /'
	return "${PIPESTATUS[0]}"
}
# short names for the commands shown
article5() { a5_cli "$@"; }
nft_srv()  { ip netns exec "$A5_NS_SRV" nft "$@"; }
new_log_lines() { # prints auth.log lines after line $1
	tail -n +"$(( $1 + 1 ))" "$A5_AUTHLOG" | sed "s/^/      ${A5_C_D}auth.log:${A5_C_0} /"
}

printf '%sarticle5 demo: stopping an SSH password-guessing attack%s\n' "$A5_C_B" "$A5_C_0"
cat <<EOF

    attacker  $A5_ATK_IP4 ----veth---- $A5_SRV_IP4  server  $A5_SRV_IP4_C ----veth---- $A5_CLI_IP4  alice (legitimate)
                                           sshd + article5

    Three private network namespaces ($A5_NS_ATK, $A5_NS_SRV, $A5_NS_CLI).
    The host's own network and firewall are not touched.
EOF

say "1. Building the little network and starting a real OpenSSH server"
a5_topology
a5_add_user
a5_start_sshd
note "sshd pid $A5_SSHD_PID listens on $A5_SRV_IP4:22 and $A5_SRV_IP4_C:22"
note "legitimate user: $A5_USER (a throw-away account, deleted at the end)"
note "sshd's log goes to $A5_AUTHLOG in the usual syslog format:"
sed "s/^/      ${A5_C_D}auth.log:${A5_C_0} /" "$A5_AUTHLOG"

say "2. Starting article5 on the server"
a5_write_config
sed '/^#/d; s/^/      /' "$A5_CONF"
a5_start_daemon
a5_monitor_start
note "daemon pid $A5_DAEMON_PID is running; it created its own nftables table in the server namespace:"
run nft_srv list chain inet article5 input | sed -n '1,12p'

say "3. $A5_USER logs in as usual"
n0=$(wc -l <"$A5_AUTHLOG")
if a5_ssh "$A5_NS_CLI" "$A5_USER" "$A5_PASS" "$A5_SRV_IP4_C" 'echo "logged in as $(id -un), shell $0"' 2>/dev/null | sed 's/^/      ssh> /'; then
	:
fi
sleep 0.3
new_log_lines "$n0"

say "4. The attacker starts guessing passwords (article5 bans after $MAXRETRY failures)"
users=(admin root oracle test postgres ubuntu guest pi)
banned_after=0
for (( i = 1; i <= MAX_ATTEMPTS; i++ )); do
	u=${users[$(( (i - 1) % ${#users[@]} ))]}
	n0=$(wc -l <"$A5_AUTHLOG")
	t0=${EPOCHREALTIME/[.,]/}
	a5_ssh "$A5_NS_ATK" "$u" "guess$i" "$A5_SRV_IP4" >/dev/null 2>"$A5_TMP/ssh.err"; rc=$?
	t1=${EPOCHREALTIME/[.,]/}
	sleep 0.2
	now_banned=0
	if [ "$banned_after" -eq 0 ] && a5_wait_banned "$A5_ATK_IP4" 1; then now_banned=1; fi
	case $rc in
	5)   printf '    %sattempt %d%s: ssh %s@%s with password "guess%d" -> %spermission denied%s (%s)\n' \
			"$A5_C_B" "$i" "$A5_C_0" "$u" "$A5_SRV_IP4" "$i" "$A5_C_Y" "$A5_C_0" "$(a5_ms $(( t1 - t0 )))" ;;
	255|124)
		if [ "$now_banned" = 1 ]; then
			printf '    %sattempt %d%s: ssh %s@%s with password "guess%d" -> %scut off mid-connection%s (%s)\n' \
				"$A5_C_B" "$i" "$A5_C_0" "$u" "$A5_SRV_IP4" "$i" "$A5_C_R" "$A5_C_0" "$(a5_ms $(( t1 - t0 )))"
		else
			printf '    %sattempt %d%s: ssh %s@%s -> %sno answer: connection timed out%s (%s)\n' \
				"$A5_C_B" "$i" "$A5_C_0" "$u" "$A5_SRV_IP4" "$A5_C_R" "$A5_C_0" "$(a5_ms $(( t1 - t0 )))"
		fi ;;
	*)   printf '    attempt %d: ssh status %d: %s\n' "$i" "$rc" "$(tail -n 1 "$A5_TMP/ssh.err")" ;;
	esac
	new_log_lines "$n0"
	if [ "$now_banned" = 1 ]; then
		banned_after=$i
		printf '    %s>>> article5 banned %s after attempt %d%s\n' "$A5_C_G" "$A5_ATK_IP4" "$i" "$A5_C_0"
		[ "$rc" -ne 5 ] && note "(the ban took effect while sshd was still delaying its answer: the rest of that connection was dropped too)"
	elif [ "$banned_after" -ne 0 ] && [ "$rc" -ne 5 ]; then
		note "the attacker gets no answer at all any more and gives up"
		break
	fi
	a5_daemon_alive || a5_fail "the article5 daemon died (see its log below)"
done
[ "$banned_after" -ne 0 ] || a5_fail "article5 did not ban $A5_ATK_IP4 after $MAX_ATTEMPTS failed logins"

say "5. How fast was that?"
t_ban=$(a5_monitor_time "add element inet article5 ban4 .*$A5_ATK_IP4")
if [ -n "$t_ban" ]; then
	t_line=$(a5_line_time_before "(Invalid user|Failed password).* from $A5_ATK_IP4 port" "$t_ban")
	t_first=$(awk -F '\t' -v re="(Invalid user|Failed password).* from $A5_ATK_IP4 port" \
		'$2 ~ re { t = $1; sub(/[.,]/, "", t); print t; exit }' "$A5_TMP/auth.timing")
	note "timestamps: when sshd's line reached auth.log (the FIFO reader stamps it) and"
	note "when the kernel reported the new set element (nft monitor in the server namespace)"
	[ -n "$t_line" ] && note "last failure line before the ban -> element in ban4:  ${A5_C_B}$(a5_ms $(( t_ban - t_line )))${A5_C_0}"
	[ -n "$t_first" ] && note "first failure line -> ban:                             $(a5_ms $(( t_ban - t_first )))"
else
	note "(nft monitor saw no element addition; timing unavailable)"
fi

say "6. What article5 and the kernel say"
run article5 bans
run article5 bans --json
run nft_srv list set inet article5 ban4
a5_banned "$A5_ATK_IP4" && note "-> $A5_ATK_IP4 is in the set: packets from it are dropped on input"

say "7. Meanwhile, $A5_USER is not affected"
if a5_ssh "$A5_NS_CLI" "$A5_USER" "$A5_PASS" "$A5_SRV_IP4_C" 'echo "still welcome, $(id -un)"' 2>/dev/null | sed 's/^/      ssh> /'; then :; fi
a5_banned "$A5_CLI_IP4" && a5_fail "the legitimate client $A5_CLI_IP4 is banned"
note "and a raw TCP connection from the attacker:"
if a5_tcp "$A5_NS_ATK" "$A5_SRV_IP4" 22 3; then
	a5_fail "the attacker can still connect to port 22"
else
	note "  ${A5_C_R}timed out after 3 s${A5_C_0} (SYN dropped by table inet article5)"
fi
note "the drop rule's counter:"
ip netns exec "$A5_NS_SRV" nft list chain inet article5 input 2>&1 | grep -E '@ban4 ' | sed 's/^[[:space:]]*/      /'

say "8. Daemon status"
run article5 status

say "9. An administrator lifts the ban"
run article5 unban "$A5_ATK_IP4"
a5_wait_unbanned "$A5_ATK_IP4" 5 || a5_fail "$A5_ATK_IP4 still in the set after unban"
if a5_tcp "$A5_NS_ATK" "$A5_SRV_IP4" 22 3; then
	note "the attacker's TCP connection to port 22 ${A5_C_G}works again${A5_C_0}"
else
	a5_fail "the attacker still cannot connect after unban"
fi
run article5 bans

say "10. Cleaning up"
a5_stop_daemon 10
note "article5 daemon stopped (exit status $A5_DAEMON_RC)"
note "removing namespaces $A5_NS_SRV $A5_NS_ATK $A5_NS_CLI, user $A5_USER and $A5_TMP"
printf '\n%sdemo finished: banned after attempt %d of the attacker; %s unaffected%s\n' \
	"$A5_C_G" "$banned_after" "$A5_USER" "$A5_C_0"
exit 0
