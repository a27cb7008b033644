#!/bin/sh
# shellcheck shell=bash disable=SC2119
# churn.sh - end to end: an honest member under steady churn is never
# flagged. Three members (m1 m2 m3) over a real nats-server, charter
# commit_period 2s (CHURN_PERIOD). For CHURN_SECONDS (default 120) each member bans
# CHURN_RATE (default 8) prefixes per second, with bans of 5 to 30 s, so
# that thousands of coalition bans are applied and expire in every member's
# kernel during the run. Most bans come from the detector: lines
# "churnT fail from ADDR" appended to the member's watched log, where
# churnT is a service of this test (rule in the configuration, maxretry 1,
# bantime T s, T in 5 8 12 17 23 30). Appending a line costs no process,
# while one `article5 ban` costs three (timeout, ip netns exec, article5):
# measured 36 ms each, about 14 bans/s in all with three members on two
# vCPUs, too few. Member K's step N (its next member is O):
#   - a new /32 of the benchmarking range 198.18.0.0/16 (20000 per member);
#   - every 7th, an IPv6 address of 2001:db8::/32, banned as its /64
#     (cban6net, an interval set);
#   - every 5th, once the run is 45 s old, the /32 of O's step 45 s before
#     (a prefix banned again after it expired everywhere);
#   - every 20th, `article5 ban --for 5..30s` of a /24 of 198.19.0.0/16
#     (cban4net; a member's consecutive /24s are adjacent), every other
#     time O's latest /24 (two reporters: the later deadline replaces the
#     element, an earlier one changes nothing);
#   - every 40th, `article5 ban --for 5..30s` of the /32 O banned half a
#     second before (two reporters, as above; a detector would not ban it
#     again, the coalition's ban being in its ledger).
# None of these ranges is special-purpose (docs/charter.md); none holds a
# member, the hub or nats-server. Banning sends no traffic.
# After every commitment (0.35 s after it), every member's
# `article5 audit --json` is read. The test checks:
#   - no member is ever flagged (state "flagged" or flagged true in a
#     sample, or an "audit: ... flagged" line in a daemon log);
#   - no mismatch at all (the design has none: every member computes the
#     same set for a given commitment time, docs/commitment.md);
#   - every member audited each other one at least CHURN_SECONDS/period/2
#     times;
#   - the churn happened: at least 2000 bans per 120 s (scaled), an expected
#     count of at least 20 x CHURN_RATE seen, and committed counts that went
#     down during the run;
#   - after the churn, everything expires: within 30 s + 3 periods + 4 s
#     (40 s) every member commits 0 coalition bans, the others expect 0,
#     and its kernel coalition sets are empty.
# Exit: 0 pass, 1 fail, 77 skip.
# Runtime: about CHURN_SECONDS + 45 s.
# Environment: CHURN_SECONDS (default 120, 20..900), CHURN_RATE (bans per
# second per member, default 8, 1..40), CHURN_PERIOD (the charter's
# commit_period in seconds, default 2, 1..10), CHURN_MONITOR=1 (record
# `nft monitor` of every member in $A5_TMP/MEMBER/nft-monitor.log, to
# investigate a failure with A5_KEEP_ON_FAIL=1), ARTICLE5, A5_KEEP=1,
# A5_KEEP_ON_FAIL=1, NO_COLOR=1.

if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || { echo "skip: bash is not installed"; exit 77; }
	exec bash "$0" "$@"
fi
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

PERIOD=${CHURN_PERIOD:-2}
SECS=${CHURN_SECONDS:-120}
RATE=${CHURN_RATE:-8}
TTLS=(5 8 12 17 23 30)	# bantimes of the services churn5 ... churn30
TTL_MIN=5		# range of the /24 bans made with `article5 ban --for`
TTL_MAX=30
DRAIN=$(( TTL_MAX + 3 * PERIOD + 4 ))	# seconds for the last bans to expire
MEMBERS=(m1 m2 m3)

case $SECS in ''|*[!0-9]*) echo "CHURN_SECONDS must be a number"; exit 1 ;; esac
case $RATE in ''|*[!0-9]*) echo "CHURN_RATE must be a number"; exit 1 ;; esac
case $PERIOD in ''|*[!0-9]*) echo "CHURN_PERIOD must be a number"; exit 1 ;; esac
(( PERIOD >= 1 && PERIOD <= 10 )) || { echo "CHURN_PERIOD must be 1..10"; exit 1; }
(( SECS >= 20 && SECS <= 900 )) || { echo "CHURN_SECONDS must be 20..900"; exit 1; }
(( RATE >= 1 && RATE <= 40 )) || { echo "CHURN_RATE must be 1..40"; exit 1; }
(( RATE * SECS <= 19000 )) || { echo "CHURN_RATE * CHURN_SECONDS must be at most 19000"; exit 1; }
MIN_BANS=$(( 2000 * SECS / 120 ))
MIN_AUDITED=$(( SECS / PERIOD / 2 ))
MIN_EXPECTED=$(( RATE * (SECS < 40 ? SECS / 2 : 20) ))
MAX_PER_MEMBER=$(( RATE * SECS + 10 ))	# the churners stop at this count or time
REBAN_LAG=$(( RATE * (TTL_MAX + 15) ))	# steps after which a /32 is banned again

a5c_check_prereqs
a5c_init a5ch "${MEMBERS[@]}"
a5_step "setup: hub with nats-server, members m1 m2 m3, commit_period ${PERIOD}s"
a5c_topology
a5c_start_nats
for m in "${MEMBERS[@]}"; do a5c_keygen "$m"; done
a5c_write_charter "commit_period ${PERIOD}s"
SVC=()
for t in "${TTLS[@]}"; do
	SVC+=("rule churn$t fail churn$t ^churn$t fail from <HOST>\$" \
		"service churn$t maxretry 1 findtime 10m bantime ${t}s")
done
for m in "${MEMBERS[@]}"; do a5c_write_config "$m" "${SVC[@]}"; done
for m in "${MEMBERS[@]}"; do a5c_start_daemon "$m"; done
a5_ok "daemons ${A5C_DPID[m1]} ${A5C_DPID[m2]} ${A5C_DPID[m3]}"
if [ "${CHURN_MONITOR:-0}" = 1 ]; then
	for m in "${MEMBERS[@]}"; do a5c_monitor_start "$m"; done
fi

# ---------------------------------------------------------------- churn

# ban_for K N: what member number K bans at its step N: the prefix P,
# its ttl TTL, and how (VIA "log": the line LINE appended to its log;
# "cli": `article5 ban P --for TTLs`). Deterministic, so that a member can
# re-report what another member banned at an earlier step.
addr_for() { # K N -> A: a /32 of 198.18.0.0/16, 20000 per member
	local i=$(( ($1 - 1) * 20000 + $2 ))
	A="198.$(( 18 + (i >> 16) )).$(( (i >> 8) & 255 )).$(( i & 255 ))"
}
ban_for() {
	local k=$1 n=$2 o=$(( $1 % 3 + 1 )) h
	TTL=${TTLS[$(( (n * 7 + k) % ${#TTLS[@]} ))]}
	VIA=log
	if (( n % 20 == 19 || n % 40 == 9 )); then
		VIA=cli
		TTL=$(( TTL_MIN + (n * 7 + k * 11) % (TTL_MAX - TTL_MIN + 1) ))
		if (( n % 40 == 9 )); then
			addr_for "$o" $(( n - 4 ))	# banned by o 0.5 s ago
			P=$A
		elif (( n % 40 == 39 )); then	# o's latest /24
			P="198.19.$(( (o - 1) * 80 + ((n - 20) / 20) % 80 )).0/24"
		else
			P="198.19.$(( (k - 1) * 80 + (n / 20) % 80 )).0/24"
		fi
		return
	fi
	if (( n % 7 == 6 )); then
		printf -v h '%x' "$n"
		A="2001:db8:$k:$h::1"
		P="2001:db8:$k:$h::/64"
	elif (( n % 5 == 2 && n >= REBAN_LAG )); then
		addr_for "$o" $(( n - REBAN_LAG ))	# o's ban of it has expired
		P=$A
	else
		addr_for "$k" "$n"
		P=$A
	fi
	LINE="churn$TTL fail from $A"
}

# churn MEMBER K END_US: RATE bans per second (in bursts every 0.25 s) until
# END_US or MAX_PER_MEMBER bans; one line per ban in
# $A5_TMP/MEMBER/churn.log: "EPOCHREALTIME PREFIX TTL VIA RC".
churn() {
	local m=$1 k=$2 end=$3 n=0 t0 now target buf rec rc try
	local log="${A5C_DIR[$1]}/churn.log" src="${A5C_DIR[$1]}/auth.log"
	t0=${EPOCHREALTIME/[.,]/}
	: >"$log"
	while (( n < MAX_PER_MEMBER )); do
		now=${EPOCHREALTIME/[.,]/}
		(( now < end )) || break
		target=$(( (now - t0) * RATE / 1000000 + 1 ))
		(( target > MAX_PER_MEMBER )) && target=$MAX_PER_MEMBER
		buf="" rec=""
		while (( n < target )); do
			ban_for "$k" "$n"
			if [ "$VIA" = cli ]; then
				# up to 3 tries: a failed exec (the binary being rebuilt
				# meanwhile) is no ban refused
				for (( try = 0; try < 3; try++ )); do
					a5c_cli "$m" ban "$P" --for "${TTL}s" >/dev/null 2>>"${A5C_DIR[$m]}/churn.err"
					rc=$?
					(( rc == 0 )) && break
					sleep 1
				done
			else
				buf+="$LINE"$'\n'
				rc=0
			fi
			rec+="$EPOCHREALTIME $P $TTL $VIA $rc"$'\n'
			n=$(( n + 1 ))
		done
		printf '%s' "$buf" >>"$src"
		printf '%s' "$rec" >>"$log"
		sleep 0.25
	done
}

a5_step "churn: ${RATE} bans/s at each member for ${SECS}s, bans of ${TTL_MIN}..${TTL_MAX}s; audit sampled every period"
T_START=${EPOCHREALTIME/[.,]/}
END_US=$(( T_START + SECS * 1000000 ))
CHURN_PIDS=()
k=0
for m in "${MEMBERS[@]}"; do
	k=$(( k + 1 ))
	churn "$m" "$k" "$END_US" &
	CHURN_PIDS+=("$!")
	A5_PIDS+=("$!")
done

declare -A MISM=() AUD=() MAXEXP=() MAXCNT=() LASTCNT=() DROPS=() SEEN=()
FLAGGED_SAMPLES=0	# sampled rows showing a flag (flagged, or silent)
FLAG_ROWS=0		# flagged rows printed
declare -A TALLY=()	# state -> rows seen in that state
SAMPLES=0
DEAD=0

# sample PHASE: one audit --json at every member; updates the tallies.
sample() {
	local a out name state flagged mism audited count expected declines missed problem key
	SAMPLES=$(( SAMPLES + 1 ))
	for a in "${MEMBERS[@]}"; do
		if ! a5c_daemon_alive "$a"; then
			DEAD=1
			return 1
		fi
		out=$(a5c_cli "$a" audit --json 2>&1) || { a5_warn "audit at $a failed: $out"; continue; }
		printf '%s %s %s\n' "$EPOCHREALTIME" "$a" "$(printf '%s' "$out" | tr -d '\n')" >>"$A5_TMP/audit.samples"
		while IFS=$'\t' read -r name state flagged mism audited count expected declines missed problem; do
			[ "$name" = "$a" ] && continue
			key="$a>$name"
			TALLY[$state]=$(( ${TALLY[$state]:-0} + 1 ))
			if [ "$state" = flagged ] || [ "$flagged" = true ]; then
				FLAGGED_SAMPLES=$(( FLAGGED_SAMPLES + 1 ))
				if (( FLAG_ROWS < 20 )); then
					FLAG_ROWS=$(( FLAG_ROWS + 1 ))
					a5_warn "$1: $a flags $name: state=$state mismatches=$mism count=$count expected=$expected declines=$declines problem='$problem'"
				fi
			elif [ "$state" = mismatch ] && [ "${MISM[$key]:-0}" != "$mism" ]; then
				a5_warn "$1: $a sees a mismatch of $name: count=$count expected=$expected declines=$declines problem='$problem'"
			fi
			MISM[$key]=$mism
			AUD[$key]=$audited
			(( expected > ${MAXEXP[$key]:-0} )) && MAXEXP[$key]=$expected
			(( count > ${MAXCNT[$key]:-0} )) && MAXCNT[$key]=$count
			if [ -n "${LASTCNT[$key]:-}" ] && (( count < LASTCNT[$key] )); then
				DROPS[$key]=$(( ${DROPS[$key]:-0} + 1 ))
			fi
			LASTCNT[$key]=$count
			SEEN[$key]="state=$state count=$count expected=$expected mismatches=$mism audited=$audited missed=$missed declines=$declines"
			[ -z "$problem" ] || SEEN[$key]+=" problem=\"$problem\""
		done < <(printf '%s' "$out" | jq -r '.[] | [.name, .state, .flagged, .mismatches, .audited,
			.count, .expected, .declines, .missed, .problem] | @tsv')
	done
	return 0
}

# wait_slot: sleeps until 0.35 s after the next commitment time (a half
# period after each multiple of the period, docs/commitment.md), so that
# each sample shows the audit of the commitment just made, mismatches
# included (one mismatch lasts one period).
wait_slot() {
	local q=$(( PERIOD * 1000000 )) phase now next d
	phase=$(( q / 2 + 350000 ))
	now=${EPOCHREALTIME/[.,]/}
	next=$(( (now - phase) / q * q + phase + q ))
	(( next - now < 100000 )) && next=$(( next + q ))
	d=$(( next - now ))
	sleep "$(( d / 1000000 )).$(printf '%06d' $(( d % 1000000 )))"
}

progress() {
	local m n=0 l
	for m in "${MEMBERS[@]}"; do
		l=$(wc -l <"${A5C_DIR[$m]}/churn.log" 2>/dev/null) || l=0
		n=$(( n + l ))
	done
	a5_info "bans so far $n; m1>m2 ${SEEN[m1>m2]:-?}"
}

last_progress=$SECONDS
while (( ${EPOCHREALTIME/[.,]/} < END_US + PERIOD * 1000000 )); do
	wait_slot
	sample churn || break
	if (( SECONDS - last_progress >= 20 )); then
		progress
		last_progress=$SECONDS
	fi
done
for pid in "${CHURN_PIDS[@]}"; do
	wait "$pid" 2>/dev/null
done
(( DEAD == 0 )) || a5_fail "a daemon exited during the churn"

REQ=0 FAILED=0
declare -A DISTINCT=()
for m in "${MEMBERS[@]}"; do
	while read -r _ p _ _ rc; do
		REQ=$(( REQ + 1 ))
		[ "$rc" = 0 ] || FAILED=$(( FAILED + 1 ))
		DISTINCT[$p]=1
	done <"${A5C_DIR[$m]}/churn.log"
done
# bans issued: the daemons' own count (lines read, offenders banned)
sleep 1
BANS=0
for m in "${MEMBERS[@]}"; do
	read -r b nf le < <(a5c_cli "$m" status --json | jq -r '"\(.bans) \(.nft_failed) \(.ledger_errors)"')
	BANS=$(( BANS + ${b:-0} ))
	(( ${nf:-0} == 0 && ${le:-0} == 0 )) || a5_warn "$m: nft_failed=$nf ledger_errors=$le"
done
a5_ok "churn over after $(( (${EPOCHREALTIME/[.,]/} - T_START) / 1000000 ))s: $REQ bans requested, $BANS issued, ${#DISTINCT[@]} distinct prefixes"
(( BANS == REQ )) || a5_warn "$REQ bans requested (log lines and commands) but $BANS issued"
if (( FAILED > 0 )); then
	a5_defer_fail "$FAILED ban commands failed: $(sort "$A5_TMP"/m*/churn.err 2>/dev/null | uniq -c | head -n 5)"
fi

a5_step "drain: no new bans; within ${DRAIN}s every member must commit 0 coalition bans"
t_drain=$SECONDS
drained=0
while (( SECONDS - t_drain <= DRAIN )); do
	wait_slot
	sample drain || break
	drained=1
	for key in "${!LASTCNT[@]}"; do
		[[ ${SEEN[$key]} == *" count=0 expected=0 "* ]] || { drained=0; break; }
	done
	(( drained )) && break
done
(( DEAD == 0 )) || a5_fail "a daemon exited during the drain"
if (( drained )); then
	# two more periods, so that "drained" is a settled state, still audited
	wait_slot; sample drain
	wait_slot; sample drain
	a5_ok "all coalition bans expired after $(( SECONDS - t_drain ))s of drain"
else
	a5_defer_fail "not drained after ${DRAIN}s"
fi

# ---------------------------------------------------------------- verdict

a5_step "audit after the run"
for a in "${MEMBERS[@]}"; do
	a5_info "at $a:"
	a5c_cli "$a" audit | a5_indent
done

for m in "${MEMBERS[@]}"; do
	n=0
	for s in cban4 cban6 cban4net cban6net; do
		c=$(ip netns exec "${A5C_NS[$m]}" nft -j list set inet article5 "$s" 2>/dev/null |
			jq '[.nftables[] | select(.set) | .set.elem // [] | length] | add // 0')
		n=$(( n + ${c:-0} ))
	done
	(( n == 0 )) || a5_defer_fail "$m still holds $n coalition elements after the drain"
done

# every transition to flagged is logged by the auditor's daemon ("audit: M
# flagged: ..."), also one that lasted less than a sample interval
FLAGS=0
for a in "${MEMBERS[@]}"; do
	while IFS= read -r l; do
		FLAGS=$(( FLAGS + 1 ))
		(( FLAGS <= 20 )) && a5_warn "at $a: ${l#article5: }"
	done < <(grep 'audit: .* flagged' "${A5C_DIR[$a]}/daemon.log" 2>/dev/null)
done
refused=$(for m in "${MEMBERS[@]}"; do
	a5c_cli "$m" members --json 2>/dev/null |
		jq -r --arg at "$m" '.[] | select((.refused // {}) | length > 0) |
			"at \($at): \(.name) refused \(.refused)"' 2>/dev/null
done)
[ -z "$refused" ] || { a5_info "refusals:"; printf '%s\n' "$refused" | a5_indent; }
# chain gaps (a report seen after its successors) and transport counters:
# what to read first when an audit differs
for m in "${MEMBERS[@]}"; do
	a5_info "at $m: $(a5c_cli "$m" members --json 2>/dev/null |
		jq -r '[.[] | select(.self | not) | "\(.name) gaps=\(.gaps) late=\(.late)"] | join(", ")' 2>/dev/null);" \
		"$(a5c_cli "$m" status --json 2>/dev/null | jq -r '.coalition | {received, received_fast, copies_dropped, fast_overflows, stream_rereads} |
		to_entries | map(select(.value | type == "number")) | map("\(.key)=\(.value)") | join(" ")' 2>/dev/null)"
done

MISMATCHES=0 AUDITED=0 MAX_EXPECTED=0 DROPS_ALL=0
for a in "${MEMBERS[@]}"; do
	for m in "${MEMBERS[@]}"; do
		[ "$a" = "$m" ] && continue
		key="$a>$m"
		a5_info "$key: ${SEEN[$key]:-never sampled}; max expected ${MAXEXP[$key]:-0}, max count ${MAXCNT[$key]:-0}, count drops ${DROPS[$key]:-0}"
		MISMATCHES=$(( MISMATCHES + ${MISM[$key]:-0} ))
		AUDITED=$(( AUDITED + ${AUD[$key]:-0} ))
		DROPS_ALL=$(( DROPS_ALL + ${DROPS[$key]:-0} ))
		(( ${MAXEXP[$key]:-0} > MAX_EXPECTED )) && MAX_EXPECTED=${MAXEXP[$key]}
		(( ${AUD[$key]:-0} >= MIN_AUDITED )) ||
			a5_defer_fail "$a audited $m only ${AUD[$key]:-0} times (want >= $MIN_AUDITED)"
		(( ${MISM[$key]:-0} == 0 )) ||
			a5_defer_fail "$a counted ${MISM[$key]} mismatches of $m"
		(( ${DROPS[$key]:-0} > 0 )) ||
			a5_defer_fail "the count $m committed never went down as seen by $a (no expiry?)"
	done
done
st=""
for s in "${!TALLY[@]}"; do st+=" $s=${TALLY[$s]}"; done
a5_info "samples: $SAMPLES rounds; states seen:$st"

(( FLAGS == 0 )) || a5_defer_fail "$FLAGS transition(s) to flagged logged by the auditors"
(( FLAGGED_SAMPLES == 0 )) || a5_defer_fail "$FLAGGED_SAMPLES sampled audit row(s) flagged"
(( BANS >= MIN_BANS )) || a5_defer_fail "only $BANS bans issued (want >= $MIN_BANS)"
(( MAX_EXPECTED >= MIN_EXPECTED )) ||
	a5_defer_fail "largest expected count $MAX_EXPECTED (want >= $MIN_EXPECTED): too little churn"

echo "churn: seconds=$SECS bans=$BANS flags=$FLAGS mismatches=$MISMATCHES audited=$AUDITED max_expected=$MAX_EXPECTED flagged_samples=$FLAGGED_SAMPLES distinct=${#DISTINCT[@]} count_drops=$DROPS_ALL period=$PERIOD runtime=$(( (${EPOCHREALTIME/[.,]/} - A5_T0) / 1000000 ))s"
a5_finish churn
