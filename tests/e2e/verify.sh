#!/bin/sh
# verify.sh - `article5 verify` and `article5 evidence` on a real ledger file.
#
# A small generator (C, built here from the tree's sources) writes a ledger
# with a journal of five entries (a local ban, a received report, a refusal,
# an equivocation proof, an unban), the same proof in the proofs table, and
# a charter naming alice (the equivocator) and bob. Then:
#   - verify passes on the untouched file (text and --json, --db and -c);
#   - evidence exports alice's proof (by name and by key), --verify accepts
#     it, and refuses it tampered, against a charter she is not in, and for
#     a member with no proof;
#   - rows edited, deleted or the tail cut with the sqlite3 CLI make verify
#     fail naming the entry; the append-only triggers stop an honest UPDATE.
# Exit 0 pass, 1 fail, 77 skipped (no compiler, sqlite3 CLI or binary).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${A5_BIN:-$root/build/article5}

skip() { echo "verify: skipped: $*"; exit 77; }
[ -x "$bin" ] || skip "$bin not built (run make)"
command -v sqlite3 >/dev/null 2>&1 || skip "no sqlite3 command"
command -v cc >/dev/null 2>&1 || skip "no C compiler"
pkg-config --exists libsodium sqlite3 2>/dev/null || skip "no libsodium/sqlite3 pkg-config"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/a5verify.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
fails=0
pass() { echo "ok   $*"; }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

cat >"$tmp/gen.c" <<'EOF'
/* gen.c - writes DIR/ledger.db (journal + proofs) and DIR/charter. */
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include "coalition/evidence.h"
#include "coalition/identity.h"
#include "coalition/wire.h"
#include "ledger/journal.h"
#include "ledger/ledger.h"

#define NOW 1767225600

static size_t
envelope(const struct identity *id, uint64_t seq, const char *prefix, uint8_t *buf)
{
	static struct wire_envelope e;
	struct wire_report *r = &e.reports[0];

	memset(&e, 0, sizeof(e));
	wire_coalition_id("e2e", e.coalition);
	memcpy(e.reporter, id->pk, ID_PUBLIC_BYTES);
	e.nreports = 1;
	r->seq = seq;
	if (seq > 1)
		memset(r->prev, 7, sizeof(r->prev));
	r->timestamp_us = (uint64_t)NOW * 1000000;
	if (prefix_parse(prefix, strlen(prefix), &r->prefix) != 0)
		return 0;
	strcpy(r->service, "sshd");
	strcpy(r->rule, "failed-password");
	r->evidence = 5;
	r->first_seen = NOW - 60;
	r->last_seen = NOW;
	r->ttl = 3600;
	return wire_encode(&e, id, buf, WIRE_ENVELOPE_MAX);
}

static int
member(const char *dir, const char *name, struct identity *id, char *text)
{
	char s[512], p[512], err[512];

	snprintf(s, sizeof(s), "%s/%s.key", dir, name);
	snprintf(p, sizeof(p), "%s/%s.pub", dir, name);
	if (identity_generate(s, p, text, ID_PUBLIC_TEXT_MAX, err, sizeof(err)) != 0 ||
	    identity_load(s, id, err, sizeof(err)) != 0) {
		fprintf(stderr, "gen: %s\n", err);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static uint8_t e1[WIRE_ENVELOPE_MAX], e2a[WIRE_ENVELOPE_MAX], e2b[WIRE_ENVELOPE_MAX];
	struct identity alice, bob;
	char at[ID_PUBLIC_TEXT_MAX], bt[ID_PUBLIC_TEXT_MAX], path[512], err[1024];
	struct ledger *l;
	struct journal *j;
	struct a5_prefix p, q;
	uint16_t applied[] = { 0 };
	size_t n1, n2a, n2b;
	FILE *f;

	if (argc != 2 || sodium_init() < 0 || member(argv[1], "alice", &alice, at) != 0 ||
	    member(argv[1], "bob", &bob, bt) != 0)
		return 1;
	n1 = envelope(&alice, 1, "198.51.100.0/24", e1);
	n2a = envelope(&alice, 2, "203.0.113.0/24", e2a);
	n2b = envelope(&alice, 2, "203.0.113.9", e2b);
	prefix_parse("192.0.2.7", 9, &p);
	prefix_parse("203.0.113.0/24", 14, &q);
	snprintf(path, sizeof(path), "%s/ledger.db", argv[1]);
	if (n1 == 0 || n2a == 0 || n2b == 0 || ledger_open(path, &l, err, sizeof(err)) != 0 ||
	    ledger_proof_put(l, alice.pk, 2, e2a, n2a, e2b, n2b, NOW + 3) != 0) {
		fprintf(stderr, "gen: ledger: %s\n", err);
		return 1;
	}
	ledger_close(l);
	if (journal_open(path, false, &j, err, sizeof(err)) != 0 ||
	    journal_local(j, NOW, "ban", &p, 600, "sshd/maxretry") != 0 ||
	    journal_report(j, NOW + 1, e1, n1, applied, 1) != 0 ||
	    journal_refusal(j, NOW + 2, alice.pk, 2, "rate", &q) != 0 ||
	    journal_proof(j, NOW + 3, 2, e2a, n2a, e2b, n2b) != 0 ||
	    journal_local(j, NOW + 4, "unban", &p, 0, "manual") != 0) {
		fprintf(stderr, "gen: journal: %s\n", j ? journal_errmsg(j) : err);
		return 1;
	}
	journal_close(j);
	snprintf(path, sizeof(path), "%s/charter", argv[1]);
	if ((f = fopen(path, "w")) == NULL)
		return 1;
	fprintf(f, "coalition e2e\nmember alice %s member\nmember bob %s member\n", at, bt);
	fclose(f);
	snprintf(path, sizeof(path), "%s/outsider.charter", argv[1]);
	if ((f = fopen(path, "w")) == NULL)
		return 1;
	fprintf(f, "coalition e2e\nmember bob %s member\n", bt);
	fclose(f);
	printf("%s\n", at);
	return 0;
}
EOF

# shellcheck disable=SC2046
if ! cc -std=gnu11 -D_GNU_SOURCE -I"$root/src" -o "$tmp/gen" "$tmp/gen.c" \
	"$root"/src/ledger/*.c "$root"/src/coalition/wire.c "$root"/src/coalition/identity.c "$root"/src/coalition/nkey.c \
	"$root"/src/coalition/charter.c "$root"/src/coalition/governance.c \
	"$root"/src/coalition/evidence.c "$root"/src/coalition/proof_check.c "$root"/src/common/*.c \
	$(pkg-config --cflags --libs libsodium sqlite3) >"$tmp/cc.log" 2>&1; then
	cat "$tmp/cc.log"
	echo "verify: cannot build the generator"
	exit 1
fi
mkdir "$tmp/state"
alice_key=$("$tmp/gen" "$tmp/state") || { echo "verify: generator failed"; exit 1; }
db=$tmp/state/ledger.db
charter=$tmp/state/charter

# expect NAME RC PATTERN COMMAND...: COMMAND exits RC and its output matches PATTERN.
expect() {
	name=$1 want=$2 pat=$3
	shift 3
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "$name: exit $rc, expected $want: $out"
	elif ! printf '%s\n' "$out" | grep -Eq -- "$pat"; then
		fail "$name: output does not match /$pat/: $out"
	else
		pass "$name: $(printf '%s' "$out" | head -n 1)"
	fi
}

# --- intact ---
expect "verify intact" 0 '^ok: 5 entries, head [0-9a-f]{64}$' "$bin" verify --db "$db"
expect "verify --json" 0 '^\{"ok": true, "entries": 5, "head": "[0-9a-f]{64}"\}$' \
	"$bin" verify --db "$db" --json
printf 'state_dir %s\n' "$tmp/state" >"$tmp/a5.conf"
expect "verify -c CONFIG" 0 '^ok: 5 entries' "$bin" verify -c "$tmp/a5.conf"
expect "verify missing file" 1 'nope/ledger.db' "$bin" verify --db "$tmp/nope/ledger.db"
expect "verify usage" 2 'usage' "$bin" verify extra

# --- evidence ---
expect "evidence export" 0 '1 proof of alice written' \
	"$bin" evidence alice --db "$db" --charter "$charter" -o "$tmp/alice.proof"
expect "evidence verify" 0 '^valid proof: alice signed two different reports #2 ' \
	"$bin" evidence --verify "$tmp/alice.proof" --charter "$charter"
expect "evidence by key, stdout" 0 '^article5-proof 1$' \
	"$bin" evidence "$alice_key" --db "$db"
expect "evidence not a member" 1 'is not a member of coalition e2e' \
	"$bin" evidence --verify "$tmp/alice.proof" --charter "$tmp/state/outsider.charter"
# one base64 character of the second envelope changed
awk '/^second /{ c = substr($2, 60, 1); $2 = substr($2, 1, 59) (c == "A" ? "B" : "A") substr($2, 61) } { print }' \
	"$tmp/alice.proof" >"$tmp/tampered.proof"
expect "evidence tampered" 1 '^invalid proof .*second envelope' \
	"$bin" evidence --verify "$tmp/tampered.proof" --charter "$charter"
expect "evidence none stored" 1 'no equivocation proof stored for bob' \
	"$bin" evidence bob --db "$db" --charter "$charter"
expect "evidence unknown name" 1 "no member named 'carol'" \
	"$bin" evidence carol --db "$db" --charter "$charter"
expect "evidence needs charter" 2 'needs the charter' "$bin" evidence --verify "$tmp/alice.proof" \
	-c "$tmp/a5.conf"

# --- tampering with the sqlite3 CLI ---
# tamper NAME SQL: applies SQL to a fresh copy of the database.
tamper() {
	cp "$db" "$tmp/t.db"
	sqlite3 "$tmp/t.db" "$1" 2>"$tmp/sql.err"
}
if tamper "UPDATE journal SET at = 0 WHERE seq = 3"; then
	fail "append-only trigger: an honest UPDATE went through"
elif grep -q 'append-only' "$tmp/sql.err"; then
	pass "append-only trigger: $(cat "$tmp/sql.err")"
else
	fail "append-only trigger: $(cat "$tmp/sql.err")"
fi
tamper "DROP TRIGGER journal_no_update; UPDATE journal SET body = CAST('action=ban ttl=1 reason=forged' AS BLOB) WHERE seq = 5"
expect "edited row" 1 '^FAIL at entry 5: content does not match its hash \(edited\)$' \
	"$bin" verify --db "$tmp/t.db"
expect "edited row --json" 1 '"bad_entry": 5' "$bin" verify --db "$tmp/t.db" --json
tamper "DROP TRIGGER journal_no_delete; DELETE FROM journal WHERE seq = 3"
expect "deleted row" 1 '^FAIL at entry 3: missing' "$bin" verify --db "$tmp/t.db"
tamper "DROP TRIGGER journal_no_update; UPDATE journal SET seq = 0 WHERE seq = 2; UPDATE journal SET seq = 2 WHERE seq = 3; UPDATE journal SET seq = 3 WHERE seq = 0"
expect "reordered rows" 1 '^FAIL at entry 2: does not link' "$bin" verify --db "$tmp/t.db"
tamper "DROP TRIGGER journal_no_delete; DELETE FROM journal WHERE seq = 5"
expect "cut tail" 1 '^FAIL at entry 5: missing: the head records 5 entries.*truncated' \
	"$bin" verify --db "$tmp/t.db"

if [ "$fails" -ne 0 ]; then
	echo "verify: $fails check(s) failed"
	exit 1
fi
echo "verify: all checks passed"
exit 0
