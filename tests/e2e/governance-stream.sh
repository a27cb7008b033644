#!/bin/sh
# shellcheck shell=bash disable=SC2015
# governance-stream.sh - end to end: charter updates travel on the coalition
# stream and running daemons adopt them (docs/governance.md). One
# nats-server, members m1 m2 m3 (charter version 1, threshold: a majority
# of 3 = 2), and m4, a newcomer. Each member has its own copy of the
# charter file, as on separate hosts. The test checks:
#   - an update admitting m4 signed by m1 alone: `charter submit` refuses to
#     publish it; published anyway (raw), every daemon refuses it and stays
#     at version 1; m4's reports are refused (unknown key);
#   - the same update signed by m1 and m2, submitted: every daemon adopts
#     version 2 (and writes it to state_dir/charter.adopted, the only place
#     its sandboxed worker may write; docs/privsep.md); m4's reports are then
#     applied by m1 m2 m3, and m1's reports reach m4 (it is defended and
#     defends);
#   - an update revoking m4 (version 3): with m1 and m3 only it is 2 of
#     the 3 now required (version 2 has 4 voters), not published; with m2
#     too it is adopted by all; m4's daemon leaves the coalition; a new report signed with m4's
#     key is refused as "revoked"; the ban its earlier report caused stays;
#   - both adoptions are in each member's journal, which verifies;
#   - a restarted member runs the adopted version, not its configured file's.
# Exit: 0 pass, 1 fail, 77 skip.
# Environment: ARTICLE5=path/to/binary, A5_KEEP=1, A5_KEEP_ON_FAIL=1.

if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || { echo "skip: bash is not installed"; exit 77; }
	exec bash "$0" "$@"
fi
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

WAIT=10

a5c_check_prereqs
a5c_init a5gs m1 m2 m3 m4

a5_step "build the forge helper (tests/e2e/forge.c)"
a5c_build_forge
forge() { ip netns exec "$A5C_NS_HUB" "$A5_TMP/forge" -s "$A5C_NATS_URL" -c "$A5C_COALITION" "$@"; }

a5_step "setup: nats-server; charter version 1 names m1 m2 m3; m4 has a key only"
a5c_topology
a5c_start_nats
for m in m1 m2 m3 m4; do a5c_keygen "$m"; done
member_line() { echo "member $1 ${A5C_PK[$1]} member ${A5C_IP[$1]}/32"; }
{
	echo "coalition $A5C_COALITION"
	echo "nats $A5C_NATS_URL"
	echo "version 1"
	for m in m1 m2 m3; do member_line "$m"; done
} >"$A5_TMP/v1.txt"
{
	echo "coalition $A5C_COALITION"
	echo "nats $A5C_NATS_URL"
	echo "version 2"
	for m in m1 m2 m3 m4; do member_line "$m"; done
} >"$A5_TMP/v2.txt"
sed -e 's/^version 2$/version 3/' "$A5_TMP/v2.txt" >"$A5_TMP/v3.txt"
echo "revoked m4" >>"$A5_TMP/v3.txt"

# Each member its own charter file (separate hosts in real life).
own_charter() { echo "${A5C_DIR[$1]}/coalition.charter"; }
adopted_charter() { echo "${A5C_DIR[$1]}/state/charter.adopted"; }
for m in m1 m2 m3 m4; do
	a5c_write_config "$m"
	sed -i "s|^coalition .*|coalition $(own_charter "$m")|" "$(a5c_conf "$m")"
done
for m in m1 m2 m3; do cp "$A5_TMP/v1.txt" "$(own_charter "$m")"; done
cp "$A5_TMP/v2.txt" "$(own_charter m4)"	# the newcomer is given the charter that admits it
for m in m1 m2 m3; do a5c_start_daemon "$m"; done
a5_ok "daemons ${A5C_DPID[m1]} ${A5C_DPID[m2]} ${A5C_DPID[m3]}"

st() { a5c_cli "$1" status --json 2>/dev/null | jq -r ".coalition.$2 // empty"; }
refused() { a5c_cli "$1" members --json 2>/dev/null | jq -r --arg n "$2" --arg r "$3" '.[] | select(.name == $n) | .refused[$r] // 0'; }
wait_version() { # member version seconds
	local end=$((SECONDS + $3)) v
	while [ $SECONDS -le $end ]; do
		v=$(st "$1" charter_version)
		[ "$v" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
ch() { # NAME ARGS...: article5 charter ARGS, output in $A5_TMP/NAME.out, status in RC
	local name=$1
	shift
	"$A5_BIN" charter "$@" >"$A5_TMP/$name.out" 2>&1
	RC=$?
}
submit() { # NAME MEMBER UPDATE: charter submit from MEMBER's namespace (it reaches NATS there)
	timeout 20 ip netns exec "${A5C_NS[$2]}" "$A5_BIN" charter submit -c "$(a5c_conf "$2")" "$3" \
		>"$A5_TMP/$1.out" 2>&1
	RC=$?
}

a5_step "an update to version 2 admitting m4, signed by m1 only (1 of 2 required)"
ch propose propose --charter "$(own_charter m1)" "$A5_TMP/v2.txt" -o "$A5_TMP/u2" || true
[ "$RC" = 0 ] || a5_fail "charter propose: $(cat "$A5_TMP/propose.out")"
ch sign1 sign -c "$(a5c_conf m1)" "$A5_TMP/u2"
[ "$RC" = 0 ] || a5_fail "charter sign by m1: $(cat "$A5_TMP/sign1.out")"
submit submit1 m1 "$A5_TMP/u2"
if [ "$RC" = 1 ] && grep -q 'not adoptable, not published: 1 of 2 required signatures' "$A5_TMP/submit1.out"; then
	a5_ok "charter submit refused to publish it: $(cat "$A5_TMP/submit1.out")"
else
	a5_fail "charter submit with 1 of 2 signatures: status $RC, $(cat "$A5_TMP/submit1.out")"
fi

a5_step "published anyway (raw, on m1's subject): every daemon refuses it"
forge raw -k "$(a5c_key m1)" "$A5_TMP/u2" >"$A5_TMP/forge.out" 2>&1 || a5_fail "forge raw: $(cat "$A5_TMP/forge.out")"
for m in m1 m2 m3; do
	n=0
	for (( i = 0; i < WAIT * 10; i++ )); do
		n=$(st "$m" charters_refused)
		[ "${n:-0}" -ge 1 ] && break
		sleep 0.1
	done
	v=$(st "$m" charter_version)
	if [ "${n:-0}" -ge 1 ] && [ "$v" = 1 ] && cmp -s "$(own_charter "$m")" "$A5_TMP/v1.txt" &&
	    [ ! -e "$(adopted_charter "$m")" ]; then
		a5_ok "$m refused it (charters_refused=$n), still at version 1, nothing adopted"
	else
		a5_defer_fail "$m: charters_refused=$n version=$v (expected >=1 and 1)"
	fi
done
grep -h 'charter update refused' "${A5C_DIR[m2]}/daemon.log" | head -n 1 | a5_indent

a5_step "m4 starts with version 2 in hand; its reports are refused by the others (unknown key)"
a5c_start_daemon m4
a5c_cli m4 ban 203.0.113.50 >/dev/null || a5_fail "ban at m4"
a5c_wait_banned m4 203.0.113.50 5 || a5_fail "m4 did not ban 203.0.113.50 itself"
sleep 1
for m in m1 m2 m3; do
	a5c_banned "$m" 203.0.113.50 && a5_defer_fail "$m applied a report of m4, not yet admitted"
done
u=$(a5c_cli m1 status --json | jq -r '.coalition.unknown_key_envelopes')
[ "${u:-0}" -ge 1 ] && a5_ok "m1 refused m4's report (unknown_key_envelopes=$u)" ||
	a5_defer_fail "m1: unknown_key_envelopes=$u, expected >= 1"

a5_step "m2 signs too (2 of 2 required); charter submit publishes it; every daemon adopts version 2"
ch sign2 sign -c "$(a5c_conf m2)" "$A5_TMP/u2"
[ "$RC" = 0 ] || a5_fail "charter sign by m2: $(cat "$A5_TMP/sign2.out")"
t0=${EPOCHREALTIME/[.,]/}
submit submit2 m3 "$A5_TMP/u2"	# anyone may submit an adoptable update
[ "$RC" = 0 ] || a5_fail "charter submit: $(cat "$A5_TMP/submit2.out")"
a5_info "$(cat "$A5_TMP/submit2.out")"
for m in m1 m2 m3; do
	if wait_version "$m" 2 "$WAIT"; then
		t1=${EPOCHREALTIME/[.,]/}
		cmp -s "$(adopted_charter "$m")" "$A5_TMP/v2.txt" &&
			a5_ok "$m adopted version 2 ($(a5_ms $(( t1 - t0 ))) after submit) and wrote it to state/charter.adopted" ||
			a5_defer_fail "$m runs version 2 but state/charter.adopted is not the new text"
	else
		a5_defer_fail "$m did not adopt version 2 within ${WAIT}s (version $(st "$m" charter_version))"
	fi
done
grep -h 'charter version 2 adopted' "${A5C_DIR[m1]}/daemon.log" | head -n 1 | a5_indent

a5_step "m4, now a member: its reports are applied by all, and it applies theirs"
a5c_cli m4 ban 203.0.113.51 >/dev/null || a5_fail "ban at m4"
for m in m1 m2 m3; do
	a5c_wait_banned "$m" 203.0.113.51 "$WAIT" && a5_ok "$m applied m4's report 203.0.113.51" ||
		a5_defer_fail "$m did not apply m4's report 203.0.113.51"
done
a5c_cli m1 ban 203.0.113.52 >/dev/null || a5_fail "ban at m1"
a5c_wait_banned m4 203.0.113.52 "$WAIT" && a5_ok "m4 applied m1's report 203.0.113.52" ||
	a5_defer_fail "m4 did not apply m1's report 203.0.113.52"

a5_step "an update to version 3 revoking m4: version 2 has 4 voters, so 3 signatures are required"
ch propose3 propose --charter "$(adopted_charter m1)" "$A5_TMP/v3.txt" -o "$A5_TMP/u3"
[ "$RC" = 0 ] || a5_fail "charter propose v3: $(cat "$A5_TMP/propose3.out")"
for m in m1 m3; do
	ch "sign3$m" sign -c "$(a5c_conf "$m")" "$A5_TMP/u3"
	[ "$RC" = 0 ] || a5_fail "charter sign v3 by $m: $(cat "$A5_TMP/sign3$m.out")"
done
submit submit3a m2 "$A5_TMP/u3"
if [ "$RC" = 1 ] && grep -q '2 of 3 required signatures' "$A5_TMP/submit3a.out"; then
	a5_ok "signed by m1 and m3 only: not published (2 of 3 under version 2's threshold)"
else
	a5_defer_fail "charter submit v3 with 2 of 3: status $RC, $(cat "$A5_TMP/submit3a.out")"
fi
ch sign3m2 sign -c "$(a5c_conf m2)" "$A5_TMP/u3"
[ "$RC" = 0 ] || a5_fail "charter sign v3 by m2: $(cat "$A5_TMP/sign3m2.out")"
submit submit3 m2 "$A5_TMP/u3"
[ "$RC" = 0 ] || a5_fail "charter submit v3: $(cat "$A5_TMP/submit3.out")"
for m in m1 m2 m3; do
	wait_version "$m" 3 "$WAIT" && a5_ok "$m adopted version 3" ||
		a5_defer_fail "$m did not adopt version 3 (version $(st "$m" charter_version))"
done
for (( i = 0; i < WAIT * 10; i++ )); do
	grep -q 'revokes this member: leaving the coalition' "${A5C_DIR[m4]}/daemon.log" && break
	sleep 0.1
done
if grep -q 'revokes this member: leaving the coalition' "${A5C_DIR[m4]}/daemon.log" && a5c_daemon_alive m4 &&
	! a5c_cli m4 status --json | jq -e '.coalition' >/dev/null 2>&1; then
	a5_ok "m4's daemon left the coalition and keeps running alone"
else
	a5_defer_fail "m4's daemon did not leave the coalition cleanly: $(tail -n 3 "${A5C_DIR[m4]}/daemon.log")"
fi

a5_step "a new report signed with m4's revoked key is refused; its earlier ban stays"
forge report -k "$(a5c_key m4)" -S "$A5_TMP/m4.state" 203.0.113.53 >"$A5_TMP/forge.out" 2>&1 ||
	a5_fail "forge report: $(cat "$A5_TMP/forge.out")"
for m in m1 m2 m3; do
	r=0
	for (( i = 0; i < WAIT * 10; i++ )); do
		r=$(refused "$m" m4 revoked)
		[ "${r:-0}" -ge 1 ] && break
		sleep 0.1
	done
	if [ "${r:-0}" -ge 1 ] && ! a5c_banned "$m" 203.0.113.53; then
		a5_ok "$m refused it (revoked=$r)"
	else
		a5_defer_fail "$m: revoked=$r, 203.0.113.53 banned: $(a5c_banned "$m" 203.0.113.53 && echo yes || echo no)"
	fi
	a5c_banned "$m" 203.0.113.51 || a5_defer_fail "$m dropped the ban of m4's earlier report 203.0.113.51"
done

a5_step "the adoptions are in the tamper-evident journal, which verifies"
for m in m1 m2 m3; do
	n=$(sqlite3 "${A5C_DIR[$m]}/state/ledger.db" "SELECT count(*) FROM journal WHERE kind = 'charter'" 2>/dev/null)
	if a5c_cli "$m" verify >"$A5_TMP/verify.out" 2>&1 && { [ -z "$n" ] || [ "$n" = 2 ]; }; then
		a5_ok "$m: $(cat "$A5_TMP/verify.out")${n:+ ($n charter entries)}"
	else
		a5_defer_fail "$m: verify: $(cat "$A5_TMP/verify.out"); charter entries: ${n:-?} (expected 2)"
	fi
done

a5_step "m1 restarts: the adopted version 3 is in force, not the version 1 of its configured file"
a5c_stop_daemon m1
a5c_start_daemon m1
v=$(st m1 charter_version)
[ "$v" = 3 ] && a5_ok "m1 runs version 3 after its restart ($(grep -o 'charter version 3 in force[^)]*)' "${A5C_DIR[m1]}/daemon.log" | tail -n 1))" ||
	a5_defer_fail "m1 runs version $v after its restart (expected 3)"

for m in m1 m2 m3 m4; do
	a5c_daemon_alive "$m" || a5_defer_fail "the daemon of $m died"
	if grep -Eq 'AddressSanitizer|runtime error:|LeakSanitizer' "${A5C_DIR[$m]}/daemon.log"; then
		a5_defer_fail "sanitizer report in the daemon log of $m"
	fi
done
a5_finish governance-stream
