#!/bin/sh
# man-help.sh - man/article5.8 against the binary's --help: every command
# `article5 help` lists (and every `charter` and `coalition` subcommand) has a section
# (.SS NAME) in the man page, its --help exits 0, and every option its
# --help names (-x, --long) appears in that section. Needs no root and no
# daemon. The bash completion (etc/bash-completion/article5) offers the
# same commands. Exit 0 pass, 1 fail, 77 skip.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
A5=$top/build/article5
MAN=$top/man/article5.8
[ -x "$A5" ] || { echo "skip: build/article5 missing"; exit 77; }
[ -f "$MAN" ] || { echo "FAIL man/article5.8 missing"; exit 1; }
T=$(mktemp -d /tmp/a5man.XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }

# The man page's text per section, roff escapes removed: $T/sec.NAME
sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\(..//g' -e 's/\\&//g' "$MAN" |
    awk -v dir="$T" '/^\.SS / { name = $2; next } /^\.SH / { name = ""; next }
	name != "" { print > (dir "/sec." name) }'

# Options named in a --help text, one per line.
options() {
	grep -oE '(^|[^A-Za-z0-9_-])--?[A-Za-z][A-Za-z0-9-]*' | sed 's/^[^-]*//' | sort -u
}

# check NAME SECTION HELP-ARGS...: the help exits 0, its options are in SECTION.
check() {
	name=$1 sec=$2
	shift 2
	if ! "$A5" "$@" --help >"$T/help" 2>&1; then
		bad "$name: --help exits $?"
		return
	fi
	if [ ! -s "$T/sec.$sec" ]; then
		bad "$name: no section '.SS $sec' in man/article5.8"
		return
	fi
	missing=""
	for o in $(options < "$T/help" | grep -vx -e --help -e -h); do	# in SYNOPSIS
		grep -qe "$o\([^A-Za-z0-9-]\|\$\)" "$T/sec.$sec" || missing="$missing $o"
	done
	[ -z "$missing" ] && ok "$name: --help options all in the man page ($(options < "$T/help" | tr '\n' ' '))" ||
	    bad "$name: options of --help missing from the man page's section:$missing"
}

verbs=$("$A5" help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
[ -n "$verbs" ] || { bad "no commands in 'article5 help'"; exit 1; }
for v in $verbs; do
	case $v in
	version) "$A5" version >/dev/null && [ -s "$T/sec.version" ] && ok "version: section present" ||
	    bad "version: no section"; continue ;;
	esac
	check "$v" "$v" "$v"
done
for s in propose sign show apply submit; do
	check "charter $s" charter charter "$s"
done
for s in init invite join admit streams; do
	check "coalition $s" coalition coalition "$s"
done
check "scan --fail2ban-filter" scan scan --fail2ban-filter x

# The bash completion offers every command, and each command's options.
if command -v bash >/dev/null; then
	got=$(PATH=$top/build:$PATH bash -c '. "$1/etc/bash-completion/article5"
		COMP_WORDS=(article5 ""); COMP_CWORD=1; _article5; printf "%s\n" "${COMPREPLY[@]}"
		COMP_WORDS=(article5 unban --); COMP_CWORD=2; _article5; printf "%s\n" "${COMPREPLY[@]}"' sh "$top" | sort)
	want=$( (echo "$verbs"; echo help; echo --help; echo --help; echo --json; echo --split) | sort)
	[ "$got" = "$want" ] && ok "bash completion: every command and --help, and unban's long options" ||
	    bad "bash completion: got '$(echo $got)', want '$(echo $want)'"
	# after each command (and charter subcommand), '-' offers every
	# option its --help names (not those of the journalctl example in
	# scan's)
	for words in $(echo "$verbs" | grep -vx -e version -e charter -e coalition) charter:propose charter:sign \
	    charter:show charter:apply charter:submit coalition:init coalition:invite coalition:join \
	    coalition:admit coalition:streams; do
		set -- $(echo "$words" | tr : ' ')
		"$A5" "$@" --help 2>&1 | sed 's/journalctl -o cat -u ssh//' | options |
		    grep -vx -e -h | sort >"$T/want"
		PATH=$top/build:$PATH bash -c '. "$1/etc/bash-completion/article5"; shift
			COMP_WORDS=(article5 "$@" -); COMP_CWORD=$#; COMP_CWORD=$((COMP_CWORD + 1))
			_article5; printf "%s\n" "${COMPREPLY[@]}"' sh "$top" "$@" | sort >"$T/got"
		missing=$(comm -23 "$T/want" "$T/got" | tr '\n' ' ')
		[ -z "$missing" ] && ok "bash completion of '$*': $(tr '\n' ' ' < "$T/want")" ||
		    bad "bash completion of '$*' lacks: $missing"
	done
fi

# The man page names no command the binary does not have.
for s in $(ls "$T" | sed -n 's/^sec\.//p'); do
	echo "$verbs" | grep -qx "$s" && continue
	bad "man page section '$s' is not a command of 'article5 help'"
done
[ $fails -eq 0 ]
