#!/bin/sh
# dashboard.sh - metrics and the dashboard end to end, inside a private
# network namespace (unshare -n: it disappears with the test): a daemon
# with `http 127.0.0.1:PORT` reads a log with attempts and a ban; /metrics
# must give the real numbers (lines written, attempts, bans, bans in force,
# kernel set), `article5 metrics` the same; headless Chromium loads / and
# must show the ban's address and service once its JS has run (screenshot
# kept in build/test-logs/dashboard.png). Then the guards: a non-loopback
# address without a token is refused with file:line, and with a token a
# request without it (or with a wrong one) gets 401. Exit 0 pass, 1 fail,
# 77 skip (not root, or Chromium missing and not installable).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
A5=$top/build/article5
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root"; exit 77; }
[ -x "$A5" ] || { echo "skip: build/article5 missing"; exit 77; }
command -v nft >/dev/null || { echo "skip: nft missing"; exit 77; }
command -v jq >/dev/null || { echo "skip: jq missing"; exit 77; }
command -v curl >/dev/null || { echo "skip: curl missing"; exit 77; }
if ! command -v chromium >/dev/null && [ "${A5_IN_NETNS:-}" != 1 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 ||
	    { echo "skip: chromium missing and could not be installed"; exit 77; }
fi
if [ "${A5_IN_NETNS:-}" != 1 ]; then
	A5_IN_NETNS=1 exec unshare -n sh "$0" "$@"
fi
ip link set lo up

PORT=9851
URL=http://127.0.0.1:$PORT
T=$(mktemp -d /tmp/a5dash.XXXXXX)
chmod 755 "$T"	# the worker (user article5) watches the log here and reaches its state_dir
mkdir -p "$top/build/test-logs"
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }

write_conf() { # http-line [token-line]
	cat > "$T/a5.conf" <<CONF
mode enforce
state_dir $T/state
rules_dir $top/etc/rules
rules_local none
control_socket $T/ctl.sock
source file $T/auth.log
maxretry 3
findtime 10m
bantime 1h
kernel_mirror yes
$1
${2:-}
CONF
}
start() {
	"$A5" daemon -c "$T/a5.conf" >>"$T/daemon.log" 2>&1 &
	pid=$!
	i=0
	while [ $i -lt 50 ] && ! "$A5" status -c "$T/a5.conf" >/dev/null 2>&1; do
		sleep 0.1; i=$((i + 1))
	done
	"$A5" status -c "$T/a5.conf" >/dev/null 2>&1 || { bad "daemon did not start"; cat "$T/daemon.log"; exit 1; }
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null; pid=""; }
fail_lines() { # addr count
	n=0
	while [ $n -lt "$2" ]; do
		echo "$(date '+%b %e %H:%M:%S') host sshd[$((5000 + n))]: Failed password for root from $1 port $((40000 + n)) ssh2" >> "$T/auth.log"
		n=$((n + 1))
	done
}
noise_lines() { # count
	n=0
	while [ $n -lt "$1" ]; do
		echo "$(date '+%b %e %H:%M:%S') host CRON[$((700 + n))]: pam_unix(cron:session): session opened for user root" >> "$T/auth.log"
		n=$((n + 1))
	done
}
in_set() { nft get element inet article5 ban4 "{ $1 }" >/dev/null 2>&1; }
wait_set() { # addr
	i=0
	while [ $i -lt 50 ] && ! in_set "$1"; do sleep 0.1; i=$((i + 1)); done
	in_set "$1"
}
# The value of one series in Prometheus text on stdin ("" if absent).
series() { grep -F "$1 " | grep -v '^#' | awk '{ print $NF }'; }

: > "$T/auth.log"
write_conf "http 127.0.0.1:$PORT"
start

# what the daemon reads: 7 noise lines, 3 attempts of one address (a ban),
# 2 of another (no ban)
noise_lines 7
fail_lines 192.0.2.10 3
fail_lines 192.0.2.11 2
written=$(wc -l < "$T/auth.log")
wait_set 192.0.2.10 && ok "192.0.2.10 banned" || bad "192.0.2.10 not banned"
sleep 0.5

m=$(curl -sS --max-time 5 "$URL/metrics") || bad "GET /metrics failed"
printf '%s\n' "$m" > "$top/build/test-logs/dashboard-metrics.txt"
lines=$(printf '%s\n' "$m" | series "article5_lines_read_total{source=\"$T/auth.log\"}")
[ "$lines" = "$written" ] && ok "lines_read_total = $lines = lines written" || bad "lines_read_total '$lines', $written written"
att=$(printf '%s\n' "$m" | grep '^article5_attempts_total{service="sshd",' | awk '{ s += $NF } END { print s + 0 }')
[ "$att" = 5 ] && ok "attempts_total{service=sshd} = 5" || bad "attempts_total '$att', 5 expected"
bans=$(printf '%s\n' "$m" | series 'article5_bans_total{service="sshd",origin="local"}')
[ "$bans" = 1 ] && ok "bans_total{sshd,local} = 1" || bad "bans_total '$bans', 1 expected"
active=$(printf '%s\n' "$m" | series article5_bans_active)
ledger=$("$A5" bans -c "$T/a5.conf" --json | jq length)
[ "$active" = 1 ] && [ "$ledger" = 1 ] && ok "bans_active = 1 = the ledger's" || bad "bans_active '$active', ledger $ledger"
kset=$(printf '%s\n' "$m" | series 'article5_kernel_set_elements{set="local"}')
knft=$(nft -j list set inet article5 ban4 | jq '[.nftables[] | select(.set) | .set.elem // [] | length] | add')
[ "$kset" = 1 ] && [ "$knft" = 1 ] && ok "kernel_set_elements{local} = 1 = nft's ban4" || bad "kernel set '$kset', nft $knft"
printf '%s\n' "$m" | grep -q '^article5_nats_connected 0$' && ok "nats_connected 0 (no coalition)" || bad "nats_connected missing"
printf '%s\n' "$m" | grep -q '^article5_propagation_seconds_bucket{le="+Inf"} 0$' && ok "propagation histogram present, empty" || bad "propagation histogram"

# the CLI prints the same numbers
c=$("$A5" metrics -c "$T/a5.conf")
cl=$(printf '%s\n' "$c" | series "article5_lines_read_total{source=\"$T/auth.log\"}")
[ "$cl" = "$written" ] && ok "article5 metrics: lines read $cl" || bad "article5 metrics: '$cl'"
jb=$("$A5" metrics -c "$T/a5.conf" --json | jq '.article5_bans_total.series[] | select(.labels.service == "sshd" and .labels.origin == "local") | .value')
[ "$jb" = 1 ] && ok "article5 metrics --json: bans 1" || bad "article5 metrics --json: '$jb'"
"$A5" metrics --help | grep -q "Prometheus" && ok "metrics --help" || bad "metrics --help"

# the feed the page polls
f=$(curl -sS --max-time 5 "$URL/api/feed")
[ "$(printf '%s' "$f" | jq -r '.bans[-1].prefix + " " + .bans[-1].service + " " + .bans[-1].origin')" = "192.0.2.10 sshd local" ] &&
    ok "feed: the ban" || bad "feed: $f"
[ "$(printf '%s' "$f" | jq '[(.attempts | length), .attempts_total, .bans_total, .lines] | join(" ")')" = "\"5 5 1 $written\"" ] &&
    ok "feed: 5 attempts, 1 ban, $written lines" || bad "feed totals: $f"

# read-only, and only the three pages
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --max-time 5 "$URL/metrics")
[ "$code" = 405 ] && ok "POST: 405" || bad "POST: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$URL/etc/passwd")
[ "$code" = 404 ] && ok "unknown path: 404" || bad "unknown path: $code"
curl -sS -D - -o /dev/null --max-time 5 "$URL/" | grep -qi "^content-security-policy: default-src 'none'" &&
    ok "page served with a CSP" || bad "no CSP on /"

# the dashboard in headless Chromium, after its JS ran
chrome() {
	timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
	    --no-first-run --user-data-dir="$T/chrome" --virtual-time-budget=5000 "$@" "$URL/" \
	    2>>"$T/chromium.log"
}
dom=$(chrome --dump-dom)
printf '%s\n' "$dom" > "$top/build/test-logs/dashboard-dom.html"
bansrow=$(printf '%s\n' "$dom" | tr -d '\n' | sed -n 's/.*<tbody id="bansfeed">\(.*\)<\/tbody>.*<tbody id="attemptsfeed">.*/\1/p')
case $bansrow in
*"192.0.2.10"*"sshd"*"local"*) ok "Chromium: the dashboard shows the ban of 192.0.2.10 (sshd)" ;;
*) bad "Chromium: ban not shown: $(printf '%s' "$dom" | head -c 600)"; tail -20 "$T/chromium.log" ;;
esac
printf '%s\n' "$dom" | grep -q '<b id="lines">'"$written"'</b>' && ok "Chromium: lines read $written" || bad "Chromium: lines read not shown"
printf '%s\n' "$dom" | grep -q '<b id="attempts">5</b>' && printf '%s\n' "$dom" | grep -q '<b id="bans">1</b>' &&
    ok "Chromium: 5 attempts, 1 ban" || bad "Chromium: totals not shown"
printf '%s\n' "$dom" | grep -q '<polyline' && ok "Chromium: chart drawn" || bad "Chromium: no chart"
rm -f "$top/build/test-logs/dashboard.png"
chrome --screenshot="$top/build/test-logs/dashboard.png" --window-size=1280,900 >/dev/null
[ -s "$top/build/test-logs/dashboard.png" ] && ok "screenshot: build/test-logs/dashboard.png" || bad "no screenshot"
stop

# a non-loopback address without a token is refused, with file:line
write_conf "http 0.0.0.0:$PORT"
msg=$("$A5" check-config -n -c "$T/a5.conf" 2>&1) && bad "check-config accepted http 0.0.0.0 without token" ||
    case $msg in *"a5.conf:"*": http 0.0.0.0:$PORT is not a loopback address"*) ok "refused: $msg" ;; *) bad "refusal: $msg" ;; esac
"$A5" daemon -c "$T/a5.conf" >>"$T/daemon.log" 2>&1 && bad "daemon started with http 0.0.0.0 without token" ||
    ok "daemon refuses to start with it"

# with a token, on an address that is not loopback (given to this
# namespace's own lo: nothing outside it can reach it)
ip addr add 192.0.2.1/32 dev lo || bad "address 192.0.2.1"
TOKEN=0123456789abcdef-test-token
printf '%s\n' "$TOKEN" > "$T/token"
chmod 600 "$T/token"
write_conf "http 192.0.2.1:$PORT" "http_token $T/token"
start
U=http://192.0.2.1:$PORT
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$U/metrics")
[ "$code" = 401 ] && ok "no token: 401" || bad "no token: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "Authorization: Bearer ${TOKEN}x" "$U/")
[ "$code" = 401 ] && ok "wrong token: 401" || bad "wrong token: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "Authorization: Bearer $TOKEN" "$U/metrics")
[ "$code" = 200 ] && ok "token: 200" || bad "token: $code"
stop
chmod 644 "$T/token"
"$A5" daemon -c "$T/a5.conf" >>"$T/daemon.log" 2>&1 && bad "started with a world-readable token" ||
    { grep -q "not readable by others" "$T/daemon.log" && ok "world-readable token refused" || bad "token permission message"; }

echo "---- daemon log ----"
cat "$T/daemon.log"
[ $fails -eq 0 ]
