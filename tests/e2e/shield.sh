#!/bin/sh
# shellcheck shell=bash disable=SC2119
# shield.sh - end to end: a real sshd and the article5 daemon in a server
# network namespace, an attacker and a legitimate client in their own
# namespaces. The attacker guesses passwords until maxretry (3) is reached;
# the test checks that its address lands in the kernel set, that its TCP
# connections to port 22 are dropped while the client still logs in, that
# `article5 bans/status/ban/unban/flush` work, and that unban restores access.
#
# Exit: 0 pass, 1 fail (with the daemon's log tail), 77 skip (one-line reason).
# Environment: ARTICLE5=path/to/binary (default build/article5),
#              A5_KEEP=1 keeps the temporary directory with all logs.
# Nothing touches the host's network: see tests/e2e/lib.sh.

# The helpers need bash; tests/run.sh and make call `sh`.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || { echo "skip: bash is not installed"; exit 77; }
	exec bash "$0" "$@"
fi
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

MAXRETRY=3
BAN_TIMEOUT=10		# seconds allowed between the threshold failure and the kernel ban

a5_check_prereqs
a5_init a5sh

a5_step "setup: namespaces $A5_NS_SRV (server), $A5_NS_ATK (attacker $A5_ATK_IP4), $A5_NS_CLI (client $A5_CLI_IP4)"
a5_topology
a5_add_user
a5_ok "test user $A5_USER created"
a5_start_sshd
a5_ok "sshd (pid $A5_SSHD_PID) listening on $A5_SRV_IP4:22 and $A5_SRV_IP4_C:22, logging to $A5_AUTHLOG"

a5_step "the legitimate client logs in before article5 runs"
a5_ssh "$A5_NS_CLI" "$A5_USER" "$A5_PASS" "$A5_SRV_IP4_C" 'echo login-ok' >"$A5_TMP/ssh.out" 2>&1 ||
	a5_fail "client login before the daemon runs failed (rc=$?): $(cat "$A5_TMP/ssh.out")"
grep -q login-ok "$A5_TMP/ssh.out" || a5_fail "client login: command output missing"
a5_ok "client login works"

a5_step "start: article5 daemon -c $A5_CONF (inside $A5_NS_SRV)"
a5_write_config
a5_start_daemon
a5_monitor_start
a5_ok "daemon pid $A5_DAEMON_PID answers on its control socket; table inet article5 with set ban4 exists in $A5_NS_SRV"
a5_banned "$A5_ATK_IP4" && a5_fail "$A5_ATK_IP4 is banned before any failure"
ip netns exec "$A5_NS_SRV" nft list table inet article5 | grep -q 'hook input' ||
	a5_fail "table inet article5 has no chain on the input hook"
a5_ok "the set is empty of the attacker; the table has an input-hook chain"

a5_step "the client mistypes its password once, then logs in (1 failure < maxretry)"
a5_ssh "$A5_NS_CLI" "$A5_USER" "not-$A5_PASS" "$A5_SRV_IP4_C" >/dev/null 2>&1; rc=$?
[ "$rc" -eq 5 ] || a5_fail "wrong password for the client: expected sshpass status 5, got $rc"
a5_ssh "$A5_NS_CLI" "$A5_USER" "$A5_PASS" "$A5_SRV_IP4_C" 'echo login-ok' >"$A5_TMP/ssh.out" 2>&1 ||
	a5_fail "client login failed (rc=$?): $(cat "$A5_TMP/ssh.out")"
a5_ok "client logged in"

# Three different shapes of failure, one per connection:
#   invalid user -> "Invalid user" + "Failed password for invalid user" + "Connection closed by invalid user"
#   existing user, wrong password -> "Failed password for USER" + "Connection closed by authenticating user"
atk_users=(admin oracle "$A5_USER" postgres test ubuntu)
attempt() { # n
	local u=${atk_users[$(( ($1 - 1) % ${#atk_users[@]} ))]} rc
	a5_ssh "$A5_NS_ATK" "$u" "wrong-$1" "$A5_SRV_IP4" >/dev/null 2>>"$A5_TMP/ssh-attacker.err"; rc=$?
	echo "$u $rc"
}

a5_step "the attacker fails $(( MAXRETRY - 1 )) password logins (below the threshold)"
for (( n = 1; n < MAXRETRY; n++ )); do
	read -r u rc < <(attempt "$n")
	[ "$rc" -eq 5 ] || a5_fail "attempt $n ($u@$A5_SRV_IP4): expected 'wrong password' (sshpass 5), got $rc"
	a5_info "attempt $n: $u@$A5_SRV_IP4 -> permission denied"
done
sleep 1.5
a5_daemon_alive || a5_fail "daemon died"
a5_banned "$A5_ATK_IP4" &&
	a5_fail "$A5_ATK_IP4 banned after $(( MAXRETRY - 1 )) failures (maxretry $MAXRETRY): over-counting"
a5_ok "not banned after $(( MAXRETRY - 1 )) failures"

a5_step "attempt $MAXRETRY reaches maxretry $MAXRETRY"
read -r u rc < <(attempt "$MAXRETRY")
# 5 (wrong password); 255 if the ban already cut the connection
[ "$rc" -eq 5 ] || [ "$rc" -eq 255 ] || a5_fail "attempt $MAXRETRY ($u): expected 'wrong password' (sshpass 5), got $rc"
a5_wait_banned "$A5_ATK_IP4" "$BAN_TIMEOUT" ||
	a5_fail "$A5_ATK_IP4 not in set ban4 within ${BAN_TIMEOUT}s after failure $MAXRETRY"
t_fail=$(a5_last_line_time "Failed password .* from $A5_ATK_IP4 port")
t_ban=$(a5_monitor_time "add element inet article5 ban4 .*$A5_ATK_IP4")
if [ -n "$t_fail" ] && [ -n "$t_ban" ]; then
	a5_ok "$A5_ATK_IP4 is in inet article5 ban4, $(a5_ms $(( t_ban - t_fail ))) after failure $MAXRETRY was logged"
else
	a5_ok "$A5_ATK_IP4 is in inet article5 ban4"
fi
ip netns exec "$A5_NS_SRV" nft get element inet article5 ban4 "{ $A5_ATK_IP4 }" 2>&1 | a5_indent

a5_step "the attacker's TCP connections to port 22 are dropped"
a5_tcp "$A5_NS_ATK" "$A5_SRV_IP4" 22 3 && a5_fail "attacker can still open a TCP connection to $A5_SRV_IP4:22"
a5_ok "TCP connect from $A5_ATK_IP4 times out"
a5_ssh "$A5_NS_ATK" "$A5_USER" "$A5_PASS" "$A5_SRV_IP4" >/dev/null 2>&1; rc=$?
[ "$rc" -eq 0 ] && a5_fail "banned attacker logged in with the right password"
a5_ok "even the right password does not get the attacker in (ssh status $rc)"

a5_step "the legitimate client is unaffected"
a5_ssh "$A5_NS_CLI" "$A5_USER" "$A5_PASS" "$A5_SRV_IP4_C" 'echo login-ok' >"$A5_TMP/ssh.out" 2>&1 ||
	a5_fail "client login failed while the attacker is banned (rc=$?): $(cat "$A5_TMP/ssh.out")"
a5_banned "$A5_CLI_IP4" && a5_fail "client $A5_CLI_IP4 is banned"
a5_ok "client $A5_CLI_IP4 logs in, is not in the set"

a5_step "article5 bans / status"
a5_cli bans --json >"$A5_TMP/bans.json" 2>"$A5_TMP/cli.err" ||
	a5_fail "article5 bans --json failed: $(cat "$A5_TMP/cli.err")"
a5_indent <"$A5_TMP/bans.json"
if command -v jq >/dev/null 2>&1; then
	jq -e . "$A5_TMP/bans.json" >/dev/null 2>&1 || a5_fail "article5 bans --json: not valid JSON"
	jq -e --arg a "$A5_ATK_IP4" '[.. | strings | select(. == $a or startswith($a + "/"))] | length > 0' \
		"$A5_TMP/bans.json" >/dev/null || a5_fail "article5 bans --json does not list $A5_ATK_IP4"
	jq -e --arg a "$A5_CLI_IP4" '[.. | strings | select(. == $a or startswith($a + "/"))] | length == 0' \
		"$A5_TMP/bans.json" >/dev/null || a5_fail "article5 bans --json lists the client $A5_CLI_IP4"
else
	grep -q "\"${A5_ATK_IP4}[/\"]" "$A5_TMP/bans.json" || a5_fail "article5 bans --json does not list $A5_ATK_IP4"
fi
a5_ok "bans --json lists $A5_ATK_IP4 (and not the client)"
a5_cli bans >"$A5_TMP/bans.txt" 2>"$A5_TMP/cli.err" || a5_fail "article5 bans failed: $(cat "$A5_TMP/cli.err")"
grep -q "$A5_ATK_IP4" "$A5_TMP/bans.txt" || a5_fail "article5 bans does not show $A5_ATK_IP4: $(cat "$A5_TMP/bans.txt")"
a5_indent <"$A5_TMP/bans.txt"
a5_ok "bans lists it"
a5_cli status >"$A5_TMP/status.txt" 2>"$A5_TMP/cli.err" || a5_fail "article5 status failed: $(cat "$A5_TMP/cli.err")"
a5_indent <"$A5_TMP/status.txt"
a5_cli status --json >"$A5_TMP/status.json" 2>"$A5_TMP/cli.err" ||
	a5_fail "article5 status --json failed: $(cat "$A5_TMP/cli.err")"
if command -v jq >/dev/null 2>&1; then
	jq -e . "$A5_TMP/status.json" >/dev/null 2>&1 || a5_fail "article5 status --json: not valid JSON: $(head -c 300 "$A5_TMP/status.json")"
fi
a5_ok "status and status --json work"

a5_step "article5 unban $A5_ATK_IP4 restores access"
a5_cli unban "$A5_ATK_IP4" >"$A5_TMP/cli.out" 2>&1 || a5_fail "article5 unban failed: $(cat "$A5_TMP/cli.out")"
a5_wait_unbanned "$A5_ATK_IP4" 5 || a5_fail "$A5_ATK_IP4 still in ban4 5 s after unban"
a5_tcp "$A5_NS_ATK" "$A5_SRV_IP4" 22 3 || a5_fail "attacker still cannot connect after unban"
a5_ok "removed from the set; TCP connect from $A5_ATK_IP4 works again"
a5_cli bans --json >"$A5_TMP/bans.json" 2>"$A5_TMP/cli.err" || a5_fail "article5 bans --json failed: $(cat "$A5_TMP/cli.err")"
if command -v jq >/dev/null 2>&1; then
	jq -e --arg a "$A5_ATK_IP4" '[.. | strings | select(. == $a or startswith($a + "/"))] | length == 0' \
		"$A5_TMP/bans.json" >/dev/null || a5_fail "article5 bans --json still lists $A5_ATK_IP4 after unban: $(cat "$A5_TMP/bans.json")"
fi
a5_ok "bans --json no longer lists it"
sleep 1
a5_banned "$A5_ATK_IP4" && a5_fail "$A5_ATK_IP4 banned again right after unban (no new failure)"
a5_ok "it stays unbanned"

# The manual prefix must not overlap the server's own addresses (10.55.1.1 is
# in 10.55.1.0/24, which the daemon rightly refuses): 10.55.1.2/31 = .2-.3.
MANUAL=10.55.1.2/31
a5_step "article5 ban $MANUAL --for 1m (manual prefix ban), then flush"
a5_cli ban "10.55.1.0/24" >"$A5_TMP/cli.out" 2>&1 &&
	a5_fail "article5 ban 10.55.1.0/24 accepted although it holds the server's address 10.55.1.1"
a5_banned "$A5_SRV_IP4" && a5_fail "the server's own address $A5_SRV_IP4 is in a ban set"
a5_ok "10.55.1.0/24 refused (holds the server's own 10.55.1.1): $(head -n 1 "$A5_TMP/cli.out")"
a5_cli ban "$MANUAL" --for 1m >"$A5_TMP/cli.out" 2>&1 || a5_fail "article5 ban $MANUAL --for 1m failed: $(cat "$A5_TMP/cli.out")"
a5_wait_banned "$MANUAL" 5 || a5_fail "$MANUAL not in the kernel sets after article5 ban"
a5_banned "$A5_ATK_IP4" || a5_fail "$A5_ATK_IP4 not covered by the $MANUAL ban"
ip netns exec "$A5_NS_SRV" nft list table inet article5 | grep -F "${MANUAL}" | a5_indent
ip netns exec "$A5_NS_SRV" nft list table inet article5 | grep -F "${MANUAL}" | grep -q 'expires' ||
	a5_fail "manual ban --for 1m has no kernel timeout"
a5_tcp "$A5_NS_ATK" "$A5_SRV_IP4" 22 3 && a5_fail "attacker can connect despite the $MANUAL ban"
a5_ssh "$A5_NS_CLI" "$A5_USER" "$A5_PASS" "$A5_SRV_IP4_C" 'echo login-ok' >"$A5_TMP/ssh.out" 2>&1 ||
	a5_fail "client login failed during the $MANUAL ban (rc=$?)"
a5_cli bans --json >"$A5_TMP/bans.json" 2>&1 || a5_fail "article5 bans --json failed"
grep -qF "\"$MANUAL\"" "$A5_TMP/bans.json" || a5_fail "article5 bans --json does not list $MANUAL: $(cat "$A5_TMP/bans.json")"
a5_ok "$MANUAL banned with a kernel timeout and listed; attacker dropped, client fine"
a5_cli flush >"$A5_TMP/cli.out" 2>&1 || a5_fail "article5 flush failed: $(cat "$A5_TMP/cli.out")"
a5_wait_unbanned "$A5_ATK_IP4" 5 || a5_fail "$A5_ATK_IP4 still in a ban set after flush"
a5_tcp "$A5_NS_ATK" "$A5_SRV_IP4" 22 3 || a5_fail "attacker cannot connect after flush"
a5_cli bans --json >"$A5_TMP/bans.json" 2>&1 || a5_fail "article5 bans --json failed"
grep -qF "$MANUAL" "$A5_TMP/bans.json" && a5_fail "article5 bans --json still lists $MANUAL after flush"
a5_ok "flush emptied the sets and the ledger; access restored"

a5_step "log rotation: auth.log renamed to auth.log.1 and recreated (the IPv6 attack is logged to the new file)"
a5_rotate_log
sleep 0.5
a5_ok "rotated"

a5_step "IPv6: $MAXRETRY failures from $A5_ATK_IP6 ban its /64 ($A5_ATK_NET6)"
for (( n = 1; n <= MAXRETRY; n++ )); do
	A5_SSH_BIND=$A5_ATK_IP6 a5_ssh "$A5_NS_ATK" "$A5_USER" "wrong6-$n" "$A5_SRV_IP6" >/dev/null 2>>"$A5_TMP/ssh-attacker.err"; rc=$?
	if [ "$n" -lt "$MAXRETRY" ]; then
		[ "$rc" -eq 5 ] || a5_fail "IPv6 attempt $n: expected 'wrong password' (sshpass 5), got $rc"
	fi
	a5_info "attempt $n: $A5_USER@[$A5_SRV_IP6] from $A5_ATK_IP6 -> status $rc"
done
a5_wait_banned "$A5_ATK_NET6" "$BAN_TIMEOUT" ||
	a5_fail "$A5_ATK_NET6 not in the kernel sets within ${BAN_TIMEOUT}s (ipv6_prefix 64; the lines are in the rotated-in auth.log)"
ip netns exec "$A5_NS_SRV" nft list table inet article5 | grep -F "fd55:66::" | a5_indent
a5_banned "$A5_ATK_IP6B" || a5_fail "$A5_ATK_IP6B (same /64) not covered"
a5_banned "$A5_CLI_IP6" && a5_fail "client $A5_CLI_IP6 is banned"
a5_ok "$A5_ATK_NET6 is banned"
A5_SSH_BIND=$A5_ATK_IP6B a5_ssh "$A5_NS_ATK" "$A5_USER" "$A5_PASS" "$A5_SRV_IP6" >/dev/null 2>&1; rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 5 ] && a5_fail "$A5_ATK_IP6B (same /64, never failed) still reaches sshd (status $rc)"
a5_ssh "$A5_NS_CLI" "$A5_USER" "$A5_PASS" "$A5_SRV_IP6_C" 'echo login-ok' >"$A5_TMP/ssh.out" 2>&1 ||
	a5_fail "client IPv6 login failed during the /64 ban (rc=$?)"
a5_ok "$A5_ATK_IP6B (other address of the /64) dropped; the client logs in over IPv6"
a5_cli bans --json >"$A5_TMP/bans.json" 2>&1 || a5_fail "article5 bans --json failed"
grep -qF "\"$A5_ATK_NET6\"" "$A5_TMP/bans.json" || a5_fail "article5 bans --json does not list $A5_ATK_NET6: $(cat "$A5_TMP/bans.json")"
a5_cli unban "$A5_ATK_NET6" >"$A5_TMP/cli.out" 2>&1 || a5_fail "article5 unban $A5_ATK_NET6 failed: $(cat "$A5_TMP/cli.out")"
a5_wait_unbanned "$A5_ATK_NET6" 5 || a5_fail "$A5_ATK_NET6 still banned after unban"
a5_tcp "$A5_NS_ATK" "$A5_SRV_IP6" 22 3 || a5_fail "attacker cannot connect over IPv6 after unban"
a5_ok "listed by bans --json; unban restores IPv6 access"

a5_step "stop the daemon (SIGTERM)"
a5_daemon_alive || a5_fail "the daemon died during the test"
a5_stop_daemon 10
[ "$A5_DAEMON_RC" = 0 ] || a5_fail "daemon exit status after SIGTERM: $A5_DAEMON_RC (expected 0 within 10 s)"
a5_ok "daemon exited with status 0"
if grep -Eq 'AddressSanitizer|runtime error:|LeakSanitizer' "$A5_TMP/daemon.log"; then
	a5_fail "sanitizer report in the daemon log"
fi

echo "shield: all checks passed"
exit 0
