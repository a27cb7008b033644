#!/bin/sh
# shellcheck shell=bash disable=SC2119
# coalition.sh - end to end: three coalition members share a ban over NATS
# JetStream. A nats-server runs in a hub namespace; members m1, m2, m3 each
# run a real sshd and the article5 daemon in a namespace of their own; an
# attacker and a legitimate client sit behind the hub (see tests/e2e/lib.sh,
# "coalition"). The attacker guesses passwords at m1 only. The test checks:
#   - m1 bans it; m2 and m3 ban it too, each within 2 s of the failure line
#     that crossed the threshold at m1 (latencies printed, measured with
#     `nft monitor` in each namespace);
#   - the attacker's TCP connections to m2 and m3 are dropped although they
#     never saw an attack; the legitimate client still logs in everywhere;
#   - `bans --json` on m2 says origin "m1"; `members --json` on m2 counts
#     m1's report as accepted;
#   - an offline member catches up: m3 stopped (SIGTERM), a ban at m1, m3
#     restarted -> it applies the ban from its durable consumer;
#   - no loss on a crash: m2 is frozen (SIGSTOP), m1 publishes a ban that
#     the server delivers to m2's socket, m2 is killed with SIGKILL and
#     restarted -> the un-acked report is redelivered (after JetStream's
#     ack wait, 5 s) and applied;
#   - NATS outage: nats-server stops; m1 bans (locally), m3 restarts and
#     runs alone, bans locally; nats-server comes back -> both outboxes are
#     published and every member catches up;
#   - SIGHUP (reload) leaves a member running and connected;
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

PROPAGATION_MAX_MS=2000	# m1's failure line -> element in m2's / m3's kernel set
ATK=$A5C_ATK_IP		# brute-forces m1
ATK2=${A5C_ATK_IPS[1]}	# banned at m1 while m3 is offline
ATK3=${A5C_ATK_IPS[2]}	# banned at m1 while m2 is frozen, then killed

a5c_check_prereqs sshd
a5c_init a5co m1 m2 m3

a5_step "setup: hub $A5C_NS_HUB (nats-server $A5C_NATS_URL), members m1 m2 m3, attacker $ATK, client $A5C_CLI_IP"
a5c_topology
a5c_start_nats
for m in m1 m2 m3; do a5c_keygen "$m"; done
a5c_write_charter
for m in m1 m2 m3; do a5c_write_config "$m"; done
a5_add_user
for m in m1 m2 m3; do a5c_start_sshd "$m"; done
a5_ok "nats-server pid $A5C_NATS_PID; sshd on ${A5C_IP[m1]} ${A5C_IP[m2]} ${A5C_IP[m3]}; user $A5_USER"
a5_indent <"$A5C_CHARTER"

a5_step "before article5: the client logs in to all three, the attacker reaches port 22 of all three"
for m in m1 m2 m3; do
	a5_ssh "$A5C_NS_CLI" "$A5_USER" "$A5_PASS" "${A5C_IP[$m]}" 'echo login-ok' >"$A5_TMP/ssh.out" 2>&1 ||
		a5_fail "client login to $m before the daemons run failed (rc=$?): $(cat "$A5_TMP/ssh.out")"
	a5_tcp "$A5C_NS_ATK" "${A5C_IP[$m]}" 22 3 || a5_fail "attacker cannot reach $m:22 before any ban"
done
a5_ok "routing works both ways"

a5_step "start the three daemons"
for m in m1 m2 m3; do
	a5c_start_daemon "$m"
	a5c_monitor_start "$m"
done
sleep 0.3
a5_ok "daemons ${A5C_DPID[m1]} ${A5C_DPID[m2]} ${A5C_DPID[m3]} connected to NATS; nft monitor runs in each namespace"
a5c_cli m2 members | a5_indent

attempt() { # n: one wrong password for the real user at m1; prints ssh's status
	a5_ssh "$A5C_NS_ATK" "$A5_USER" "wrong-$1" "${A5C_IP[m1]}" >/dev/null 2>>"$A5_TMP/ssh-attacker.err"
	echo $?
}

a5_step "the attacker fails 2 password logins at m1 (below maxretry 3)"
for n in 1 2; do
	rc=$(attempt "$n")
	[ "$rc" -eq 5 ] || a5_fail "attempt $n: expected 'wrong password' (sshpass 5), got $rc"
	a5_info "attempt $n: $A5_USER@${A5C_IP[m1]} -> permission denied"
done
sleep 1
for m in m1 m2 m3; do
	a5c_banned "$m" "$ATK" && a5_fail "$ATK banned at $m after 2 failures"
done
a5_ok "nobody bans it yet"

a5_step "attempt 3 crosses the threshold at m1"
rc=$(attempt 3)
[ "$rc" -eq 5 ] || [ "$rc" -eq 255 ] || a5_fail "attempt 3: expected sshpass 5 or 255, got $rc"
a5c_wait_banned m1 "$ATK" 10 || a5_fail "$ATK not banned at m1 within 10 s of its 3rd failure"
for m in m2 m3; do
	a5c_wait_banned "$m" "$ATK" 5 || a5_fail "$ATK banned at m1 but not at $m within 5 s"
done
re_add="add element inet article5 c?ban4 .*${ATK}[ ,}]"
declare -A t_ban=()
for m in m1 m2 m3; do
	t_ban[$m]=$(a5c_wait_monitor "$m" "$re_add" 2) || a5_fail "nft monitor of $m saw no element for $ATK"
done
t_line=$(a5c_line_time_before m1 "Failed password .* from $ATK port" "${t_ban[m1]}")
[ -n "$t_line" ] || a5_fail "no 'Failed password' line from $ATK before m1's ban in m1's auth.timing"
a5_ok "$ATK banned at m1, m2 and m3 (times: m1's 3rd failure line -> element in the member's kernel set)"
for m in m1 m2 m3; do
	lat=$(( t_ban[$m] - t_line ))
	if [ "$m" = m1 ]; then
		a5_info "$m (detected it):  $(a5_ms "$lat")"
	else
		a5_info "$m (via coalition): $(a5_ms "$lat")   (m1's kernel -> $m's kernel: $(a5_ms $(( t_ban[$m] - t_ban[m1] ))))"
		(( lat < PROPAGATION_MAX_MS * 1000 )) ||
			a5_fail "$m banned $ATK $(a5_ms "$lat") after m1's failure line (limit ${PROPAGATION_MAX_MS} ms)"
	fi
	echo "latency $m $lat" >>"$A5_TMP/latencies"
done
for m in m2 m3; do
	grep -q "$ATK" "${A5C_DIR[$m]}/auth.log" &&
		a5_info "(note: $m's sshd logged $ATK only for the reachability probe before the daemons ran)"
done

a5_step "the attacker's TCP connections to m2 and m3 are dropped (they never saw an attack); m1 drops it too"
for m in m1 m2 m3; do
	a5_tcp "$A5C_NS_ATK" "${A5C_IP[$m]}" 22 2 && a5_fail "attacker can still open a TCP connection to $m:22"
done
a5_ok "TCP connect from $ATK to m1, m2 and m3 times out"
a5_ssh "$A5C_NS_ATK" "$A5_USER" "$A5_PASS" "${A5C_IP[m2]}" >/dev/null 2>&1; rc=$?
[ "$rc" -eq 0 ] && a5_fail "banned attacker logged in to m2 with the right password"
a5_ok "even the right password does not get it into m2 (ssh status $rc)"

a5_step "the legitimate client still logs in to all three"
for m in m1 m2 m3; do
	a5_ssh "$A5C_NS_CLI" "$A5_USER" "$A5_PASS" "${A5C_IP[$m]}" 'echo login-ok' >"$A5_TMP/ssh.out" 2>&1 ||
		a5_fail "client login to $m failed while the attacker is banned (rc=$?): $(cat "$A5_TMP/ssh.out")"
	a5c_banned "$m" "$A5C_CLI_IP" && a5_fail "client $A5C_CLI_IP banned at $m"
done
a5_ok "client $A5C_CLI_IP logs in to m1, m2, m3 and is in no set"

a5_step "m2's view: article5 bans / members"
a5c_cli m2 bans --json >"$A5_TMP/bans-m2.json" 2>"$A5_TMP/cli.err" || a5_fail "bans --json on m2: $(cat "$A5_TMP/cli.err")"
jq -e . "$A5_TMP/bans-m2.json" >/dev/null 2>&1 || a5_fail "bans --json on m2: not JSON: $(head -c 300 "$A5_TMP/bans-m2.json")"
origin=$(a5c_ban_origin m2 "$ATK")
[ "$origin" = m1 ] || a5_fail "bans --json on m2: origin of $ATK is '$origin', expected m1: $(cat "$A5_TMP/bans-m2.json")"
[ "$(a5c_ban_origin m1 "$ATK")" = local ] || a5_fail "bans --json on m1: origin of $ATK is not local"
a5c_cli m2 bans | a5_indent
a5_ok "m2: $ATK, origin m1 (m1: origin local)"
a5c_cli m2 members >"$A5_TMP/members.txt" 2>&1 || a5_fail "members on m2: $(cat "$A5_TMP/members.txt")"
a5_indent <"$A5_TMP/members.txt"
acc=$(a5c_member_field m2 m1 '.accepted')
if ! [[ $acc =~ ^[0-9]+$ ]] || (( acc < 1 )); then a5_fail "members --json on m2: m1 accepted '$acc', expected >= 1"; fi
grep -Eq '^m1 +member ' "$A5_TMP/members.txt" || a5_fail "members on m2 does not list m1"
[ "$(a5c_member_field m2 m1 '[.refused[]] | add // 0')" = 0 ] || a5_fail "m2 refused reports from m1"
a5_ok "m2 lists m1 with $acc accepted report(s), none refused"

a5_step "decisions, not raw reports: m2 bans $ATK by hand for 5 s, shorter than m1's ban it holds"
pub0=$(a5c_cli m2 status --json | jq -r '.coalition.chain_seq')
a5c_cli m2 ban "$ATK" --for 5s >"$A5_TMP/cli.out" 2>&1 || a5_fail "ban $ATK at m2: $(cat "$A5_TMP/cli.out")"
sleep 0.5
st=$(a5c_cli m2 status --json)
[ "$(jq -r '.coalition.chain_seq' <<<"$st")" = "$pub0" ] ||
	a5_fail "m2 signed a report of $ATK, which the coalition already bans (chain $pub0 -> $(jq -r '.coalition.chain_seq' <<<"$st"))"
[ "$(jq -r '.coalition.corroborations_local' <<<"$st")" = 1 ] ||
	a5_fail "m2: corroborations_local is $(jq -r '.coalition.corroborations_local' <<<"$st"), expected 1"
[ "$(a5c_member_field m2 m2 '.corroborations')" = 1 ] || a5_fail "members --json on m2: no corroboration counted for m2"
a5_ok "m2 enforces it locally, counts a corroboration, publishes nothing (chain still at #$pub0)"

a5_step "an offline member catches up: m3 stops (SIGTERM), m1 bans $ATK2, m3 restarts"
a5c_stop_daemon m3 10
if [ "$A5C_RC" = 0 ]; then
	a5_ok "m3 stopped (exit 0)"
else
	a5_defer_fail "m3's daemon: exit status $A5C_RC after SIGTERM, expected 0 (no clean shutdown)"
fi
a5c_cli m1 ban "$ATK2" >"$A5_TMP/cli.out" 2>&1 || a5_fail "ban $ATK2 at m1: $(cat "$A5_TMP/cli.out")"
a5c_wait_banned m1 "$ATK2" 5 || a5_fail "$ATK2 not banned at m1"
a5c_wait_banned m2 "$ATK2" 5 || a5_fail "$ATK2 not propagated to m2 (online)"
a5c_banned m3 "$ATK2" && a5_fail "$ATK2 in m3's set while m3's daemon is down?"
a5_ok "$ATK2 banned at m1 and m2; m3 is down and does not have it"
t0=${EPOCHREALTIME/[.,]/}
a5c_start_daemon m3
a5c_wait_banned m3 "$ATK2" 10 || a5_fail "m3 did not get $ATK2 from the stream within 10 s of its restart"
t1=${EPOCHREALTIME/[.,]/}
[ "$(a5c_ban_origin m3 "$ATK2")" = m1 ] || a5_fail "m3: origin of $ATK2 is not m1"
a5c_banned m3 "$ATK" || a5_fail "m3 lost $ATK across its restart"
a5_ok "m3 applied $ATK2 (origin m1) $(a5_ms $(( t1 - t0 ))) after it was started; $ATK is still banned there"

a5_step "no loss on a crash: m2 frozen (SIGSTOP), m1 bans $ATK3, m2 killed (SIGKILL) before it could ack"
pub0=$(a5c_cli m1 status --json | jq -r '.coalition.published')
a5c_freeze_daemon m2 || a5_fail "SIGSTOP m2"
a5c_cli m1 ban "$ATK3" >"$A5_TMP/cli.out" 2>&1 || a5_fail "ban $ATK3 at m1: $(cat "$A5_TMP/cli.out")"
ok=0
for (( i = 0; i < 100; i++ )); do
	pub=$(a5c_cli m1 status --json | jq -r '.coalition.published')
	(( pub > pub0 )) && { ok=1; break; }
	sleep 0.05
done
[ "$ok" = 1 ] || a5_fail "m1 did not publish the ban of $ATK3 within 5 s"
a5c_wait_banned m3 "$ATK3" 5 || a5_fail "$ATK3 not propagated to m3"
sleep 0.3	# the server pushes the report to m2's (frozen) connection
a5c_kill9_daemon m2
a5_ok "m1 published it (m3 applied it); m2 received it on a frozen socket and was killed with SIGKILL"
a5c_banned m2 "$ATK3" && a5_info "(the kernel set of m2 already held $ATK3)"
t0=${EPOCHREALTIME/[.,]/}
a5c_start_daemon m2
a5c_wait_banned m2 "$ATK3" 45 ||
	a5_fail "m2 did not get $ATK3 within 45 s of its restart (report lost?)"
for (( i = 0; i < 100; i++ )); do
	[ "$(a5c_ban_origin m2 "$ATK3")" = m1 ] && break
	sleep 0.1
done
t1=${EPOCHREALTIME/[.,]/}
[ "$(a5c_ban_origin m2 "$ATK3")" = m1 ] || a5_fail "m2's ledger has no ban of $ATK3 from m1 after the restart"
for a in "$ATK" "$ATK2"; do
	a5c_banned m2 "$a" || a5_fail "m2 lost $a across the crash"
	[ "$(a5c_ban_origin m2 "$a")" = m1 ] || a5_fail "m2's ledger lost $a across the crash"
done
a5_ok "m2 has $ATK3 (origin m1) in its kernel set and ledger $(a5_ms $(( t1 - t0 ))) after the restart; earlier bans kept"
a5c_cli m2 members | a5_indent
[ "$(a5c_member_field m2 m1 '[.refused[]] | add // 0')" = 0 ] || a5_fail "m2 refused reports from m1 after the restart"

a5_step "a held batch lost in a crash: m2 applies a report, is killed (SIGKILL) before its ledger commits it, and gets it again"
# A turn that only took in envelopes keeps its ledger batch open up to a
# second (daemon.c, hold_batch; docs/ledger.md "Batches"): the kernel has
# the ban, the ledger file not yet. Read on disk after the kill, a prefix
# missing from cbans shows the crash hit a held batch; the restart must
# bring it back from the stream. A tick can commit first: then the next
# address is tried.
held=""
for k in 80 81 82 83 84 85; do
	a=203.0.113.$k
	a5c_cli m1 ban "$a" >"$A5_TMP/cli.out" 2>&1 || a5_fail "ban $a at m1: $(cat "$A5_TMP/cli.out")"
	a5c_wait_banned m2 "$a" 5 || a5_fail "$a not propagated to m2"
	a5c_kill9_daemon m2
	hex=$(printf '%%%02X%02X%02X%02X%%' 203 0 113 "$k")
	rows=$(sqlite3 "${A5C_DIR[m2]}/state/ledger.db" \
		"SELECT count(*) FROM cbans WHERE hex(addr) LIKE '$hex'" 2>&1) ||
		a5_fail "sqlite3 on m2's ledger: $rows"
	a5c_start_daemon m2
	if [ "$rows" = 0 ]; then
		held=$a
		break
	fi
	a5_info "$a was in m2's ledger file already when it was killed (its batch was committed first); next address"
done
[ -n "$held" ] || a5_fail "m2 never held a batch of received envelopes open (6 tries): hold_batch does nothing"
for (( i = 0; i < 150; i++ )); do
	[ "$(a5c_ban_origin m2 "$held")" = m1 ] && break
	sleep 0.1
done
[ "$(a5c_ban_origin m2 "$held")" = m1 ] ||
	a5_fail "m2's ledger has no ban of $held from m1 within 15 s of its restart (a held batch lost)"
a5c_banned m2 "$held" || a5_fail "m2's kernel set lost $held across the crash"
a5_ok "m2 was killed with $held in its kernel but not yet in its ledger file; after the restart the stream gave it back (origin m1)"

ATK4=203.0.113.70	# banned at m1 while NATS is down
ATK5=203.0.113.71	# banned at m3, which started while NATS was down
pollers=()
a5_step "NATS outage: nats-server stops; m1 bans $ATK4; m3 restarts and works alone, bans $ATK5"
a5c_stop_nats
a5c_stop_daemon m3 10
[ "$A5C_RC" = 0 ] || a5_info "(m3: exit status $A5C_RC after SIGTERM)"
a5c_cli m1 ban "$ATK4" >"$A5_TMP/cli.out" 2>&1 || a5_fail "ban $ATK4 at m1 during the outage: $(cat "$A5_TMP/cli.out")"
a5c_wait_banned m1 "$ATK4" 5 || a5_fail "m1 did not ban $ATK4 locally while NATS is down"
a5c_start_daemon m3 alone
a5c_banned m3 "$ATK" || a5_fail "m3 restarted alone lost $ATK"
a5c_cli m3 ban "$ATK5" >"$A5_TMP/cli.out" 2>&1 || a5_fail "ban $ATK5 at m3 while alone: $(cat "$A5_TMP/cli.out")"
a5c_wait_banned m3 "$ATK5" 5 || a5_fail "m3 (alone) did not ban $ATK5 locally"
a5c_cli m3 status | tail -n 1 | a5_indent
a5_ok "each member keeps shielding itself; m3 started without NATS"
a5_step "nats-server back (same JetStream store): the outboxes are published, everyone catches up"
t0=${EPOCHREALTIME/[.,]/}
a5c_start_nats
# one poller per (member, address): each records when the element appeared
for pair in "m2 $ATK4" "m3 $ATK4" "m1 $ATK5" "m2 $ATK5"; do
	read -r m a <<<"$pair"
	( a5c_wait_banned "$m" "$a" 30 && echo "${EPOCHREALTIME/[.,]/}" ) >"$A5_TMP/outage-$m-$a" &
	pollers+=("$!")
done
wait "${pollers[@]}"
for pair in "m2 $ATK4 m1" "m3 $ATK4 m1" "m1 $ATK5 m3" "m2 $ATK5 m3"; do
	read -r m a from <<<"$pair"
	t1=$(cat "$A5_TMP/outage-$m-$a")
	[ -n "$t1" ] || a5_fail "$m did not get $a (banned at $from during the outage) within 30 s of nats-server's restart"
	[ "$(a5c_ban_origin "$m" "$a")" = "$from" ] || a5_fail "$m: origin of $a is not $from"
	a5_info "$from's $a (banned during the outage) at $m: $(a5_ms $(( t1 - t0 ))) after nats-server restarted"
done
a5_ok "both outboxes were published; m1 and m2 reconnected, m3 made its first connection"
a5c_cli m3 status | tail -n 1 | a5_indent
for m in m1 m2 m3; do
	n=$(a5c_cli "$m" members --json | jq '[.[] | select(.self | not) | .refused[]] | add // 0')
	[ "$n" = 0 ] || a5_fail "$m refused $n report(s) of honest members after the outage"
done
a5_ok "no refusals anywhere"

a5_step "SIGHUP (reload) keeps a coalition member running and connected"
kill -HUP "${A5C_DPID[m1]}"
sleep 1
if a5c_daemon_alive m1 && a5c_cli m1 status --json 2>/dev/null | grep -q '"connected": true'; then
	a5_ok "m1 reloaded, still connected"
else
	wait "${A5C_DPID[m1]}" 2>/dev/null; rc=$?
	a5_defer_fail "m1's daemon died on SIGHUP (exit status $rc); restarting it"
	A5C_DPID[m1]=
	a5c_start_daemon m1
fi

a5_step "stop every daemon (SIGTERM)"
for m in m1 m2 m3; do
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

echo "coalition: propagation latencies: $(awk '{ printf "%s%s %d.%d ms", sep, $2, $3 / 1000, ($3 % 1000) / 100; sep = ", " }' "$A5_TMP/latencies")"
[ "${#A5_DEFERRED[@]}" -eq 0 ] && echo "coalition: all checks passed"
a5_finish coalition
