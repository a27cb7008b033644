#!/bin/sh
# shellcheck shell=bash disable=SC2119
# audit.sh - end to end: signed commitments and their audit. Three members
# (m1 m2 m3) over a real nats-server, charter commit_period 2s. m1 bans
# addresses by hand; m2 and m3 enforce them in their coalition sets. The
# test checks:
#   - every member audits the others as "ok" (kernel count = expected);
#   - elements deleted by hand with nft in m3's namespace make m1 and m2
#     flag m3 within two periods (plus delivery slack);
#   - m2 switched to observe mode by SIGHUP stops applying m1's new
#     reports: m1 flags it within two periods;
#   - m1's journal still verifies (its commitments are in it).
# Exit: 0 pass, 1 fail, 77 skip.

if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || { echo "skip: bash is not installed"; exit 77; }
	exec bash "$0" "$@"
fi
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

PERIOD=2

a5c_check_prereqs
a5c_init a5au m1 m2 m3
a5_step "setup: hub with nats-server, members m1 m2 m3, commit_period ${PERIOD}s"
a5c_topology
a5c_start_nats
for m in m1 m2 m3; do a5c_keygen "$m"; done
a5c_write_charter "commit_period ${PERIOD}s"
for m in m1 m2 m3; do a5c_write_config "$m"; done
for m in m1 m2 m3; do a5c_start_daemon "$m"; done
a5_ok "daemons ${A5C_DPID[m1]} ${A5C_DPID[m2]} ${A5C_DPID[m3]}"

state_of() { # auditor member -> state
	a5c_cli "$1" audit --json | jq -r --arg n "$2" '.[] | select(.name == $n) | .state'
}
wait_state() { # auditor member state seconds
	local end=$((SECONDS + $4)) s
	while [ $SECONDS -le $end ]; do
		s=$(state_of "$1" "$2")
		[ "$s" = "$3" ] && return 0
		sleep 0.2
	done
	echo "$s"
	return 1
}

a5_step "m1 bans 20 addresses by hand; m2 and m3 enforce them"
for i in $(seq 1 20); do
	a5c_cli m1 ban "203.0.113.$((100 + i))" >/dev/null || a5_fail "ban at m1 failed"
done
a5c_wait_banned m3 203.0.113.120 10 || a5_fail "m3 did not apply m1's reports"
a5c_wait_banned m2 203.0.113.120 10 || a5_fail "m2 did not apply m1's reports"
a5_ok "reports applied"

a5_step "every member audits the others as ok within 3 periods"
for a in m1 m2 m3; do
	for m in m1 m2 m3; do
		[ "$a" = "$m" ] && continue
		s=$(wait_state "$a" "$m" ok $((3 * PERIOD + 2))) || a5_fail "$a audits $m as '$s', not ok"
	done
done
a5c_cli m1 audit | a5_indent
a5_ok "all ok"

a5_step "5 elements deleted by hand from m3's coalition set (nft, in m3's namespace)"
t0=$SECONDS
for i in $(seq 101 105); do
	ip netns exec "${A5C_NS[m3]}" nft delete element inet article5 cban4 "{ 203.0.113.$i }" ||
		a5_fail "nft delete element failed"
done
for a in m1 m2; do
	s=$(wait_state "$a" m3 flagged $((2 * PERIOD + 3))) || a5_fail "$a audits m3 as '$s', not flagged"
done
a5_ok "m1 and m2 flag m3 after $((SECONDS - t0)) s"
a5c_cli m2 audit | a5_indent
[ "$(state_of m2 m1)" = ok ] || a5_fail "m2 no longer audits m1 as ok"

a5_step "m2 switched to observe (SIGHUP with 'mode observe'); m1 bans 5 new addresses"
sed -i 's/^mode enforce$/mode observe/' "$(a5c_conf m2)"
kill -HUP "${A5C_DPID[m2]}"
for (( i = 0; i < 50; i++ )); do
	a5c_cli m2 status --json 2>/dev/null | jq -e '.mode == "observe"' >/dev/null 2>&1 && break
	sleep 0.1
done
a5c_cli m2 status --json | jq -e '.mode == "observe"' >/dev/null 2>&1 || a5_fail "m2 did not switch to observe"
t0=$SECONDS
for i in $(seq 121 125); do
	a5c_cli m1 ban "203.0.113.$i" >/dev/null || a5_fail "ban at m1 failed"
done
s=$(wait_state m1 m2 flagged $((2 * PERIOD + 3))) || a5_fail "m1 audits m2 (observe) as '$s', not flagged"
a5_ok "m1 flags m2, which stopped enforcing, after $((SECONDS - t0)) s: $(a5c_cli m1 audit --json | jq -r '.[] | select(.name == "m2") | .problem')"

a5_step "m1's journal verifies, commitments included"
for m in m1 m2 m3; do a5c_stop_daemon "$m"; done
ip netns exec "${A5C_NS[m1]}" "$A5_BIN" verify -c "$(a5c_conf m1)" >"$A5_TMP/verify.out" 2>&1 ||
	a5_fail "verify failed: $(cat "$A5_TMP/verify.out")"
grep -q commitment "$A5_TMP/verify.out" || a5_info "$(tail -n 2 "$A5_TMP/verify.out")"
a5_ok "journal verifies"
a5_finish audit
