#!/bin/sh
# scan-threads.sh - `article5 scan` matches lines in worker threads and feeds
# the detector in file order (src/cli/scan_pipe.c): its output must be the
# same byte for byte whatever the number of threads. Runs scan with
# --threads 1 (everything on one thread, the reference) and 2, 3, 5 over
#   - a generated sshd log of 200k lines (~90 blocks in flight in turn), with
#     lines over the 16 KiB ceiling and one over the 4 MiB block inserted,
#     and the same log gzip-compressed, on stdin, and without its headers
#     (--program sshd);
#   - several files in one run (line numbers restart, stamps per file);
#   - the rules' golden logs (tests/rules/*.log) and, when present, the
#     fail2ban sample logs (its package's, ../shared/corpus/fail2ban);
# and compares --matches, --bans and the summary (all but its timing line).
# The same for fail2ban's filters (`scan --fail2ban-filter`, every filter of
# /etc/fail2ban/filter.d at once: src/cli/f2b_pool.c), 2 and 3 threads against
# 1, over a shorter generated log (70k lines and the two overlong ones), gzip,
# stdin, several files and the sample logs.
# Offline: no network, no root. A5_BIN picks another binary.
# Exit 0 pass, 1 fail, 77 skip.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${A5_BIN:-$root/build/article5}
cc=${CC:-cc}

[ -x "$bin" ] || { echo "scan-threads: $bin not built (run make)"; exit 77; }
for t in gzip awk head tail cmp "$cc"; do
	command -v "$t" >/dev/null 2>&1 || { echo "scan-threads: $t missing"; exit 77; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/a5thr.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
printf 'rules_dir %s\nrules_local none\n' "$root/etc/rules" >"$tmp/a5.conf"

"$cc" -O2 -o "$tmp/gen" "$root/bench/gen-authlog.c" || { echo "scan-threads: cannot build the generator"; exit 1; }
"$tmp/gen" -n 200000 -s 0x7e57 -o "$tmp/gen.log" || exit 1
# Overlong lines between ordinary ones: one over the line ceiling (dropped,
# counted), one longer than a whole block (skipped while reading), each
# carrying an attacker's address that must never count.
long() { awk -v n="$1" 'BEGIN { s = "x"; while (length(s) < n) s = s s; print "Mar  1 00:10:00 srv1 sshd[4242]: Failed password for " substr(s, 1, n) " from 192.0.2.99 port 1 ssh2" }'; }
{
	head -n 70000 "$tmp/gen.log"
	long 20000
	sed -n '70001,140000p' "$tmp/gen.log"
	long 5000000
	tail -n +140001 "$tmp/gen.log"
} >"$tmp/big.log"
gzip -c "$tmp/big.log" >"$tmp/big.log.gz"

rc=0 n=0
# run_scan KIND ARGS...: scan with the native rules (KIND native) or every
# fail2ban filter (KIND f2b, $FILTERS, set below)
run_scan() {
	kind=$1
	shift
	if [ "$kind" = f2b ]; then
		# shellcheck disable=SC2086 # $FILTERS: words
		"$bin" scan $FILTERS "$@"
	else
		"$bin" scan -c "$tmp/a5.conf" "$@"
	fi
}
# compare KIND LABEL STDIN THREADS ARGS...: scan's outputs with --threads 1
# and with each other count of THREADS
compare() {
	kind=$1 label=$2 in=$3 threads=$4
	shift 4
	for mode in --matches --bans summary; do
		m=$mode
		[ "$mode" = summary ] && m=
		for t in $threads; do
			# shellcheck disable=SC2086 # $m: one word or none
			if ! run_scan "$kind" --threads "$t" $m "$@" <"$in" >"$tmp/out.$t" 2>"$tmp/err.$t"; then
				echo "FAIL $label $mode --threads $t: scan failed: $(head -c 300 "$tmp/err.$t")"
				rc=1
				continue
			fi
			# the summary's first line is its timing
			[ "$mode" = summary ] && { tail -n +2 "$tmp/out.$t" >"$tmp/o" && mv "$tmp/o" "$tmp/out.$t"; }
			[ "$t" = 1 ] && continue
			n=$((n + 1))
			if ! cmp -s "$tmp/out.1" "$tmp/out.$t"; then
				echo "FAIL $label $mode: --threads $t differs from --threads 1:"
				diff "$tmp/out.1" "$tmp/out.$t" | head -n 10
				rc=1
			fi
		done
		# The reference must have found something, or the comparison
		# proves little.
		if [ ! -s "$tmp/out.1" ]; then
			echo "FAIL $label $mode: empty output with --threads 1"
			rc=1
		fi
	done
}
# same NAME STDIN ARGS...: the native rules, 2, 3 and 5 threads against 1
same() {
	name=$1 in=$2
	shift 2
	compare native "$name" "$in" "1 2 3 5" "$@"
}

same generated /dev/null "$tmp/big.log"
same gzip /dev/null "$tmp/big.log.gz"
same stdin "$tmp/big.log" -
# messages without headers (journalctl -o cat): each worker's scratch gets
# the program
sed 's/^[^]]*\]: //' "$tmp/gen.log" >"$tmp/msgs.log"
same program /dev/null --program sshd "$tmp/msgs.log"
# the overlong lines are dropped and counted, whatever the threads
for t in 1 2; do
	"$bin" scan -c "$tmp/a5.conf" --threads "$t" --matches "$tmp/big.log" >"$tmp/m" 2>/dev/null
	if grep -q '192\.0\.2\.99' "$tmp/m"; then
		echo "FAIL overlong: an overlong line's address counted with --threads $t"; rc=1
	fi
	"$bin" scan -c "$tmp/a5.conf" --threads "$t" "$tmp/big.log" >"$tmp/s" 2>/dev/null
	if ! grep -q '^overlong: *2 lines' "$tmp/s"; then
		echo "FAIL overlong: --threads $t: $(grep -m1 '^overlong' "$tmp/s" || echo 'no overlong line')"; rc=1
	fi
done

set --
for f in "$root"/tests/rules/*.log; do
	[ -f "$f" ] && set -- "$@" "$f"
done
[ $# -gt 0 ] && same golden /dev/null "$@"
same several /dev/null "$tmp/gen.log" "$@" "$tmp/big.log.gz"

# fail2ban's sample logs: the package's, and the corpus next to the repository
found=0
for d in /usr/lib/python3/dist-packages/fail2ban/tests/files/logs \
	"$root/../shared/corpus/fail2ban" "$root/../../shared/corpus/fail2ban"; do
	[ -d "$d" ] || continue
	set --
	for f in "$d"/*; do
		[ -f "$f" ] && set -- "$@" "$f"
	done
	[ $# -gt 0 ] && { same "samples $d" /dev/null "$@"; found=1; }
done
[ "$found" = 1 ] || echo "note: no fail2ban sample logs (package or corpus), left out"

# fail2ban's filters, all at once: batches split among threads
# (f2b/f2b_filter.h), whose failures must come out as with one thread
F2B_DIR=/etc/fail2ban/filter.d
same_f2b() {
	name=$1 in=$2
	shift 2
	compare f2b "f2b $name" "$in" "1 2 3" "$@"
}
FILTERS=
if [ -d "$F2B_DIR" ]; then
	: >"$tmp/empty.log"
	for f in "$F2B_DIR"/*.conf; do
		"$bin" scan --fail2ban-filter "$f" "$tmp/empty.log" >/dev/null 2>&1 &&
		    FILTERS="$FILTERS --fail2ban-filter $f"
	done
fi
if [ -n "$FILTERS" ]; then
	# a shorter log (every filter runs over it 3 x 3 times), with the
	# same two overlong lines, one longer than scan's 1 MiB block
	{
		head -n 30000 "$tmp/gen.log"
		long 20000
		sed -n '30001,60000p' "$tmp/gen.log"
		long 2000000
		sed -n '60001,70000p' "$tmp/gen.log"
	} >"$tmp/f2b.log"
	gzip -c "$tmp/f2b.log" >"$tmp/f2b.log.gz"
	head -n 20000 "$tmp/gen.log" >"$tmp/f2b-short.log"
	same_f2b generated /dev/null "$tmp/f2b.log"
	same_f2b gzip /dev/null "$tmp/f2b.log.gz"
	same_f2b stdin "$tmp/f2b.log" -
	same_f2b several /dev/null "$tmp/f2b-short.log" "$tmp/f2b.log.gz" "$tmp/f2b-short.log"
	for t in 1 2; do
		# shellcheck disable=SC2086
		"$bin" scan $FILTERS --threads "$t" "$tmp/f2b.log" >"$tmp/s" 2>/dev/null
		if ! grep -q '^overlong: *2 lines' "$tmp/s"; then
			echo "FAIL f2b overlong: --threads $t: $(grep -m1 '^overlong' "$tmp/s" || echo 'no overlong line')"; rc=1
		fi
		# shellcheck disable=SC2086
		"$bin" scan $FILTERS --threads "$t" --matches "$tmp/f2b.log" >"$tmp/m" 2>/dev/null
		if grep -q '192\.0\.2\.99' "$tmp/m"; then
			echo "FAIL f2b overlong: an overlong line's address counted with --threads $t"; rc=1
		fi
	done
	d=/usr/lib/python3/dist-packages/fail2ban/tests/files/logs
	if [ -d "$d" ]; then
		set --
		for f in "$d"/*; do
			[ -f "$f" ] && set -- "$@" "$f"
		done
		[ $# -gt 0 ] && same_f2b samples /dev/null "$@"
	fi
else
	echo "note: no fail2ban filters ($F2B_DIR), the filter part left out"
fi

if [ "$rc" = 0 ]; then
	echo "scan-threads: $n comparisons, all the same as --threads 1"
fi
exit "$rc"
