#!/bin/sh
# shellcheck shell=bash
# nats-perms.sh - end to end: least privilege on NATS (docs/operating.md,
# "Identities and permissions"). A coalition formed with `article5 coalition
# init/streams/invite/join/admit` in test-created namespaces (lib.sh,
# "coalition"); nats-server runs the configuration init wrote. Then, with
# tests/e2e/natsprobe.c (Debian 12 has no `nats` CLI) logging in with the
# members' own nkeys:
#   - before 'coalition streams', a member cannot create the stream, and
#     m1's daemon says who must (then connects once the administrator ran it);
#     a stream it would update (it may not) is used as it is, with a warning;
#   - member m2 CANNOT publish on m1's subject (nothing lands), purge,
#     delete or reconfigure the stream, create another stream, delete m1's
#     consumer or read through m1's durable;
#   - each member CAN publish on its own subject, and it is delivered to the
#     other member's durable;
#   - the same operations as the administrator succeed (so every "cannot"
#     above is a check that can fail: the probe sees success when allowed).
# Exit: 0 pass, 1 fail, 77 skip. Environment: as coalition.sh.

if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || { echo "skip: bash is not installed"; exit 77; }
	exec bash "$0" "$@"
fi
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

a5c_check_prereqs
command -v gcc >/dev/null 2>&1 || a5_skip "gcc is not installed (needed for the NATS probe)"
pkg-config --exists libnats libsodium 2>/dev/null || a5_skip "libnats or libsodium development files missing"
a5c_init a5np m1 m2

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
	EOF2
}
coal() { # NAME ARGS...: article5 coalition ... inside the member's namespace
	local m=$1
	shift
	timeout 30 ip netns exec "${A5C_NS[$m]}" "$A5_BIN" coalition "$@"
}
C=e2e
D1=${A5C_DIR[m1]}/coal D2=${A5C_DIR[m2]}/coal
# probe WHO ARGS...: natsprobe logged in as WHO (m1, m2: the member's
# nats.nkey; admin: the administrator's). Output in $A5_TMP/probe.out, exit
# status in PROBE_RC.
probe() {
	local who=$1 key
	shift
	case $who in
	m1) key=$D1/nats.nkey ;;
	m2) key=$D2/nats.nkey ;;
	admin) key=$D1/admin.nkey ;;
	esac
	timeout 20 ip netns exec "$A5C_NS_HUB" "$A5_TMP/natsprobe" -s "$A5C_NATS_URL" -c "$C" -N "$key" "$@" \
		>"$A5_TMP/probe.out" 2>&1
	PROBE_RC=$?
	a5_indent <"$A5_TMP/probe.out"
}
# refused WHO WHAT ARGS...: the probe as WHO must be refused by a permission
# violation (exit 3) doing ARGS.
refused() {
	local who=$1 what=$2
	shift 2
	probe "$who" "$@"
	[ "$PROBE_RC" = 3 ] || a5_fail "$who could $what (probe exit $PROBE_RC)"
	grep -q 'permission violation' "$A5_TMP/probe.out" ||
		a5_fail "$who: $what failed, but not for a permission violation"
}
field() { # NAME: value of NAME=... in the last probe output
	sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" "$A5_TMP/probe.out" | head -n 1
}

a5_step "setup: hub $A5C_NS_HUB, members m1 m2; the probe (tests/e2e/natsprobe.c)"
a5c_topology
for m in m1 m2; do write_base_config "$m"; done
gcc -std=gnu11 -O1 -D_GNU_SOURCE -I"$A5_ROOT/src" -o "$A5_TMP/natsprobe" "$A5_ROOT/tests/e2e/natsprobe.c" \
	"$A5_ROOT/src/coalition/nkey.c" $(pkg-config --cflags --libs libnats libsodium) >"$A5_TMP/gcc.out" 2>&1 ||
	a5_fail "building natsprobe: $(cat "$A5_TMP/gcc.out")"
a5_ok "namespaces, $A5_TMP/natsprobe"

a5_step "m1: article5 coalition init $C (writes the administrator key)"
"$A5_BIN" coalition init "$C" --nats "$A5C_NATS_URL" --listen "$A5C_HUB_IP:$A5C_NATS_PORT" \
	--member m1 --dir "$D1" -c "$(a5c_conf m1)" >"$A5_TMP/init.out" 2>&1 ||
	a5_fail "coalition init: $(cat "$A5_TMP/init.out")"
[ "$(stat -c %a "$D1/admin.nkey" 2>/dev/null)" = 600 ] || a5_fail "init wrote no 0600 $D1/admin.nkey"
grep -q '^admin U' "$D1/nats/users.list" || a5_fail "users.list names no administrator"
grep -q 'STREAM.CREATE' "$D1/nats/users.conf" && a5_fail "users.conf still lets someone name STREAM.CREATE"
grep -q 'coalition streams' "$A5_TMP/init.out" || a5_fail "init does not tell to run 'coalition streams'"
H1=$(awk '$1 == "member" && $2 == "m1" { print $3 }' "$D1/nats/users.list")
[ ${#H1} = 16 ] || a5_fail "no subject token for m1 in users.list"
a5_ok "admin.nkey 0600, users.conf: the administrator and m1 ($H1)"

a5_step "nats-server with the generated configuration"
ip netns exec "$A5C_NS_HUB" nats-server -c "$D1/nats/nats-server.conf" </dev/null >>"$A5_TMP/nats.log" 2>&1 &
A5C_NATS_PID=$!
A5_PIDS+=("$A5C_NATS_PID")
for (( i = 0; i < 100; i++ )); do
	grep -q 'Server is ready' "$A5_TMP/nats.log" && a5_tcp "$A5C_NS_HUB" "$A5C_HUB_IP" "$A5C_NATS_PORT" 1 && break
	kill -0 "$A5C_NATS_PID" 2>/dev/null || a5_fail "nats-server exited: $(tail -n 5 "$A5_TMP/nats.log")"
	sleep 0.1
done
grep -q 'Starting JetStream' "$A5_TMP/nats.log" || a5_fail "JetStream is not on: $(tail -n 5 "$A5_TMP/nats.log")"
a5_ok "nats-server pid $A5C_NATS_PID"

a5_step "before 'coalition streams': a member cannot create the stream; m1's daemon says who must"
refused m1 "create the coalition stream" create "A5_$C" "a5.$C.r.>"
probe admin info
[ "$PROBE_RC" = 4 ] || a5_fail "stream A5_$C exists after a member's create was refused (probe exit $PROBE_RC)"
a5c_start_daemon m1 alone
for (( i = 0; i < 100; i++ )); do
	grep -q "could not create it" "${A5C_DIR[m1]}/daemon.log" && break
	sleep 0.1
done
grep "could not create it" "${A5C_DIR[m1]}/daemon.log" | head -n 1 | a5_indent
grep -q "could not create it.*article5 coalition streams" "${A5C_DIR[m1]}/daemon.log" ||
	a5_fail "m1's daemon does not say that the administrator must create the stream"
a5_ok "refused; the daemon works alone and names 'article5 coalition streams'"

a5_step "the administrator creates the streams; m1's daemon connects without create or update rights"
coal m1 streams -c "$(a5c_conf m1)" --dir "$D1" >"$A5_TMP/streams.out" 2>&1 ||
	a5_fail "coalition streams: $(cat "$A5_TMP/streams.out")"
a5_indent <"$A5_TMP/streams.out"
probe admin info
[ "$PROBE_RC" = 0 ] || a5_fail "no stream A5_$C after 'coalition streams'"
MAXAGE=$(field max_age_s)
[ "$(field replicas)" = 1 ] || a5_fail "stream replicas $(field replicas), the charter asks 1"
# coalition_tick retries every 10 s
for (( i = 0; i < 250; i++ )); do
	a5c_cli m1 status --json 2>/dev/null | grep -q '"connected": true' && break
	sleep 0.1
done
a5c_cli m1 status --json 2>/dev/null | grep -q '"connected": true' || a5_fail "m1's daemon did not connect"
a5_ok "A5_$C (max age ${MAXAGE}s, replicas 1); m1's daemon connected"

a5_step "a stream that differs from what the daemon wants: used as it is"
# a 60 s duplicate window (the daemon wants 120 s): its update is refused
a5c_stop_daemon m1 10
probe admin dupwindow 60
[ "$PROBE_RC" = 0 ] || a5_fail "the administrator cannot change the duplicate window"
a5c_start_daemon m1
grep "could not update it" "${A5C_DIR[m1]}/daemon.log" | head -n 1 | a5_indent
grep -q "could not update it.*using it as it is" "${A5C_DIR[m1]}/daemon.log" ||
	a5_fail "m1's daemon did not say it uses the stream as it is"
probe admin dupwindow 120
[ "$PROBE_RC" = 0 ] || a5_fail "the administrator cannot restore the duplicate window"
a5_ok "m1's daemon connected to the stream as it was, and said so"

a5_step "m2 is invited, joins and is admitted"
coal m1 invite -c "$(a5c_conf m1)" --dir "$D1" --name m2 >"$A5_TMP/token" 2>"$A5_TMP/invite.err" ||
	a5_fail "invite: $(cat "$A5_TMP/invite.err")"
TOKEN=$(cat "$A5_TMP/token")
coal m2 join "$TOKEN" --dir "$D2" -c "$(a5c_conf m2)" >"$A5_TMP/join.out" 2>&1 ||
	a5_fail "join: $(cat "$A5_TMP/join.out")"
(cd "$A5_TMP" && coal m1 admit m2 -c "$(a5c_conf m1)" --dir "$D1") >"$A5_TMP/admit.out" 2>&1 ||
	a5_fail "admit: $(cat "$A5_TMP/admit.out")"
H2=$(awk '$1 == "member" && $2 == "m2" { print $3 }' "$D1/nats/users.list")
[ ${#H2} = 16 ] || a5_fail "no subject token for m2 in users.list"
a5_ok "m2 is a member ($H2)"

a5_step "each member publishes on its own subject; the other's durable gets it"
probe m1 pub "a5.$C.r.$H1" "hello-from-m1"
[ "$PROBE_RC" = 0 ] || a5_fail "m1 cannot publish on its own subject"
probe m2 pub "a5.$C.r.$H2" "hello-from-m2"
[ "$PROBE_RC" = 0 ] || a5_fail "m2 cannot publish on its own subject"
probe admin last "a5.$C.r.$H2"
[ "$(cat "$A5_TMP/probe.out")" = hello-from-m2 ] || a5_fail "m2's report is not in the stream"
probe m2 recv "a5-$H2" 1500
[ "$PROBE_RC" = 0 ] || a5_fail "m2 cannot read through its own durable"
grep -q "^received a5.$C.r.$H1 hello-from-m1\$" "$A5_TMP/probe.out" ||
	a5_fail "m1's report was not delivered to m2's durable"
# m1's daemon consumes its durable: m2's (junk, unsigned) message reached it
for (( i = 0; i < 50; i++ )); do
	probe admin cinfo "a5-$H1" >/dev/null
	[ "$PROBE_RC" = 0 ] && [ "$(field pending)" = 0 ] && break
	sleep 0.1
done
[ "$PROBE_RC" = 0 ] && [ "$(field pending)" = 0 ] || a5_fail "m1's daemon did not take m2's message from its durable"
a5_ok "stored, and delivered to the other member's durable"

a5_step "m2 cannot publish on m1's subject: nothing lands"
refused m2 "publish on m1's subject" pub "a5.$C.r.$H1" "forged-by-m2"
probe admin grep "forged-by-m2"
[ "$(field matches)" = 0 ] || a5_fail "m2's forgery is in the stream"
probe admin grep "hello-from-m1"
[ "$(field matches)" = 1 ] || a5_fail "the probe does not find m1's message in the stream"
a5_ok "refused; no message of the stream holds m2's forgery"

a5_step "m2 cannot purge, delete or reconfigure the stream, nor create another"
# m1's running daemon may add messages meanwhile (commitments): never fewer
probe admin info
MSGS=$(field msgs)
refused m2 "purge the stream" purge
refused m2 "delete the stream" delete
refused m2 "update the stream" update
refused m2 "create another stream" create "A5X_$C" "a5.$C.x.>"
probe admin info
[ "$PROBE_RC" = 0 ] || a5_fail "the stream is gone"
(( $(field msgs) >= MSGS )) || a5_fail "the stream holds $(field msgs) messages, $MSGS before"
[ "$(field max_age_s)" = "$MAXAGE" ] && [ "$(field max_msgs)" = -1 ] ||
	a5_fail "the stream's limits changed: $(cat "$A5_TMP/probe.out")"
probe admin grep "hello-from-m1"
[ "$(field matches)" = 1 ] || a5_fail "m1's message is gone"
a5_ok "refused; the stream is intact ($(field of) messages, max age ${MAXAGE}s)"

a5_step "m2 cannot delete m1's consumer nor read through it"
refused m2 "delete m1's consumer" delconsumer "a5-$H1"
refused m2 "use m1's durable" recv "a5-$H1" 500
probe admin cinfo "a5-$H1"
[ "$PROBE_RC" = 0 ] || a5_fail "m1's consumer is gone"
a5_ok "refused; m1's consumer is there"

a5_step "the server logged those violations under m2's nkey"
NK2=$(awk '$1 == "member" && $2 == "m2" { print $4 }' "$D1/nats/users.list")
grep -F "Violation - Nkey \"$NK2\"" "$A5_TMP/nats.log" | sed 's/.* - //' | a5_indent
for s in "a5.$C.r.$H1" "\$JS.API.STREAM.PURGE.A5_$C" "\$JS.API.STREAM.DELETE.A5_$C" \
	"\$JS.API.STREAM.UPDATE.A5_$C" "\$JS.API.CONSUMER.DELETE.A5_$C.a5-$H1"; do
	grep -qF "Publish Violation - Nkey \"$NK2\", Subject \"$s\"" "$A5_TMP/nats.log" ||
		a5_fail "no violation logged for m2 publishing on $s"
done
a5_ok "logged"

a5_step "controls: the same operations as the administrator succeed"
probe admin delconsumer "a5-$H2"
[ "$PROBE_RC" = 0 ] || a5_fail "the administrator cannot delete a consumer"
probe admin cinfo "a5-$H2"
[ "$PROBE_RC" = 4 ] || a5_fail "m2's consumer still exists after the administrator deleted it"
probe admin update
[ "$PROBE_RC" = 0 ] || a5_fail "the administrator cannot update the stream"
probe admin info
[ "$(field max_age_s)" = 1 ] || a5_fail "the administrator's update did not change the stream"
probe admin purge
[ "$PROBE_RC" = 0 ] || a5_fail "the administrator cannot purge the stream"
probe admin delete
[ "$PROBE_RC" = 0 ] || a5_fail "the administrator cannot delete the stream"
probe admin info
[ "$PROBE_RC" = 4 ] || a5_fail "the stream still exists after the administrator deleted it"
a5_ok "delete consumer, update, purge, delete: done, and seen done"

a5c_stop_daemon m1 10
[ "$A5C_RC" = 0 ] || a5_defer_fail "m1's daemon: exit status $A5C_RC after SIGTERM"
a5_finish nats-perms
