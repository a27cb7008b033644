/* test_journal.c - the tamper-evident journal: round trip, every kind of
 * tampering (edit, delete, reorder, truncate, a re-signed chain over a bad
 * signature), transactions shared with the caller, bad input; equivocation
 * proofs and evidence files (valid, tampered, non-member, other coalition).
 * The chain is recomputed here from docs/journal.md, independently of
 * journal.c, to play the attacker who rewrites hashes. The journal on its
 * own (journal_walk) is tested with kinds the coalition does not know. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "testutil.h"

#include "coalition/charter.h"
#include "coalition/evidence.h"
#include "coalition/evidence_file.h"
#include "coalition/identity.h"
#include "coalition/wire.h"
#include "common/addr.h"
#include "ledger/journal.h"
#include "ledger/ledger.h"

#define NOW 1767225600
#define COALITION "test-coalition"

static char dir[64], path[128];
static struct identity alice, bob;
static char alice_text[ID_PUBLIC_TEXT_MAX], bob_text[ID_PUBLIC_TEXT_MAX];
/* Envelopes: alice #1; two different alice #2 (the equivocation); bob #2. */
static uint8_t env1[WIRE_ENVELOPE_MAX], env2a[WIRE_ENVELOPE_MAX], env2b[WIRE_ENVELOPE_MAX],
    envbob[WIRE_ENVELOPE_MAX], envother[WIRE_ENVELOPE_MAX];
static size_t env1_len, env2a_len, env2b_len, envbob_len, envother_len;

static struct a5_prefix
pfx(const char *s)
{
	struct a5_prefix p;

	assert_int_equal(prefix_parse(s, strlen(s), &p), 0);
	return p;
}

/* One-report envelope of id, numbered seq, for coalition. */
static size_t
make_env(const struct identity *id, const char *coalition, uint64_t seq, const char *prefix,
    uint8_t *buf)
{
	static struct wire_envelope e;
	struct wire_report *r = &e.reports[0];
	size_t len;

	memset(&e, 0, sizeof(e));
	wire_coalition_id(coalition, e.coalition);
	memcpy(e.reporter, id->pk, ID_PUBLIC_BYTES);
	e.nreports = 1;
	r->seq = seq;
	if (seq > 1)
		memset(r->prev, 0x42, sizeof(r->prev));
	r->timestamp_us = (uint64_t)NOW * 1000000;
	r->prefix = pfx(prefix);
	snprintf(r->service, sizeof(r->service), "sshd");
	snprintf(r->rule, sizeof(r->rule), "failed-password");
	r->evidence = 5;
	r->first_seen = NOW - 60;
	r->last_seen = NOW;
	r->ttl = 3600;
	len = wire_encode(&e, id, buf, WIRE_ENVELOPE_MAX);
	assert_true(len > 0);
	return len;
}

static void
make_identity(const char *name, struct identity *id, char *text)
{
	char spath[160], ppath[160], err[512];

	snprintf(spath, sizeof(spath), "%s/%s.key", dir, name);
	snprintf(ppath, sizeof(ppath), "%s/%s.pub", dir, name);
	if (identity_generate(spath, ppath, text, ID_PUBLIC_TEXT_MAX, err, sizeof(err)) != 0 ||
	    identity_load(spath, id, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	unlink(spath);
	unlink(ppath);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/a5journal.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/ledger.db", dir);
	make_identity("alice", &alice, alice_text);
	make_identity("bob", &bob, bob_text);
	env1_len = make_env(&alice, COALITION, 1, "198.51.100.0/24", env1);
	env2a_len = make_env(&alice, COALITION, 2, "203.0.113.0/24", env2a);
	env2b_len = make_env(&alice, COALITION, 2, "203.0.113.9", env2b);
	envbob_len = make_env(&bob, COALITION, 2, "203.0.113.0/24", envbob);
	envother_len = make_env(&alice, "other-coalition", 2, "203.0.113.9", envother);
	return 0;
}

static int
teardown(void **state)
{
	char p[160];

	(void)state;
	for (const char *const *s = (const char *const[]){ "", "-wal", "-shm", NULL }; *s; s++) {
		snprintf(p, sizeof(p), "%s%s", path, *s);
		unlink(p);
	}
	rmdir(dir);
	identity_wipe(&alice);
	identity_wipe(&bob);
	return 0;
}

static struct journal *
jopen(bool readonly)
{
	struct journal *j = NULL;
	char err[512];

	if (journal_open(path, readonly, &j, err, sizeof(err)) != 0)
		fail_msg("journal_open: %s", err);
	return j;
}

/* Six entries, one of every kind the daemon writes. */
static void
populate(void)
{
	struct journal *j = jopen(false);
	struct a5_prefix p = pfx("192.0.2.7"), q = pfx("203.0.113.0/24");
	uint16_t applied[] = { 0 };

	assert_int_equal(journal_begin(j), 0);
	assert_int_equal(journal_local(j, NOW, "ban", &p, 600, "sshd/maxretry"), 0);
	assert_int_equal(journal_report(j, NOW + 1, env1, env1_len, applied, 1), 0);
	assert_int_equal(journal_refusal(j, NOW + 2, alice.pk, 2, "rate", &q), 0);
	assert_int_equal(journal_proof(j, NOW + 3, 2, env2a, env2a_len, env2b, env2b_len), 0);
	assert_int_equal(journal_local(j, NOW + 4, "unban", &p, 0, "manual"), 0);
	assert_int_equal(journal_commit(j), 0);
	/* outside a batch: commits on its own */
	assert_int_equal(journal_local(j, NOW + 5, "flush", NULL, 0, "3 bans"), 0);
	journal_close(j);
}

static int
check(struct journal_check *c)
{
	struct journal *j = jopen(true);
	int rc = journal_verify(j, c);

	if (rc < 0)
		fail_msg("journal_verify: %s", journal_errmsg(j));
	journal_close(j);
	return rc;
}

/* The attacker's tools: a raw connection, without the append-only triggers. */
static sqlite3 *
raw(void)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TRIGGER IF EXISTS journal_no_update;"
	    "DROP TRIGGER IF EXISTS journal_no_delete", NULL, NULL, NULL), SQLITE_OK);
	return db;
}

static void
sql(sqlite3 *db, const char *q)
{
	char *msg = NULL;

	if (sqlite3_exec(db, q, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", q, msg);
}

/* docs/journal.md's hash, written again from the text. */
static void
doc_hash(const uint8_t prev[32], uint64_t seq, int64_t at, const char *kind, const char *subject,
    const uint8_t *body, size_t blen, uint8_t out[32])
{
	static const char tag[] = "article5 journal v1";
	crypto_generichash_state st;
	uint8_t b[8];
	size_t kl = strlen(kind), sl = strlen(subject);

	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)tag, sizeof(tag) - 1);
	crypto_generichash_update(&st, prev, 32);
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(seq >> (56 - 8 * i));
	crypto_generichash_update(&st, b, 8);
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)((uint64_t)at >> (56 - 8 * i));
	crypto_generichash_update(&st, b, 8);
	b[0] = (uint8_t)kl;
	crypto_generichash_update(&st, b, 1);
	crypto_generichash_update(&st, (const uint8_t *)kind, kl);
	b[0] = (uint8_t)sl;
	crypto_generichash_update(&st, b, 1);
	crypto_generichash_update(&st, (const uint8_t *)subject, sl);
	b[0] = (uint8_t)(blen >> 24), b[1] = (uint8_t)(blen >> 16), b[2] = (uint8_t)(blen >> 8);
	b[3] = (uint8_t)blen;
	crypto_generichash_update(&st, b, 4);
	crypto_generichash_update(&st, body, blen);
	crypto_generichash_final(&st, out, 32);
}

/* Recomputes every link and hash in row order and moves the head: what an
 * attacker with write access does after changing a row's content. */
static void
rehash(sqlite3 *db)
{
	sqlite3_stmt *st, *up;
	uint8_t prev[32] = { 0 }, h[32];
	int64_t last = 0;

	assert_int_equal(sqlite3_prepare_v2(db, "SELECT seq, at, kind, subject, body FROM journal "
	    "ORDER BY seq", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "UPDATE journal SET prev = ?1, hash = ?2 "
	    "WHERE seq = ?3", -1, &up, NULL), SQLITE_OK);
	sql(db, "BEGIN");
	while (sqlite3_step(st) == SQLITE_ROW) {
		last = sqlite3_column_int64(st, 0);
		doc_hash(prev, (uint64_t)last, sqlite3_column_int64(st, 1),
		    (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3),
		    sqlite3_column_blob(st, 4), (size_t)sqlite3_column_bytes(st, 4), h);
		sqlite3_bind_blob(up, 1, prev, 32, SQLITE_TRANSIENT);
		sqlite3_bind_blob(up, 2, h, 32, SQLITE_TRANSIENT);
		sqlite3_bind_int64(up, 3, last);
		assert_int_equal(sqlite3_step(up), SQLITE_DONE);
		sqlite3_reset(up);
		memcpy(prev, h, 32);
	}
	sqlite3_finalize(st);
	sqlite3_finalize(up);
	assert_int_equal(sqlite3_prepare_v2(db, "UPDATE journal_head SET seq = ?1, hash = ?2",
	    -1, &up, NULL), SQLITE_OK);
	sqlite3_bind_int64(up, 1, last);
	sqlite3_bind_blob(up, 2, prev, 32, SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(up), SQLITE_DONE);
	sqlite3_finalize(up);
	sql(db, "COMMIT");
}

/* Flips one byte of entry seq's body at offset off from its end. */
static void
flip_body(sqlite3 *db, int64_t seq, size_t from_end)
{
	sqlite3_stmt *st;
	uint8_t *b;
	size_t n;

	assert_int_equal(sqlite3_prepare_v2(db, "SELECT body FROM journal WHERE seq = ?1", -1, &st,
	    NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, seq);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = (size_t)sqlite3_column_bytes(st, 0);
	assert_true(n > from_end);
	b = malloc(n);
	assert_non_null(b);
	memcpy(b, sqlite3_column_blob(st, 0), n);
	sqlite3_finalize(st);
	b[n - 1 - from_end] ^= 0x01;
	assert_int_equal(sqlite3_prepare_v2(db, "UPDATE journal SET body = ?1 WHERE seq = ?2", -1,
	    &st, NULL), SQLITE_OK);
	sqlite3_bind_blob(st, 1, b, (int)n, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, seq);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	free(b);
}

static void
assert_bad(uint64_t seq, const char *why)
{
	struct journal_check c;

	assert_int_equal(check(&c), 1);
	if (c.bad != seq || strstr(c.why, why) == NULL)
		fail_msg("expected entry %llu \"%s\", got entry %llu \"%s\"", (unsigned long long)seq,
		    why, (unsigned long long)c.bad, c.why);
	assert_int_equal(c.entries, seq - 1);
}

/* --- the chain --- */

static void
test_round_trip(void **state)
{
	struct journal_check c;
	struct journal *j;
	uint8_t head[32];
	uint64_t n;

	(void)state;
	populate();
	assert_int_equal(check(&c), 0);
	assert_int_equal(c.entries, 6);
	assert_int_equal(c.bad, 0);
	j = jopen(false);
	assert_int_equal(journal_head(j, &n, head), 0);
	assert_int_equal(n, 6);
	assert_memory_equal(head, c.head, 32);
	/* reopened, the chain goes on from the stored head */
	assert_int_equal(journal_local(j, NOW + 9, "ban", NULL, 60, "again"), 0);
	journal_close(j);
	assert_int_equal(check(&c), 0);
	assert_int_equal(c.entries, 7);
	/* the independent implementation agrees with the stored hashes */
	sqlite3 *db = raw();
	rehash(db);
	sqlite3_close(db);
	struct journal_check c2;
	assert_int_equal(check(&c2), 0);
	assert_memory_equal(c.head, c2.head, 32);
}

static void
test_append_only_triggers(void **state)
{
	sqlite3 *db;

	(void)state;
	populate();
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "UPDATE journal SET at = 0 WHERE seq = 2", NULL, NULL,
	    NULL), SQLITE_OK);
	assert_non_null(strstr(sqlite3_errmsg(db), "append-only"));
	assert_int_not_equal(sqlite3_exec(db, "DELETE FROM journal WHERE seq = 6", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);
	struct journal_check c;
	assert_int_equal(check(&c), 0);
}

static void
test_edit_body(void **state)
{
	sqlite3 *db;

	(void)state;
	populate();
	db = raw();
	flip_body(db, 3, 0);
	sqlite3_close(db);
	assert_bad(3, "edited");
}

static void
test_edit_other_columns(void **state)
{
	sqlite3 *db;

	(void)state;
	populate();
	db = raw();
	sql(db, "UPDATE journal SET at = at + 1 WHERE seq = 1");
	sqlite3_close(db);
	assert_bad(1, "edited");

	db = raw();
	sql(db, "UPDATE journal SET at = at - 1 WHERE seq = 1;"
	    "UPDATE journal SET subject = '192.0.2.8' WHERE seq = 5");
	sqlite3_close(db);
	assert_bad(5, "edited");

	db = raw();
	sql(db, "UPDATE journal SET subject = '192.0.2.7' WHERE seq = 5;"
	    "UPDATE journal SET kind = 'local' WHERE seq = 3");
	sqlite3_close(db);
	struct journal_check c;
	assert_int_equal(check(&c), 1);
	assert_int_equal(c.bad, 3);
}

static void
test_edit_then_rehash_one(void **state)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	uint8_t prev[32], h[32];

	(void)state;
	populate();
	db = raw();
	/* The attacker fixes the edited row's own hash, not the next link. */
	sql(db, "UPDATE journal SET body = CAST('action=ban ttl=60 reason=x' AS BLOB) WHERE seq = 5");
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT prev, at FROM journal WHERE seq = 5", -1,
	    &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	memcpy(prev, sqlite3_column_blob(st, 0), 32);
	doc_hash(prev, 5, sqlite3_column_int64(st, 1), "local", "192.0.2.7",
	    (const uint8_t *)"action=ban ttl=60 reason=x", 26, h);
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(db, "UPDATE journal SET hash = ?1 WHERE seq = 5", -1,
	    &st, NULL), SQLITE_OK);
	sqlite3_bind_blob(st, 1, h, 32, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_bad(6, "does not link to entry 5");
}

static void
test_delete_middle(void **state)
{
	sqlite3 *db;

	(void)state;
	populate();
	db = raw();
	sql(db, "DELETE FROM journal WHERE seq = 3");
	sqlite3_close(db);
	assert_bad(3, "missing");
}

static void
test_delete_first(void **state)
{
	sqlite3 *db;

	(void)state;
	populate();
	db = raw();
	sql(db, "DELETE FROM journal WHERE seq = 1");
	sqlite3_close(db);
	assert_bad(1, "missing");
}

static void
test_swap(void **state)
{
	sqlite3 *db;

	(void)state;
	populate();
	db = raw();
	sql(db, "UPDATE journal SET seq = -1 WHERE seq = 2;"
	    "UPDATE journal SET seq = 2 WHERE seq = 3;"
	    "UPDATE journal SET seq = 3 WHERE seq = -1");
	sqlite3_close(db);
	assert_bad(2, "does not link");
}

static void
test_delete_last(void **state)
{
	sqlite3 *db;

	(void)state;
	populate();
	db = raw();
	sql(db, "DELETE FROM journal WHERE seq = 6");
	sqlite3_close(db);
	assert_bad(6, "truncated");
}

static void
test_head_tampered(void **state)
{
	sqlite3 *db;
	struct journal_check c;

	(void)state;
	populate();
	db = raw();
	sql(db, "UPDATE journal_head SET hash = zeroblob(32)");
	sqlite3_close(db);
	assert_int_equal(check(&c), 1);
	assert_int_equal(c.bad, 6);
	assert_non_null(strstr(c.why, "head"));

	db = raw();
	sql(db, "DELETE FROM journal_head");
	sqlite3_close(db);
	assert_int_equal(check(&c), 1);
	assert_non_null(strstr(c.why, "head record"));
}

static void
test_appended_around_head(void **state)
{
	sqlite3 *db;

	(void)state;
	populate();
	db = raw();
	/* a well-chained row added past the head, the head put back */
	sql(db, "CREATE TABLE saved AS SELECT seq, hash FROM journal_head;"
	    "INSERT INTO journal SELECT 7, at, kind, subject, body, hash, hash FROM journal "
	    "WHERE seq = 6");
	rehash(db);
	sql(db, "UPDATE journal_head SET seq = (SELECT seq FROM saved), hash = (SELECT hash FROM saved)");
	sqlite3_close(db);
	struct journal_check c;
	assert_int_equal(check(&c), 1);
	assert_int_equal(c.bad, 7);
	assert_non_null(strstr(c.why, "beyond the recorded head"));
}

/* Documented limit (docs/journal.md): with write access to both tables,
 * dropping the tail and moving the head back is not detectable locally;
 * publishing the head in signed commitments is what will catch it. */
static void
test_consistent_truncation_undetected(void **state)
{
	sqlite3 *db;
	struct journal_check c;

	(void)state;
	populate();
	db = raw();
	sql(db, "DELETE FROM journal WHERE seq = 6;"
	    "UPDATE journal_head SET seq = 5, hash = (SELECT hash FROM journal WHERE seq = 5)");
	sqlite3_close(db);
	assert_int_equal(check(&c), 0);
	assert_int_equal(c.entries, 5);
}

static void
test_signature_rechained(void **state)
{
	sqlite3 *db;

	(void)state;
	populate();
	db = raw();
	/* a byte of the report's envelope (inside the signed part), then every
	 * hash recomputed: only the signature can tell */
	flip_body(db, 2, ID_SIGNATURE_BYTES + 3);
	rehash(db);
	sqlite3_close(db);
	assert_bad(2, "does not verify");

	teardown(state);
	setup(state);
	populate();
	db = raw();
	flip_body(db, 4, 10);	/* the second envelope's signature */
	rehash(db);
	sqlite3_close(db);
	assert_bad(4, "proof: second envelope: bad signature");
}

static void
test_report_subject_rechained(void **state)
{
	sqlite3 *db;

	(void)state;
	populate();
	db = raw();
	char q[256];
	snprintf(q, sizeof(q), "UPDATE journal SET subject = '%s' WHERE seq = 2", bob_text);
	sql(db, q);
	rehash(db);
	sqlite3_close(db);
	assert_bad(2, "subject is not the envelope's signer");
}

static void
test_empty_and_missing(void **state)
{
	struct ledger *l;
	struct journal *j;
	struct journal_check c;
	char err[512];

	(void)state;
	/* a ledger written before the journal existed: no tables, reads as empty */
	assert_int_equal(ledger_open(path, &l, err, sizeof(err)), 0);
	ledger_close(l);
	assert_int_equal(check(&c), 0);
	assert_int_equal(c.entries, 0);
	j = jopen(true);
	assert_int_equal(journal_local(j, NOW, "ban", NULL, 0, "x"), -1);
	assert_non_null(strstr(journal_errmsg(j), "read-only"));
	journal_close(j);
	/* created, still empty */
	journal_close(jopen(false));
	assert_int_equal(check(&c), 0);
	assert_int_equal(c.entries, 0);
	/* a file that does not exist */
	assert_int_equal(journal_open("/nonexistent/ledger.db", true, &j, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/ledger.db"));
}

static void
test_shares_ledger_file(void **state)
{
	struct ledger *l;
	struct journal *j;
	struct journal_check c;
	struct ledger_ban b;
	char err[512];

	(void)state;
	assert_int_equal(ledger_open(path, &l, err, sizeof(err)), 0);
	j = jopen(false);
	memset(&b, 0, sizeof(b));
	b.prefix = pfx("192.0.2.7");
	snprintf(b.service, sizeof(b.service), "sshd");
	snprintf(b.rule, sizeof(b.rule), "r");
	snprintf(b.reason, sizeof(b.reason), "maxretry");
	snprintf(b.origin, sizeof(b.origin), "local");
	b.created = NOW;
	assert_int_equal(ledger_ban_put(l, &b), 0);
	assert_int_equal(journal_local(j, NOW, "ban", &b.prefix, 0, "maxretry"), 0);
	journal_close(j);
	ledger_close(l);
	/* the ledger reopens (its schema version is untouched) and has its ban */
	assert_int_equal(ledger_open(path, &l, err, sizeof(err)), 0);
	assert_int_equal(ledger_ban_get(l, &b.prefix, &b), 1);
	ledger_close(l);
	assert_int_equal(check(&c), 0);
	assert_int_equal(c.entries, 1);
}

/* Attached to the caller's connection: entries commit and roll back with
 * the caller's transaction, and a failed append leaves it usable. */
static void
test_attach_transactions(void **state)
{
	sqlite3 *db;
	struct journal *j;
	struct journal_check c;
	char err[512];
	uint64_t n;
	uint8_t h[32];

	(void)state;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(journal_attach(db, &j, err, sizeof(err)), 0);
	sql(db, "CREATE TABLE other (x INTEGER)");
	sql(db, "BEGIN IMMEDIATE");
	sql(db, "INSERT INTO other VALUES (1)");
	assert_int_equal(journal_local(j, NOW, "ban", NULL, 0, "a"), 0);
	assert_int_equal(journal_local(j, NOW, "ban", NULL, 0, "b"), 0);
	sql(db, "ROLLBACK");
	assert_int_equal(journal_head(j, &n, h), 0);
	assert_int_equal(n, 0);

	sql(db, "BEGIN IMMEDIATE");
	assert_int_equal(journal_local(j, NOW, "ban", NULL, 0, "a"), 0);
	assert_int_equal(journal_append(j, NOW, "Bad", "x", "", 0), -1);	/* refused */
	assert_int_equal(journal_report(j, NOW, env1, env1_len - 1, (uint16_t[]){ 0 }, 1), -1);
	assert_int_equal(journal_local(j, NOW, "ban", NULL, 0, "b"), 0);
	sql(db, "INSERT INTO other VALUES (2)");
	sql(db, "COMMIT");
	assert_int_equal(journal_begin(j), -1);	/* the caller owns transactions */

	/* An append failing inside its savepoint (prepared once, used by
	 * every append in a transaction) is rolled back to it alone: the
	 * caller's writes and the appends around it stay, and so does the
	 * savepoint's use by the next append. */
	struct a5_prefix bad = pfx("192.0.2.66"), good = pfx("192.0.2.67");
	sql(db, "CREATE TEMP TRIGGER refuse BEFORE INSERT ON journal WHEN NEW.subject = '192.0.2.66'"
	    " BEGIN SELECT RAISE(ABORT, 'refused'); END");
	sql(db, "BEGIN IMMEDIATE");
	sql(db, "INSERT INTO other VALUES (3)");
	assert_int_equal(journal_local(j, NOW, "ban", &good, 0, "a"), 0);
	assert_int_equal(journal_local(j, NOW, "ban", &bad, 0, "b"), -1);
	assert_non_null(strstr(journal_errmsg(j), "refused"));
	assert_int_equal(journal_local(j, NOW, "ban", &good, 0, "c"), 0);
	sql(db, "COMMIT");
	assert_int_equal(journal_head(j, &n, h), 0);
	assert_int_equal(n, 4);
	/* outside any transaction: its own, as before */
	assert_int_equal(journal_local(j, NOW, "ban", &bad, 0, "d"), -1);
	assert_int_equal(journal_local(j, NOW, "ban", &good, 0, "e"), 0);
	sql(db, "DROP TRIGGER refuse");
	journal_close(j);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM other", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 2);
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_int_equal(check(&c), 0);
	assert_int_equal(c.entries, 5);
}

static void
test_bad_input(void **state)
{
	struct journal *j;
	char big_subject[JOURNAL_SUBJECT_MAX + 1];
	static uint8_t big[JOURNAL_BODY_MAX + 1];
	uint16_t idx_bad[] = { 1 }, idx_order[] = { 0, 0 };
	struct a5_prefix p = pfx("192.0.2.7");
	struct journal_check c;

	(void)state;
	j = jopen(false);
	assert_int_equal(journal_append(j, NOW, "", "s", "b", 1), -1);
	assert_int_equal(journal_append(j, NOW, "Report", "s", "b", 1), -1);
	assert_int_equal(journal_append(j, NOW, "abcdefghijklmnop", "s", "b", 1), -1);
	assert_int_equal(journal_append(j, NOW, "local", "line\nbreak", "b", 1), -1);
	memset(big_subject, 'a', sizeof(big_subject) - 1);
	big_subject[sizeof(big_subject) - 1] = '\0';
	assert_int_equal(journal_append(j, NOW, "local", big_subject, "b", 1), -1);
	assert_int_equal(journal_append(j, NOW, "local", "*", big, sizeof(big)), -1);
	assert_int_equal(journal_append(j, NOW, "local", "*", NULL, 3), -1);
	/* typed entries refuse what verify would flag */
	assert_int_equal(journal_report(j, NOW, env1, env1_len, idx_bad, 1), -1);
	assert_int_equal(journal_report(j, NOW, env1, env1_len, idx_order, 2), -1);
	assert_int_equal(journal_report(j, NOW, env1, env1_len, NULL, 0), -1);
	env1[10] ^= 1;
	assert_int_equal(journal_report(j, NOW, env1, env1_len, (uint16_t[]){ 0 }, 1), -1);
	env1[10] ^= 1;
	assert_int_equal(journal_proof(j, NOW, 2, env2a, env2a_len, env2a, env2a_len), -1);
	assert_int_equal(journal_local(j, NOW, "ban", &p, 1, "tab\there"), -1);
	assert_int_equal(journal_refusal(j, NOW, alice.pk, 1, "new\nline", NULL), -1);
	assert_int_equal(journal_commit(j), -1);	/* no batch */
	assert_int_equal(journal_begin(j), 0);
	assert_int_equal(journal_begin(j), -1);	/* nested */
	assert_int_equal(journal_commit(j), 0);
	/* an unknown kind goes in (append is generic) but verify flags it */
	assert_int_equal(journal_append(j, NOW, "mystery", "x", "", 0), 0);
	journal_close(j);
	assert_int_equal(check(&c), 1);
	assert_int_equal(c.bad, 1);
	assert_non_null(strstr(c.why, "unknown kind"));
	journal_close(NULL);
}

/* --- proofs and evidence files --- */

/* What a checker saw of the entries journal_walk handed it. */
struct seen {
	unsigned calls;
	uint64_t seqs[8];
	uint64_t refuse;	/* entry to refuse; 0 none */
};

static int
record_entry(void *arg, const struct journal_entry *e, char *why, size_t n)
{
	struct seen *s = arg;

	assert_true(s->calls < 8);
	s->seqs[s->calls++] = e->seq;
	assert_string_equal(e->kind, "note");
	assert_int_equal(e->subject_len, strlen(e->subject));
	assert_int_equal(e->len, 5);
	assert_memory_equal(e->body, "hello", 5);
	if (e->seq == s->refuse) {
		snprintf(why, n, "note: refused by the test");
		return -1;
	}
	return 0;
}

/* The journal alone: it checks the chain and its own kind, hands every
 * other kind to the caller's checker, and knows nothing of the coalition's
 * (journal_verify refuses a kind the coalition does not know). */
static void
test_walk_checker(void **state)
{
	struct journal *j = jopen(false);
	struct a5_prefix p = pfx("192.0.2.7");
	struct journal_check c;
	struct seen s;

	(void)state;
	assert_int_equal(journal_local(j, NOW, "ban", &p, 600, "sshd/maxretry"), 0);
	assert_int_equal(journal_append(j, NOW + 1, "note", "first", "hello", 5), 0);
	assert_int_equal(journal_append(j, NOW + 2, "note", "second", "hello", 5), 0);
	/* no checker: the chain alone */
	assert_int_equal(journal_walk(j, NULL, NULL, &c), 0);
	assert_int_equal(c.entries, 3);
	/* a checker sees the other kinds, in order, and its refusal stops the walk */
	memset(&s, 0, sizeof(s));
	assert_int_equal(journal_walk(j, record_entry, &s, &c), 0);
	assert_int_equal(s.calls, 2);
	assert_int_equal(s.seqs[0], 2);
	assert_int_equal(s.seqs[1], 3);
	memset(&s, 0, sizeof(s));
	s.refuse = 2;
	assert_int_equal(journal_walk(j, record_entry, &s, &c), 1);
	assert_int_equal(c.bad, 2);
	assert_int_equal(c.entries, 1);
	assert_string_equal(c.why, "note: refused by the test");
	assert_int_equal(journal_verify(j, &c), 1);
	assert_int_equal(c.bad, 2);
	assert_non_null(strstr(c.why, "unknown kind \"note\""));
	/* a local entry the journal did not format is its own to refuse */
	assert_int_equal(journal_append(j, NOW + 3, JOURNAL_LOCAL, "not-a-prefix", "x", 1), 0);
	assert_int_equal(journal_walk(j, NULL, NULL, &c), 1);
	assert_int_equal(c.bad, 4);
	assert_string_equal(c.why, "local: subject is not a prefix");
	journal_close(j);
}

static void
test_proof_check(void **state)
{
	struct journal_proof pr;
	char why[256];

	(void)state;
	assert_int_equal(journal_proof_check(env2a, env2a_len, env2b, env2b_len, 2, &pr, why,
	    sizeof(why)), 0);
	assert_memory_equal(pr.reporter, alice.pk, ID_PUBLIC_BYTES);
	assert_int_equal(pr.first.seq, 2);
	assert_false(prefix_equal(&pr.first.prefix, &pr.second.prefix));
	assert_int_equal(journal_proof_check(env2a, env2a_len, env2a, env2a_len, 2, &pr, why,
	    sizeof(why)), -1);
	assert_non_null(strstr(why, "same report"));
	assert_int_equal(journal_proof_check(env2a, env2a_len, envbob, envbob_len, 2, &pr, why,
	    sizeof(why)), -1);
	assert_non_null(strstr(why, "different keys"));
	assert_int_equal(journal_proof_check(env2a, env2a_len, envother, envother_len, 2, &pr, why,
	    sizeof(why)), -1);
	assert_non_null(strstr(why, "different coalitions"));
	assert_int_equal(journal_proof_check(env1, env1_len, env2b, env2b_len, 2, &pr, why,
	    sizeof(why)), -1);
	assert_non_null(strstr(why, "no report #2"));
	env2b[WIRE_HEADER_BYTES + 60] ^= 0x80;
	assert_int_equal(journal_proof_check(env2a, env2a_len, env2b, env2b_len, 2, &pr, why,
	    sizeof(why)), -1);
	assert_non_null(strstr(why, "second envelope: bad signature"));
	env2b[WIRE_HEADER_BYTES + 60] ^= 0x80;
	assert_int_equal(journal_proof_check(env2a, 10, env2b, env2b_len, 2, &pr, why,
	    sizeof(why)), -1);
	assert_non_null(strstr(why, "first envelope"));
}

struct verdicts {
	int valid, invalid;
	char last[512];
};

static void
collect(void *arg, size_t line, bool valid, const char *msg)
{
	struct verdicts *v = arg;

	(void)line;
	if (valid)
		v->valid++;
	else
		v->invalid++;
	snprintf(v->last, sizeof(v->last), "%s", msg);
}

static void
load_charter(struct charter *c, const char *name, bool with_alice)
{
	char text[1024], err[512];

	snprintf(text, sizeof(text), "coalition %s\n%s%s%smember bob %s member\n", name,
	    with_alice ? "member alice " : "", with_alice ? alice_text : "",
	    with_alice ? " member\n" : "", bob_text);
	if (charter_parse("test.charter", text, strlen(text), c, err, sizeof(err)) != 0)
		fail_msg("charter: %s", err);
}

/* Writes one proof of alice #2 into a malloc'ed string. */
static char *
evidence_text(size_t *len)
{
	char *text = NULL, why[256];
	FILE *f = open_memstream(&text, len);

	assert_non_null(f);
	fprintf(f, "# test\n");
	assert_int_equal(journal_evidence_write(f, "alice", 2, NOW, env2a, env2a_len, env2b,
	    env2b_len, why, sizeof(why)), 0);
	assert_int_equal(fclose(f), 0);
	return text;
}

static int
ev_check(const char *text, size_t len, const struct charter *c, struct verdicts *v, char *err)
{
	memset(v, 0, sizeof(*v));
	return journal_evidence_check(text, len, c, collect, v, err, 256);
}

static void
test_evidence_round_trip(void **state)
{
	static struct charter c;
	struct verdicts v;
	char err[256], *text, *line, why[256];
	size_t len;
	FILE *f;

	(void)state;
	load_charter(&c, COALITION, true);
	text = evidence_text(&len);
	assert_int_equal(ev_check(text, len, &c, &v, err), 0);
	assert_int_equal(v.valid, 1);
	assert_string_equal(v.last, "alice signed two different reports #2 (203.0.113.0/24 and "
	    "203.0.113.9)");
	/* CRLF line ends are fine */
	free(text);

	/* an invalid proof is never written */
	f = open_memstream(&text, &len);
	assert_int_equal(journal_evidence_write(f, "alice", 2, NOW, env2a, env2a_len, env2a,
	    env2a_len, why, sizeof(why)), -1);
	fclose(f);
	free(text);

	/* one of the base64 characters of the second envelope changed */
	text = evidence_text(&len);
	line = strstr(text, "\nsecond ");
	assert_non_null(line);
	line[8 + 40] = line[8 + 40] == 'A' ? 'B' : 'A';
	assert_int_equal(ev_check(text, len, &c, &v, err), 1);
	assert_int_equal(v.invalid, 1);
	assert_non_null(strstr(v.last, "second envelope"));
	free(text);
}

static void
test_evidence_refusals(void **state)
{
	static struct charter c;
	struct verdicts v;
	char err[256], *text, *p;
	size_t len;

	(void)state;
	text = evidence_text(&len);
	/* not a member */
	load_charter(&c, COALITION, false);
	assert_int_equal(ev_check(text, len, &c, &v, err), 1);
	assert_non_null(strstr(v.last, "is not a member of coalition " COALITION));
	/* another coalition's charter */
	load_charter(&c, "elsewhere", true);
	assert_int_equal(ev_check(text, len, &c, &v, err), 1);
	assert_non_null(strstr(v.last, "another coalition"));
	/* a header that names someone else */
	load_charter(&c, COALITION, true);
	p = strstr(text, alice_text);
	assert_non_null(p);
	memcpy(p, bob_text, strlen(bob_text));
	assert_int_equal(ev_check(text, len, &c, &v, err), 1);
	assert_non_null(strstr(v.last, "not signed by"));
	memcpy(p, alice_text, strlen(alice_text));
	/* a header with another number */
	p = strstr(text, "\nseq 2\n");
	assert_non_null(p);
	p[5] = '1';
	assert_int_equal(ev_check(text, len, &c, &v, err), 1);
	assert_non_null(strstr(v.last, "no report #1"));
	p[5] = '2';
	assert_int_equal(ev_check(text, len, &c, &v, err), 0);
	free(text);

	/* not evidence files */
	assert_int_equal(ev_check("", 0, &c, &v, err), -1);
	assert_non_null(strstr(err, "no proof"));
	assert_int_equal(ev_check("hello\n", 6, &c, &v, err), -1);
	assert_non_null(strstr(err, "line 1"));
	const char *t1 = "article5-proof 1\nkey x\n";
	assert_int_equal(ev_check(t1, strlen(t1), &c, &v, err), -1);
	assert_non_null(strstr(err, "not closed"));
	const char *t2 = "article5-proof 1\ncolour blue\nend\n";
	assert_int_equal(ev_check(t2, strlen(t2), &c, &v, err), -1);
	assert_non_null(strstr(err, "line 2: unknown field"));
	const char *t3 = "article5-proof 1\nseq 1\nseq 2\nend\n";
	assert_int_equal(ev_check(t3, strlen(t3), &c, &v, err), -1);
	const char *t4 = "article5-proof 1\nseq 3\nend\n";
	assert_int_equal(ev_check(t4, strlen(t4), &c, &v, err), 1);
	assert_non_null(strstr(v.last, "incomplete"));
	const char *t5 = "article5-proof 2\n";
	assert_int_equal(ev_check(t5, strlen(t5), &c, &v, err), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_only_triggers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edit_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edit_other_columns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edit_then_rehash_one, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_middle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_last, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_tampered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_appended_around_head, setup, teardown),
		cmocka_unit_test_setup_teardown(test_consistent_truncation_undetected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signature_rechained, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_subject_rechained, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_and_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shares_ledger_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk_checker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proof_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evidence_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evidence_refusals, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
