#!/bin/sh
# shellcheck shell=bash disable=SC2119
# byzantine-scale.sh - end to end: what one stolen member key can do to the
# coalition, and the bound on it (docs/charter.md "Budgets"). One
# nats-server (hub namespace), three honest members m1 m2 m3 (article5
# daemons in namespaces of their own), and "mallory", a member whose key
# the test holds (stolen: its daemon never runs); tests/e2e/forge.c signs
# and publishes mallory's reports raw on the coalition's stream.
#
# The charter allows what a real coalition might (max_prefix4 16) and sets
# small budgets so that the bound shows quickly: budget_bans 30,
# budget_addresses4 4096, budget_strikes 20. m2 (the receiver whose
# counters are read) has the local floor coalition_max_prefix4 16 (as wide
# as the charter); m3 keeps the default floor (/24).
#
# Mallory, each refused or contained, with an honest ban from m1 reaching
# m2 and m3 after each case:
#   - stamps a report 10 years ahead: refused (future); 200 s ahead with a
#     7-day ttl: applied, its deadline no later than now + 2 s + ttl_max;
#   - asks for a /22: waits for a second member (wide-pending); once m1
#     reports it too, m2 applies it and m3's floor still refuses it
#     (local-floor);
#   - targets m3's address: refused (member-prefix); NAT64, 6to4 and Teredo
#     addresses: refused (special-range);
#   - signs a charter update that gives it wider limits, alone, and
#     publishes it: refused by every daemon (1 of 2 signatures);
#   - floods 80 reports within its rate (600/min): the first ones up to its
#     budget are applied, then it is throttled and quarantined; m2's
#     members table says why;
#   - m2 restarts and the flood goes on: m2 rebuilds mallory's budget from
#     its ledger, applies none of 40 more reports (budget-bans) and
#     quarantines it again.
# The bound is printed: "byzantine-scale: bound bans=N/30 addresses4=M/4096".
# Exit: 0 pass, 1 fail, 77 skip (not root, no nats-server, jq, gcc or
# libnats/libsodium headers).
# Environment: ARTICLE5=path/to/binary, A5_KEEP=1, A5_KEEP_ON_FAIL=1, NO_COLOR=1.

if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || { echo "skip: bash is not installed"; exit 77; }
	exec bash "$0" "$@"
fi
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

WAIT=5			# seconds for a counter to move or an honest ban to arrive
RX=m2			# the receiver whose counters are checked
BANS=30 ADDR4=4096 STRIKES=20 TTL_MAX=7200

a5c_check_prereqs
a5c_init a5bs m1 m2 m3

a5_step "build the forge helper (tests/e2e/forge.c)"
a5c_build_forge
a5_ok "$A5_TMP/forge"

a5_step "setup: nats-server, members m1 m2 m3, mallory's key stolen; budgets $BANS bans, $ADDR4 addresses"
a5c_topology
a5c_start_nats
for k in m1 m2 m3 mallory; do a5c_keygen "$k"; done
a5c_write_charter \
	"member mallory ${A5C_PK[mallory]} member" \
	"max_prefix4 16" \
	"ttl_max ${TTL_MAX}s" \
	"budget_bans $BANS" \
	"budget_addresses4 $ADDR4" \
	"budget_strikes $STRIKES"
a5c_write_config m1
a5c_write_config m2 "coalition_max_prefix4 16"
a5c_write_config m3
for m in m1 m2 m3; do a5c_start_daemon "$m"; done
a5_indent <"$A5C_CHARTER"
a5_ok "daemons ${A5C_DPID[m1]} ${A5C_DPID[m2]} ${A5C_DPID[m3]} connected"

forge() { ip netns exec "$A5C_NS_HUB" "$A5_TMP/forge" -s "$A5C_NATS_URL" -c "$A5C_COALITION" "$@"; }
ST="$A5_TMP/keys/mallory/chain.state"
mallory() { forge report -k "$(a5c_key mallory)" -S "$ST" "$@" >"$A5_TMP/forge.out" 2>&1 ||
	a5_fail "forge report $*: $(cat "$A5_TMP/forge.out")"; }
# refused MEMBER REASON [AT]: AT's (default RX) refusal counter of MEMBER
refused() { a5c_cli "${3:-$RX}" members --json 2>/dev/null |
	jq -r --arg n "$1" --arg r "$2" '.[] | select(.name == $n) | .refused[$r] // 0'; }
mfield() { a5c_cli "${3:-$RX}" members --json 2>/dev/null |
	jq -r --arg n "$1" ".[] | select(.name == \$n) | $2"; }
# wait_refused MEMBER REASON MIN [AT]
wait_refused() {
	local i n
	for (( i = 0; i < WAIT * 10; i++ )); do
		n=$(refused "$1" "$2" "${4:-$RX}")
		(( ${n:-0} >= $3 )) && return 0
		sleep 0.1
	done
	return 1
}

HONEST_N=20
H=
honest() {
	local a="203.0.113.$HONEST_N" t0 t1 m
	HONEST_N=$(( HONEST_N + 1 ))
	t0=${EPOCHREALTIME/[.,]/}
	a5c_cli m1 ban "$a" >"$A5_TMP/cli.out" 2>&1 || { H="ban $a at m1 failed: $(cat "$A5_TMP/cli.out")"; return 1; }
	for m in m2 m3; do
		a5c_wait_banned "$m" "$a" "$WAIT" || { H="$a (m1) NOT at $m within ${WAIT}s"; return 1; }
	done
	t1=${EPOCHREALTIME/[.,]/}
	H="$a at m2+m3 in $(a5_ms $(( t1 - t0 )))"
}

ROWS=()
NFAIL=0
# row CASE SEEN RESULT: the honest ban after each case is part of it
row() {
	local res=$3
	honest || res=FAIL
	ROWS+=("$1"$'\t'"$2"$'\t'"$res")
	if [ "$res" = PASS ]; then
		a5_ok "$1: $2; honest ban after it: $H"
	else
		NFAIL=$(( NFAIL + 1 ))
		a5_defer_fail "$1: $2; honest ban after it: $H"
	fi
}

a5_step "baseline: an honest ban at m1 reaches m2 and m3"
honest || a5_fail "baseline: $H"
a5_ok "$H"

a5_step "case: a report stamped 10 years ahead"
mallory -f $(( 10 * 365 * 86400 )) -t 3600 192.0.2.77
res=PASS
wait_refused mallory future 1 || res=FAIL
a5c_banned "$RX" 192.0.2.77 && res=FAIL
row "stamped 10 years ahead" "future=$(refused mallory future)" "$res"

a5_step "case: a report stamped 200 s ahead asking 7 days (ttl_max ${TTL_MAX}s)"
t0=$(date +%s)
mallory -f 200 -t $(( 7 * 86400 )) 192.0.2.78
res=PASS
a5c_wait_banned "$RX" 192.0.2.78 "$WAIT" || res=FAIL
exp=$(a5c_cli "$RX" bans --json 2>/dev/null | jq -r '[.[] | select(.prefix | startswith("192.0.2.78")) | .expires] | max // 0')
period=10
grace=2	# ACCEPT_STAMP_GRACE: a stamp ahead counts as now + 2 s
(( exp > 0 && exp <= $(date +%s) + grace + TTL_MAX + period )) || res=FAIL
(( exp < t0 + 200 + TTL_MAX - period )) || res=FAIL	# not its stamp + ttl
row "stamped 200 s ahead, ttl 7 d" "applied, expires now+$(( exp - t0 ))s (cap ${TTL_MAX}s)" "$res"

a5_step "case: a wide prefix (a /22; the charter allows /16, wide_prefix4 24)"
mallory 198.18.0.0/22
res=PASS
wait_refused mallory wide-pending 1 || res=FAIL
wait_refused mallory wide-pending 1 m3 || res=FAIL
sleep 0.3
for m in m1 m2 m3; do a5c_banned "$m" 198.18.1.1 && res=FAIL; done
row "a /22 from one member" "m2 wide-pending=$(refused mallory wide-pending), m3 too: $(refused mallory wide-pending m3), in no set" "$res"

a5_step "case: m1 reports the /22 too (2 of 2): applied at m2, refused by m3's own floor (/24)"
a5c_cli m1 ban 198.18.0.0/22 >"$A5_TMP/cli.out" 2>&1 || a5_fail "ban 198.18.0.0/22 at m1: $(cat "$A5_TMP/cli.out")"
res=PASS
a5c_wait_banned m2 198.18.1.1 "$WAIT" || res=FAIL
wait_refused m1 local-floor 1 m3 || res=FAIL
a5c_banned m3 198.18.1.1 && res=FAIL
row "the /22 corroborated by m1" "in m2's set; m3 local-floor=$(refused m1 local-floor m3)" "$res"

a5_step "case: another member's range (m3's address)"
mallory "${A5C_IP[m3]}"
res=PASS
wait_refused mallory member-prefix 1 || res=FAIL
a5c_banned m1 "${A5C_IP[m3]}" && res=FAIL
row "m3's address" "member-prefix=$(refused mallory member-prefix)" "$res"

a5_step "case: NAT64, 6to4 and Teredo addresses (every host behind the gateway)"
mallory 64:ff9b::c633:6401
mallory 2002:c633:6401::/48
mallory 2001:0:4136:e378::/64
res=PASS
wait_refused mallory special-range 3 || res=FAIL
row "NAT64, 6to4, Teredo" "special-range=$(refused mallory special-range)" "$res"

a5_step "case: mallory votes itself wider limits (a charter update signed by mallory alone)"
sed -e 's/^budget_bans .*/budget_bans 1000000/' -e 's/^max_prefix4 .*/max_prefix4 8/' \
	-e 's/^budget_addresses4 .*/budget_addresses4 4294967296/' "$A5C_CHARTER" >"$A5_TMP/v2.txt"
echo "wide_prefix4 8" >>"$A5_TMP/v2.txt"
echo "version 2" >>"$A5_TMP/v2.txt"
"$A5_BIN" charter propose --charter "$A5C_CHARTER" "$A5_TMP/v2.txt" -o "$A5_TMP/u2" >"$A5_TMP/ch.out" 2>&1 ||
	a5_fail "charter propose: $(cat "$A5_TMP/ch.out")"
"$A5_BIN" charter sign --identity "$(a5c_key mallory)" --charter "$A5C_CHARTER" "$A5_TMP/u2" >"$A5_TMP/ch.out" 2>&1 ||
	a5_fail "charter sign: $(cat "$A5_TMP/ch.out")"
forge raw -k "$(a5c_key mallory)" "$A5_TMP/u2" >"$A5_TMP/forge.out" 2>&1 || a5_fail "forge raw: $(cat "$A5_TMP/forge.out")"
res=PASS seen=
for m in m1 m2 m3; do
	n=0
	for (( i = 0; i < WAIT * 10; i++ )); do
		n=$(a5c_cli "$m" status --json 2>/dev/null | jq -r '.coalition.charters_refused // 0')
		(( n >= 1 )) && break
		sleep 0.1
	done
	v=$(a5c_cli "$m" status --json 2>/dev/null | jq -r '.coalition.charter_version')
	seen="$seen $m:refused=$n,v$v"
	(( n >= 1 )) && [ "$v" = 1 ] || res=FAIL
done
row "charter update signed by mallory alone" "${seen# }" "$res"

a5_step "case: a flood within the rate (80 reports at once, rate 600/min), budget $BANS bans"
acc0=$(mfield mallory .accepted)
mallory -n 80 198.19.0.1
res=PASS
for (( i = 0; i < WAIT * 10; i++ )); do
	[ "$(mfield mallory .quarantined)" = true ] && break
	sleep 0.1
done
sleep 0.3
a5c_cli "$RX" members --json >"$A5_TMP/members.json" 2>/dev/null
q=$(jq -r '.[] | select(.name == "mallory") | .quarantined' "$A5_TMP/members.json")
why=$(jq -r '.[] | select(.name == "mallory") | .why' "$A5_TMP/members.json")
nb=$(jq -r '.[] | select(.name == "mallory") | .budget.bans' "$A5_TMP/members.json")
na=$(jq -r '.[] | select(.name == "mallory") | .budget.addresses4' "$A5_TMP/members.json")
acc=$(( $(jq -r '.[] | select(.name == "mallory") | .accepted' "$A5_TMP/members.json") - acc0 ))
bb=$(jq -r '.[] | select(.name == "mallory") | .refused["budget-bans"] // 0' "$A5_TMP/members.json")
qq=$(jq -r '.[] | select(.name == "mallory") | .refused.quarantined // 0' "$A5_TMP/members.json")
[ "$q" = true ] || res=FAIL
(( nb <= BANS && na <= ADDR4 && bb == STRIKES )) || res=FAIL
# in the kernel: the flood's addresses in m2's coalition set are at most
# the budget (one listing of the set, not 80 lookups)
ip netns exec "${A5C_NS[$RX]}" nft list set inet article5 cban4 2>/dev/null |
	grep -oE '198\.19\.0\.[0-9]+' | sort -u >"$A5_TMP/flood-in-set"
inset=$(wc -l <"$A5_TMP/flood-in-set")
(( inset >= 1 && inset <= BANS )) || res=FAIL
grep -qx 198.19.0.80 "$A5_TMP/flood-in-set" && res=FAIL
row "flood of 80 within the rate" "applied $acc (in m2's set: $inset), budget-bans=$bb, then quarantined=$q: $why" "$res"

a5_step "case: $RX restarts mid-flood; the flood goes on (40 more reports)"
# The budget is rebuilt from m2's ledger at the start (docs/charter.md
# "Budgets"): mallory is still at its budget and gets nothing more applied;
# the quarantine was forgotten with the restart but comes back after
# budget_strikes refusals. Without the rebuild it would get 30 more bans.
a5c_stop_daemon "$RX" 10
[ "$A5C_RC" = 0 ] || a5_defer_fail "$RX did not stop cleanly: $A5C_RC"
a5c_start_daemon "$RX"
nb_r=$(mfield mallory .budget.bans)
na_r=$(mfield mallory .budget.addresses4)
q_r=$(mfield mallory .quarantined)
mallory -n 40 198.19.1.1
res=PASS
wait_refused mallory budget-bans "$STRIKES" || res=FAIL
for (( i = 0; i < WAIT * 10; i++ )); do
	[ "$(mfield mallory .quarantined)" = true ] && break
	sleep 0.1
done
sleep 0.3
a5c_cli "$RX" members --json >"$A5_TMP/members2.json" 2>/dev/null
q2=$(jq -r '.[] | select(.name == "mallory") | .quarantined' "$A5_TMP/members2.json")
nb2=$(jq -r '.[] | select(.name == "mallory") | .budget.bans' "$A5_TMP/members2.json")
na2=$(jq -r '.[] | select(.name == "mallory") | .budget.addresses4' "$A5_TMP/members2.json")
acc2=$(jq -r '.[] | select(.name == "mallory") | .accepted // 0' "$A5_TMP/members2.json")
bb2=$(jq -r '.[] | select(.name == "mallory") | .refused["budget-bans"] // 0' "$A5_TMP/members2.json")
ip netns exec "${A5C_NS[$RX]}" nft list set inet article5 cban4 2>/dev/null |
	grep -oE '198\.19\.[01]\.[0-9]+' | sort -u >"$A5_TMP/flood2-in-set"
inset2=$(wc -l <"$A5_TMP/flood2-in-set")
new2=$(grep -c '^198\.19\.1\.' "$A5_TMP/flood2-in-set")
(( nb_r == nb && na_r == na )) || res=FAIL		# rebuilt as it was
(( nb2 <= BANS && na2 <= ADDR4 && acc2 == 0 && new2 == 0 && inset2 <= BANS )) || res=FAIL
[ "$q2" = true ] && (( bb2 == STRIKES )) || res=FAIL
row "$RX restarted, flood goes on" "budget after start bans=$nb_r addresses4=$na_r (quarantined=$q_r); applied $acc2 of 40, budget-bans=$bb2, quarantined=$q2; in set $inset2 (new $new2)" "$res"

a5_step "the members table of $RX"
a5c_cli "$RX" members | a5_indent
grep -q "QUARANTINED (over its budget of bans" <(a5c_cli "$RX" members) ||
	a5_defer_fail "members (text) does not say why mallory is quarantined"
for m in m1 m2 m3; do
	a5c_daemon_alive "$m" || a5_defer_fail "the daemon of $m died"
	if grep -Eq 'AddressSanitizer|runtime error:|LeakSanitizer' "${A5C_DIR[$m]}/daemon.log"; then
		a5_defer_fail "sanitizer report in the daemon log of $m"
	fi
done

printf '\n%s%-42s %-70s %s%s\n' "$A5_C_B" "CASE" "SEEN (at $RX unless said)" "RESULT" "$A5_C_0"
for r in "${ROWS[@]}"; do
	IFS=$'\t' read -r c s res <<<"$r"
	col=$A5_C_G
	[ "$res" = PASS ] || col=$A5_C_R
	printf '%-42s %-70s %s%s%s\n' "$c" "$s" "$col" "$res" "$A5_C_0"
done
echo
echo "byzantine-scale: ${#ROWS[@]} cases, $NFAIL failed"
echo "byzantine-scale: bound bans=$nb/$BANS addresses4=$na/$ADDR4 (mallory at $RX; refused after: budget-bans=$bb, quarantined=$qq)"
echo "byzantine-scale: bound across a restart of $RX: bans=$nb2/$BANS addresses4=$na2/$ADDR4, flood addresses in its set $inset2/$BANS (rebuilt at start: bans=$nb_r addresses4=$na_r)"
a5_finish byzantine-scale
