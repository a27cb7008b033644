#!/bin/sh
# shellcheck shell=bash
# onboard.sh - end to end: a coalition formed with `article5 coalition
# init/invite/join/admit` (docs/operating.md), no hand-written charter or
# NATS configuration. In test-created namespaces (tests/e2e/lib.sh,
# "coalition"): m1 runs `coalition init`; the nats-server of the hub runs
# the configuration init wrote (JetStream on, one nkey user per member and
# the administrator's); `coalition streams` creates the streams with the
# administrator's key; m1's daemon starts (its own NATS user may not create
# them); m1 invites m2 (a token), m2 joins with it (charter
# fetched and checked against the token's hash), m1 admits m2 (a signed
# charter update, adopted by m1's running daemon), m2 waits for it and
# starts its daemon. Then an attacker guessing passwords at m1's sshd is
# banned at m1 and, through the coalition, in m2's nftables set; m1 unbans
# it and its signed revocation lifts the ban at m2; and the
# server logged no permission violation (the generated permissions are
# enough) while a hand-made login with the used invitation is refused.
# Exit: 0 pass, 1 fail, 77 skip. Environment: as coalition.sh.

if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || { echo "skip: bash is not installed"; exit 77; }
	exec bash "$0" "$@"
fi
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

a5c_check_prereqs sshd
a5c_init a5ob m1 m2
ATK=$A5C_ATK_IP

# the member's configuration without coalition lines: init/join add them
write_base_config() {
	local m=$1
	mkdir -p "${A5C_DIR[$m]}/state"
	: >>"${A5C_DIR[$m]}/auth.log"
	cat >"$(a5c_conf "$m")" <<-EOF2
	# article5 e2e configuration of $m (generated; coalition lines by article5 coalition)
	mode enforce
	state_dir ${A5C_DIR[$m]}/state
	rules_dir $A5_ROOT/etc/rules
	rules_local none
	control_socket ${A5C_DIR[$m]}/control.sock
	source file ${A5C_DIR[$m]}/auth.log
	maxretry 3
	service sshd maxretry 3 findtime 10m bantime 1h
	EOF2
}
coal() { # NAME ARGS...: article5 coalition ... inside the member's namespace
	local m=$1
	shift
	timeout 30 ip netns exec "${A5C_NS[$m]}" "$A5_BIN" coalition "$@"
}

a5_step "setup: hub $A5C_NS_HUB, members m1 m2, attacker $ATK"
a5c_topology
a5_add_user
for m in m1 m2; do write_base_config "$m"; a5c_start_sshd "$m"; done
a5_ok "namespaces, sshd on ${A5C_IP[m1]} and ${A5C_IP[m2]}"

D1=${A5C_DIR[m1]}/coal D2=${A5C_DIR[m2]}/coal
a5_step "m1: article5 coalition init e2e"
"$A5_BIN" coalition init e2e --nats "$A5C_NATS_URL" --listen "$A5C_HUB_IP:$A5C_NATS_PORT" \
	--member m1 --prefix "${A5C_IP[m1]}/32" --dir "$D1" -c "$(a5c_conf m1)" \
	>"$A5_TMP/init.out" 2>&1 || a5_fail "coalition init: $(cat "$A5_TMP/init.out")"
for f in coalition.charter member.key nats.nkey nats/nats-server.conf nats/users.conf; do
	[ -s "$D1/$f" ] || a5_fail "init did not write $D1/$f"
done
[ "$(stat -c %a "$D1/nats.nkey")" = 600 ] || a5_fail "nats.nkey is not 0600"
grep -q 'jetstream' "$D1/nats/nats-server.conf" || a5_fail "no jetstream block in nats-server.conf"
a5c_cli m1 check-config -n >/dev/null 2>&1 || a5_fail "check-config refuses m1's configuration: $(a5c_cli m1 check-config -n 2>&1)"
a5_indent <"$D1/coalition.charter"
a5_ok "charter, keys, nats-server configuration and config lines written"

a5_step "the hub runs nats-server with the generated configuration"
ip netns exec "$A5C_NS_HUB" nats-server -c "$D1/nats/nats-server.conf" </dev/null >>"$A5_TMP/nats.log" 2>&1 &
A5C_NATS_PID=$!
A5_PIDS+=("$A5C_NATS_PID")
for (( i = 0; i < 100; i++ )); do
	grep -q 'Server is ready' "$A5_TMP/nats.log" && a5_tcp "$A5C_NS_HUB" "$A5C_HUB_IP" "$A5C_NATS_PORT" 1 && break
	kill -0 "$A5C_NATS_PID" 2>/dev/null || a5_fail "nats-server exited: $(tail -n 5 "$A5_TMP/nats.log")"
	sleep 0.1
done
grep -q 'Starting JetStream' "$A5_TMP/nats.log" || a5_fail "JetStream is not on: $(tail -n 5 "$A5_TMP/nats.log")"
a5_ok "nats-server pid $A5C_NATS_PID, JetStream on"

a5_step "the coalition's administrator creates the streams (article5 coalition streams)"
[ "$(stat -c %a "$D1/admin.nkey")" = 600 ] || a5_fail "admin.nkey is not 0600"
coal m1 streams -c "$(a5c_conf m1)" --dir "$D1" >"$A5_TMP/streams.out" 2>&1 ||
	a5_fail "coalition streams: $(cat "$A5_TMP/streams.out")"
a5_indent <"$A5_TMP/streams.out"
a5_ok "A5_e2e and A5J_e2e created with $D1/admin.nkey"

a5_step "m1's daemon connects with its nkey"
a5c_start_daemon m1
a5c_monitor_start m1
a5_ok "m1 connected"

a5_step "m1 invites m2; m2 joins with the token"
coal m1 invite -c "$(a5c_conf m1)" --dir "$D1" --name m2 >"$A5_TMP/token" 2>"$A5_TMP/invite.err" ||
	a5_fail "invite: $(cat "$A5_TMP/invite.err")"
TOKEN=$(cat "$A5_TMP/token")
[[ $TOKEN == a5join1:* ]] || a5_fail "invite printed no token: $TOKEN"
a5_info "token: ${TOKEN:0:40}... (${#TOKEN} characters)"
# a token whose hash was altered must be refused (the charter does not match)
BAD=$(printf '%s' "$TOKEN" | sed 's/^\(a5join1:.\{30\}\)./\1A/')
[ "$BAD" = "$TOKEN" ] && BAD=$(printf '%s' "$TOKEN" | sed 's/^\(a5join1:.\{30\}\)./\1B/')
if coal m2 join "$BAD" --dir "$A5_TMP/bad" >"$A5_TMP/bad.out" 2>&1; then
	a5_fail "join accepted a damaged token: $(cat "$A5_TMP/bad.out")"
fi
a5_info "damaged token refused: $(tail -n 1 "$A5_TMP/bad.out")"
coal m2 join "$TOKEN" --dir "$D2" --prefix "${A5C_IP[m2]}/32" -c "$(a5c_conf m2)" >"$A5_TMP/join.out" 2>&1 ||
	a5_fail "join: $(cat "$A5_TMP/join.out")"
cmp -s "$D1/coalition.charter" "$D2/coalition.charter" || a5_fail "m2's charter differs from m1's"
a5_ok "m2 fetched the charter (hash checked), made its keys, asked to join"

a5_step "m1 admits m2 (signed charter update); m2 waits for it"
(cd "$A5_TMP" && coal m1 admit m2 -c "$(a5c_conf m1)" --dir "$D1") >"$A5_TMP/admit.out" 2>&1 ||
	a5_fail "admit: $(cat "$A5_TMP/admit.out")"
a5_indent <"$A5_TMP/admit.out"
coal m2 join "$TOKEN" --dir "$D2" --wait 10 >"$A5_TMP/join2.out" 2>&1 ||
	a5_fail "join --wait: $(cat "$A5_TMP/join2.out")"
grep -q "^member m2 " "$D2/coalition.charter" || a5_fail "m2's charter does not name m2"
for (( i = 0; i < 50; i++ )); do
	[ "$(a5c_cli m1 status --json 2>/dev/null | jq -r '.coalition.charter_version')" = 2 ] && break
	sleep 0.1
done
[ "$(a5c_cli m1 status --json | jq -r '.coalition.charter_version')" = 2 ] ||
	a5_fail "m1's daemon did not adopt charter version 2"
a5_ok "m2 holds charter version 2; m1's running daemon adopted it"
if timeout 10 ip netns exec "${A5C_NS[m2]}" "$A5_BIN" coalition join "$TOKEN" --dir "$A5_TMP/again" >"$A5_TMP/again.out" 2>&1; then
	a5_fail "the used invitation still logs in: $(cat "$A5_TMP/again.out")"
fi
a5_ok "the used invitation no longer logs in"

a5_step "m2's daemon starts; an attack on m1 is banned at m2"
a5c_start_daemon m2
a5c_monitor_start m2
for n in 1 2 3; do
	a5_ssh "$A5C_NS_ATK" "$A5_USER" "wrong-$n" "${A5C_IP[m1]}" >/dev/null 2>&1
done
a5c_wait_banned m1 "$ATK" 10 || a5_fail "$ATK not banned at m1"
a5c_wait_banned m2 "$ATK" 5 || a5_fail "$ATK banned at m1 but not in m2's set within 5 s"
[ "$(a5c_ban_origin m2 "$ATK")" = m1 ] || a5_fail "m2: origin of $ATK is not m1"
a5_ok "$ATK banned at m1 and, origin m1, at m2"

a5_step "m1 unbans $ATK: its signed revocation lifts the ban at m2"
t0=${EPOCHREALTIME/[.,]/}
a5c_cli m1 unban "$ATK" >"$A5_TMP/unban.out" 2>&1 || a5_fail "unban $ATK at m1: $(cat "$A5_TMP/unban.out")"
for (( i = 0; i < 250; i++ )); do
	a5c_banned m2 "$ATK" || break
	sleep 0.02
done
t1=${EPOCHREALTIME/[.,]/}
a5c_banned m2 "$ATK" && a5_fail "$ATK still banned at m2 5 s after m1 unbanned it"
a5c_banned m1 "$ATK" && a5_fail "$ATK still banned at m1 after its unban"
[ -z "$(a5c_ban_origin m2 "$ATK")" ] || a5_fail "m2's ledger still lists $ATK after m1's revocation"
grep -q "m1 revoked its ban of $ATK" "${A5C_DIR[m2]}/daemon.log" ||
	a5_fail "m2's log has no line for m1's revocation of $ATK"
a5_ok "$ATK lifted at m2 $(a5_ms $(( t1 - t0 ))) after m1's unban (revocation accepted)"

a5_step "the generated permissions were enough"
# nats-server 2.9 logs "Publish Violation" / "Subscription Violation" (the
# client is told "Permissions Violation for ...")
if grep -Eq 'Permissions Violation|(Publish|Subscription) Violation' "$A5_TMP/nats.log"; then
	grep -E 'Permissions Violation|(Publish|Subscription) Violation' "$A5_TMP/nats.log" | head -n 5 | a5_indent
	a5_fail "nats-server logged permission violations"
fi
a5_ok "no permission violation in the nats-server log"
for m in m1 m2; do
	a5c_stop_daemon "$m" 10
	[ "$A5C_RC" = 0 ] || a5_defer_fail "$m's daemon: exit status $A5C_RC after SIGTERM"
done
a5_finish onboard
