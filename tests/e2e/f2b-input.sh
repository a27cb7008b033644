#!/bin/sh
# f2b-input.sh - `article5 scan --fail2ban-filter` reads input as the native
# scan does: CRLF, CR-only and gzip files give the same failures as LF; a line
# over 16384 bytes is dropped whole and counted, never matched in part (its
# first 16384 bytes end with a failure naming a victim's address).
# Exit 0 pass, 1 fail, 77 when Debian's fail2ban sshd filter is absent.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${A5_BIN:-$root/build/article5}
filter=${A5_F2B_SSHD:-/etc/fail2ban/filter.d/sshd.conf}
[ -r "$filter" ] || { echo "skip: no fail2ban sshd filter at $filter"; exit 77; }
[ -x "$bin" ] || { echo "f2b-input: $bin not built"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/a5f2bin.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }

for i in 1 2 3 4 5 6; do
	printf 'Feb  5 14:34:%02d srv sshd[%d]: Failed password for root from 203.0.113.5 port %d ssh2\n' \
	    "$i" "$((100 + i))" "$((40000 + i))"
done >"$tmp/lf.log"
printf 'Feb  5 14:35:00 srv sshd[200]: Accepted password for alice from 198.51.100.7 port 5 ssh2\n' >>"$tmp/lf.log"
sed 's/$/\r/' "$tmp/lf.log" >"$tmp/crlf.log"
tr '\n' '\r' <"$tmp/lf.log" >"$tmp/cr.log"
gzip -c "$tmp/lf.log" >"$tmp/lf.log.gz"

"$bin" scan --fail2ban-filter "$filter" --matches "$tmp/lf.log" >"$tmp/lf.out" 2>&1 || bad "scan lf.log: $(cat "$tmp/lf.out")"
[ "$(grep -c '"addr": "203.0.113.5"' "$tmp/lf.out")" = 6 ] || bad "lf.log: expected 6 failures: $(cat "$tmp/lf.out")"
for f in crlf.log cr.log lf.log.gz; do
	"$bin" scan --fail2ban-filter "$filter" --matches "$tmp/$f" >"$tmp/$f.out" 2>&1
	if cmp -s "$tmp/lf.out" "$tmp/$f.out"; then ok "$f: the same 6 failures as LF"
	else bad "$f differs from LF: $(head -c 300 "$tmp/$f.out")"; fi
done

# A user name padded so that the line's first 16384 bytes end with a
# failure naming the victim 192.0.2.99; what follows is cut away by a
# reader that cuts. Then a normal failure of the attacker.
awk 'BEGIN {
	pre = "Feb  5 14:36:00 srv sshd[300]: Failed password for invalid user "
	tail = " from 192.0.2.99 port 22 ssh2"
	pad = 16384 - length(pre) - length(tail)
	u = ""; for (i = 0; i < pad; i++) u = u "x"
	printf "%s%s%s from 203.0.113.9 port 1 ssh2\n", pre, u, tail
	print "Feb  5 14:36:01 srv sshd[301]: Failed password for root from 203.0.113.9 port 2 ssh2"
}' >"$tmp/long.log"
"$bin" scan --fail2ban-filter "$filter" --matches "$tmp/long.log" >"$tmp/long.out" 2>&1
if grep -q '192.0.2.99' "$tmp/long.out"; then bad "the victim of an over-long line was matched: $(cat "$tmp/long.out")"
elif [ "$(grep -c '203.0.113.9' "$tmp/long.out")" != 1 ]; then bad "expected 1 failure after the over-long line: $(cat "$tmp/long.out")"
else ok "over-long line dropped whole, the next line counted"; fi
"$bin" scan --fail2ban-filter "$filter" "$tmp/long.log" >"$tmp/long.sum" 2>&1
grep -q '^overlong: *1 lines longer than 16384 bytes dropped' "$tmp/long.sum" && ok "summary counts it" ||
	bad "summary: $(cat "$tmp/long.sum")"

# the same over-long line across a read boundary: after 4 MiB of filler lines
awk 'BEGIN { for (i = 0; i < 40000; i++) printf "Feb  5 14:30:00 srv cron[1]: filler line %06d padding padding padding pad\n", i }' >"$tmp/big.log"
cat "$tmp/long.log" >>"$tmp/big.log"
"$bin" scan --fail2ban-filter "$filter" --matches "$tmp/big.log" >"$tmp/big.out" 2>&1
if grep -q '192.0.2.99' "$tmp/big.out"; then bad "over-long line across a block boundary was matched"
else ok "over-long line after 4 MiB: dropped"; fi

# A line that fills a whole read block and starts right after a line end
# the input itself put first (NUL padding dropped, its CR settled as LF only
# by the next read): dropped and counted, and the scan goes on (it stopped
# with "no room to read into", exit 1, found by review).
awk 'BEGIN { printf "%c", 0 }' >"$tmp/nul1"
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18; do cat "$tmp/nul1" "$tmp/nul1" >"$tmp/nul2" && mv "$tmp/nul2" "$tmp/nul1"; done
{
	head -c 262143 "$tmp/nul1"	# 2^18 - 1 NULs
	printf '\r'
	awk 'BEGIN { s = "y"; while (length(s) < 1048575) s = s s; printf "%s\n", substr(s, 1, 1048575) }'
	printf 'Feb  5 14:36:00 srv sshd[300]: Invalid user x from 203.0.113.77 port 22\n'
} >"$tmp/crafted.log"
if ! "$bin" scan --fail2ban-filter "$filter" --matches "$tmp/crafted.log" >"$tmp/crafted.out" 2>&1; then
	bad "block-sized line after a settled CR: scan failed: $(head -c 300 "$tmp/crafted.out")"
elif ! grep -q '"addr": "203.0.113.77"' "$tmp/crafted.out"; then
	bad "block-sized line after a settled CR: the next line not counted: $(head -c 300 "$tmp/crafted.out")"
else ok "block-sized line after a settled CR: dropped, the next line counted"; fi

if [ "$fails" -eq 0 ]; then echo "f2b-input: all passed"; exit 0; fi
echo "f2b-input: $fails failed"; exit 1
