#!/bin/sh
# shellcheck shell=bash disable=SC2015
# governance-cli.sh - charter governance with the real `article5 charter`
# commands on files (no network, no daemon, no root): three members make
# keys and a charter; an update admitting a fourth is refused with one
# signature, adopted with two (a majority of three), and the applied charter
# lists the new member. Along the way: a signature by a key that only the
# new charter names does not count, an old update is not applied twice, and
# once a member is revoked its signature no longer counts.
#
# Exit: 0 pass, 1 fail, 77 skip (one-line reason).
# Environment: ARTICLE5=path/to/binary (default build/article5),
#              A5_KEEP=1 keeps the temporary directory.

# The helpers need bash; tests/run.sh and make call `sh`.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || { echo "skip: bash is not installed"; exit 77; }
	exec bash "$0" "$@"
fi
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

[ -x "$A5_BIN" ] || a5_skip "$A5_BIN is missing (run make)"
a5_init a5gov
CH="$A5_TMP/coalition.charter"

# No daemon here: on failure, show the charter in force instead of a log
# (A5_KEEP_ON_FAIL=1 keeps every file).
a5_dump_logs() {
	[ -s "${CH:-}" ] || return 0
	echo "---- the charter in force ($CH) ----"
	cat "$CH"
	echo "----"
}

# a5g NAME ARGS...: `article5 charter ARGS`, its output in $A5_TMP/NAME.out
# (stdout and stderr) and its exit status in RC.
a5g() {
	local name=$1
	shift
	"$A5_BIN" charter "$@" >"$A5_TMP/$name.out" 2>&1
	RC=$?
}
out() { cat "$A5_TMP/$1.out"; }

# expect_json NAME TEXT: `charter show --json` output NAME holds TEXT.
expect_json() {
	grep -qF -- "$2" "$A5_TMP/$1.out" || a5_defer_fail "$1: expected '$2' in: $(out "$1")"
}

# sign WHO UPDATE: WHO signs with its own key, the charter in force given.
sign() {
	a5g "sign-$1-$(basename "$2")" sign --identity "$(a5c_key "$1")" --charter "$CH" "$2"
	[ "$RC" = 0 ] || a5_fail "$1 could not sign $2 (rc=$RC): $(out "sign-$1-$(basename "$2")")"
}

# apply_refused NAME UPDATE WHY: apply exits 1, says WHY, the charter stays.
apply_refused() {
	local before
	before=$(sha256sum <"$CH")
	a5g "$1" apply --charter "$CH" "$2"
	[ "$RC" = 1 ] || a5_fail "$1: apply exit status $RC, expected 1 (refused): $(out "$1")"
	grep -qF -- "$3" "$A5_TMP/$1.out" || a5_defer_fail "$1: expected '$3' in: $(out "$1")"
	[ "$(sha256sum <"$CH")" = "$before" ] || a5_fail "$1: a refused update changed the charter file"
}

a5_step "help texts"
for sub in "" propose sign show apply; do
	# shellcheck disable=SC2086
	"$A5_BIN" charter $sub --help >"$A5_TMP/help.out" 2>&1 ||
		a5_fail "article5 charter $sub --help: exit status $?"
	grep -q "^usage: article5 charter $sub" "$A5_TMP/help.out" ||
		a5_fail "article5 charter $sub --help prints no usage: $(cat "$A5_TMP/help.out")"
done
"$A5_BIN" charter frobnicate >/dev/null 2>&1
[ $? = 2 ] || a5_defer_fail "an unknown subcommand should exit 2"
a5_ok "charter --help and each subcommand's --help"

a5_step "keys for alice, bob and carol (article5 keygen), and dave who will join"
for m in alice bob carol dave; do
	a5c_keygen "$m"
done
cat >"$CH" <<EOF
# article5 e2e governance charter (generated)
coalition gov-e2e
member alice ${A5C_PK[alice]} member 192.0.2.0/28
member bob ${A5C_PK[bob]} member
member carol ${A5C_PK[carol]} protected
protected_votes yes
EOF
chmod 0644 "$CH"
a5g show0 show --json --charter "$CH"
[ "$RC" = 0 ] || a5_fail "charter show: $(out show0)"
expect_json show0 '"version": 1'
expect_json show0 '"threshold": 2, "threshold_rule": "majority", "voters": 3'
a5_ok "charter version 1: three voters, a majority of 2 signatures"

a5_step "propose version 2 admitting dave"
{ cat "$CH"; echo "member dave ${A5C_PK[dave]} member 198.51.100.0/28"; echo "version 2"; } >"$A5_TMP/v2.charter"
a5g propose2 propose --charter "$CH" "$A5_TMP/v2.charter" -o "$A5_TMP/v2.update"
[ "$RC" = 0 ] || a5_fail "propose: $(out propose2)"
a5g propose2again propose --charter "$CH" "$A5_TMP/v2.charter" -o "$A5_TMP/v2.update"
[ "$RC" = 1 ] || a5_defer_fail "propose over an existing update: exit status $RC, expected 1"
# a text that does not say the next version is refused with its reason
sed 's/^version 2$/version 3/' "$A5_TMP/v2.charter" >"$A5_TMP/v3-skip.charter"
a5g propose-skip propose --charter "$CH" "$A5_TMP/v3-skip.charter" -o "$A5_TMP/skip.update"
[ "$RC" = 1 ] && grep -qF "expected 2" "$A5_TMP/propose-skip.out" ||
	a5_defer_fail "a text with version 3 should be refused: $(out propose-skip)"
[ -e "$A5_TMP/skip.update" ] && a5_defer_fail "a refused proposal left $A5_TMP/skip.update"
a5_ok "unsigned update written; a skipped version is refused"

a5_step "one signature (alice) is not enough"
sign alice "$A5_TMP/v2.update"
apply_refused apply-1sig "$A5_TMP/v2.update" "1 of 2 required signatures"
a5_ok "apply refuses 1 of 2: $(out apply-1sig)"

a5_step "dave (only in the new charter) signs: does not count"
cp "$A5_TMP/v2.update" "$A5_TMP/v2-dave.update"
sign dave "$A5_TMP/v2-dave.update"
grep -qF "is not a member of" "$A5_TMP/sign-dave-v2-dave.update.out" ||
	a5_defer_fail "signing with dave's key should warn that it does not count: $(out sign-dave-v2-dave.update)"
apply_refused apply-dave "$A5_TMP/v2-dave.update" "1 of 2 required signatures"
a5g show-dave show --json --charter "$CH" "$A5_TMP/v2-dave.update"
expect_json show-dave "{\"key\": \"${A5C_PK[dave]}\", \"name\": null, \"verdict\": \"unknown-key\"}"
expect_json show-dave '"counted": 1, "required": 2'
a5_ok "a key the update itself admits does not vote on it"

a5_step "alice signs again: refused"
a5g sign-twice sign --identity "$(a5c_key alice)" --charter "$CH" "$A5_TMP/v2.update"
[ "$RC" = 1 ] && grep -qF "has signed this update already" "$A5_TMP/sign-twice.out" ||
	a5_defer_fail "a second signature by alice: rc=$RC: $(out sign-twice)"
a5_ok "one key signs once"

a5_step "bob signs: 2 of 3, a majority"
sign bob "$A5_TMP/v2.update"
a5g show2 show --json --charter "$CH" "$A5_TMP/v2.update"
expect_json show2 '"counted": 2, "required": 2'
expect_json show2 '"adoptable": true'
expect_json show2 "member added: dave member ${A5C_PK[dave]}"
a5g apply2 apply --charter "$CH" "$A5_TMP/v2.update"
[ "$RC" = 0 ] || a5_fail "apply with 2 of 3 signatures (rc=$RC): $(out apply2)"
cmp -s "$CH" "$A5_TMP/v2.charter" || a5_fail "the applied charter is not the proposed text"
grep -q "^member dave ${A5C_PK[dave]} member 198.51.100.0/28\$" "$CH" ||
	a5_fail "the applied charter does not list dave"
[ "$(stat -c %a "$CH")" = 644 ] || a5_defer_fail "apply changed the charter file's mode to $(stat -c %a "$CH")"
a5g show-v2 show --json --charter "$CH"
expect_json show-v2 '"version": 2'
expect_json show-v2 '"threshold": 3, "threshold_rule": "majority", "voters": 4'
expect_json show-v2 '"name": "dave", "role": "member"'
a5_ok "adopted: version 2 lists dave; later updates need 3 of 4"

a5_step "the same update again: refused (the charter moved on)"
apply_refused apply-replay "$A5_TMP/v2.update" "not newer than the charter in force"
a5_ok "an old update is not applied twice"

a5_step "version 3 revokes carol (alice, bob, dave: 3 of 4)"
{ sed 's/^version 2$/version 3/' "$CH"; echo "revoked carol"; } >"$A5_TMP/v3.charter"
a5g propose3 propose --charter "$CH" "$A5_TMP/v3.charter" -o "$A5_TMP/v3.update"
[ "$RC" = 0 ] || a5_fail "propose version 3: $(out propose3)"
sign alice "$A5_TMP/v3.update"
sign bob "$A5_TMP/v3.update"
apply_refused apply3-2sig "$A5_TMP/v3.update" "2 of 3 required signatures"
sign dave "$A5_TMP/v3.update"
a5g apply3 apply --charter "$CH" "$A5_TMP/v3.update"
[ "$RC" = 0 ] || a5_fail "apply version 3 (rc=$RC): $(out apply3)"
grep -q "^revoked carol\$" "$CH" || a5_fail "the applied charter does not revoke carol"
a5_ok "dave, admitted by version 2, now votes; carol is revoked"

a5_step "version 4 signed by carol (revoked) and alice: carol does not count"
{ sed 's/^version 3$/version 4/' "$CH"; echo "rate 100/min"; } >"$A5_TMP/v4.charter"
a5g propose4 propose --charter "$CH" "$A5_TMP/v4.charter" -o "$A5_TMP/v4.update"
[ "$RC" = 0 ] || a5_fail "propose version 4: $(out propose4)"
sign carol "$A5_TMP/v4.update"
grep -qF "carol is revoked" "$A5_TMP/sign-carol-v4.update.out" ||
	a5_defer_fail "signing with carol's key should warn that she is revoked: $(out sign-carol-v4.update)"
sign alice "$A5_TMP/v4.update"
a5g show4 show --json --charter "$CH" "$A5_TMP/v4.update"
expect_json show4 "{\"key\": \"${A5C_PK[carol]}\", \"name\": \"carol\", \"verdict\": \"not-voter\"}"
expect_json show4 '"counted": 1, "required": 2'
apply_refused apply4-revoked "$A5_TMP/v4.update" "1 of 2 required signatures"
sign bob "$A5_TMP/v4.update"
a5g apply4 apply --charter "$CH" "$A5_TMP/v4.update"
[ "$RC" = 0 ] || a5_fail "apply version 4 with alice and bob (rc=$RC): $(out apply4)"
grep -q "^rate 100/min\$" "$CH" || a5_fail "the applied charter lacks the new rate"
a5_ok "a revoked member's signature is shown but not counted; alice and bob adopt version 4"

a5_step "a damaged update file is refused"
cp "$A5_TMP/v4.update" "$A5_TMP/v4-cut.update"
truncate -s -1 "$A5_TMP/v4-cut.update"
a5g apply-cut apply --charter "$CH" "$A5_TMP/v4-cut.update"
[ "$RC" = 1 ] && grep -qF "truncated charter update" "$A5_TMP/apply-cut.out" ||
	a5_defer_fail "a truncated update: rc=$RC: $(out apply-cut)"
a5_ok "$(out apply-cut)"

a5_finish governance-cli
