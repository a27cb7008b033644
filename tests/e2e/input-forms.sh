#!/bin/sh
# input-forms.sh - the same sshd attack (6 failed passwords from 203.0.113.5
# within a minute, 2 logins from 198.51.100.7) written in every form real
# systems write logs in: LF, CRLF, CR, <PRI>, each journalctl -o form,
# RFC 5424, a first line behind crash NUL padding, rsyslog's "message
# repeated", gzip, over-long lines carrying a victim's address past the
# line ceiling (also across scan's 4 MiB blocks), stamps out of order, over
# the new year, in mixed zones; access logs whose lines all start with the
# same "client - - ". `article5 scan --matches` / `--bans` must
# give exactly the expected attempts and bans for each.
# Offline: no network namespace, no root. A5_BIN picks another binary.
# Exit 0 pass, 1 fail, 77 skip.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${A5_BIN:-$root/build/article5}

[ -x "$bin" ] || { echo "input-forms: $bin not built (run make)"; exit 77; }
for t in gzip awk tr sed head; do
	command -v "$t" >/dev/null 2>&1 || { echo "input-forms: $t missing"; exit 77; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/a5forms.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
printf 'rules_dir %s\nrules_local none\n' "$root/etc/rules" >"$tmp/a5.conf"

ATT=203.0.113.5 VICTIM=192.0.2.66
# sec pid message: the attack, in the order written
EVENTS="01 101 Failed password for root from $ATT port 40001 ssh2
05 102 Failed password for root from $ATT port 40002 ssh2
10 103 Accepted password for alice from 198.51.100.7 port 50001 ssh2
12 104 Failed password for invalid user admin from $ATT port 40003 ssh2
20 105 Failed password for root from $ATT port 40004 ssh2
30 106 Accepted publickey for bob from 198.51.100.7 port 50002 ssh2: ED25519 SHA256:abc
40 107 Failed password for root from $ATT port 40005 ssh2
50 108 Failed password for root from $ATT port 40006 ssh2"

# attack HEADER_FORMAT: each event with printf-style %S (seconds) and %P (pid)
attack() {
	printf '%s\n' "$EVENTS" | awk -v fmt="$1" '{
		s = $1; p = $2; $1 = ""; $2 = ""; sub(/^  /, "")
		h = fmt; gsub(/%S/, s, h); gsub(/%P/, p, h)
		print h $0
	}'
}

rc=0 n=0
# check NAME FILE ATTEMPTS BANS [scan options...]
check() {
	name=$1 file=$2 want_att=$3 want_bans=$4
	shift 4
	n=$((n + 1))
	if ! "$bin" scan -c "$tmp/a5.conf" "$@" --matches "$file" >"$tmp/m" 2>"$tmp/err" ||
	    ! "$bin" scan -c "$tmp/a5.conf" "$@" --bans "$file" >"$tmp/b" 2>>"$tmp/err"; then
		echo "FAIL $name: scan failed: $(head -c 300 "$tmp/err")"
		rc=1
		return
	fi
	att=$(grep -c "\"addr\": \"$ATT\"" "$tmp/m")
	all=$(grep -c . "$tmp/m")
	bans=$(tr '\n' ' ' <"$tmp/b" | sed 's/ $//')
	if [ "$att" = "$want_att" ] && [ "$all" = "$want_att" ] && [ "$bans" = "$want_bans" ]; then
		echo "ok   $name: $att attempts, bans: ${bans:-none}"
	else
		echo "FAIL $name: $all attempts ($att from $ATT), bans: '${bans}'; expected $want_att, '$want_bans'"
		rc=1
	fi
}

# pipe_check NAME FILE CUT: FILE through a pipe on stdin in two writes, the
# first read ending at byte CUT; the attack must come out whole.
two_writes() { head -c "$2" "$1"; sleep 0.3; tail -c +"$(($2 + 1))" "$1"; }
pipe_check() {
	n=$((n + 1))
	att=$(two_writes "$2" "$3" | "$bin" scan -c "$tmp/a5.conf" --matches - | grep -c "\"addr\": \"$ATT\"")
	bans=$(two_writes "$2" "$3" | "$bin" scan -c "$tmp/a5.conf" --bans - | tr '\n' ' ' | sed 's/ $//')
	if [ "$att" = 6 ] && [ "$bans" = "$ATT" ]; then
		echo "ok   $1: $att attempts, bans: $bans"
	else
		echo "FAIL $1: $att attempts, bans: '$bans'; expected 6, '$ATT'"
		rc=1
	fi
}

f=$tmp/f
attack 'Feb  5 14:34:%S host sshd[%P]: ' >"$f.lf"
check lf "$f.lf" 6 "$ATT"
sed 's/$/\r/' "$f.lf" >"$f.crlf"
check crlf "$f.crlf" 6 "$ATT"
tr '\n' '\r' <"$f.lf" >"$f.cr"
check cr "$f.cr" 6 "$ATT"
# through a pipe, a read ending right after the first line's CR
first=$(head -n 1 "$f.lf" | wc -c)
pipe_check cr-pipe-cut-after-cr "$f.cr" "$first"
pipe_check crlf-pipe-cut-between-cr-lf "$f.crlf" "$first"
pipe_check crlf-pipe-cut-after-crlf "$f.crlf" "$((first + 1))"
attack '<38>Feb  5 14:34:%S host sshd[%P]: ' >"$f.pri"
check pri-rfc3164 "$f.pri" 6 "$ATT"
attack '<38>2024-02-05T14:34:%S.123456+01:00 host sshd[%P]: ' >"$f.pri3339"
check pri-rfc3339 "$f.pri3339" 6 "$ATT"
attack '<38>1 2024-02-05T14:34:%S.003Z host.example sshd %P - - ' >"$f.5424"
check rfc5424 "$f.5424" 6 "$ATT"
attack '<38>1 2024-02-05T14:34:%SZ host sshd %P ID47 [meta x="[a\]"] ' >"$f.5424sd"
check rfc5424-sd "$f.5424sd" 6 "$ATT"

# journalctl -o FORM
attack 'Feb 05 14:34:%S host sshd[%P]: ' >"$f.short"
check journal-short "$f.short" 6 "$ATT"
attack '2024-02-05T14:34:%S+0100 host sshd[%P]: ' >"$f.iso"
check journal-short-iso "$f.iso" 6 "$ATT"
attack '2024-02-05T14:34:%S.123456+01:00 host sshd[%P]: ' >"$f.isop"
check journal-short-iso-precise "$f.isop" 6 "$ATT"
attack 'Feb 05 14:34:%S.123456 host sshd[%P]: ' >"$f.precise"
check journal-short-precise "$f.precise" 6 "$ATT"
attack 'Mon 2024-02-05 14:34:%S UTC host sshd[%P]: ' >"$f.full"
check journal-short-full "$f.full" 6 "$ATT"
attack '[ 1000%S.123456] host sshd[%P]: ' >"$f.mono"
check journal-short-monotonic "$f.mono" 6 "$ATT"
attack '17071436%S.123456 host sshd[%P]: ' >"$f.unix"
check journal-short-unix "$f.unix" 6 "$ATT"
attack '' >"$f.cat"
check journal-cat "$f.cat" 6 "$ATT" --program sshd
check journal-cat-no-program "$f.cat" 0 ""

# A crash: NULs where lost lines were, then the next line written.
{ head -c 300 /dev/zero; cat "$f.lf"; } >"$f.nul"
check nul-padded "$f.nul" 6 "$ATT"
{ head -n 3 "$f.lf"; printf 'Feb  5 14:34:11 host kernel: a\000b \377\376 \303\050\n'; tail -n +4 "$f.lf"; } >"$f.nulmid"
check nul-inside-and-bad-utf8 "$f.nulmid" 6 "$ATT"

# rsyslog folds identical lines: 1 + 4 + 1 failures.
{
	echo "Feb  5 14:34:01 host sshd[101]: Failed password for root from $ATT port 40001 ssh2"
	echo "Feb  5 14:34:10 host sshd[103]: Accepted password for alice from 198.51.100.7 port 50001 ssh2"
	echo "Feb  5 14:34:12 host sshd[104]: Failed password for invalid user admin from $ATT port 40003 ssh2"
	echo "Feb  5 14:34:40 host sshd[101]: message repeated 4 times: [ Failed password for root from $ATT port 40001 ssh2]"
} >"$f.rep"
check message-repeated "$f.rep" 6 "$ATT"

gzip -c "$f.lf" >"$f.lf.gz"
check gzip "$f.lf.gz" 6 "$ATT"
gzip -c "$f.crlf" >"$f.crlf.gz"
check gzip-crlf "$f.crlf.gz" 6 "$ATT"
{ gzip -c "$f.short"; gzip -c "$f.lf"; } >"$f.multi.gz"	# two members
check gzip-two-members "$f.multi.gz" 12 "$ATT"

# A .gz cut short: what it holds is read, the cut is an error.
gz_size=$(wc -c <"$f.lf.gz")
head -c "$((gz_size - 20))" "$f.lf.gz" >"$f.cut.gz"
n=$((n + 1))
if "$bin" scan -c "$tmp/a5.conf" --matches "$f.cut.gz" >"$tmp/m" 2>"$tmp/err" ||
    ! grep -q 'unexpected end of compressed data' "$tmp/err" || [ "$(grep -c . "$tmp/m")" -lt 1 ]; then
	echo "FAIL gzip-cut-short: exit 0 or no error or nothing read: $(cat "$tmp/err")"
	rc=1
else
	echo "ok   gzip-cut-short: $(grep -c . "$tmp/m") attempts read, then: $(cat "$tmp/err")"
fi

# Over the line ceiling (16384 bytes): a user name padded so that the
# victim's address comes past it. Dropped whole, never counted.
pad=$(head -c 17000 /dev/zero | tr '\0' 'A')
{
	cat "$f.lf"
	for s in 02 03 04 06 07 08; do
		printf 'Feb  5 14:34:%s host sshd[9%s]: Failed password for invalid user %s from %s port 22 ssh2\n' \
		    "$s" "$s" "$pad" "$VICTIM"
	done
} >"$f.long"
check overlong-victim "$f.long" 6 "$ATT"
"$bin" scan -c "$tmp/a5.conf" "$f.long" | grep -q '^overlong: *6 lines' ||
	{ echo "FAIL overlong-victim: the summary does not count 6 overlong lines"; rc=1; }
# The same around scan's 4 MiB block boundaries, and one line longer than a
# whole block.
{
	awk 'BEGIN { for (i = 0; i < 41000; i++) printf "Feb  5 14:30:00 host cron[%d]: filler line %0*d\n", i, 60, i }'
	for s in 02 03 04 06 07 08; do
		printf 'Feb  5 14:34:%s host sshd[9%s]: Failed password for invalid user %s from %s port 22 ssh2\n' "$s" "$s" "$pad" "$VICTIM"
		awk 'BEGIN { for (i = 0; i < 20; i++) printf "Feb  5 14:31:00 host cron[1]: filler %0*d\n", 400, i }'
	done
	printf 'Feb  5 14:34:09 host sshd[999]: Failed password for invalid user '
	head -c 5000000 /dev/zero | tr '\0' 'B'
	printf ' from %s port 22 ssh2\n' "$VICTIM"
	cat "$f.lf"
} >"$f.block"
check overlong-block-boundaries "$f.block" 6 "$ATT"

# Stamps: every line its own. RFC 3339 stamps sharing their first 15 bytes
# ("2024-02-05T14:2") are up to ten minutes apart: 5 failures over 19
# minutes ban no one.
pid=200
for t in 14:10:30 14:20:00 14:29:00 14:29:10 14:29:20; do
	pid=$((pid + 1))
	echo "2024-02-05T$t+00:00 host sshd[$pid]: Failed password for root from $ATT port 1 ssh2"
done >"$f.spread"
check rfc3339-spread "$f.spread" 5 ""
# Access logs (CLF stamps, whole-line rules): every line starts with the
# same "client - - ", yet each has its own stamp. nginx-botsearch bans at 2
# within findtime: 2 probes half an hour apart ban no one; 3 within a
# minute do, CRLF or not.
{
	echo "$ATT - - [05/Feb/2024:14:00:00 +0000] \"GET /.env HTTP/1.1\" 404 153 \"-\" \"x\""
	echo "$ATT - - [05/Feb/2024:14:30:00 +0000] \"GET /.git/config HTTP/1.1\" 404 153 \"-\" \"x\""
} >"$f.clf-spread"
check access-log-spread "$f.clf-spread" 2 ""
{
	echo "$ATT - - [05/Feb/2024:15:34:01 +0100] \"GET /.env HTTP/1.1\" 404 153 \"-\" \"x\""
	echo "198.51.100.7 - - [05/Feb/2024:15:34:02 +0100] \"GET / HTTP/1.1\" 200 15 \"-\" \"x\""
	echo "$ATT - - [05/Feb/2024:15:34:05 +0100] \"GET /wp-login.php HTTP/1.1\" 404 153 \"-\" \"x\""
	echo "$ATT - - [05/Feb/2024:15:34:09 +0100] \"GET /phpmyadmin/ HTTP/1.1\" 404 153 \"-\" \"x\""
} | sed 's/$/\r/' >"$f.clf-crlf"
check access-log-crlf "$f.clf-crlf" 3 "$ATT"
# out of order within the window
attack 'Feb  5 14:34:%S host sshd[%P]: ' | awk '{ l[NR] = $0 } END { print l[2]; print l[1]; print l[4]; print l[3]; print l[8]; print l[6]; print l[7]; print l[5] }' >"$f.ooo"
check out-of-order "$f.ooo" 6 "$ATT"
# over the new year, in a file without years
printf '%s\n' "$EVENTS" | awk '{
	s = $1; p = $2; $1 = ""; $2 = ""; sub(/^  /, "")
	if (s + 0 < 30) h = sprintf("Dec 31 23:59:%02d", s + 30); else h = sprintf("Jan  1 00:00:%02d", s - 30)
	print h " host sshd[" p "]: " $0 }' >"$f.newyear"
check year-rollover "$f.newyear" 6 "$ATT"
# zones: a stamp with its zone, then local time (Europe/Paris): 9 minutes
# apart, a ban; read as UTC the local ones would be 69 minutes later.
{
	echo "2024-02-05T15:30:00+01:00 host sshd[301]: Failed password for root from $ATT port 1 ssh2"
	for s in 1 2 3 4; do
		echo "2024-02-05 15:39:0$s host sshd[30$((s + 1))]: Failed password for root from $ATT port 1 ssh2"
	done
} >"$f.tz"
if [ -f /usr/share/zoneinfo/Europe/Paris ]; then
	TZ=Europe/Paris check zones-local "$f.tz" 5 "$ATT"
	TZ=UTC check zones-utc "$f.tz" 5 ""
fi

# A missing file says so.
if "$bin" scan -c "$tmp/a5.conf" "$tmp/nonexistent" >/dev/null 2>"$tmp/err" ||
    [ "$(cat "$tmp/err")" != "article5 scan: $tmp/nonexistent: No such file or directory" ]; then
	echo "FAIL missing file: '$(cat "$tmp/err")'"
	rc=1
else
	echo "ok   missing file: $(cat "$tmp/err")"
fi

echo "input-forms: $n forms checked, $([ $rc = 0 ] && echo 'all as expected' || echo 'FAILURES')"
exit $rc
