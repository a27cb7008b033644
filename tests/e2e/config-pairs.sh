#!/bin/sh
# config-pairs.sh - the configuration's text tests: for every
# tests/config/NAME.in, runs `article5 check-config -n -v -c NAME.in` and
# compares what it prints (stdout and stderr) with NAME.ok.
#   - NAME.in that parses: NAME.ok is the effective configuration, and that
#     text must parse back to itself (printed again, identical);
#   - bad-NAME.in: check-config must refuse it (exit 1); NAME.ok is the
#     error, "FILE:LINE: what is wrong, what was expected".
# A first line "# args: ARGS" runs `check-config ARGS` instead of "-n -v"
# (e.g. "-v": the rules directory too, for errors only it can show).
# This tree's path is written @ROOT@ in the .ok files, and in a .in file
# (e.g. "rules_dir @ROOT@/etc/rules": the compiled-in default is the
# installed one), which then runs from a copy with the path put in, under
# the same relative name. UPDATE=1 rewrites the .ok files instead of
# comparing. Exit 0 when every pair agrees, 1 otherwise.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${A5_BIN:-$root/build/article5}
cd "$root" || exit 1

if [ ! -x "$bin" ]; then
	echo "config-pairs: $bin not built (run make)"
	exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/a5pairs.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# Replaces every occurrence of this tree's path with @ROOT@.
unroot() {
	awk -v r="$root" '{
		out = ""
		while ((i = index($0, r)) > 0) {
			out = out substr($0, 1, i - 1) "@ROOT@"
			$0 = substr($0, i + length(r))
		}
		print out $0
	}'
}

npairs=0 nbad=0
for src in tests/config/*.in; do
	[ -f "$src" ] || continue
	name=${src%.in}
	ok=$name.ok
	npairs=$((npairs + 1))
	args="-n -v"
	first=$(head -n 1 "$src")
	case $first in "# args: "*) args=${first#"# args: "} ;; esac
	run=.
	if grep -q '@ROOT@' "$src"; then
		run=$tmp/rooted
		mkdir -p "$run/tests/config"
		sed "s|@ROOT@|$root|g" "$src" >"$run/$src"
	fi
	# shellcheck disable=SC2086
	(cd "$run" && "$bin" check-config $args -c "$src") >"$tmp/out" 2>&1
	rc=$?
	why=
	case $(basename "$name") in
	bad-*)	[ "$rc" -eq 1 ] || why="exit $rc, expected 1 (a refused configuration)" ;;
	*)	if [ "$rc" -ne 0 ]; then
			why="exit $rc, expected 0"
		else	# the printed configuration reads back to itself
			# shellcheck disable=SC2086
			"$bin" check-config $args -c "$tmp/out" >"$tmp/again" 2>&1 ||
				why="the printed configuration is refused: $(head -n 3 "$tmp/again")"
			[ -n "$why" ] || cmp -s "$tmp/out" "$tmp/again" ||
				why="printed again, it differs: $(diff "$tmp/out" "$tmp/again" | head -n 10)"
		fi ;;
	esac
	unroot <"$tmp/out" >"$tmp/got"
	if [ "${UPDATE:-0}" = 1 ]; then
		cp "$tmp/got" "$ok"
	elif [ ! -f "$ok" ]; then
		why="${why:+$why; }no $ok (UPDATE=1 writes it)"
	elif ! cmp -s "$ok" "$tmp/got"; then
		why="${why:+$why; }differs from $ok:
$(diff -u "$ok" "$tmp/got" | head -n 40)"
	fi
	if [ -n "$why" ]; then
		echo "FAIL $src: $why"
		nbad=$((nbad + 1))
	fi
done
for ok in tests/config/*.ok; do
	[ -f "$ok" ] || continue
	[ -f "${ok%.ok}.in" ] || { echo "FAIL $ok: no ${ok%.ok}.in"; nbad=$((nbad + 1)); }
done
[ "$npairs" -gt 0 ] || { echo "config-pairs: no tests/config/*.in"; exit 1; }
echo "config-pairs: $npairs pairs, $nbad failed"
[ "$nbad" -eq 0 ]
