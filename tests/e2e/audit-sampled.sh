#!/bin/sh
# shellcheck shell=bash disable=SC2119
# audit-sampled.sh - end to end: sampled audits over the commitment
# subjects (docs/transport.md, "Commitments"). Four members (m1..m4) over a
# real nats-server, charter `auditors 1` and commit_period 2s: each member
# is audited by one other, which alone subscribes to its commitment
# subject. The test checks:
#   - each member audits exactly one other as "ok" and shows the other two
#     "unassigned", and each member has exactly one auditor;
#   - no member ever receives a commitment it does not audit
#     (coalition.commitments_unassigned stays 0; with commitments on the
#     report subjects, each member got all three others' every period);
#   - elements deleted by hand with nft at one member make its auditor
#     flag it within two periods (plus delivery slack).
# Exit: 0 pass, 1 fail, 77 skip.

if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || { echo "skip: bash is not installed"; exit 77; }
	exec bash "$0" "$@"
fi
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

PERIOD=2
MEMBERS=(m1 m2 m3 m4)

a5c_check_prereqs
a5c_init a5as "${MEMBERS[@]}"
a5_step "setup: hub with nats-server, members ${MEMBERS[*]}, auditors 1, commit_period ${PERIOD}s"
a5c_topology
a5c_start_nats
for m in "${MEMBERS[@]}"; do a5c_keygen "$m"; done
a5c_write_charter "commit_period ${PERIOD}s" "auditors 1"
for m in "${MEMBERS[@]}"; do a5c_write_config "$m"; done
for m in "${MEMBERS[@]}"; do a5c_start_daemon "$m"; done
a5_ok "daemons started"

states() { # auditor -> "member state" lines, the others only
	a5c_cli "$1" audit --json | jq -r '.[] | select(.state != "self") | "\(.name) \(.state)"'
}
unassigned_received() { # member -> commitments it received and dropped as not its own to audit
	a5c_cli "$1" status --json | jq -r '.coalition.commitments_unassigned'
}

a5_step "m1 bans 10 addresses by hand; every member enforces them"
for i in $(seq 1 10); do
	a5c_cli m1 ban "203.0.113.$((100 + i))" >/dev/null || a5_fail "ban at m1 failed"
done
for m in m2 m3 m4; do
	a5c_wait_banned "$m" 203.0.113.110 10 || a5_fail "$m did not apply m1's reports"
done
a5_ok "reports applied"

a5_step "each member audits one other as ok, two as unassigned"
declare -A AUDITOR
end=$((SECONDS + 3 * PERIOD + 4))
for a in "${MEMBERS[@]}"; do
	while :; do
		s=$(states "$a")
		ok=$(grep -c ' ok$' <<<"$s")
		un=$(grep -c ' unassigned$' <<<"$s")
		[ "$ok" = 1 ] && [ "$un" = 2 ] && break
		[ $SECONDS -le $end ] || a5_fail "$a audits: $(tr '\n' ',' <<<"$s") (1 ok and 2 unassigned expected)"
		sleep 0.2
	done
	m=$(awk '$2 == "ok" { print $1 }' <<<"$s")
	[ -z "${AUDITOR[$m]:-}" ] || a5_fail "$m has two auditors: ${AUDITOR[$m]} and $a"
	AUDITOR[$m]=$a
	a5_info "$a audits $m"
done
[ ${#AUDITOR[@]} = 4 ] || a5_fail "not every member has an auditor: ${!AUDITOR[*]}"
a5_ok "one auditor each"

a5_step "no member received a commitment it does not audit"
sleep $((2 * PERIOD))	# two more periods of commitments from everyone
for m in "${MEMBERS[@]}"; do
	n=$(unassigned_received "$m")
	[ "$n" = 0 ] || a5_fail "$m received $n commitments it does not audit"
	c=$(a5c_cli "$m" audit --json | jq '[.[] | select(.state == "ok") | .commitments] | add')
	(( c >= 2 )) || a5_fail "$m received only $c commitments of the member it audits"
done
a5_ok "commitments_unassigned 0 at every member; each got its auditee's"

a5_step "5 elements deleted by hand from m3's coalition set; m3's auditor (${AUDITOR[m3]}) flags it"
t0=$SECONDS
for i in $(seq 101 105); do
	ip netns exec "${A5C_NS[m3]}" nft delete element inet article5 cban4 "{ 203.0.113.$i }" ||
		a5_fail "nft delete element failed"
done
end=$((SECONDS + 2 * PERIOD + 3))
while :; do
	s=$(a5c_cli "${AUDITOR[m3]}" audit --json | jq -r '.[] | select(.name == "m3") | .state')
	[ "$s" = flagged ] && break
	[ $SECONDS -le $end ] || a5_fail "${AUDITOR[m3]} audits m3 as '$s', not flagged"
	sleep 0.2
done
a5_ok "${AUDITOR[m3]} flags m3 after $((SECONDS - t0)) s"
for m in "${MEMBERS[@]}"; do a5c_stop_daemon "$m"; done
a5_finish audit-sampled
