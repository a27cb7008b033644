#!/bin/sh
# fail2ban-samples.sh - conformance with fail2ban's own sample logs: every
# log in fail2ban's tests/files/logs/ runs through the same-named filter of
# /etc/fail2ban/filter.d/ with `article5 scan --fail2ban-filter`, and each
# `# failJSON:` annotation is checked the way fail2ban's samplestestcase.py
# does. The logs are read in place; nothing of them is copied into the tree.
#
# What samplestestcase.py does, and this script with it (f2b_plan, in jq):
#   - comment and blank lines are skipped; the line after a `# failJSON:`
#     line is run whatever it is; every other line is run with no
#     annotation, and must not yield a failure;
#   - `# filterOptions:` (a dict, or a list of dicts: one run each) switches
#     the option sets the following lines run with; `# fileOptions:` is
#     merged into each; `# addFILE:` appends another log to run after this
#     one; each option set is one filter instance fed all its lines in order;
#   - test-only keys: `test.condition` (blocks whose condition is false are
#     skipped), `test.prefix-line` (prepended to each line of a journal run),
#     `test.filter-name`; a failJSON `constraint` skips the line for the
#     option sets it is false for. logtype=journal runs have no date to cut.
#   - match true: a failure on that line, for `host` when given (a host
#     name or an invalid address only matches; they are counted apart as
#     "names"); match false or no annotation: no failure on that line.
#
# Prints one line per filter, then
#   fail2ban-samples: checks=N found=M false=F              (default options)
#   fail2ban-samples (all option sets): checks=N found=M false=F
# Default options: the lines before any filterOptions, and option sets that
# are {} or only set the filter's own default mode. Passes when every
# filter loads and finds >= 99% of its checks with no false match (default
# options). Exit 0 pass, 1 fail, 77 when fail2ban is not installed.
#
# Two parts, both must pass: native_part runs tests/e2e/native-samples.sh
# (article5's own rules against the same annotations, >= 99% per file, no
# false match, argued divergences listed there); f2b_part checks fail2ban's
# filters, run as they are, and prints the two lines above last.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${A5_BIN:-$root/build/article5}
F2B_PY=${F2B_PY:-/usr/lib/python3/dist-packages/fail2ban}
F2B_LOGS=$F2B_PY/tests/files/logs
F2B_FILTERS=${F2B_FILTERS:-/etc/fail2ban/filter.d}
SCAN_EXTRA=${SCAN_EXTRA:-}	# e.g. --no-prefilter

if [ ! -d "$F2B_LOGS" ] || [ ! -d "$F2B_FILTERS" ]; then
	echo "fail2ban-samples: fail2ban is not installed (no $F2B_LOGS)"
	exit 77
fi
for t in jq awk; do
	if ! command -v "$t" >/dev/null 2>&1; then
		echo "fail2ban-samples: $t is missing"
		exit 77
	fi
done
if [ ! -x "$bin" ]; then
	echo "fail2ban-samples: $bin not built (run make)"
	exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/a5f2bs.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# The log files of one test: NAME, then those its `# addFILE:` lines name
# (recursively, each once), in the order samplestestcase.py reads them.
f2b_files() {
	echo "$1" >"$tmp/queue"
	i=1
	while f=$(sed -n "${i}p" "$tmp/queue") && [ -n "$f" ]; do
		echo "$f"
		sed -n 's/^#* \{0,1\}addFILE: *"\(.*\)" *$/\1/p' "$F2B_LOGS/$f" | while IFS= read -r a; do
			grep -qxF "$a" "$tmp/queue" || echo "$a" >>"$tmp/queue"
		done
		i=$((i + 1))
	done
}

# The plan of one test (jq): one JSON object per line to run per option
# set: {key, opts, src, text, exp}. Input: "FILE<TAB>LINENO<TAB>TEXT" lines.
F2B_PLAN='
def cond($name; $opts; $e):
	if ($e | test("^\\s*name\\s*(==|!=)")) then
		($e | capture("^\\s*name\\s*(?<op>==|!=)\\s*\u0027(?<v>[^\u0027]*)\u0027\\s*$")) as $c
		| ($name == $c.v) == ($c.op == "==")
	elif ($e | test("^\\s*opts\\.get\\(")) then
		($e | capture("^\\s*opts\\.get\\(\u0027(?<k>[^\u0027]*)\u0027\\)\\s*(?<op>==|!=)\\s*\u0027(?<v>[^\u0027]*)\u0027\\s*$")) as $c
		| (($opts[$c.k] // null) == $c.v) == ($c.op == "==")
	else error("cannot evaluate condition: \($e)") end;
def fopts: with_entries(select(.key | startswith("test.") | not));
def key: if .["test.filter-name"] then .["test.filter-name"]
	elif (fopts | length) > 0 then (fopts | tojson) else "" end;
def run_line($st; $r; $exp):
	(if (($st.tests // []) | length) == 0 then [{}] else $st.tests end)[] as $o
	| select(($exp.constraint // null) == null or cond($name; $o; $exp.constraint))
	| {key: ($o | key), opts: ($o | fopts), src: "\($r.f):\($r.n)",
	   text: ((if $o.logtype == "journal" then ($o["test.prefix-line"] // "") else "" end)
	          + ($r.t | sub("[\r\n]+$"; ""))),
	   exp: $exp};
foreach (inputs | split("\t") | {f: .[0], n: (.[1] | tonumber), t: (.[2:] | join("\t"))}) as $r (
	{tests: null, common: {}, ignore: false, pend: null, file: null, out: []};
	.out = []
	| if .file != $r.f then .file = $r.f | .ignore = false | .pend = null else . end
	| if .pend != null then
		(if .ignore then . else .out = [run_line(.; $r; .pend)] end) | .pend = null
	  elif ($r.t | test("^#+ ?(failJSON|fileOptions|filterOptions|addFILE):")) then
		($r.t | capture("^#+ ?(?<k>failJSON|fileOptions|filterOptions|addFILE):(?<v>.+)$")) as $m
		| ($m.v | fromjson) as $d
		| if $m.k == "fileOptions" then .common = $d
		  elif $m.k == "filterOptions" then
			.tests = [] | .ignore = false
			| reduce (if ($d | type) == "array" then $d[] else $d end) as $o (.;
				(.common + $o) as $oo
				| (if $oo["test.condition"] then .ignore = (cond($name; $oo; $oo["test.condition"]) | not) else . end)
				| if .ignore then . else .tests += [$oo] end)
		  elif $m.k == "addFILE" then .
		  else .pend = $d end
	  elif .ignore or ($r.t | startswith("#")) or ($r.t | test("^\\s*$")) then .
	  else .out = [run_line(.; $r; {})] end;
	.out[])
'

# Runs one filter's test; appends "NAME dchecks dfound dnames dfalse
# achecks afound anames afalse" to $tmp/results, and the misses to
# $tmp/misses.
f2b_test() {
	name=$1 conf=$2
	w=$tmp/$name
	mkdir -p "$w"
	if ! "$bin" f2b-dump "$conf" >"$w/dump" 2>"$w/err"; then
		echo "$name cannot load: $(head -n 1 "$w/err")" >>"$tmp/unloadable"
		return
	fi
	defmode=$(awk -F '\t' '$1 == "mode" { print $2 }' "$w/dump")
	for f in $(f2b_files "$name"); do
		awk -v f="$f" '{ printf "%s\t%d\t%s\n", f, NR, $0 }' "$F2B_LOGS/$f"
	done | jq -R -n -c --arg name "$name" "$F2B_PLAN" >"$w/plan" 2>"$w/err" || {
		echo "$name cannot read its sample log: $(head -n 1 "$w/err")" >>"$tmp/unloadable"
		return
	}
	jq -r '.key' "$w/plan" | awk '!seen[$0]++' >"$w/keys"
	k=0
	: >"$w/sum"
	while IFS= read -r key; do
		k=$((k + 1))
		jq -r --arg k "$key" 'select(.key == $k) | .text' "$w/plan" >"$w/run$k.log"
		jq -r --arg k "$key" 'select(.key == $k) | [.src,
			(if .exp.match == true then "1" elif .exp.match == false then "0" else "-" end),
			(.exp.host // "" | tostring)] | @tsv' "$w/plan" >"$w/run$k.exp"
		opts=$(jq -c --arg k "$key" 'select(.key == $k) | .opts' "$w/plan" | head -n 1)
		isdef=$(echo "$opts" | jq -r --arg m "$defmode" \
			'if . == {} or . == {mode: $m} then 1 else 0 end')
		set -- --fail2ban-filter "$conf" --matches
		for o in $(echo "$opts" | jq -r 'to_entries[] | "\(.key)=\(.value)" | @base64'); do
			set -- "$@" --opt "$(echo "$o" | base64 -d)"
		done
		# shellcheck disable=SC2086
		if ! "$bin" scan "$@" $SCAN_EXTRA "$w/run$k.log" >"$w/run$k.out" 2>"$w/err"; then
			echo "$name $opts cannot load: $(head -n 1 "$w/err")" >>"$tmp/unloadable"
			continue
		fi
		jq -r '[.line, (.addr // ""), (.host // "")] | @tsv' "$w/run$k.out" >"$w/run$k.got"
		awk -F '\t' -v name="$name" -v opts="$opts" -v isdef="$isdef" \
		    -v misses="$tmp/misses" '
		FNR == NR { gaddr[$1] = $2; ghost[$1] = $3; next }
		{
			seq = FNR; src = $1; match_ = $2; host = tolower($3)
			got = seq in gaddr
			if (match_ == "1") {
				checks++
				if (!got) {
					printf "%s %s: %s: missed (expected %s)\n", name, opts, src, host >>misses
				} else if (host == "" || tolower(gaddr[seq]) == host) {
					found++
				} else if (gaddr[seq] == "" && tolower(ghost[seq]) == host) {
					found++; names++
				} else {
					printf "%s %s: %s: wrong address %s%s (expected %s)\n", name, opts, src,
					    gaddr[seq], ghost[seq], host >>misses
				}
			} else if (got) {
				false_++
				printf "%s %s: %s: false match %s%s\n", name, opts, src, gaddr[seq], ghost[seq] >>misses
			}
		}
		END { printf "%d %d %d %d %d\n", isdef, checks, found, names, false_ }
		' "$w/run$k.got" "$w/run$k.exp" >>"$w/sum"
	done <"$w/keys"
	awk -v name="$name" '
		{ if ($1) { dc += $2; df += $3; dn += $4; dx += $5 } ac += $2; af += $3; an += $4; ax += $5 }
		END { print name, dc + 0, df + 0, dn + 0, dx + 0, ac + 0, af + 0, an + 0, ax + 0 }
	' "$w/sum" >>"$tmp/results"
}

# fail2ban's filters over fail2ban's sample logs. Returns 0 when they pass.
f2b_part() {
	: >"$tmp/results"
	: >"$tmp/misses"
	: >"$tmp/unloadable"
	: >"$tmp/nofilter"
	for log in "$F2B_LOGS"/*; do
		[ -f "$log" ] || continue
		name=$(basename "$log")
		if [ -f "$F2B_FILTERS/$name.conf" ]; then
			f2b_test "$name" "$F2B_FILTERS/$name.conf"
		elif ! grep -q "addFILE: *\"$name\"" "$F2B_LOGS"/* 2>/dev/null; then
			# fail2ban's test-only filters (zzz-*) include common.conf
			# from a source tree path that an installed fail2ban lacks
			echo "$name: no $F2B_FILTERS/$name.conf" >>"$tmp/nofilter"
		fi
	done
	printf '%-28s %7s %7s %6s %6s | %7s %7s %6s %6s\n' FILTER CHECKS FOUND NAMES FALSE \
	    ALL-CHK FOUND NAMES FALSE
	awk '{ printf "%-28s %7d %7d %6d %6d | %7d %7d %6d %6d%s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9,
	    ($3 < 0.99 * $2 || $5 > 0 || $7 < 0.99 * $6 || $9 > 0) ? "  FAIL" : "" }' "$tmp/results"
	if [ -s "$tmp/misses" ]; then
		echo
		echo "misses and false matches (all option sets):"
		sed 's/^/  /' "$tmp/misses"
	fi
	if [ -s "$tmp/nofilter" ]; then
		echo
		echo "sample logs not checked:"
		sed 's/^/  /' "$tmp/nofilter"
	fi
	if [ -s "$tmp/unloadable" ]; then
		echo
		echo "filters that cannot load:"
		sed 's/^/  /' "$tmp/unloadable"
	fi
	echo
	awk '{ dc += $2; df += $3; dn += $4; dx += $5; ac += $6; af += $7; an += $8; ax += $9 }
	END {
		printf "found by a host name or an invalid address (no address to ban): %d, all option sets %d\n", dn, an
		printf "fail2ban-samples: checks=%d found=%d false=%d\n", dc, df, dx
		printf "fail2ban-samples (all option sets): checks=%d found=%d false=%d\n", ac, af, ax
	}' "$tmp/results"
	[ ! -s "$tmp/unloadable" ] &&
	    awk '$3 < 0.99 * $2 || $5 > 0 || $7 < 0.99 * $6 || $9 > 0 { bad = 1 } END { exit bad }' "$tmp/results"
}

# article5's native rules against the same annotations (its service ->
# sample file mapping and argued divergences live in native-samples.sh);
# its last line is "native-samples: checks=N found=M false=F divergent=D".
native_part() {
	echo "== native rules (tests/e2e/native-samples.sh)"
	sh "$here/native-samples.sh"
}

rc=0
native_part || rc=1
echo
echo "== fail2ban's own filters, run as they are"
f2b_part || rc=1
exit $rc
