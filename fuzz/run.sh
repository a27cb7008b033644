#!/bin/sh
# run.sh SECONDS - builds every libFuzzer target with clang (ASan+UBSan) and
# runs each for SECONDS on a copy of its seed corpus. Exits non-zero on any
# crash, leak or sanitizer report. Prints executions per target.
# FUZZ_RUNS=N stops each target after N executions instead (SECONDS is
# then only an upper bound), for the long runs the hardening target asks.
set -eu
cd "$(dirname "$0")/.."
secs=${1:-10}
out=build-fuzz
mkdir -p "$out"
CFLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -std=gnu11 -D_GNU_SOURCE -Isrc -DA5_RULES_DIR=\"$(pwd)/etc/rules\" $(pkg-config --cflags libhs)"
LIBS="$(pkg-config --libs libhs libpcre2-8 libsodium sqlite3 libnftables) -lm"
SRC="$(ls src/common/*.c src/rules/*.c src/detector/*.c src/enforcer/*.c) src/daemon/config.c src/daemon/control.c src/daemon/privsep.c src/coalition/wire.c src/coalition/identity.c src/coalition/charter.c $(ls src/f2b/*.c) src/cli/import_f2b.c"
SRC=$(echo "$SRC" | tr ' ' '\n' | sort -u | tr '\n' ' ')
status=0
for t in fuzz/fuzz_*.c; do
	name=$(basename "$t" .c)
	seeds=fuzz/corpus/${name#fuzz_}
	# shellcheck disable=SC2086
	clang $CFLAGS -o "$out/$name" "$t" $SRC $LIBS
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
		echo "fuzz $name: ok, ${runs:-?} runs in ${took:-$secs}s, $cov"
	else
		echo "fuzz $name: FAILED (see $out/$name.log)"; tail -30 "$out/$name.log"; status=1
	fi
	rm -rf "$work"
done
exit $status
