#!/bin/sh
# shellcheck shell=bash
# nats-perms.sh - end to end: least privilege on NATS (docs/operating.md,
# "Identities and permissions"). A coalition formed with `article5 coalition
# init/streams/invite/join/admit` in test-created namespaces (lib.sh,
# "coalition"); nats-server runs the configuration init wrote. Then, with
# tests/e2e/natsprobe.c (Debian 12 has no `nats` CLI) logging in with the
# members' own nkeys, each with its own inbox prefix _A5M.<hex> (as the
# transport does, src/coalition/transport.c):
#   - before 'coalition streams', a member cannot create the stream, and
#     m1's daemon says who must (then connects once the administrator ran it);
#     a stream it would update (it may not) is used as it is, with a warning;
#   - member m2 CAN publish on its own subject: m1 gets it on the fast path
#     (a core NATS subscription on a5.<c>.r.>) and m1's daemon takes it; m2
#     CAN read the stream through a libnats ordered consumer, from the start
#     or from a position;
#   - m1's daemon publishes its commitments on its commitment subject
#     a5.<c>.k.<m1> (core NATS), which m2 may read; m2 may publish on its own
#     commitment subject, not on m1's;
#   - m2 CANNOT publish on m1's subject (nothing lands, neither in the stream
#     nor on the fast path), purge, delete or reconfigure the stream, create
#     another stream, create a durable consumer by any of the three creation
#     subjects, list the consumers, subscribe to _INBOX.> or to m1's inbox
#     prefix (read m1's replies and ordered-consumer deliveries);
#   - the server logged each refusal as a permission violation under m2's
#     nkey, and nothing else of m2's (the allowed operations, flow control
#     and consumer deletion included, drew none);
#   - the same operations as the administrator (or as m1 on its own inbox)
#     succeed, so every "cannot" above is a check that can fail: the probe
#     sees success when allowed.
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
# nats.nkey and inbox prefix _A5M.<hex> once known; admin: the
# administrator's, default inbox). Output in $A5_TMP/probe.out, exit status
# in PROBE_RC.
probe_cmd() {
	local who=$1
	case $who in
	m1) echo "-N $D1/nats.nkey${H1:+ -I _A5M.$H1}" ;;
	m2) echo "-N $D2/nats.nkey${H2:+ -I _A5M.$H2}" ;;
	admin) echo "-N $D1/admin.nkey" ;;
	esac
}
probe() {
	local who=$1
	shift
	# shellcheck disable=SC2046
	timeout 20 ip netns exec "$A5C_NS_HUB" "$A5_TMP/natsprobe" -s "$A5C_NATS_URL" -c "$C" \
		$(probe_cmd "$who") "$@" >"$A5_TMP/probe.out" 2>&1
	PROBE_RC=$?
	a5_indent <"$A5_TMP/probe.out"
}
# probe_bg WHO OUT ARGS...: the probe in the background (a subscription),
# output in OUT; returns once it printed "ready" or ended. PROBE_PID.
probe_bg() {
	local who=$1 out=$2 i
	shift 2
	: >"$out"
	# shellcheck disable=SC2046
	timeout 20 ip netns exec "$A5C_NS_HUB" "$A5_TMP/natsprobe" -s "$A5C_NATS_URL" -c "$C" \
		$(probe_cmd "$who") "$@" >"$out" 2>&1 &
	PROBE_PID=$!
	A5_PIDS+=("$PROBE_PID")
	for (( i = 0; i < 50; i++ )); do
		grep -q '^ready$' "$out" && return 0
		kill -0 "$PROBE_PID" 2>/dev/null || return 0
		sleep 0.1
	done
}
# probe_wait: waits for the background probe; PROBE_RC, its output indented.
probe_wait() {
	local out=$1
	wait "$PROBE_PID"
	PROBE_RC=$?
	a5_indent <"$out"
}
# refused WHO WHAT VIOLATION ARGS...: the probe as WHO must be refused by a
# permission violation (exit 3) doing ARGS, the server's text being
# "Permissions Violation for VIOLATION" (e.g. Publish to "SUBJECT"): a
# refusal for another reason (a reply inbox it may not use) does not count.
refused() {
	local who=$1 what=$2 want=$3
	shift 3
	probe "$who" "$@"
	[ "$PROBE_RC" = 3 ] || a5_fail "$who could $what (probe exit $PROBE_RC)"
	grep -qF "Permissions Violation for $want" "$A5_TMP/probe.out" ||
		a5_fail "$who: $what failed, but not for a permission violation on $want"
	grep -F "Permissions Violation for" "$A5_TMP/probe.out" | grep -vqF "Permissions Violation for $want" &&
		a5_fail "$who: $what also drew another violation"
	return 0
}
field() { # NAME: value of NAME=... in the last probe output
	sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" "$A5_TMP/probe.out" | head -n 1
}
status_field() { # MEMBER NAME: a number from the daemon's status --json
	a5c_cli "$1" status --json 2>/dev/null | jq -r ".coalition.$2 // empty"
}
H1='' H2=''

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
refused m1 "create the coalition stream" "Publish to \"\$JS.API.STREAM.CREATE.A5_$C\"" \
	create "A5_$C" "a5.$C.r.>"
probe admin info
[ "$PROBE_RC" = 4 ] || a5_fail "stream A5_$C exists after a member's create was refused (probe exit $PROBE_RC)"
a5c_start_daemon m1 alone
# 25 s: libnats 3.4.1 now and then logs in without the nonce's signature
# (nats-server: "authentication error"); the daemon tries again 10 s later
for (( i = 0; i < 250; i++ )); do
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

a5_step "m2 publishes on its own subject: stored, on m1's fast path, taken by m1's daemon"
R0=$(status_field m1 received) I0=$(status_field m1 invalid_envelopes)
[ -n "$R0" ] && [ -n "$I0" ] || a5_fail "no coalition counters in m1's status"
probe_bg m1 "$A5_TMP/fast1.out" sub "a5.$C.r.>" 2500
grep -q '^ready$' "$A5_TMP/fast1.out" || a5_fail "m1 cannot subscribe to a5.$C.r.>: $(cat "$A5_TMP/fast1.out")"
probe m2 pub "a5.$C.r.$H2" "hello-from-m2"
[ "$PROBE_RC" = 0 ] || a5_fail "m2 cannot publish on its own subject"
SEQ2=$(field stream_seq)
probe_wait "$A5_TMP/fast1.out"
grep -q "^received a5.$C.r.$H2 hello-from-m2\$" "$A5_TMP/fast1.out" ||
	a5_fail "m2's report did not reach m1's core NATS subscription"
probe admin last "a5.$C.r.$H2"
[ "$(cat "$A5_TMP/probe.out")" = hello-from-m2 ] || a5_fail "m2's report is not in the stream"
# m1's daemon takes it (fast path or stream) and refuses it: it is not a
# signed envelope
for (( i = 0; i < 50; i++ )); do
	(( $(status_field m1 invalid_envelopes) > I0 )) && break
	sleep 0.1
done
R1=$(status_field m1 received) I1=$(status_field m1 invalid_envelopes)
(( R1 > R0 && I1 > I0 )) || a5_fail "m1's daemon did not take m2's message (received $R0 -> $R1, invalid $I0 -> $I1)"
a5_ok "stored (#$SEQ2), delivered to m1's subscription; m1's daemon: received $R0 -> $R1, unverifiable $I0 -> $I1"

a5_step "m2 reads the stream through an ordered consumer, from the start and from a position"
probe m1 pub "a5.$C.r.$H1" "hello-from-m1"
[ "$PROBE_RC" = 0 ] || a5_fail "m1 cannot publish on its own subject"
SEQ1=$(field stream_seq)
probe m2 ordered 1500
[ "$PROBE_RC" = 0 ] || a5_fail "m2 cannot read the stream through an ordered consumer"
grep -q "^received a5.$C.r.$H2 hello-from-m2\$" "$A5_TMP/probe.out" &&
	grep -q "^received a5.$C.r.$H1 hello-from-m1\$" "$A5_TMP/probe.out" ||
	a5_fail "m2's ordered consumer did not deliver both reports"
probe m2 ordered 1500 "$SEQ1"
[ "$PROBE_RC" = 0 ] && grep -q "^received a5.$C.r.$H1 hello-from-m1\$" "$A5_TMP/probe.out" ||
	a5_fail "m2's ordered consumer from #$SEQ1 did not deliver m1's report"
grep -q "hello-from-m2" "$A5_TMP/probe.out" && a5_fail "m2's ordered consumer from #$SEQ1 delivered #$SEQ2"
a5_ok "all of the stream, then from #$SEQ1 on only"

a5_step "m2 cannot publish on m1's subject: nothing lands, in the stream or on the fast path"
probe_bg m1 "$A5_TMP/fast2.out" sub "a5.$C.r.>" 5000
grep -q '^ready$' "$A5_TMP/fast2.out" || a5_fail "m1 cannot subscribe to a5.$C.r.>: $(cat "$A5_TMP/fast2.out")"
refused m2 "publish on m1's subject" "Publish to \"a5.$C.r.$H1\"" pub "a5.$C.r.$H1" "forged-by-m2"
probe m2 pub "a5.$C.r.$H2" "after-the-forgery"
[ "$PROBE_RC" = 0 ] || a5_fail "m2 cannot publish on its own subject"
probe_wait "$A5_TMP/fast2.out"
grep -q "^received a5.$C.r.$H2 after-the-forgery\$" "$A5_TMP/fast2.out" ||
	a5_fail "m1's subscription missed m2's own report: it would not have seen the forgery either"
grep -q "forged-by-m2" "$A5_TMP/fast2.out" && a5_fail "m2's forgery reached m1's subscription"
probe admin grep "forged-by-m2"
[ "$(field matches)" = 0 ] || a5_fail "m2's forgery is in the stream"
probe admin grep "hello-from-m1"
[ "$(field matches)" = 1 ] || a5_fail "the probe does not find m1's message in the stream"
a5_ok "refused; m2's next own report came through, its forgery nowhere"

a5_step "commitments: on each member's commitment subject (core NATS), which its auditors read"
# m1's daemon commits every period (the charter's default 10 s) on
# a5.<c>.k.<m1>: its rights allow it, and m2 (its auditor) may subscribe
probe_bg m2 "$A5_TMP/k1.out" sub "a5.$C.k.$H1" 15000
grep -q '^ready$' "$A5_TMP/k1.out" || a5_fail "m2 cannot subscribe to a5.$C.k.$H1: $(cat "$A5_TMP/k1.out")"
for (( i = 0; i < 150; i++ )); do
	grep -aq "^received a5.$C.k.$H1 " "$A5_TMP/k1.out" && break
	kill -0 "$PROBE_PID" 2>/dev/null || break
	sleep 0.1
done
grep -aq "^received a5.$C.k.$H1 " "$A5_TMP/k1.out" ||
	a5_fail "no commitment of m1's daemon on a5.$C.k.$H1 within 15 s: $(tail -3 "${A5C_DIR[m1]}/daemon.log" 2>/dev/null)"
kill "$PROBE_PID" 2>/dev/null
wait "$PROBE_PID" 2>/dev/null
probe m2 cpub "a5.$C.k.$H2" "commitment-of-m2"
[ "$PROBE_RC" = 0 ] || a5_fail "m2 cannot publish on its commitment subject a5.$C.k.$H2"
refused m2 "publish on m1's commitment subject" "Publish to \"a5.$C.k.$H1\"" cpub "a5.$C.k.$H1" "forged-commitment"
a5_ok "m1's daemon commits on its subject, which m2 reads; m2 publishes on its own, not on m1's"

a5_step "m2 cannot purge, delete or reconfigure the stream, nor create another"
# m1's running daemon may add messages meanwhile: never fewer
probe admin info
MSGS=$(field msgs)
refused m2 "purge the stream" "Publish to \"\$JS.API.STREAM.PURGE.A5_$C\"" purge
refused m2 "delete the stream" "Publish to \"\$JS.API.STREAM.DELETE.A5_$C\"" delete
refused m2 "update the stream" "Publish to \"\$JS.API.STREAM.UPDATE.A5_$C\"" update
refused m2 "create another stream" "Publish to \"\$JS.API.STREAM.CREATE.A5X_$C\"" create "A5X_$C" "a5.$C.x.>"
probe admin info
[ "$PROBE_RC" = 0 ] || a5_fail "the stream is gone"
(( $(field msgs) >= MSGS )) || a5_fail "the stream holds $(field msgs) messages, $MSGS before"
[ "$(field max_age_s)" = "$MAXAGE" ] && [ "$(field max_msgs)" = -1 ] ||
	a5_fail "the stream's limits changed: $(cat "$A5_TMP/probe.out")"
probe admin grep "hello-from-m1"
[ "$(field matches)" = 1 ] || a5_fail "m1's message is gone"
a5_ok "refused; the stream is intact ($(field of) messages, max age ${MAXAGE}s)"

a5_step "m2 cannot create a durable consumer, nor list the consumers"
# A durable stays on the servers: three creation subjects take a config.
# DURABLE.CREATE and CREATE.<stream>.<name>.<filter> are not in a member's
# rights; CREATE.<stream> (the ordered consumer's) is, and there nats-server
# refuses a durable name.
FILTER="a5.$C.r.>"
cfg() { # NAME DURABLE(yes/no) [DELIVER]: a consumer-create request
	local d=
	[ "$2" = yes ] && d="\"durable_name\":\"$1\","
	printf '{"stream_name":"A5_%s","config":{%s"name":"%s","ack_policy":"explicit","filter_subject":"%s"%s}}' \
		"$C" "$d" "$1" "$FILTER" "${3:+,\"deliver_subject\":\"$3\"}"
}
refused m2 "create a durable (DURABLE.CREATE)" "Publish to \"\$JS.API.CONSUMER.DURABLE.CREATE.A5_$C.m2dur1\"" \
	request "\$JS.API.CONSUMER.DURABLE.CREATE.A5_$C.m2dur1" "$(cfg m2dur1 yes)"
refused m2 "create a durable (CREATE.<stream>.<name>.<filter>)" \
	"Publish to \"\$JS.API.CONSUMER.CREATE.A5_$C.m2dur2.$FILTER\"" \
	request "\$JS.API.CONSUMER.CREATE.A5_$C.m2dur2.$FILTER" "$(cfg m2dur2 yes)"
probe m2 request "\$JS.API.CONSUMER.CREATE.A5_$C" "$(cfg m2dur3 yes)"
[ "$PROBE_RC" = 3 ] && grep -q '"err_code":10020' "$A5_TMP/probe.out" ||
	a5_fail "m2's durable on CREATE.A5_$C was not refused as 'expected to be ephemeral' (probe exit $PROBE_RC)"
grep -q "Permissions Violation" "$A5_TMP/probe.out" && a5_fail "m2 may not use CREATE.A5_$C"
# the control: the same subject takes m2's ephemeral consumer
probe m2 request "\$JS.API.CONSUMER.CREATE.A5_$C" "$(cfg m2eph no "_A5M.$H2.eph")"
[ "$PROBE_RC" = 0 ] || a5_fail "m2 cannot create an ephemeral consumer on CREATE.A5_$C"
probe admin cinfo m2eph
[ "$PROBE_RC" = 0 ] && [ "$(field durable)" = - ] || a5_fail "m2's ephemeral consumer is not there, or durable"
for n in m2dur1 m2dur2 m2dur3; do
	probe admin cinfo "$n"
	[ "$PROBE_RC" = 4 ] || a5_fail "consumer $n exists after m2's create was refused"
done
refused m2 "list the consumers' names" "Publish to \"\$JS.API.CONSUMER.NAMES.A5_$C\"" \
	request "\$JS.API.CONSUMER.NAMES.A5_$C" '{}'
a5_ok "refused (two permission violations, one 'expected to be ephemeral'); no durable of m2's exists"

a5_step "m2 cannot read replies: neither _INBOX.> nor m1's inbox prefix _A5M.$H1"
refused m2 "subscribe to _INBOX.>" "Subscription to \"_INBOX.>\"" sub "_INBOX.>" 500
probe_bg m2 "$A5_TMP/spy.out" sub "_A5M.$H1.>" 2000
probe m1 info
[ "$PROBE_RC" = 0 ] || a5_fail "m1 cannot read the stream's info"
probe_wait "$A5_TMP/spy.out"
[ "$PROBE_RC" = 3 ] && grep -qF "Permissions Violation for Subscription to \"_A5M.$H1.>\"" "$A5_TMP/spy.out" ||
	a5_fail "m2 could subscribe to m1's inbox prefix (probe exit $PROBE_RC)"
grep -q '^received' "$A5_TMP/spy.out" && a5_fail "m2 received m1's reply"
# the controls: m1 on its own prefix, the administrator on _INBOX.>, each
# sees the reply to a request made meanwhile
probe_bg m1 "$A5_TMP/own.out" sub "_A5M.$H1.>" 2000
probe m1 info
probe_wait "$A5_TMP/own.out"
grep -q "^received _A5M\\.$H1\\..*stream_info_response" "$A5_TMP/own.out" ||
	a5_fail "m1 does not see its own replies on _A5M.$H1.>: the check above proves nothing"
probe_bg admin "$A5_TMP/own.out" sub "_INBOX.>" 2000
probe admin info
probe_wait "$A5_TMP/own.out"
grep -q "^received _INBOX\\..*stream_info_response" "$A5_TMP/own.out" ||
	a5_fail "the administrator does not see replies on _INBOX.>: the check above proves nothing"
a5_ok "refused; m1 on its own prefix and the administrator on _INBOX.> see the replies"

a5_step "the server logged each refusal as a violation under m2's nkey, and nothing else of m2's"
NK2=$(awk '$1 == "member" && $2 == "m2" { print $4 }' "$D1/nats/users.list")
grep -F "Violation - Nkey \"$NK2\"" "$A5_TMP/nats.log" | sed 's/.* - //' | a5_indent
WANT=("Publish Violation - Nkey \"$NK2\", Subject \"a5.$C.r.$H1\""
	"Publish Violation - Nkey \"$NK2\", Subject \"a5.$C.k.$H1\""
	"Publish Violation - Nkey \"$NK2\", Subject \"\$JS.API.STREAM.PURGE.A5_$C\""
	"Publish Violation - Nkey \"$NK2\", Subject \"\$JS.API.STREAM.DELETE.A5_$C\""
	"Publish Violation - Nkey \"$NK2\", Subject \"\$JS.API.STREAM.UPDATE.A5_$C\""
	"Publish Violation - Nkey \"$NK2\", Subject \"\$JS.API.STREAM.CREATE.A5X_$C\""
	"Publish Violation - Nkey \"$NK2\", Subject \"\$JS.API.CONSUMER.DURABLE.CREATE.A5_$C.m2dur1\""
	"Publish Violation - Nkey \"$NK2\", Subject \"\$JS.API.CONSUMER.CREATE.A5_$C.m2dur2.$FILTER\""
	"Publish Violation - Nkey \"$NK2\", Subject \"\$JS.API.CONSUMER.NAMES.A5_$C\""
	"Subscription Violation - Nkey \"$NK2\", Subject \"_INBOX.>\""
	"Subscription Violation - Nkey \"$NK2\", Subject \"_A5M.$H1.>\"")
for w in "${WANT[@]}"; do
	grep -qF "$w" "$A5_TMP/nats.log" || a5_fail "not logged: $w"
done
N=$(grep -cF "Violation - Nkey \"$NK2\"" "$A5_TMP/nats.log")
[ "$N" = "${#WANT[@]}" ] || a5_fail "$N violations logged under m2's nkey, ${#WANT[@]} expected"
a5_ok "${#WANT[@]} violations, each one expected"

a5_step "controls: the same operations as the administrator succeed"
probe admin request "\$JS.API.CONSUMER.DURABLE.CREATE.A5_$C.admdur1" "$(cfg admdur1 yes)"
[ "$PROBE_RC" = 0 ] || a5_fail "the administrator cannot create a durable with DURABLE.CREATE"
probe admin request "\$JS.API.CONSUMER.CREATE.A5_$C.admdur2.$FILTER" "$(cfg admdur2 yes)"
[ "$PROBE_RC" = 0 ] || a5_fail "the administrator cannot create a durable with CREATE.<stream>.<name>.<filter>"
probe admin cinfo admdur2
[ "$(field durable)" = admdur2 ] || a5_fail "admdur2 is not a durable consumer"
probe admin consumers
grep -q "^consumer admdur1 durable=admdur1 " "$A5_TMP/probe.out" || a5_fail "the administrator does not see its durable"
probe admin delconsumer admdur1
[ "$PROBE_RC" = 0 ] || a5_fail "the administrator cannot delete a consumer"
probe admin cinfo admdur1
[ "$PROBE_RC" = 4 ] || a5_fail "admdur1 still exists after the administrator deleted it"
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
a5_ok "durables by both subjects, list, delete consumer, update, purge, delete: done, and seen done"

a5c_stop_daemon m1 10
[ "$A5C_RC" = 0 ] || a5_defer_fail "m1's daemon: exit status $A5C_RC after SIGTERM"
a5_finish nats-perms
