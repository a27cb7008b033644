#!/bin/sh
# rules-golden.sh - checks every tests/rules/SERVICE.log against etc/rules.
#
# In a sample log, each line to check is preceded by an expectation comment:
#   # expect: RULE ADDR   the line is counted as one failed attempt, by RULE
#                         of service SERVICE (the file's name), for ADDR
#   # expect: none        the line is not counted
# The expectation applies to the next line that is neither a comment nor
# blank. `build/article5 scan --matches FILE` prints one JSON object per
# counted attempt, {"line": N, "service": S, "rule": R, "addr": A}, with N
# counting every line of the file from 1. Any difference is printed; a
# counted line without an expectation is a failure too.
# Exit 0 when everything agrees, 1 otherwise.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${A5_BIN:-$root/build/article5}

if [ ! -x "$bin" ]; then
	echo "rules-golden: $bin not built (run make)"
	exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/a5golden.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
# Always this tree's rules, whatever rules_dir the binary was built with.
printf 'rules_dir %s\nrules_local none\n' "$root/etc/rules" >"$tmp/a5.conf"

rc=0 nfiles=0 nchecks=0 nbad=0
for f in "$root"/tests/rules/*.log; do
	[ -f "$f" ] || continue
	svc=$(basename "$f" .log)
	nfiles=$((nfiles + 1))
	if ! "$bin" scan -c "$tmp/a5.conf" --matches "$f" >"$tmp/m" 2>"$tmp/err"; then
		echo "$svc: scan failed: $(cat "$tmp/err")"
		rc=1
		continue
	fi
	awk -v svc="$svc" -v mfile="$tmp/m" -v file="tests/rules/$svc.log" '
	BEGIN {
		while ((getline l < mfile) > 0) {
			ln = l; sub(/^.*"line": */, "", ln); sub(/[^0-9].*$/, "", ln)
			s = l; sub(/^.*"service": *"/, "", s); sub(/".*$/, "", s)
			r = l; sub(/^.*"rule": *"/, "", r); sub(/".*$/, "", r)
			a = l; sub(/^.*"addr": *"/, "", a); sub(/".*$/, "", a)
			got[ln] = s " " r " " a
		}
		want = ""; checks = 0; bad = 0
	}
	/^#[ \t]*expect:/ {
		if (want != "") {
			printf "%s:%d: expectation without a line to check\n", file, wantline
			bad++
		}
		want = $0; sub(/^#[ \t]*expect:[ \t]*/, "", want); sub(/[ \t]+$/, "", want)
		wantline = NR
		next
	}
	/^#/ || /^[ \t]*$/ { next }
	{
		if (want == "") {
			if (NR in got) {
				printf "%s:%d: counted (%s) but has no expectation: %s\n", file, NR, got[NR], $0
				bad++
			}
			next
		}
		checks++
		n = split(want, w, /[ \t]+/)
		if (n == 1 && w[1] == "none") {
			if (NR in got) {
				printf "%s:%d: expected none, got %s: %s\n", file, NR, got[NR], $0
				bad++
			}
		} else if (n == 2) {
			exp_s = svc " " w[1] " " w[2]
			if (!(NR in got)) {
				printf "%s:%d: expected %s %s, got none: %s\n", file, NR, w[1], w[2], $0
				bad++
			} else if (got[NR] != exp_s) {
				printf "%s:%d: expected %s, got %s: %s\n", file, NR, exp_s, got[NR], $0
				bad++
			}
		} else {
			printf "%s:%d: bad expectation \"%s\", expected \"RULE ADDR\" or \"none\"\n", file, wantline, want
			bad++
		}
		want = ""
	}
	END {
		if (want != "") {
			printf "%s:%d: expectation without a line to check\n", file, wantline
			bad++
		}
		printf "COUNTS %d %d\n", checks, bad > "/dev/stderr"
	}' "$f" 2>"$tmp/counts"
	# shellcheck disable=SC2046 # split on purpose
	set -- $(grep '^COUNTS' "$tmp/counts")
	if [ $# -ne 3 ]; then
		cat "$tmp/counts"
		rc=1
		continue
	fi
	nchecks=$((nchecks + $2))
	nbad=$((nbad + $3))
	[ "$3" -eq 0 ] || rc=1
	[ "$2" -gt 0 ] || { echo "$svc: no expectations"; rc=1; }
done

if [ "$nfiles" -eq 0 ]; then
	echo "rules-golden: no tests/rules/*.log"
	exit 1
fi
echo "rules-golden: $nfiles files, $nchecks lines checked, $nbad mismatches"
exit $rc
