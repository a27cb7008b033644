#!/bin/sh
# run.sh SECONDS - builds every libFuzzer target (the Makefile's FUZZ=1
# build: clang, ASan+UBSan, one build-fuzz/fuzz_NAME per fuzz/fuzz_NAME.c)
# and runs each for SECONDS on a copy of its seed corpus. Exits non-zero on
# any crash, leak or sanitizer report. Prints executions per target.
# FUZZ_PAR targets run at a time (default 2).
# FUZZ_RUNS=N stops each target after N executions instead (SECONDS is
# then only an upper bound), for the long runs the hardening target asks.
set -eu
cd "$(dirname "$0")/.."
secs=${1:-10}
out=build-fuzz
make --no-print-directory -j"${FUZZ_JOBS:-2}" FUZZ=1 fuzz-targets >"${TMPDIR:-/tmp}/a5-fuzz-build.$$" 2>&1 || {
	cat "${TMPDIR:-/tmp}/a5-fuzz-build.$$"; rm -f "${TMPDIR:-/tmp}/a5-fuzz-build.$$"
	echo "fuzz: the build failed"; exit 1
}
rm -f "${TMPDIR:-/tmp}/a5-fuzz-build.$$"
# One target: its verdict line in $out/NAME.result, "FAILED" in it on failure.
fuzz_one() {
	name=$1
	seeds=fuzz/corpus/${name#fuzz_}
	work=$(mktemp -d)
	[ -d "$seeds" ] && cp "$seeds"/* "$work"/ 2>/dev/null || true
	runs_opt=
	[ -n "${FUZZ_RUNS:-}" ] && runs_opt="-runs=$FUZZ_RUNS"
	# shellcheck disable=SC2086
	if "$out/$name" $runs_opt -max_total_time="$secs" -max_len=65536 -rss_limit_mb=1024 "$work" \
	    >"$out/$name.log" 2>&1; then
		runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$out/$name.log" | tail -n 1)
		cov=$(grep -o 'cov: [0-9]*' "$out/$name.log" | tail -n 1)
		took=$(sed -n 's/.*Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$out/$name.log" | tail -n 1)
		echo "fuzz $name: ok, ${runs:-?} runs in ${took:-$secs}s, $cov" >"$out/$name.result"
	else
		echo "fuzz $name: FAILED (see $out/$name.log)" >"$out/$name.result"
	fi
	rm -rf "$work"
}

# FUZZ_PAR targets at a time (default 2, one per CPU here): each runs for
# the same SECONDS, so running them in groups loses little to waiting.
par=${FUZZ_PAR:-2}
case $par in ''|*[!0-9]*|0) echo "fuzz: FUZZ_PAR must be a positive number"; exit 1 ;; esac
names=""
for t in fuzz/fuzz_*.c; do
	names="$names $(basename "$t" .c)"
done
group=""
n=0
for name in $names; do
	rm -f "$out/$name.result"
	fuzz_one "$name" &
	group="$group $!"
	n=$((n + 1))
	if [ "$n" -ge "$par" ]; then
		# shellcheck disable=SC2086
		wait $group
		group=""
		n=0
	fi
done
# shellcheck disable=SC2086
[ -z "$group" ] || wait $group
status=0
for name in $names; do
	if [ ! -f "$out/$name.result" ]; then
		echo "fuzz $name: FAILED (no verdict)"; status=1; continue
	fi
	cat "$out/$name.result"
	if grep -q FAILED "$out/$name.result"; then
		tail -30 "$out/$name.log"; status=1
	fi
done
exit $status
