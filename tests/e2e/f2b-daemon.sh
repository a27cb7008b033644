#!/bin/sh
# shellcheck shell=bash disable=SC2119
# f2b-daemon.sh - end to end: the daemon protects a real sshd with Debian's
# own fail2ban filter file, run as it is (`service f2b-sshd fail2ban-filter
# /etc/fail2ban/filter.d/sshd.conf`), its log given to that service alone and
# the native sshd service disabled, so only the fail2ban filter can ban. An
# attacker guesses passwords until it is banned in the kernel set; a client
# that mistypes once is not. Namespaces as in shield.sh (tests/e2e/lib.sh).
#
# Exit: 0 pass, 1 fail (with the daemon's log tail), 77 skip (one-line reason).
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || { echo "skip: bash is not installed"; exit 77; }
	exec bash "$0" "$@"
fi
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

FILTER=${A5_F2B_SSHD:-/etc/fail2ban/filter.d/sshd.conf}
MAXRETRY=3
BAN_TIMEOUT=10

[ -r "$FILTER" ] || { echo "skip: no fail2ban sshd filter at $FILTER (package fail2ban)"; exit 77; }
a5_check_prereqs
a5_init a5fd

a5_step "setup: namespaces $A5_NS_SRV (server), $A5_NS_ATK (attacker $A5_ATK_IP4), $A5_NS_CLI (client $A5_CLI_IP4)"
a5_topology
a5_add_user
a5_start_sshd
a5_ok "sshd (pid $A5_SSHD_PID) logging to $A5_AUTHLOG"

a5_step "start: the daemon with fail2ban's sshd filter as service f2b-sshd"
a5_write_config "service sshd disabled" \
	"service f2b-sshd fail2ban-filter $FILTER maxretry $MAXRETRY findtime 10m bantime 1h"
# the log belongs to the fail2ban-filter service alone
sed -i "s|^source file $A5_AUTHLOG\$|source file $A5_AUTHLOG service f2b-sshd|" "$A5_CONF"
grep -q "service f2b-sshd\$" "$A5_CONF" || a5_fail "config: the source line was not tagged"
timeout 20 "$A5_BIN" check-config -c "$A5_CONF" >"$A5_TMP/check.out" 2>&1 ||
	a5_fail "check-config refuses the configuration: $(cat "$A5_TMP/check.out")"
grep -q "1 fail2ban filters" "$A5_TMP/check.out" || a5_fail "check-config: $(cat "$A5_TMP/check.out")"
a5_start_daemon
a5_ok "daemon pid $A5_DAEMON_PID up; $(cat "$A5_TMP/check.out")"

a5_step "the client mistypes its password once, then logs in"
a5_ssh "$A5_NS_CLI" "$A5_USER" "not-$A5_PASS" "$A5_SRV_IP4_C" >/dev/null 2>&1; rc=$?
[ "$rc" -eq 5 ] || a5_fail "wrong password for the client: expected sshpass status 5, got $rc"
a5_ssh "$A5_NS_CLI" "$A5_USER" "$A5_PASS" "$A5_SRV_IP4_C" 'echo login-ok' >"$A5_TMP/ssh.out" 2>&1 ||
	a5_fail "client login failed (rc=$?): $(cat "$A5_TMP/ssh.out")"
a5_ok "client logged in"

a5_step "the attacker guesses passwords (existing and invalid users) until it is banned"
users=("$A5_USER" admin "$A5_USER" oracle "$A5_USER" test)
banned=0
for (( n = 1; n <= ${#users[@]}; n++ )); do
	a5_ssh "$A5_NS_ATK" "${users[$(( n - 1 ))]}" "wrong-$n" "$A5_SRV_IP4" >/dev/null 2>&1; rc=$?
	a5_info "attempt $n: ${users[$(( n - 1 ))]}@$A5_SRV_IP4 -> ssh status $rc"
	if a5_wait_banned "$A5_ATK_IP4" 1; then banned=$n; break; fi
done
[ "$banned" -gt 0 ] || a5_wait_banned "$A5_ATK_IP4" "$BAN_TIMEOUT" ||
	a5_fail "$A5_ATK_IP4 not banned after ${#users[@]} failed logins (fail2ban's sshd filter, maxretry $MAXRETRY)"
# fail2ban's filter counts lines, not attempts: an invalid user's attempt is
# two failures (Invalid user, Failed password for invalid user), so the
# threshold may come one attempt early, never later than maxretry attempts.
[ "$banned" -eq 0 ] || [ "$banned" -le "$MAXRETRY" ] ||
	a5_fail "banned only after attempt $banned (maxretry $MAXRETRY)"
a5_ok "$A5_ATK_IP4 is in the kernel set (after attempt ${banned:-?})"
a5_tcp "$A5_NS_ATK" "$A5_SRV_IP4" 22 3 && a5_fail "attacker can still open a TCP connection to port 22"
a5_ok "its TCP connections are dropped"

a5_step "the ban is the fail2ban-filter service's; the client is not banned"
a5_banned "$A5_CLI_IP4" && a5_fail "client $A5_CLI_IP4 is banned"
a5_cli bans --json >"$A5_TMP/bans.json" 2>&1 || a5_fail "article5 bans --json failed: $(cat "$A5_TMP/bans.json")"
jq -e --arg a "$A5_ATK_IP4" '[.. | objects | select((.prefix // "") | startswith($a)) | .service] | index("f2b-sshd") != null' \
	"$A5_TMP/bans.json" >/dev/null || a5_fail "bans --json does not show $A5_ATK_IP4 under f2b-sshd: $(cat "$A5_TMP/bans.json")"
a5_ok "bans --json: $A5_ATK_IP4 banned by service f2b-sshd"

a5_step "stop the daemon (SIGTERM)"
a5_stop_daemon 10
[ "$A5_DAEMON_RC" = 0 ] || a5_fail "daemon exit status after SIGTERM: $A5_DAEMON_RC"
if grep -Eq 'AddressSanitizer|runtime error:|LeakSanitizer' "$A5_TMP/daemon.log"; then
	a5_fail "sanitizer report in the daemon log"
fi
a5_ok "daemon exited with status 0"
echo "f2b-daemon: all checks passed"
exit 0
