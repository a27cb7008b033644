#!/bin/sh
# shellcheck shell=bash disable=SC2119
# byzantine.sh - end to end: what a coalition member refuses. One
# nats-server (hub namespace), three honest members m1 m2 m3 (article5
# daemons in namespaces of their own, no sshd needed) and envelopes crafted
# by tests/e2e/forge.c (built here against src/coalition/wire.c) and
# published raw on the coalition's stream. The charter also names "mallory"
# (a member whose key the test holds and whose daemon never runs: a member
# gone rogue), "eve" (the same, for the forks with a revocation) and
# "watcher" (an observer); "stranger" has a key that is not
# in the charter; the charter sets `rate 20/min`; m2 also has `allow
# 203.0.113.200` in its own configuration.
#
# Each case is checked on the receiver m2: the refusal counter of the
# expected reason grows (`article5 members --json`), the prefix is not in
# its kernel set; then an honest ban at m1 must still reach m2 and m3 (the
# coalition keeps working). A table of case -> reason seen -> pass/fail is
# printed at the end.
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

a5c_check_prereqs
a5c_init a5bz m1 m2 m3

a5_step "build the forge helper (tests/e2e/forge.c)"
a5c_build_forge
a5_ok "$A5_TMP/forge"

a5_step "setup: nats-server, members m1 m2 m3; charter with mallory (member), watcher (observer), rate 20/min"
a5c_topology
a5c_start_nats
for k in m1 m2 m3 mallory eve watcher stranger; do a5c_keygen "$k"; done
a5c_write_charter \
	"member mallory ${A5C_PK[mallory]} member" \
	"member eve ${A5C_PK[eve]} member" \
	"member watcher ${A5C_PK[watcher]} observer" \
	"rate 20/min"
a5c_write_config m1
a5c_write_config m2 "allow 203.0.113.200"
a5c_write_config m3
for m in m1 m2 m3; do a5c_start_daemon "$m"; done
a5_indent <"$A5C_CHARTER"
a5_ok "daemons ${A5C_DPID[m1]} ${A5C_DPID[m2]} ${A5C_DPID[m3]} connected"

forge() { ip netns exec "$A5C_NS_HUB" "$A5_TMP/forge" -s "$A5C_NATS_URL" -c "$A5C_COALITION" "$@"; }
key() { a5c_key "$1"; }
st() { echo "$A5_TMP/keys/$1/chain.state"; }

# counters NAME: "member key value" lines from NAME's members --json
# (accepted, is-quarantined and every refusal reason).
counters() {
	a5c_cli "$1" members --json 2>/dev/null | jq -r '.[] | .name as $n |
		"\($n) accepted \(.accepted)", "\($n) is-quarantined \(.quarantined)",
		(.refused | to_entries[] | "\($n) \(.key) \(.value)")'
	# Envelopes that cannot be charged to a member (no valid signature, or a
	# key not in the charter) are counted in status, under "_stranger".
	a5c_cli "$1" status --json 2>/dev/null | jq -r '.coalition |
		"_stranger bad-signature \(.invalid_envelopes)",
		"_stranger unknown-key \(.unknown_key_envelopes)"'
}
# deltas BEFORE AFTER: "member:key+N" for every counter that moved.
deltas() {
	awk 'NR == FNR { if ($3 ~ /^[0-9]+$/) b[$1 " " $2] = $3; else s[$1 " " $2] = $3; next }
		$3 ~ /^[0-9]+$/ { d = $3 - b[$1 " " $2]; if (d) { printf "%s%s:%s+%d", sep, $1, $2, d; sep = " " } next }
		$3 != s[$1 " " $2] { printf "%s%s:%s=%s", sep, $1, $2, $3; sep = " " }' "$1" "$2"
}
# counter FILE MEMBER KEY
counter() { awk -v m="$2" -v k="$3" '$1 == m && $2 == k { print $3; f = 1 } END { if (!f) print 0 }' "$1"; }

# wait_counter MEMBER KEY MIN_DELTA BEFORE_FILE: polls RX's counters until
# MEMBER's KEY grew by MIN_DELTA; leaves the last snapshot in $A5_TMP/after.
wait_counter() {
	local deadline=$(( ${EPOCHREALTIME/[.,]/} + WAIT * 1000000 )) b a
	b=$(counter "$4" "$1" "$2")
	while :; do
		counters "$RX" >"$A5_TMP/after"
		a=$(counter "$A5_TMP/after" "$1" "$2")
		(( a - b >= $3 )) && return 0
		(( ${EPOCHREALTIME/[.,]/} < deadline )) || return 1
		sleep 0.05
	done
}

HONEST_N=20
# honest: an honest ban at m1 must reach m2 and m3; H says what happened
# (address, time until both had it).
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
# row CASE EXPECTED SEEN KEPT_OUT HONEST RESULT
row() {
	ROWS+=("$1"$'\t'"$2"$'\t'"$3"$'\t'"$4"$'\t'"$5"$'\t'"$6")
	if [ "$6" = PASS ]; then
		a5_ok "$1: refused ($3); honest ban after it: $5"
	else
		NFAIL=$(( NFAIL + 1 ))
		a5_defer_fail "$1: expected $2, seen '$3', kept out: $4, honest after: $5"
	fi
}

# run_case NAME MEMBER REASON PREFIX CHECK_NS... -- FORGE ARGS...: publishes
# with forge, waits for RX's counter MEMBER:REASON to grow, checks PREFIX is
# in none of the CHECK members' sets, then an honest ban.
run_case() {
	local name=$1 member=$2 reason=$3 prefix=$4 seen kept=yes h res=PASS m
	shift 4
	local check=()
	while [ "$1" != -- ]; do check+=("$1"); shift; done
	shift
	a5_step "case: $name"
	counters "$RX" >"$A5_TMP/before"
	forge "$@" >"$A5_TMP/forge.out" 2>&1 || { a5_fail "forge $*: $(cat "$A5_TMP/forge.out")"; }
	a5_indent <"$A5_TMP/forge.out"
	wait_counter "$member" "$reason" 1 "$A5_TMP/before" || res=FAIL
	sleep 0.2
	counters "$RX" >"$A5_TMP/after"
	seen=$(deltas "$A5_TMP/before" "$A5_TMP/after")
	for m in "${check[@]}"; do
		a5c_banned "$m" "$prefix" && { kept="NO: in $m's set"; res=FAIL; }
	done
	honest || res=FAIL; h=$H
	row "$name" "$member:$reason" "${seen:--}" "$kept" "$h" "$res"
}

a5_step "baseline: an honest ban at m1 reaches m2 and m3"
honest || a5_fail "baseline: $H"
a5_ok "$H"

# 1. a valid envelope of m1's with one signature byte flipped
# Not charged to m1: without a valid signature anyone can claim m1's key.
run_case "forged signature (m1's envelope, 1 byte flipped)" _stranger bad-signature 203.0.113.101 m1 m2 m3 -- \
	report -F -k "$(key m1)" 203.0.113.101

# 2. a well-formed, validly signed envelope from a key not in the charter:
# counted in status (unknown_key_envelopes) and logged.
a5_step "case: unknown key (signed by a key not in the charter)"
n0=$(wc -l <"${A5C_DIR[$RX]}/daemon.log")
counters "$RX" >"$A5_TMP/before"
forge report -k "$(key stranger)" -S "$(st stranger)" 203.0.113.102 >"$A5_TMP/forge.out" 2>&1 ||
	a5_fail "forge: $(cat "$A5_TMP/forge.out")"
a5_indent <"$A5_TMP/forge.out"
res=PASS seen=
for (( i = 0; i < WAIT * 20; i++ )); do
	seen=$(tail -n +"$(( n0 + 1 ))" "${A5C_DIR[$RX]}/daemon.log" | grep -o 'refused report from unknown key.*' | head -n 1)
	[ -n "$seen" ] && break
	sleep 0.05
done
# The log line may be held back (strangers share one line per 10 s); the
# counter is what must move.
[ -n "$seen" ] || seen="log held back"
wait_counter _stranger unknown-key 1 "$A5_TMP/before" || { res=FAIL; seen="$seen; counter did not move"; }
d=$(deltas "$A5_TMP/before" "$A5_TMP/after")
[ -n "$d" ] && seen="$seen; counters: $d"
kept=yes
for m in m1 m2 m3; do a5c_banned "$m" 203.0.113.102 && { kept="NO: in $m's set"; res=FAIL; }; done
honest || res=FAIL; h=$H
row "unknown key (not in the charter)" "_stranger:unknown-key" "log: ${seen#refused report from }" "$kept" "$h" "$res"

# 3. replay: m1's last real envelope published again under a new message id
# (JetStream's de-duplication would otherwise drop it). m2 first lifts the
# ban by hand: if the replay were taken for new it would ban again.
a5_step "case: replayed report (m1's last envelope again, new msg id)"
last="203.0.113.$(( HONEST_N - 1 ))"
a5c_cli "$RX" unban "$last" >/dev/null 2>&1 || a5_fail "unban $last at $RX"
a5c_wait_unbanned "$RX" "$last" 5 || a5_fail "$last still banned at $RX after unban"
a5_info "$RX: article5 unban $last (m1's last report); now m1's envelope for it is replayed"
counters "$RX" >"$A5_TMP/before"
forge replay -p "$A5_TMP/keys/m1/member.pub" >"$A5_TMP/forge.out" 2>&1 || a5_fail "forge replay: $(cat "$A5_TMP/forge.out")"
a5_indent <"$A5_TMP/forge.out"
grep -q "prefix=$last " "$A5_TMP/forge.out" || a5_fail "the replayed envelope is not m1's report for $last"
res=PASS
wait_counter m1 replay 1 "$A5_TMP/before" || res=FAIL
sleep 0.2
counters "$RX" >"$A5_TMP/after"
seen=$(deltas "$A5_TMP/before" "$A5_TMP/after")
kept=yes
a5c_banned "$RX" "$last" && { kept="NO: back in $RX's set"; res=FAIL; }
honest || res=FAIL; h=$H
row "replayed report (m1, new msg id)" "m1:replay" "${seen:--}" "$kept" "$h" "$res"

# 4. fork: m3 (a real, running member) signs a second, different report
# under a sequence number it already used -> quarantined everywhere; its
# later honest reports are refused; the quarantine survives a restart.
a5_step "case: forked chain (m3 signs two different reports with one sequence number)"
a5c_cli m3 ban 203.0.113.104 >/dev/null 2>&1 || a5_fail "ban 203.0.113.104 at m3"
a5c_wait_banned "$RX" 203.0.113.104 "$WAIT" || a5_fail "m3's honest ban of 203.0.113.104 did not reach $RX"
a5_info "m3's honest report for 203.0.113.104 reached $RX; now the same sequence number with 203.0.113.105"
counters "$RX" >"$A5_TMP/before"
forge fork -k "$(key m3)" 203.0.113.105 >"$A5_TMP/forge.out" 2>&1 || a5_fail "forge fork: $(cat "$A5_TMP/forge.out")"
a5_indent <"$A5_TMP/forge.out"
res=PASS
wait_counter m3 fork 1 "$A5_TMP/before" || res=FAIL
sleep 0.2
counters "$RX" >"$A5_TMP/after"
seen=$(deltas "$A5_TMP/before" "$A5_TMP/after")
[ "$(counter "$A5_TMP/after" m3 is-quarantined)" = true ] || { res=FAIL; seen="$seen (m3 NOT quarantined)"; }
kept=yes
for m in m1 m2; do a5c_banned "$m" 203.0.113.105 && { kept="NO: in $m's set"; res=FAIL; }; done
honest || res=FAIL; h=$H
row "forked chain (m3, same seq)" "m3:fork + quarantined" "${seen:--}" "$kept" "$h" "$res"

# Both m1 and m2 found the fork; each gossips the proof on the stream.
sent=0
for m in m1 m2; do
	n=$(a5c_cli "$m" status --json 2>/dev/null | jq -r '.coalition.proofs_sent // 0')
	sent=$(( sent + ${n:-0} ))
	[ "$(a5c_member_field "$m" m3 '.quarantined')" = true ] || a5_defer_fail "$m did not quarantine m3"
done
if (( sent >= 1 )); then
	a5_ok "the proof against m3 was published on the stream ($sent proof messages by m1+m2)"
else
	a5_defer_fail "no member published the proof against m3 (proofs_sent m1+m2 = $sent)"
fi

a5_step "case: the quarantined m3 reports honestly afterwards"
counters "$RX" >"$A5_TMP/before"
a5c_cli m3 ban 203.0.113.106 >/dev/null 2>&1 || a5_fail "ban 203.0.113.106 at m3"
a5c_wait_banned m3 203.0.113.106 5 || a5_fail "m3 did not ban 203.0.113.106 itself"
res=PASS
wait_counter m3 quarantined 1 "$A5_TMP/before" || res=FAIL
sleep 0.2
counters "$RX" >"$A5_TMP/after"
seen=$(deltas "$A5_TMP/before" "$A5_TMP/after")
kept=yes
for m in m1 m2; do a5c_banned "$m" 203.0.113.106 && { kept="NO: in $m's set"; res=FAIL; }; done
honest || res=FAIL; h=$H
row "quarantined m3 reports again" "m3:quarantined" "${seen:--}" "$kept" "$h" "$res"

a5_step "the quarantine survives a restart of $RX (the fork proof is in its ledger)"
a5c_stop_daemon "$RX" 10
[ "$A5C_RC" = 0 ] || a5_info "(exit status $A5C_RC after SIGTERM: see coalition.sh)"
a5c_start_daemon "$RX"
q=$(a5c_member_field "$RX" m3 '.quarantined')
if [ "$q" = true ]; then
	a5_ok "$RX still has m3 quarantined after its restart"
else
	a5_defer_fail "$RX: m3 quarantined='$q' after the restart (expected true)"
fi

# 5-12: mallory, a charter member whose key the test holds, sends valid,
# correctly chained reports that ask too much.
run_case "another member's prefix (m3's address)" mallory member-prefix "${A5C_IP[m3]}" m1 m2 m3 -- \
	report -k "$(key mallory)" -S "$(st mallory)" "${A5C_IP[m3]}/32"
run_case "receiver's allowlist: its own address" mallory allowlist "${A5C_IP[$RX]}" m1 m2 m3 -- \
	report -k "$(key mallory)" -S "$(st mallory)" "${A5C_IP[$RX]}/32"
run_case "receiver's allowlist: 'allow 203.0.113.200'" mallory allowlist 203.0.113.200 m2 -- \
	report -k "$(key mallory)" -S "$(st mallory)" 203.0.113.200
# the same report is no abuse for m3, which has no such allow line
if a5c_wait_banned m3 203.0.113.200 "$WAIT"; then
	a5_ok "(m3, without that allow line, applied mallory's 203.0.113.200: the allowlist is per receiver)"
else
	a5_defer_fail "m3 did not apply mallory's valid report for 203.0.113.200"
fi
run_case "a /0 (0.0.0.0/0)" mallory too-wide 203.0.113.99 m1 m2 m3 -- \
	report -k "$(key mallory)" -S "$(st mallory)" 0.0.0.0/0
run_case "an over-wide prefix (203.0.0.0/8 > max_prefix4 24)" mallory too-wide 203.0.113.98 m1 m2 m3 -- \
	report -k "$(key mallory)" -S "$(st mallory)" 203.0.0.0/8
run_case "a special-purpose range (10.1.2.3, private)" mallory special-range 10.1.2.3 m1 m2 m3 -- \
	report -k "$(key mallory)" -S "$(st mallory)" 10.1.2.3
run_case "signed for another coalition" mallory wrong-coalition 203.0.113.107 m1 m2 m3 -- \
	report -k "$(key mallory)" -S "$(st mallory)" -x other-coalition 203.0.113.107
# a new link under a message id not its own: the stream de-duplicates by
# id (a reused one is dropped there while the fast path delivers it), so
# receivers take a link only under the id its bytes give (msgid)
run_case "a new link under another message id" mallory msgid 203.0.113.110 m1 m2 m3 -- \
	report -k "$(key mallory)" -S "$(st mallory)" -I "mallory-reused-id" 203.0.113.110
run_case "expired (2 h old, ttl 1 h)" mallory expired 203.0.113.108 m1 m2 m3 -- \
	report -k "$(key mallory)" -S "$(st mallory)" -a 7200 -t 3600 203.0.113.108
run_case "observer's report alone (watcher)" watcher observer-alone 203.0.113.109 m1 m2 m3 -- \
	report -k "$(key watcher)" -S "$(st watcher)" 203.0.113.109

# 13. flood: 40 valid reports from mallory at once; the charter allows 20 a
# minute (a bucket of 20): about 20 are applied, the rest refused.
a5_step "case: flood of 40 reports over the rate limit (rate 20/min)"
counters "$RX" >"$A5_TMP/before"
forge report -k "$(key mallory)" -S "$(st mallory)" -n 40 192.0.2.100 >"$A5_TMP/forge.out" 2>&1 ||
	a5_fail "forge flood: $(cat "$A5_TMP/forge.out")"
a5_info "$(wc -l <"$A5_TMP/forge.out") envelopes published (192.0.2.100 .. 192.0.2.139)"
res=PASS
wait_counter mallory rate 15 "$A5_TMP/before" || res=FAIL
sleep 0.5
counters "$RX" >"$A5_TMP/after"
seen=$(deltas "$A5_TMP/before" "$A5_TMP/after")
acc=$(( $(counter "$A5_TMP/after" mallory accepted) - $(counter "$A5_TMP/before" mallory accepted) ))
rate=$(( $(counter "$A5_TMP/after" mallory rate) - $(counter "$A5_TMP/before" mallory rate) ))
(( acc + rate == 40 && acc >= 18 && acc <= 23 )) || res=FAIL
kept="yes (192.0.2.139 out)"
a5c_banned "$RX" 192.0.2.139 && { kept="NO: 192.0.2.139 in $RX's set"; res=FAIL; }
a5c_banned "$RX" 192.0.2.100 || { kept="$kept; first one NOT applied"; res=FAIL; }
honest || res=FAIL; h=$H
row "flood: 40 reports, rate 20/min" "mallory:rate (~20)" "${seen:--}" "$kept" "$h" "$res"

# 13b. revocation flood: mallory at once revokes the 40 bans of the flood
# (each revocation lifts mallory's older report of its prefix). Revocations
# take their tokens from the bucket mallory's reports share, which the flood
# just emptied (one token every 3 s comes back): about all are refused as
# rate and the bans stay; without the limit every applied ban was lifted.
a5_step "case: flood of 40 revocations, from the bucket the report flood emptied"
counters "$RX" >"$A5_TMP/before"
forge revoke -k "$(key mallory)" -S "$(st mallory)" -n 40 192.0.2.100 >"$A5_TMP/forge.out" 2>&1 ||
	a5_fail "forge revoke flood: $(cat "$A5_TMP/forge.out")"
a5_info "$(grep -c '^revocation' "$A5_TMP/forge.out") revocations published (192.0.2.100 .. 192.0.2.139)"
res=PASS
wait_counter mallory rate 35 "$A5_TMP/before" || res=FAIL
sleep 0.5
counters "$RX" >"$A5_TMP/after"
seen=$(deltas "$A5_TMP/before" "$A5_TMP/after")
mdelta() { echo $(( $(counter "$A5_TMP/after" mallory "$1") - $(counter "$A5_TMP/before" mallory "$1") )); }
rate=$(mdelta rate)
# through the bucket: applied (accepted) or naming a ban not held (revoke-unknown)
through=$(( $(mdelta accepted) + $(mdelta revoke-unknown) ))
(( rate + through == 40 && rate >= 35 )) || res=FAIL
(( $(mdelta fork) + $(mdelta replay) == 0 )) || res=FAIL
# the 11th ban of the flood was applied (at least 18 were); its revocation
# would need 30 s of refill: it stays
kept="yes (192.0.2.110 still banned)"
a5c_banned "$RX" 192.0.2.110 || { kept="NO: 192.0.2.110 lifted at $RX"; res=FAIL; }
honest || res=FAIL; h=$H
row "flood: 40 revocations, rate 20/min shared" "mallory:rate (~40)" "${seen:--}" "$kept" "$h" "$res"

# 14. gossip: a proof that mallory signed two different reports #1000000,
# whose envelopes never went on the stream, is relayed on stranger's
# subject. Every member must quarantine mallory from the proof alone, keep
# it, and export it as evidence that verifies offline with the charter.
a5_step "case: an equivocation proof gossiped on the stream (mallory's two envelopes never published)"
proofs() { a5c_cli "$1" status --json 2>/dev/null | jq -r ".coalition.$2 // 0"; }
declare -A PR0 PI0
for m in m1 m2 m3; do PR0[$m]=$(proofs "$m" proofs_received); PI0[$m]=$(proofs "$m" proofs_invalid); done
forge proof -k "$(key mallory)" -P "$(key stranger)" 203.0.113.150 203.0.113.151 >"$A5_TMP/forge.out" 2>&1 ||
	a5_fail "forge proof: $(cat "$A5_TMP/forge.out")"
a5_indent <"$A5_TMP/forge.out"
res=PASS seen=""
for m in m1 m2 m3; do
	q=""
	for _ in $(seq 1 $((WAIT * 10))); do
		q=$(a5c_member_field "$m" mallory '.quarantined')
		[ "$q" = true ] && break
		sleep 0.1
	done
	d=$(( $(proofs "$m" proofs_received) - PR0[$m] ))
	seen="$seen $m:proof+$d"
	[ "$q" = true ] && (( d == 1 )) || { res=FAIL; seen="$seen(quarantined=$q)"; }
done
kept=yes
for m in m1 m2 m3; do
	for a in 203.0.113.150 203.0.113.151; do a5c_banned "$m" "$a" && { kept="NO: $a in $m's set"; res=FAIL; }; done
done
if a5c_cli m1 evidence mallory -o "$A5_TMP/mallory.proof" >"$A5_TMP/ev.out" 2>&1 &&
	"$A5_BIN" evidence --verify "$A5_TMP/mallory.proof" --charter "$A5C_CHARTER" >"$A5_TMP/ev.out" 2>&1 &&
	grep -q 'valid proof: mallory signed two different reports #1000000' "$A5_TMP/ev.out"; then
	a5_ok "m1's evidence against mallory (received on the stream) verifies offline: $(head -n 1 "$A5_TMP/ev.out")"
else
	res=FAIL
	a5_info "evidence: $(cat "$A5_TMP/ev.out")"
fi
honest || res=FAIL; h=$H
row "proof gossiped (mallory, via stranger's subject)" "all:quarantine mallory" "${seen# }" "$kept" "$h" "$res"

# 15. an invalid proof (the same report twice) quarantines nobody.
a5_step "case: an invalid proof (watcher's same report twice) is refused"
forge proof -same -k "$(key watcher)" -P "$(key stranger)" 203.0.113.152 203.0.113.152 >"$A5_TMP/forge.out" 2>&1 ||
	a5_fail "forge proof -same: $(cat "$A5_TMP/forge.out")"
res=PASS seen=""
for m in m1 m2 m3; do
	d=0
	for _ in $(seq 1 $((WAIT * 10))); do
		d=$(( $(proofs "$m" proofs_invalid) - PI0[$m] ))
		(( d >= 1 )) && break
		sleep 0.1
	done
	q=$(a5c_member_field "$m" watcher '.quarantined')
	seen="$seen $m:invalid-proof+$d"
	(( d == 1 )) && [ "$q" = false ] || { res=FAIL; seen="$seen(watcher quarantined=$q)"; }
done
honest || res=FAIL; h=$H
row "invalid proof (same report twice)" "all:invalid-proof" "${seen# }" "yes" "$h" "$res"

# 16. fork with a revocation: eve (a member whose key the test holds)
# reports two addresses (#1, #2), then signs a revocation of #1 under
# number 2 as well. Every member sees both links #2: each quarantines eve,
# keeps a proof made of the envelope it kept and the revocation, and
# gossips it; the proof exports and verifies offline. The revocation is
# not applied (the ban of #1 stays).
a5_step "case: fork with a revocation (eve signs a report and a revocation both #2)"
counters "$RX" >"$A5_TMP/before"
forge report -k "$(key eve)" -S "$(st eve)" -n 2 203.0.113.160 >"$A5_TMP/forge.out" 2>&1 ||
	a5_fail "forge report (eve): $(cat "$A5_TMP/forge.out")"
for m in m1 m2 m3; do
	a5c_wait_banned "$m" 203.0.113.161 "$WAIT" || a5_fail "eve's report #2 (203.0.113.161) did not reach $m"
done
declare -A PS0
for m in m1 m2 m3; do PS0[$m]=$(proofs "$m" proofs_sent); done
forge fork -R -k "$(key eve)" 203.0.113.160 >>"$A5_TMP/forge.out" 2>&1 ||
	a5_fail "forge fork -R: $(cat "$A5_TMP/forge.out")"
a5_indent <"$A5_TMP/forge.out"
res=PASS
wait_counter eve fork 1 "$A5_TMP/before" || res=FAIL
sleep 0.2
counters "$RX" >"$A5_TMP/after"
seen=$(deltas "$A5_TMP/before" "$A5_TMP/after")
sent=0
for m in m1 m2 m3; do
	q=""
	for _ in $(seq 1 $((WAIT * 10))); do
		q=$(a5c_member_field "$m" eve '.quarantined')
		[ "$q" = true ] && break
		sleep 0.1
	done
	[ "$q" = true ] || { res=FAIL; seen="$seen ($m: eve quarantined=$q)"; }
	sent=$(( sent + $(proofs "$m" proofs_sent) - PS0[$m] ))
done
(( sent >= 1 )) || { res=FAIL; seen="$seen (no proof published)"; }
seen="$seen proofs_sent+$sent"
kept="yes (203.0.113.160 still banned)"
for m in m1 m2 m3; do
	a5c_banned "$m" 203.0.113.160 || { kept="NO: the forked revocation lifted 203.0.113.160 at $m"; res=FAIL; }
	if a5c_cli "$m" evidence eve -o "$A5_TMP/eve-$m.proof" >"$A5_TMP/ev.out" 2>&1 &&
		"$A5_BIN" evidence --verify "$A5_TMP/eve-$m.proof" --charter "$A5C_CHARTER" >"$A5_TMP/ev.out" 2>&1 &&
		grep -q 'valid proof: eve signed two different links #2 (report of 203.0.113.161 and revocation of 203.0.113.160)' "$A5_TMP/ev.out"; then
		a5_info "$m's evidence against eve verifies offline: $(head -n 1 "$A5_TMP/ev.out")"
	else
		res=FAIL
		seen="$seen ($m: no valid proof kept)"
		a5_info "$m evidence: $(cat "$A5_TMP/ev.out")"
	fi
done
honest || res=FAIL; h=$H
row "fork: report and revocation #2 (eve)" "eve:fork + proof at all" "${seen:--}" "$kept" "$h" "$res"

# 17. the same kind of proof, gossiped only: watcher's report and a
# revocation #2000000 that never went on the stream, relayed on stranger's
# subject: every member quarantines watcher from the proof alone.
a5_step "case: a proof with a revocation gossiped on the stream (watcher's two links never published)"
for m in m1 m2 m3; do PR0[$m]=$(proofs "$m" proofs_received); done
forge proof -R -n 2000000 -k "$(key watcher)" -P "$(key stranger)" 203.0.113.170 203.0.113.171 \
	>"$A5_TMP/forge.out" 2>&1 || a5_fail "forge proof -R: $(cat "$A5_TMP/forge.out")"
a5_indent <"$A5_TMP/forge.out"
res=PASS seen=""
for m in m1 m2 m3; do
	q=""
	for _ in $(seq 1 $((WAIT * 10))); do
		q=$(a5c_member_field "$m" watcher '.quarantined')
		[ "$q" = true ] && break
		sleep 0.1
	done
	d=$(( $(proofs "$m" proofs_received) - PR0[$m] ))
	seen="$seen $m:proof+$d"
	if [ "$q" != true ] || (( d != 1 )); then res=FAIL; seen="$seen(quarantined=$q)"; fi
done
if a5c_cli m2 evidence watcher -o "$A5_TMP/watcher.proof" >"$A5_TMP/ev.out" 2>&1 &&
	"$A5_BIN" evidence --verify "$A5_TMP/watcher.proof" --charter "$A5C_CHARTER" >"$A5_TMP/ev.out" 2>&1 &&
	grep -q 'valid proof: watcher signed two different links #2000000 (report of 203.0.113.170 and revocation of 203.0.113.171)' "$A5_TMP/ev.out"; then
	a5_info "m2's evidence against watcher verifies offline: $(head -n 1 "$A5_TMP/ev.out")"
else
	res=FAIL
	a5_info "evidence: $(cat "$A5_TMP/ev.out")"
fi
honest || res=FAIL; h=$H
row "proof with a revocation gossiped (watcher)" "all:quarantine watcher" "${seen# }" "yes" "$h" "$res"

a5_step "the members table of $RX after all cases"
a5c_cli "$RX" members | a5_indent
for m in m1 m2 m3; do
	a5c_daemon_alive "$m" || a5_defer_fail "the daemon of $m died"
	if grep -Eq 'AddressSanitizer|runtime error:|LeakSanitizer' "${A5C_DIR[$m]}/daemon.log"; then
		a5_defer_fail "sanitizer report in the daemon log of $m"
	fi
done

printf '\n%s%-50s %-26s %-44s %s%s\n' "$A5_C_B" "CASE" "EXPECTED (at $RX)" "SEEN (counter deltas at $RX)" "RESULT" "$A5_C_0"
for r in "${ROWS[@]}"; do
	IFS=$'\t' read -r c e s k h res <<<"$r"
	col=$A5_C_G
	[ "$res" = PASS ] || col=$A5_C_R
	printf '%-50s %-26s %-44s %s%s%s\n' "$c" "$e" "$s" "$col" "$res" "$A5_C_0"
done
echo
echo "byzantine: ${#ROWS[@]} cases, $NFAIL failed"
a5_finish byzantine
