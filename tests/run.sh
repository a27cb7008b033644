#!/bin/sh
# run.sh - runs every unit test binary (normal and ASan/UBSan builds) and every
# end-to-end script, then prints the closing line "N passed, N failed".
# E2E scripts exit 0 (pass), 77 (skipped: a prerequisite is missing) or other (fail).
cd "$(dirname "$0")/.." || exit 1
pass=0 fail=0 skip=0 failed=""
log=build/test-logs
mkdir -p "$log"

run() { # name, command...
	name=$1; shift
	out="$log/$(echo "$name" | tr '/ ' '__').log"
	start=$(date +%s)
	if "$@" >"$out" 2>&1; then rc=0; else rc=$?; fi
	secs=$(( $(date +%s) - start ))
	case $rc in
	0)  pass=$((pass + 1)); echo "PASS $name (${secs}s)" ;;
	77) skip=$((skip + 1)); echo "SKIP $name: $(tail -n 1 "$out")" ;;
	*)  fail=$((fail + 1)); failed="$failed $name"; echo "FAIL $name (rc=$rc, ${secs}s); last lines of $out:"; tail -n 25 "$out" | sed 's/^/    /' ;;
	esac
}

for t in build/tests/test_*; do
	[ -x "$t" ] && run "unit/$(basename "$t")" "$t"
done
for t in build-asan/tests/test_*; do
	[ -x "$t" ] && run "asan/$(basename "$t")" env ASAN_OPTIONS=detect_leaks=1 "$t"
done
for t in tests/e2e/*.sh; do
	case $(basename "$t") in lib.sh) continue ;; esac	# helpers, not a test
	[ -f "$t" ] && run "e2e/$(basename "$t" .sh)" sh "$t"
done

# A short run of every fuzz target (clang, ASan+UBSan): crashes fail the suite.
if command -v clang >/dev/null 2>&1; then
	run "fuzz/smoke" sh fuzz/run.sh "${FUZZ_SMOKE_SECONDS:-5}"
fi

[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
