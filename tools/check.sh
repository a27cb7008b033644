#!/bin/sh
# check.sh - the static checks of `make check` (docs/hardening.md):
#   1. banned functions (STYLE.md: the foot-guns curl's checksrc bans, and
#      their unbounded cousins) anywhere in src/;
#   2. cppcheck (warning, portability);
#   3. clang-tidy with .clang-tidy's checks (the clang static analyzer and
#      bugprone-*), every finding an error.
# Exit 0 when all are clean, 1 on any finding. Missing tools are installed
# by `make deps`; without them this says so and exits 1 (never passes by
# skipping).
set -u
cd "$(dirname "$0")/.." || exit 1
status=0
if [ "${1:-}" = --tidy-one ]; then	# one file, for the parallel run below
	# shellcheck disable=SC2046
	exec clang-tidy --quiet "$2" -- -std=gnu11 -D_GNU_SOURCE -Isrc '-DA5_RULES_DIR="/x"' \
		$(pkg-config --cflags libhs libnats 2>/dev/null) 2>/dev/null
fi

# 1. banned functions: a call is the name followed by "(".
BANNED='sprintf vsprintf strcpy strcat strncpy strncat gets sscanf strtok atoi atol atoll alloca'
found=$(for f in $BANNED; do
	grep -nE "(^|[^A-Za-z0-9_])$f[[:space:]]*\(" src/*/*.c src/*/*.h 2>/dev/null
done)
if [ -n "$found" ]; then
	echo "check: banned functions (use snprintf, a cursor parser or the strto* family with full checks):"
	echo "$found" | sed 's/^/    /'
	status=1
else
	echo "check: banned functions: none ($BANNED)"
fi

# 2. cppcheck
if command -v cppcheck >/dev/null 2>&1; then
	if cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr \
	    -D_GNU_SOURCE -Isrc src 2>"${TMPDIR:-/tmp}/a5-cppcheck.$$"; then
		echo "check: cppcheck: clean"
	else
		echo "check: cppcheck findings:"
		sed 's/^/    /' "${TMPDIR:-/tmp}/a5-cppcheck.$$"
		status=1
	fi
	rm -f "${TMPDIR:-/tmp}/a5-cppcheck.$$"
else
	echo "check: cppcheck is not installed (make deps)"
	status=1
fi

# 3. clang-tidy, two files at a time (2 cores)
if command -v clang-tidy >/dev/null 2>&1; then
	out=$(mktemp)
	ls src/*/*.c | xargs -P 2 -n 1 sh tools/check.sh --tidy-one >"$out"
	if grep -qE ': (warning|error):' "$out"; then
		n=$(grep -cE ': (warning|error):' "$out")
		echo "check: clang-tidy: $n findings:"
		grep -E ': (warning|error):' "$out" | sed 's/^/    /'
		status=1
	else
		echo "check: clang-tidy: clean ($(ls src/*/*.c | wc -l) files)"
	fi
	rm -f "$out"
else
	echo "check: clang-tidy is not installed (make deps)"
	status=1
fi
exit $status
