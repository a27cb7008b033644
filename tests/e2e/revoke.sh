#!/bin/sh
# shellcheck shell=bash disable=SC2119
# revoke.sh - end to end: an unban at the origin of a coalition ban reaches
# the other member as a signed revocation (docs/protocol.md "Revocations").
# A nats-server runs in a hub namespace; members m1 and m2 each run the
# article5 daemon in a namespace of their own (tests/e2e/lib.sh,
# "coalition"); bans are made with the CLI, no sshd needed. The test checks:
#   - m1 bans an attacker; m2 enforces it (its coalition set cban4 in its
#     namespace holds it); m1 unbans it -> m2's set no longer holds it
#     within 5 s (time printed), m2's ledger lists it no more, and m2
#     counts m1's revocation as accepted;
#   - m2's own ban of an address survives m1's revocation of the same
#     address: the coalition's element goes, m2's local element stays;
#   - an operator ban at m1 that the members would refuse (m2's address, a
#     private range) is enforced or refused at m1 by its own policy but
#     never published, and the ban command's reply says why;
#   - a flush at m1 lifts its bans there, publishes nothing, and its answer
#     says the bans it published stay at the others (m2 still holds one);
#   - every daemon exits 0 on SIGTERM, with no sanitizer report.
# Exit: 0 pass, 1 fail (with the daemons' log tails), 77 skip.
# Environment: ARTICLE5=path/to/binary, A5_KEEP=1 keeps all logs,
#              A5_KEEP_ON_FAIL=1, NO_COLOR=1.

if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || { echo "skip: bash is not installed"; exit 77; }
	exec bash "$0" "$@"
fi
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

REVOKE_MAX_MS=5000	# m1's unban -> element gone from m2's coalition set
ATK=${A5C_ATK_IPS[0]}	# banned at m1, then unbanned there
ATK2=${A5C_ATK_IPS[1]}	# banned at m1 and by m2 itself, then unbanned at m1

a5c_check_prereqs
a5c_init a5rv m1 m2

a5_step "setup: hub $A5C_NS_HUB (nats-server $A5C_NATS_URL), members m1 m2"
a5c_topology
a5c_start_nats
for m in m1 m2; do a5c_keygen "$m"; done
a5c_write_charter
for m in m1 m2; do a5c_write_config "$m"; done
for m in m1 m2; do a5c_start_daemon "$m"; done
a5_ok "daemons ${A5C_DPID[m1]} ${A5C_DPID[m2]} connected to NATS"

# in_set NAME SET ADDR: the element is in that one set of NAME's namespace
in_set() {
	ip netns exec "${A5C_NS[$1]}" nft get element inet article5 "$2" "{ $3 }" >/dev/null 2>&1
}
# wait_set NAME SET ADDR SECONDS present|absent: polls every 20 ms
wait_set() {
	local deadline=$(( ${EPOCHREALTIME/[.,]/} + $4 * 1000000 ))
	while (( ${EPOCHREALTIME/[.,]/} < deadline )); do
		if in_set "$1" "$2" "$3"; then [ "$5" = present ] && return 0
		else [ "$5" = absent ] && return 0; fi
		sleep 0.02
	done
	return 1
}
# m1's own chain head: moves with each report or revocation it signs (not
# with commitments, which the stream's "published" count includes)
published() { a5c_cli m1 status --json | jq -r '.coalition.chain_seq'; }

a5_step "m1 bans $ATK; m2 enforces it in its coalition set"
a5c_cli m1 ban "$ATK" >"$A5_TMP/cli.out" 2>&1 || a5_fail "ban $ATK at m1: $(cat "$A5_TMP/cli.out")"
wait_set m1 ban4 "$ATK" 5 present || a5_fail "$ATK not in m1's local set"
wait_set m2 cban4 "$ATK" 5 present || a5_fail "$ATK banned at m1 but not in m2's coalition set within 5 s"
in_set m2 ban4 "$ATK" && a5_fail "$ATK in m2's local set: m2 never banned it itself"
[ "$(a5c_ban_origin m2 "$ATK")" = m1 ] || a5_fail "m2: origin of $ATK is not m1"
a5_ok "$ATK: m1's local set, m2's coalition set (origin m1)"

a5_step "m1 unbans $ATK: its revocation lifts it at m2"
acc0=$(a5c_member_field m2 m1 '.accepted')
t0=${EPOCHREALTIME/[.,]/}
a5c_cli m1 unban "$ATK" >"$A5_TMP/cli.out" 2>&1 || a5_fail "unban $ATK at m1: $(cat "$A5_TMP/cli.out")"
wait_set m2 cban4 "$ATK" 10 absent || a5_fail "$ATK still in m2's coalition set 10 s after m1 unbanned it"
t1=${EPOCHREALTIME/[.,]/}
lat=$(( t1 - t0 ))
(( lat < REVOKE_MAX_MS * 1000 )) || a5_fail "the revocation took $(a5_ms "$lat") (limit $REVOKE_MAX_MS ms)"
a5c_banned m1 "$ATK" && a5_fail "$ATK still banned at m1 after its unban"
a5c_banned m2 "$ATK" && a5_fail "$ATK still banned at m2 (some set) after m1's revocation"
[ -z "$(a5c_ban_origin m2 "$ATK")" ] || a5_fail "m2's ledger still lists $ATK after the revocation"
grep -q "m1 revoked its ban of $ATK" "${A5C_DIR[m2]}/daemon.log" ||
	a5_fail "m2's log has no line for m1's revocation of $ATK"
acc1=$(a5c_member_field m2 m1 '.accepted')
(( acc1 == acc0 + 1 )) || a5_fail "m2 counted $acc0 -> $acc1 accepted from m1, expected one more (the revocation)"
[ "$(a5c_member_field m2 m1 '[.refused[]] | add // 0')" = 0 ] || a5_fail "m2 refused something of m1"
a5_ok "$ATK gone from m2's set $(a5_ms "$lat") after m1's unban; m2 accepted the revocation"
grep "revok" "${A5C_DIR[m1]}/daemon.log" "${A5C_DIR[m2]}/daemon.log" | sed 's/^.*article5: //' | a5_indent

a5_step "m2's own ban survives m1's revocation: m1 bans $ATK2, m2 bans it too, m1 unbans it"
a5c_cli m1 ban "$ATK2" >"$A5_TMP/cli.out" 2>&1 || a5_fail "ban $ATK2 at m1: $(cat "$A5_TMP/cli.out")"
wait_set m2 cban4 "$ATK2" 5 present || a5_fail "$ATK2 not in m2's coalition set"
a5c_cli m2 ban "$ATK2" >"$A5_TMP/cli.out" 2>&1 || a5_fail "ban $ATK2 at m2: $(cat "$A5_TMP/cli.out")"
wait_set m2 ban4 "$ATK2" 5 present || a5_fail "$ATK2 not in m2's local set after m2's own ban"
a5c_cli m1 unban "$ATK2" >"$A5_TMP/cli.out" 2>&1 || a5_fail "unban $ATK2 at m1: $(cat "$A5_TMP/cli.out")"
wait_set m2 cban4 "$ATK2" 10 absent || a5_fail "$ATK2 still in m2's coalition set after m1's revocation"
in_set m2 ban4 "$ATK2" || a5_fail "m2's own ban of $ATK2 was lifted by m1's revocation"
[ "$(a5c_ban_origin m2 "$ATK2")" = local ] || a5_fail "m2's ledger: $ATK2 is not m2's own ban any more"
sleep 0.5
in_set m2 ban4 "$ATK2" || a5_fail "m2's own ban of $ATK2 went after m1's revocation"
a5_ok "m1's element for $ATK2 left m2's coalition set; m2's own ban of it stays (ledger: origin local)"

a5_step "an operator ban at m1 that the members would refuse is not published, and says why"
for pair in "${A5C_IP[m2]} member-prefix" "10.9.8.7 special-range"; do
	read -r addr why <<<"$pair"
	pub0=$(published)
	a5c_cli m1 ban "$addr" >"$A5_TMP/cli.out" 2>&1; rc=$?
	reply=$(cat "$A5_TMP/cli.out")
	a5_info "ban $addr at m1 -> exit $rc: $reply"
	if [ "$rc" = 0 ]; then
		grep -q "not published" <<<"$reply" || a5_fail "ban $addr at m1: the reply does not say it is not published: $reply"
		grep -q "$why" <<<"$reply" || a5_fail "ban $addr at m1: the reply does not give the reason $why: $reply"
		wait_set m1 ban4 "$addr" 5 present || a5_fail "$addr not enforced at m1 although the reply says banned"
		grep -q "ban of $addr kept local" "${A5C_DIR[m1]}/daemon.log" ||
			a5_fail "m1's log has no 'kept local' line for $addr"
	else
		in_set m1 ban4 "$addr" && a5_fail "ban $addr refused at m1 (exit $rc) but in its set"
	fi
	sleep 1
	[ "$(published)" = "$pub0" ] || a5_fail "m1 published something for its ban of $addr"
	a5c_banned m2 "$addr" && a5_fail "$addr banned at m2"
done
a5_ok "neither was published; m2 holds neither"

a5_step "members on m2 shows when m1 was last seen"
a5c_cli m2 members | a5_indent
seen=$(a5c_cli m2 members | awk '$1 == "m1" { print $3 }')
if [ -z "$seen" ] || [ "$seen" = never ]; then a5_fail "members on m2 says m1 was last seen '$seen'"; fi
a5_ok "m2 saw m1: $seen"

a5_step "a flush at m1 lifts its bans there, revokes nothing, and says so"
ATK3=${A5C_ATK_IPS[2]}
a5c_cli m1 ban "$ATK3" >"$A5_TMP/cli.out" 2>&1 || a5_fail "ban $ATK3 at m1: $(cat "$A5_TMP/cli.out")"
wait_set m2 cban4 "$ATK3" 5 present || a5_fail "$ATK3 banned at m1 but not in m2's coalition set"
pub0=$(published)
a5c_cli m1 flush >"$A5_TMP/cli.out" 2>&1 || a5_fail "flush at m1: $(cat "$A5_TMP/cli.out")"
a5_info "flush at m1: $(cat "$A5_TMP/cli.out")"
grep -q "stay at the other members" "$A5_TMP/cli.out" ||
	a5_fail "the flush answer does not say the published bans stay at the others"
in_set m1 ban4 "$ATK3" && a5_fail "$ATK3 still in m1's set after the flush"
sleep 1
[ "$(published)" = "$pub0" ] || a5_fail "m1's flush published something (its chain moved)"
in_set m2 cban4 "$ATK3" || a5_fail "$ATK3 left m2's coalition set after m1's flush (no revocation was sent)"
a5_ok "m1 flushed, published nothing; m2 still holds $ATK3, as the answer says"

a5_step "stop every daemon (SIGTERM)"
for m in m1 m2; do
	a5c_daemon_alive "$m" || a5_fail "the daemon of $m died during the test"
	a5c_stop_daemon "$m" 10
	if [ "$A5C_RC" = 0 ]; then
		a5_ok "$m exited with status 0"
	else
		a5_defer_fail "$m: exit status $A5C_RC after SIGTERM (expected 0 within 10 s)"
	fi
	if grep -Eq 'AddressSanitizer|runtime error:|LeakSanitizer' "${A5C_DIR[$m]}/daemon.log"; then
		a5_fail "sanitizer report in the daemon log of $m"
	fi
done

echo "revoke: revocation m1 -> m2: $(a5_ms "$lat")"
[ "${#A5_DEFERRED[@]}" -eq 0 ] && echo "revoke: all checks passed"
a5_finish revoke
