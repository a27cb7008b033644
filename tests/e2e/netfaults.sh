#!/bin/sh
# shellcheck shell=bash
# netfaults.sh - end to end: network faults under a three-node NATS cluster
# (docs/transport.md "A NATS cluster"). The hub namespace runs three
# nats-servers clustered with JetStream (ports 4222, 4223, 4224; routes on
# 6222..6224); the charter lists all three and asks for `replicas 3`.
# Members m1 m2 m3. The test checks:
#   1. reports flow through the cluster (m1's bans reach m2 and m3);
#   2. one server killed (SIGKILL) while m1 bans 40 addresses, one every
#      50 ms: every one of them reaches m2 and m3 (0 lost);
#   3. m3's link cut (its veth on the hub's side down) while m1 bans 30
#      more: m3 does not get them while cut, and once the link is back it
#      catches up on all 30; the time from link-up to the last one is
#      reported (convergence).
# Exit: 0 pass, 1 fail, 77 skip.
# Environment: ARTICLE5=path/to/binary, A5_KEEP=1, A5_KEEP_ON_FAIL=1.

if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || { echo "skip: bash is not installed"; exit 77; }
	exec bash "$0" "$@"
fi
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

WAIT=20

a5c_check_prereqs
a5c_init a5nf m1 m2 m3
a5c_build_forge

a5_step "setup: three clustered nats-servers in the hub, members m1 m2 m3, charter replicas 3"
a5c_topology
declare -a NPID
URLS=()
for i in 0 1 2; do URLS+=("nats://$A5C_HUB_IP:$(( 4222 + i ))"); done
start_node() { # index
	local i=$1 routes="" j
	for j in 0 1 2; do
		[ "$j" = "$i" ] && continue
		routes="${routes:+$routes,}nats://$A5C_HUB_IP:$(( 6222 + j ))"
	done
	mkdir -p "$A5_TMP/nats$i"
	ip netns exec "$A5C_NS_HUB" nats-server --server_name "a5n$i" -a "$A5C_HUB_IP" -p "$(( 4222 + i ))" \
		-js -sd "$A5_TMP/nats$i" --cluster_name a5e2e --cluster "nats://$A5C_HUB_IP:$(( 6222 + i ))" \
		--routes "$routes" </dev/null >>"$A5_TMP/nats$i.log" 2>&1 &
	NPID[$i]=$!
	A5_PIDS+=("$!")
}
for i in 0 1 2; do start_node "$i"; done
# JetStream in a cluster is ready once a meta leader is elected.
ready=0
for (( k = 0; k < 200; k++ )); do
	if grep -qE 'JetStream cluster new metadata leader|Self is new JetStream cluster metadata leader' "$A5_TMP"/nats*.log 2>/dev/null; then
		ready=1
		break
	fi
	sleep 0.1
done
[ "$ready" = 1 ] || a5_fail "the NATS cluster elected no JetStream leader in 20 s: $(tail -n 3 "$A5_TMP/nats0.log")"
a5_nats_log() { tail -n 10 "$A5_TMP/nats0.log"; }
for m in m1 m2 m3; do a5c_keygen "$m"; done
a5c_write_charter "replicas 3" "nats ${URLS[1]}" "nats ${URLS[2]}"
for m in m1 m2 m3; do a5c_write_config "$m"; done
for m in m1 m2 m3; do a5c_start_daemon "$m"; done
a5_ok "cluster ${NPID[*]}, daemons ${A5C_DPID[m1]} ${A5C_DPID[m2]} ${A5C_DPID[m3]}"

a5_step "1. reports flow through the cluster"
a5c_cli m1 ban 203.0.113.10 >/dev/null || a5_fail "ban at m1"
for m in m2 m3; do
	a5c_wait_banned "$m" 203.0.113.10 "$WAIT" || a5_fail "$m did not get m1's report through the cluster"
done
a5_ok "203.0.113.10 at m2 and m3"
info=$(ip netns exec "$A5C_NS_HUB" "$A5_TMP/forge" -s "${URLS[1]}" -c "$A5C_COALITION" info 2>&1)
case $info in
replicas=3*) a5_ok "the stream has 3 copies ($info)" ;;
*) a5_fail "the stream is not replicated 3 times: $info" ;;
esac

a5_step "2. one server killed while m1 bans 40 addresses (one every 50 ms)"
# The server m1 is connected to is the likeliest to hurt: kill the first
# one (m1 connects to the charter's first URL).
for (( i = 1; i <= 40; i++ )); do
	(( i == 5 )) && { kill -KILL "${NPID[0]}"; a5_info "nats-server a5n0 (pid ${NPID[0]}) killed after 4 bans"; }
	a5c_cli m1 ban "203.0.113.$(( 100 + i ))" >/dev/null 2>&1 || a5_info "ban 203.0.113.$(( 100 + i )) at m1 failed"
	sleep 0.05
done
lost=0
for m in m2 m3; do
	# One deadline for all 40: reports held up by the failover may come
	# after later ones (redelivery); lost means not there by the deadline.
	missing=()
	deadline=$(( SECONDS + WAIT ))
	for (( i = 1; i <= 40; i++ )); do
		a="203.0.113.$(( 100 + i ))"
		left=$(( deadline - SECONDS ))
		if ! a5c_wait_banned "$m" "$a" $(( left > 1 ? left : 1 )); then missing+=("$a"); fi
	done
	if (( ${#missing[@]} == 0 )); then
		a5_ok "$m has all 40 of m1's bans made while a server died"
	else
		lost=$(( lost + ${#missing[@]} ))
		a5_defer_fail "$m misses ${#missing[@]} of 40: ${missing[*]:0:5}"
	fi
done
a5_info "node loss: lost=$lost"

a5_step "3. m3's link cut while m1 bans 30 more; restored; m3 catches up"
ip -n "$A5C_NS_HUB" link set v-m3 down || a5_fail "link down"
for (( i = 1; i <= 30; i++ )); do
	a5c_cli m1 ban "203.0.113.$(( 150 + i ))" >/dev/null 2>&1 || a5_info "ban 203.0.113.$(( 150 + i )) at m1 failed"
done
a5c_wait_banned m2 203.0.113.180 "$WAIT" || a5_defer_fail "m2 did not get m1's bans during m3's outage"
sleep 3
a5c_banned m3 203.0.113.151 && a5_defer_fail "m3 got a report while its link was down (the cut did not cut)"
t0=${EPOCHREALTIME/[.,]/}
ip -n "$A5C_NS_HUB" link set v-m3 up || a5_fail "link up"
missing=()
for (( i = 1; i <= 30; i++ )); do
	a="203.0.113.$(( 150 + i ))"
	a5c_wait_banned m3 "$a" "$WAIT" || missing+=("$a")
done
t1=${EPOCHREALTIME/[.,]/}
if (( ${#missing[@]} == 0 )); then
	a5_ok "m3 caught up on all 30 bans made while it was cut off; convergence $(a5_ms $(( t1 - t0 ))) after link-up (link down 3 s+)"
else
	a5_defer_fail "m3 misses ${#missing[@]} of 30 after its link came back: ${missing[*]:0:5}"
fi
echo "netfaults: node loss lost=$lost; partition convergence $(a5_ms $(( t1 - t0 )))"

for m in m1 m2 m3; do
	a5c_daemon_alive "$m" || a5_defer_fail "the daemon of $m died"
done
a5_finish netfaults
