/* journal.c - the tamper-evident journal: append-only, hash-chained, in
 * the ledger's SQLite file (docs/journal.md). It stores what its callers
 * hand it and checks the chain; the coalition's entries are written and
 * checked in coalition/evidence.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>
#include <sqlite3.h>

#include "common/util.h"
#include "ledger/db.h"
#include "ledger/journal.h"
#include "ledger/migrate.h"

/* Domain separation: a journal hash is never a valid hash of anything
 * else BLAKE2b-256 is used for here (report links, message ids). */
static const char journal_tag[] = "article5 journal v1";

enum jstmt { JS_HEAD_GET, JS_INSERT, JS_HEAD_SET, JS_COUNT };

static const char *const jstmt_sql[JS_COUNT] = {
	[JS_HEAD_GET] = "SELECT seq, hash FROM journal_head WHERE id = 1",
	[JS_INSERT] = "INSERT INTO journal (seq, at, kind, subject, body, prev, hash)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[JS_HEAD_SET] = "INSERT INTO journal_head (id, seq, hash) VALUES (1, ?1, ?2)"
	    " ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
};

struct journal {
	struct db db;		/* db.h is the ledger's when attached */
	sqlite3_stmt *st[JS_COUNT];
	/* An append inside the daemon's batch (once for every envelope
	 * applied) is a savepoint: its statements prepared once, not parsed
	 * by sqlite3_exec at each append (about 2 % of a receiver's CPU per
	 * single-report envelope, docs/bench.md "rx-cost"). */
	struct db_savepoint sp;
	bool own;		/* db.h is ours to close */
	bool readonly;
	bool missing;		/* readonly, and the tables do not exist yet */
	bool batch;		/* inside journal_begin */
};

int
journal_fail(struct journal *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	db_vfail(&j->db, fmt, ap);
	va_end(ap);
	return -1;
}

/* --- opening --- */

static int
prepare_all(struct journal *j)
{
	for (int i = 0; i < JS_COUNT; i++)
		if (db_prepare(&j->db, jstmt_sql[i], &j->st[i]) != 0)
			return -1;
	return db_savepoint_prepare(&j->db, "journal", &j->sp);
}

static struct journal *
journal_new(const char *path)
{
	struct journal *j = calloc(1, sizeof(*j));

	if (j != NULL && !db_init(&j->db, "journal ", path)) {
		free(j);
		return NULL;
	}
	return j;
}

/* Copies j's error into err and frees j. */
static int
open_fail(struct journal *j, char *err, size_t errlen)
{
	if (errlen > 0)
		strlcpy_ok(err, j->db.err, errlen);
	journal_close(j);
	return -1;
}

int
journal_open(const char *path, bool readonly, struct journal **out, char *err, size_t errlen)
{
	struct journal *j;
	struct stat sb;
	int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

	*out = NULL;
	if ((j = journal_new(path)) == NULL) {
		snprintf(err, errlen, "journal %s: out of memory or path too long", path);
		return -1;
	}
	j->own = true;
	j->readonly = readonly;
	/* SQLite would report "unable to open database file"; say which. */
	if (readonly && stat(path, &sb) != 0) {
		db_fail(&j->db, "%s", strerror(errno));
		return open_fail(j, err, errlen);
	}
	/* As the ledger does: a new file is private (0600). */
	if (!readonly && db_on_disk(path) && db_create_private(&j->db) != 0)
		return open_fail(j, err, errlen);
	if (db_open(&j->db, flags) != 0)
		return open_fail(j, err, errlen);
	if (readonly) {
		bool exist = false;
		if (migrate_journal_exists(&j->db, &exist) != 0)
			return open_fail(j, err, errlen);
		j->missing = !exist;
		if (j->missing)
			goto done;
	} else if (db_set_wal(&j->db, db_on_disk(path)) != 0 || migrate_journal(&j->db) != 0)
		return open_fail(j, err, errlen);
	if (prepare_all(j) != 0)
		return open_fail(j, err, errlen);
done:
	*out = j;
	return 0;
}

int
journal_attach(sqlite3 *db, struct journal **out, char *err, size_t errlen)
{
	const char *name = sqlite3_db_filename(db, "main");
	struct journal *j;

	*out = NULL;
	if ((j = journal_new(name && name[0] ? name : ":memory:")) == NULL) {
		snprintf(err, errlen, "journal: out of memory or path too long");
		return -1;
	}
	j->db.h = db;
	if (sqlite3_db_readonly(db, "main") == 1) {
		db_fail(&j->db, "attach: the connection is read-only");
		return open_fail(j, err, errlen);
	}
	if (migrate_journal(&j->db) != 0 || prepare_all(j) != 0)
		return open_fail(j, err, errlen);
	*out = j;
	return 0;
}

void
journal_close(struct journal *j)
{
	if (j == NULL)
		return;
	for (int i = 0; i < JS_COUNT; i++)
		sqlite3_finalize(j->st[i]);
	db_savepoint_finalize(&j->sp);
	if (j->own)
		db_close(&j->db);
	free(j);
}

const char *
journal_errmsg(const struct journal *j)
{
	return j->db.err;
}

int
journal_begin(struct journal *j)
{
	if (!j->own || j->readonly)
		return db_fail(&j->db, "begin: only for a read-write journal on its own connection");
	if (j->batch)
		return db_fail(&j->db, "begin: a batch is already open");
	if (db_exec(&j->db, "BEGIN IMMEDIATE", "begin") != 0)
		return -1;
	j->batch = true;
	return 0;
}

int
journal_commit(struct journal *j)
{
	if (!j->batch)
		return db_fail(&j->db, "commit without begin");
	j->batch = false;
	if (sqlite3_get_autocommit(j->db.h))
		return db_fail(&j->db, "commit: the batch was rolled back by an earlier error");
	if (db_exec(&j->db, "COMMIT", "commit") == 0)
		return 0;
	if (!sqlite3_get_autocommit(j->db.h))
		sqlite3_exec(j->db.h, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* --- the chain --- */

static void
put_be(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

/* hash = BLAKE2b-256(tag || prev || seq:8 || at:8 || klen:1 || kind ||
 * slen:1 || subject || blen:4 || body), integers big-endian: every field
 * is fixed-size or length-prefixed, so no two entries share an input. */
static void
entry_hash(const uint8_t prev[JOURNAL_HASH_BYTES], uint64_t seq, int64_t at, const char *kind,
    size_t klen, const char *subject, size_t slen, const uint8_t *body, size_t blen,
    uint8_t out[JOURNAL_HASH_BYTES])
{
	crypto_generichash_state st;
	uint8_t num[8];

	crypto_generichash_init(&st, NULL, 0, JOURNAL_HASH_BYTES);
	crypto_generichash_update(&st, (const uint8_t *)journal_tag, sizeof(journal_tag) - 1);
	crypto_generichash_update(&st, prev, JOURNAL_HASH_BYTES);
	put_be(num, seq, 8);
	crypto_generichash_update(&st, num, 8);
	put_be(num, (uint64_t)at, 8);
	crypto_generichash_update(&st, num, 8);
	put_be(num, klen, 1);
	crypto_generichash_update(&st, num, 1);
	crypto_generichash_update(&st, (const uint8_t *)kind, klen);
	put_be(num, slen, 1);
	crypto_generichash_update(&st, num, 1);
	crypto_generichash_update(&st, (const uint8_t *)subject, slen);
	put_be(num, blen, 4);
	crypto_generichash_update(&st, num, 4);
	if (blen > 0)
		crypto_generichash_update(&st, body, blen);
	crypto_generichash_final(&st, out, JOURNAL_HASH_BYTES);
}

static bool
kind_ok(const char *kind, size_t n)
{
	if (n == 0 || n >= JOURNAL_KIND_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (kind[i] < 'a' || kind[i] > 'z')
			return false;
	return true;
}

bool
journal_printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* Reads the head; seq 0 and zeros when the journal is empty. */
static int
head_read(struct journal *j, uint64_t *seq, uint8_t hash[JOURNAL_HASH_BYTES], bool *present)
{
	sqlite3_stmt *st = j->st[JS_HEAD_GET];
	int rc, ret = 0;

	*seq = 0;
	*present = false;
	memset(hash, 0, JOURNAL_HASH_BYTES);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int64_t s = sqlite3_column_int64(st, 0);
		if (s < 1 || sqlite3_column_type(st, 1) != SQLITE_BLOB ||
		    sqlite3_column_bytes(st, 1) != JOURNAL_HASH_BYTES)
			ret = db_fail(&j->db, "corrupt head record (seq %lld)", (long long)s);
		else {
			*seq = (uint64_t)s;
			memcpy(hash, sqlite3_column_blob(st, 1), JOURNAL_HASH_BYTES);
			*present = true;
		}
	} else if (rc != SQLITE_DONE)
		ret = db_fail_sqlite(&j->db, "read head");
	db_stmt_done(st);
	return ret;
}

int
journal_head(struct journal *j, uint64_t *seq, uint8_t hash[JOURNAL_HASH_BYTES])
{
	bool present;

	if (j->missing) {
		*seq = 0;
		memset(hash, 0, JOURNAL_HASH_BYTES);
		return 0;
	}
	return head_read(j, seq, hash, &present);
}

/* Inserts entry head+1 and moves the head; inside db_unit_begin/end. */
static int
append_locked(struct journal *j, int64_t at, const char *kind, size_t klen,
    const char *subject, size_t slen, const void *body, size_t len)
{
	sqlite3_stmt *ins = j->st[JS_INSERT], *hs = j->st[JS_HEAD_SET];
	uint8_t prev[JOURNAL_HASH_BYTES], hash[JOURNAL_HASH_BYTES];
	uint64_t seq;
	bool present;

	if (head_read(j, &seq, prev, &present) != 0)
		return -1;
	if (seq >= INT64_MAX)
		return db_fail(&j->db, "append: sequence exhausted");
	seq++;
	entry_hash(prev, seq, at, kind, klen, subject, slen, body, len, hash);
	/* A zero-length body is bound as an empty blob, not NULL. */
	if (sqlite3_bind_int64(ins, 1, (sqlite3_int64)seq) != SQLITE_OK ||
	    sqlite3_bind_int64(ins, 2, at) != SQLITE_OK ||
	    sqlite3_bind_text(ins, 3, kind, (int)klen, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(ins, 4, subject, (int)slen, SQLITE_STATIC) != SQLITE_OK ||
	    (len > 0 ? sqlite3_bind_blob(ins, 5, body, (int)len, SQLITE_STATIC) :
	    sqlite3_bind_zeroblob(ins, 5, 0)) != SQLITE_OK ||
	    sqlite3_bind_blob(ins, 6, prev, sizeof(prev), SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_blob(ins, 7, hash, sizeof(hash), SQLITE_STATIC) != SQLITE_OK) {
		db_fail_sqlite(&j->db, "append: bind");
		db_stmt_done(ins);
		return -1;
	}
	if (db_stmt_run(&j->db, ins, "append") != 0)
		return -1;
	if (sqlite3_bind_int64(hs, 1, (sqlite3_int64)seq) != SQLITE_OK ||
	    sqlite3_bind_blob(hs, 2, hash, sizeof(hash), SQLITE_STATIC) != SQLITE_OK) {
		db_fail_sqlite(&j->db, "append: bind head");
		db_stmt_done(hs);
		return -1;
	}
	return db_stmt_run(&j->db, hs, "append: move head");
}

int
journal_append(struct journal *j, int64_t at, const char *kind, const char *subject,
    const void *body, size_t len)
{
	size_t klen = strnlen(kind, JOURNAL_KIND_MAX), slen = strnlen(subject, JOURNAL_SUBJECT_MAX);
	struct db_unit u;

	if (j->readonly || j->missing)
		return db_fail(&j->db, "append: opened read-only");
	if (!kind_ok(kind, klen))
		return db_fail(&j->db, "append: bad kind \"%.*s\", expected 1..%d letters a-z",
		    (int)klen, kind, JOURNAL_KIND_MAX - 1);
	if (slen >= JOURNAL_SUBJECT_MAX || !journal_printable(subject, slen))
		return db_fail(&j->db, "append: subject not printable ASCII of at most %d bytes",
		    JOURNAL_SUBJECT_MAX - 1);
	if (len > JOURNAL_BODY_MAX || (len > 0 && body == NULL))
		return db_fail(&j->db, "append: body of %zu bytes (at most %d)", len,
		    JOURNAL_BODY_MAX);
	if (db_unit_begin_prepared(&j->db, &j->sp, &u) != 0)
		return -1;
	return db_unit_end(&j->db, &u, append_locked(j, at, kind, klen, subject, slen, body, len));
}

int
journal_local(struct journal *j, int64_t at, const char *action, const struct a5_prefix *p,
    int64_t ttl, const char *reason)
{
	char subject[A5_PREFIX_STRLEN] = "*", body[JOURNAL_TEXT_MAX];
	int w;

	if (p != NULL)
		prefix_format(p, subject, sizeof(subject));
	w = snprintf(body, sizeof(body), "action=%s ttl=%lld reason=%s", action,
	    (long long)ttl, reason);
	if (w < 0 || (size_t)w >= sizeof(body) || !journal_printable(body, (size_t)w))
		return db_fail(&j->db, "local: action or reason not printable or too long");
	return journal_append(j, at, JOURNAL_LOCAL, subject, body, (size_t)w);
}

/* --- verification --- */

/* A local entry: short printable text about a prefix, or "*" (a flush). */
static int
local_check(const struct journal_entry *e, char *why, size_t n)
{
	struct a5_prefix p;

	if (e->len > JOURNAL_TEXT_MAX || !journal_printable((const char *)e->body, e->len)) {
		snprintf(why, n, "%s: body is not short printable text", e->kind);
		return -1;
	}
	if (strcmp(e->subject, "*") != 0 && prefix_parse(e->subject, e->subject_len, &p) != 0) {
		snprintf(why, n, "%s: subject is not a prefix", e->kind);
		return -1;
	}
	return 0;
}

static int
bad(struct journal_check *out, uint64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the first bad entry; returns 1 (broken). */
static int
bad(struct journal_check *out, uint64_t seq, const char *fmt, ...)
{
	va_list ap;

	out->bad = seq;
	va_start(ap, fmt);
	vsnprintf(out->why, sizeof(out->why), fmt, ap);
	va_end(ap);
	return 1;
}

static const char walk_sql[] =
	"SELECT seq, at, kind, subject, body, prev, hash FROM journal ORDER BY seq";

/* One row: sequence, link, hash, content. 0 good, 1 bad. */
static int
check_row(sqlite3_stmt *st, uint64_t expect, const uint8_t prev[JOURNAL_HASH_BYTES],
    journal_check_fn *check, void *arg, struct journal_check *out)
{
	int64_t seq = sqlite3_column_int64(st, 0), at = sqlite3_column_int64(st, 1);
	struct journal_entry e;
	size_t klen;
	uint8_t hash[JOURNAL_HASH_BYTES];
	char why[JOURNAL_WHY_MAX];

	if (seq < 1 || (uint64_t)seq < expect)
		return bad(out, expect, "unexpected entry numbered %lld", (long long)seq);
	if ((uint64_t)seq != expect && expect == 1)
		return bad(out, expect, "missing (the journal starts at entry %lld)", (long long)seq);
	if ((uint64_t)seq != expect)
		return bad(out, expect, "missing (the journal jumps from entry %llu to %lld)",
		    (unsigned long long)(expect - 1), (long long)seq);
	/* Types first: sqlite3_column_type is undefined after a conversion. */
	if (sqlite3_column_type(st, 1) != SQLITE_INTEGER ||
	    sqlite3_column_type(st, 2) != SQLITE_TEXT || sqlite3_column_type(st, 3) != SQLITE_TEXT ||
	    sqlite3_column_type(st, 4) != SQLITE_BLOB || sqlite3_column_type(st, 5) != SQLITE_BLOB ||
	    sqlite3_column_type(st, 6) != SQLITE_BLOB ||
	    sqlite3_column_bytes(st, 5) != JOURNAL_HASH_BYTES ||
	    sqlite3_column_bytes(st, 6) != JOURNAL_HASH_BYTES)
		return bad(out, expect, "malformed row (a column of the wrong type or size)");
	e.seq = (uint64_t)seq;
	e.at = at;
	e.kind = (const char *)sqlite3_column_text(st, 2);
	klen = (size_t)sqlite3_column_bytes(st, 2);
	e.subject = (const char *)sqlite3_column_text(st, 3);
	e.subject_len = (size_t)sqlite3_column_bytes(st, 3);
	e.body = sqlite3_column_blob(st, 4);
	e.len = (size_t)sqlite3_column_bytes(st, 4);
	if (e.kind == NULL || e.subject == NULL || !kind_ok(e.kind, klen) ||
	    strlen(e.kind) != klen || e.subject_len >= JOURNAL_SUBJECT_MAX ||
	    strlen(e.subject) != e.subject_len || !journal_printable(e.subject, e.subject_len) ||
	    e.len > JOURNAL_BODY_MAX)
		return bad(out, expect, "malformed row (kind, subject or body out of bounds)");
	if (memcmp(sqlite3_column_blob(st, 5), prev, JOURNAL_HASH_BYTES) != 0) {
		if (expect == 1)
			return bad(out, expect, "the first entry does not start the chain "
			    "(prev is not zero)");
		return bad(out, expect, "does not link to entry %llu (entry %llu or this one "
		    "was rewritten, or entries were reordered)", (unsigned long long)(expect - 1),
		    (unsigned long long)(expect - 1));
	}
	entry_hash(prev, e.seq, at, e.kind, klen, e.subject, e.subject_len, e.body, e.len, hash);
	if (memcmp(sqlite3_column_blob(st, 6), hash, JOURNAL_HASH_BYTES) != 0)
		return bad(out, expect, "content does not match its hash (edited)");
	if (strcmp(e.kind, JOURNAL_LOCAL) == 0 ? local_check(&e, why, sizeof(why)) != 0 :
	    check != NULL && check(arg, &e, why, sizeof(why)) != 0)
		return bad(out, expect, "%s", why);
	memcpy(out->head, hash, JOURNAL_HASH_BYTES);
	return 0;
}

static int
walk(struct journal *j, journal_check_fn *check, void *arg, struct journal_check *out)
{
	sqlite3_stmt *st;
	uint8_t head[JOURNAL_HASH_BYTES];
	uint64_t head_seq;
	bool present;
	int rc, ret = 0;

	if (head_read(j, &head_seq, head, &present) != 0)
		return -1;
	if (sqlite3_prepare_v2(j->db.h, walk_sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail_sqlite(&j->db, "walk");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint8_t prev[JOURNAL_HASH_BYTES];
		memcpy(prev, out->head, sizeof(prev));
		if ((ret = check_row(st, out->entries + 1, prev, check, arg, out)) != 0)
			break;
		out->entries++;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = db_fail_sqlite(&j->db, "walk");
	sqlite3_finalize(st);
	if (ret != 0)
		return ret;
	/* The rows are a consistent chain; the head says whether it is whole. */
	if (!present)
		return out->entries == 0 ? 0 : bad(out, out->entries,
		    "the head record (journal_head) is missing: the tail cannot be checked");
	if (head_seq > out->entries)
		return bad(out, out->entries + 1, "missing: the head records %llu entries, the "
		    "journal ends at %llu (truncated)", (unsigned long long)head_seq,
		    (unsigned long long)out->entries);
	if (head_seq < out->entries)
		return bad(out, head_seq + 1, "beyond the recorded head (entry %llu): appended "
		    "around the journal", (unsigned long long)head_seq);
	if (memcmp(head, out->head, sizeof(head)) != 0)
		return bad(out, out->entries, "hash is not the one the head records (the last "
		    "entry was replaced)");
	return 0;
}

int
journal_walk(struct journal *j, journal_check_fn *check, void *arg, struct journal_check *out)
{
	bool own_tx;
	int ret;

	memset(out, 0, sizeof(*out));
	if (j->missing)
		return 0;
	/* One read transaction: rows and head from the same snapshot, even
	 * while the daemon appends. */
	own_tx = sqlite3_get_autocommit(j->db.h);
	if (own_tx && db_exec(&j->db, "BEGIN", "begin read") != 0)
		return -1;
	ret = walk(j, check, arg, out);
	if (own_tx)
		sqlite3_exec(j->db.h, "COMMIT", NULL, NULL, NULL);
	return ret;
}

/* --- views --- */

int
journal_recent(struct journal *j, const char *kind_a, const char *kind_b, uint64_t max,
    int (*fn)(void *arg, const struct journal_entry *e), void *arg)
{
	static const char sql[] = "SELECT seq, at, kind, subject, body FROM journal"
	    " WHERE kind = ?1 OR kind = ?2 ORDER BY seq DESC LIMIT ?3";
	sqlite3_stmt *st;
	int rc, n = 0;

	if (j->missing)
		return 0;
	if (sqlite3_prepare_v2(j->db.h, sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail_sqlite(&j->db, "recent");
	sqlite3_bind_text(st, 1, kind_a, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind_b != NULL ? kind_b : kind_a, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, max > INT64_MAX ? INT64_MAX : (sqlite3_int64)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct journal_entry e;
		if (sqlite3_column_type(st, 2) != SQLITE_TEXT || sqlite3_column_type(st, 3) != SQLITE_TEXT)
			continue;	/* malformed row: journal_walk reports it */
		e.seq = (uint64_t)sqlite3_column_int64(st, 0);
		e.at = sqlite3_column_int64(st, 1);
		e.kind = (const char *)sqlite3_column_text(st, 2);
		e.subject = (const char *)sqlite3_column_text(st, 3);
		e.subject_len = (size_t)sqlite3_column_bytes(st, 3);
		e.body = sqlite3_column_blob(st, 4);
		e.len = (size_t)sqlite3_column_bytes(st, 4);
		n++;
		if (fn(arg, &e) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail_sqlite(&j->db, "recent");
	return n;
}
