/* journal.c - the tamper-evident journal: append-only, hash-chained, in
 * the ledger's SQLite file (docs/journal.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "coalition/governance.h"
#include "common/util.h"
#include "ledger/journal.h"

#define JOURNAL_BUSY_MS 5000
#define JOURNAL_PATH_MAX 4096
#define JOURNAL_ERR_MAX (JOURNAL_PATH_MAX + 512)
/* Text bodies (refusal, local) stay short: they describe, the envelopes prove. */
#define JOURNAL_TEXT_MAX 512
/* Domain separation: a journal hash is never a valid hash of anything
 * else BLAKE2b-256 is used for here (report links, message ids). */
static const char journal_tag[] = "article5 journal v1";

/* The triggers make the table append-only for every writer that goes
 * through SQLite honestly (a bug elsewhere in the daemon, a hand-typed
 * DELETE); a deliberate attacker drops them, and the chain catches that. */
static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS journal ("
	" seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, kind TEXT NOT NULL,"
	" subject TEXT NOT NULL, body BLOB NOT NULL, prev BLOB NOT NULL,"
	" hash BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS journal_head ("
	" id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL,"
	" hash BLOB NOT NULL);"
	"CREATE TRIGGER IF NOT EXISTS journal_no_update BEFORE UPDATE ON journal"
	" BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;"
	"CREATE TRIGGER IF NOT EXISTS journal_no_delete BEFORE DELETE ON journal"
	" BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;";

enum jstmt { JS_HEAD_GET, JS_INSERT, JS_HEAD_SET, JS_COUNT };

static const char *const jstmt_sql[JS_COUNT] = {
	[JS_HEAD_GET] = "SELECT seq, hash FROM journal_head WHERE id = 1",
	[JS_INSERT] = "INSERT INTO journal (seq, at, kind, subject, body, prev, hash)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[JS_HEAD_SET] = "INSERT INTO journal_head (id, seq, hash) VALUES (1, ?1, ?2)"
	    " ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
};

struct journal {
	sqlite3 *db;
	sqlite3_stmt *st[JS_COUNT];
	bool own;		/* db is ours to close */
	bool readonly;
	bool missing;		/* readonly, and the tables do not exist yet */
	bool batch;		/* inside journal_begin */
	struct wire_envelope *env;	/* decode buffer, allocated on first use */
	char path[JOURNAL_PATH_MAX];
	char err[JOURNAL_ERR_MAX];
};

static int set_err(struct journal *j, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Records "journal PATH: what"; always returns -1. */
static int
set_err(struct journal *j, const char *fmt, ...)
{
	va_list ap;
	int w;

	w = snprintf(j->err, sizeof(j->err), "journal %s: ", j->path);
	if (w < 0 || (size_t)w >= sizeof(j->err))
		return -1;
	va_start(ap, fmt);
	vsnprintf(j->err + w, sizeof(j->err) - (size_t)w, fmt, ap);
	va_end(ap);
	return -1;
}

static int
db_err(struct journal *j, const char *what)
{
	return set_err(j, "%s: %s", what, sqlite3_errmsg(j->db));
}

static void
stmt_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static int
exec(struct journal *j, const char *sql, const char *what)
{
	char *msg = NULL;

	if (sqlite3_exec(j->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	set_err(j, "%s: %s", what, msg ? msg : sqlite3_errmsg(j->db));
	sqlite3_free(msg);
	return -1;
}

/* --- transactions: an append is all or nothing, inside or outside the
 * caller's transaction --- */

enum tx { TX_OWN, TX_SAVEPOINT };

/* Outside any transaction: BEGIN IMMEDIATE (takes the write lock before the
 * head is read, so two writers cannot both extend the same head). Inside
 * one (the ledger's batch, or journal_begin): a savepoint. */
static int
tx_open(struct journal *j, enum tx *t)
{
	if (sqlite3_get_autocommit(j->db)) {
		*t = TX_OWN;
		return exec(j, "BEGIN IMMEDIATE", "begin");
	}
	*t = TX_SAVEPOINT;
	return exec(j, "SAVEPOINT journal", "savepoint");
}

static int
tx_close(struct journal *j, enum tx t, int ok)
{
	if (ok == 0) {
		if (t == TX_OWN) {
			if (exec(j, "COMMIT", "commit") == 0)
				return 0;
			if (!sqlite3_get_autocommit(j->db))
				sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		return exec(j, "RELEASE journal", "release savepoint");
	}
	/* The error is already in j->err; after an error SQLite may have rolled
	 * back the outer transaction itself, so these may fail: ignored. */
	if (t == TX_OWN)
		sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
	else {
		sqlite3_exec(j->db, "ROLLBACK TO journal", NULL, NULL, NULL);
		sqlite3_exec(j->db, "RELEASE journal", NULL, NULL, NULL);
	}
	return -1;
}

/* --- opening --- */

static int
tables_exist(struct journal *j, bool *exist)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(j->db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
	    " AND name IN ('journal', 'journal_head')", -1, &st, NULL) != SQLITE_OK)
		return db_err(j, "read schema");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*exist = sqlite3_column_int(st, 0) > 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : db_err(j, "read schema");
}

static int
schema_create(struct journal *j)
{
	enum tx t;
	bool exist = false;

	if (tables_exist(j, &exist) != 0)
		return -1;
	if (exist)
		return 0;
	if (tx_open(j, &t) != 0)
		return -1;
	return tx_close(j, t, exec(j, schema_sql, "create tables"));
}

static int
prepare_all(struct journal *j)
{
	for (int i = 0; i < JS_COUNT; i++)
		if (sqlite3_prepare_v3(j->db, jstmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &j->st[i], NULL) != SQLITE_OK)
			return set_err(j, "prepare \"%s\": %s", jstmt_sql[i], sqlite3_errmsg(j->db));
	return 0;
}

static struct journal *
journal_new(const char *path)
{
	struct journal *j = calloc(1, sizeof(*j));

	if (j != NULL && !strlcpy_ok(j->path, path, sizeof(j->path))) {
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
		strlcpy_ok(err, j->err, errlen);
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
		set_err(j, "%s", strerror(errno));
		return open_fail(j, err, errlen);
	}
	/* As the ledger does: a new file is private (0600) before SQLite
	 * creates it with 0644 less umask. */
	if (!readonly && strcmp(path, ":memory:") != 0 && path[0] != '\0') {
		int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST) {
			set_err(j, "create: %s", strerror(errno));
			return open_fail(j, err, errlen);
		}
		if (fd >= 0)
			close(fd);
	}
	if (sqlite3_open_v2(path, &j->db, flags, NULL) != SQLITE_OK) {
		if (j->db == NULL)
			set_err(j, "open: out of memory");
		else
			db_err(j, "open");
		return open_fail(j, err, errlen);
	}
	sqlite3_extended_result_codes(j->db, 1);
	sqlite3_busy_timeout(j->db, JOURNAL_BUSY_MS);
	if (readonly) {
		bool exist = false;
		if (tables_exist(j, &exist) != 0)
			return open_fail(j, err, errlen);
		j->missing = !exist;
		if (j->missing)
			goto done;
	} else if (exec(j, "PRAGMA journal_mode = WAL", "set journal_mode") != 0 ||
	    exec(j, "PRAGMA synchronous = NORMAL", "set synchronous") != 0 ||
	    schema_create(j) != 0)
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
	j->db = db;
	if (sqlite3_db_readonly(db, "main") == 1) {
		set_err(j, "attach: the connection is read-only");
		return open_fail(j, err, errlen);
	}
	if (schema_create(j) != 0 || prepare_all(j) != 0)
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
	if (j->own) {
		if (j->db != NULL && !sqlite3_get_autocommit(j->db))
			sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close_v2(j->db);
	}
	free(j->env);
	free(j);
}

const char *
journal_errmsg(const struct journal *j)
{
	return j->err;
}

int
journal_begin(struct journal *j)
{
	if (!j->own || j->readonly)
		return set_err(j, "begin: only for a read-write journal on its own connection");
	if (j->batch)
		return set_err(j, "begin: a batch is already open");
	if (exec(j, "BEGIN IMMEDIATE", "begin") != 0)
		return -1;
	j->batch = true;
	return 0;
}

int
journal_commit(struct journal *j)
{
	if (!j->batch)
		return set_err(j, "commit without begin");
	j->batch = false;
	if (sqlite3_get_autocommit(j->db))
		return set_err(j, "commit: the batch was rolled back by an earlier error");
	if (exec(j, "COMMIT", "commit") == 0)
		return 0;
	if (!sqlite3_get_autocommit(j->db))
		sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* --- the chain --- */

static void
put_be(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t
get_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
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

static bool
printable(const char *s, size_t n)
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
			ret = set_err(j, "corrupt head record (seq %lld)", (long long)s);
		else {
			*seq = (uint64_t)s;
			memcpy(hash, sqlite3_column_blob(st, 1), JOURNAL_HASH_BYTES);
			*present = true;
		}
	} else if (rc != SQLITE_DONE)
		ret = db_err(j, "read head");
	stmt_done(st);
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

/* Inserts entry head+1 and moves the head; inside tx_open/tx_close. */
static int
append_locked(struct journal *j, int64_t at, const char *kind, size_t klen,
    const char *subject, size_t slen, const void *body, size_t len)
{
	sqlite3_stmt *ins = j->st[JS_INSERT], *hs = j->st[JS_HEAD_SET];
	uint8_t prev[JOURNAL_HASH_BYTES], hash[JOURNAL_HASH_BYTES];
	uint64_t seq;
	bool present;
	int rc;

	if (head_read(j, &seq, prev, &present) != 0)
		return -1;
	if (seq >= INT64_MAX)
		return set_err(j, "append: sequence exhausted");
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
		db_err(j, "append: bind");
		stmt_done(ins);
		return -1;
	}
	rc = sqlite3_step(ins);
	stmt_done(ins);
	if (rc != SQLITE_DONE)
		return db_err(j, "append");
	if (sqlite3_bind_int64(hs, 1, (sqlite3_int64)seq) != SQLITE_OK ||
	    sqlite3_bind_blob(hs, 2, hash, sizeof(hash), SQLITE_STATIC) != SQLITE_OK) {
		db_err(j, "append: bind head");
		stmt_done(hs);
		return -1;
	}
	rc = sqlite3_step(hs);
	stmt_done(hs);
	return rc == SQLITE_DONE ? 0 : db_err(j, "append: move head");
}

int
journal_append(struct journal *j, int64_t at, const char *kind, const char *subject,
    const void *body, size_t len)
{
	size_t klen = strnlen(kind, JOURNAL_KIND_MAX), slen = strnlen(subject, JOURNAL_SUBJECT_MAX);
	enum tx t;

	if (j->readonly || j->missing)
		return set_err(j, "append: opened read-only");
	if (!kind_ok(kind, klen))
		return set_err(j, "append: bad kind \"%.*s\", expected 1..%d letters a-z",
		    (int)klen, kind, JOURNAL_KIND_MAX - 1);
	if (slen >= JOURNAL_SUBJECT_MAX || !printable(subject, slen))
		return set_err(j, "append: subject not printable ASCII of at most %d bytes",
		    JOURNAL_SUBJECT_MAX - 1);
	if (len > JOURNAL_BODY_MAX || (len > 0 && body == NULL))
		return set_err(j, "append: body of %zu bytes (at most %d)", len, JOURNAL_BODY_MAX);
	if (tx_open(j, &t) != 0)
		return -1;
	return tx_close(j, t, append_locked(j, at, kind, klen, subject, slen, body, len));
}

/* --- typed entries --- */

static struct wire_envelope *
env_buf(struct journal *j)
{
	if (j->env == NULL && (j->env = malloc(sizeof(*j->env))) == NULL)
		set_err(j, "out of memory");
	return j->env;
}

/* Checks a report body: count:2, count indexes:2 (strictly increasing,
 * each < the envelope's report count), then the envelope. */
static int
report_check(struct wire_envelope *e, const uint8_t *body, size_t len,
    char key[ID_PUBLIC_TEXT_MAX], char *why, size_t n)
{
	size_t count, off;
	enum wire_status ws;

	if (len < 2 || (count = (size_t)get_be(body, 2)) == 0 || count > WIRE_REPORTS_MAX ||
	    len < 2 + 2 * count) {
		snprintf(why, n, "report: malformed index list");
		return -1;
	}
	off = 2 + 2 * count;
	if ((ws = wire_decode(body + off, len - off, e)) != WIRE_OK) {
		snprintf(why, n, "report: stored envelope does not verify: %s", wire_status_text(ws));
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		uint64_t idx = get_be(body + 2 + 2 * i, 2);
		if (idx >= e->nreports || (i > 0 && idx <= get_be(body + 2 * i, 2))) {
			snprintf(why, n, "report: index %llu out of order or beyond the envelope's %zu reports",
			    (unsigned long long)idx, e->nreports);
			return -1;
		}
	}
	identity_pk_to_text(e->reporter, key, ID_PUBLIC_TEXT_MAX);
	return 0;
}

/* journal_report and journal_report_decoded: decoded, when not NULL, is
 * the caller's wire_decode of exactly env, whose signature is then not
 * checked a second time; the rest of report_check is done either way. */
static int
report_append(struct journal *j, int64_t at, const void *env, size_t len,
    const struct wire_envelope *decoded, const uint16_t *accepted, size_t naccepted)
{
	struct wire_envelope *e = decoded == NULL ? env_buf(j) : NULL;
	char key[ID_PUBLIC_TEXT_MAX], why[JOURNAL_WHY_MAX];
	uint8_t *body;
	size_t blen = 2 + 2 * naccepted + len;
	int ret = 0;

	if (decoded == NULL && e == NULL)
		return -1;
	if (naccepted == 0 || naccepted > WIRE_REPORTS_MAX || len > WIRE_ENVELOPE_MAX)
		return set_err(j, "report: %zu accepted indexes, %zu envelope bytes", naccepted, len);
	if ((body = malloc(blen)) == NULL)
		return set_err(j, "out of memory");
	put_be(body, naccepted, 2);
	for (size_t i = 0; i < naccepted; i++)
		put_be(body + 2 + 2 * i, accepted[i], 2);
	memcpy(body + 2 + 2 * naccepted, env, len);
	/* Checked as journal_verify will: never record what it would flag. */
	if (decoded == NULL) {
		if (report_check(e, body, blen, key, why, sizeof(why)) != 0)
			ret = set_err(j, "%s", why);
	} else {
		for (size_t i = 0; i < naccepted && ret == 0; i++)
			if (accepted[i] >= decoded->nreports || (i > 0 && accepted[i] <= accepted[i - 1]))
				ret = set_err(j, "report: index %u out of order or beyond the envelope's "
				    "%zu reports", (unsigned)accepted[i], decoded->nreports);
		identity_pk_to_text(decoded->reporter, key, sizeof(key));
	}
	if (ret == 0)
		ret = journal_append(j, at, JOURNAL_REPORT, key, body, blen);
	free(body);
	return ret;
}

int
journal_report(struct journal *j, int64_t at, const void *env, size_t len,
    const uint16_t *accepted, size_t naccepted)
{
	return report_append(j, at, env, len, NULL, accepted, naccepted);
}

int
journal_report_decoded(struct journal *j, int64_t at, const void *env, size_t len,
    const struct wire_envelope *decoded, const uint16_t *accepted, size_t naccepted)
{
	return report_append(j, at, env, len, decoded, accepted, naccepted);
}

int
journal_refusal(struct journal *j, int64_t at, const uint8_t reporter[ID_PUBLIC_BYTES],
    uint64_t seq, const char *reason, const struct a5_prefix *p)
{
	char key[ID_PUBLIC_TEXT_MAX], text[A5_PREFIX_STRLEN] = "-", body[JOURNAL_TEXT_MAX];
	int w;

	identity_pk_to_text(reporter, key, sizeof(key));
	if (p != NULL)
		prefix_format(p, text, sizeof(text));
	w = snprintf(body, sizeof(body), "seq=%llu reason=%s prefix=%s",
	    (unsigned long long)seq, reason, text);
	if (w < 0 || (size_t)w >= sizeof(body) || !printable(body, (size_t)w))
		return set_err(j, "refusal: reason not printable or too long");
	return journal_append(j, at, JOURNAL_REFUSAL, key, body, (size_t)w);
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
	if (w < 0 || (size_t)w >= sizeof(body) || !printable(body, (size_t)w))
		return set_err(j, "local: action or reason not printable or too long");
	return journal_append(j, at, JOURNAL_LOCAL, subject, body, (size_t)w);
}

int
journal_proof(struct journal *j, int64_t at, uint64_t seq,
    const void *a, size_t alen, const void *b, size_t blen)
{
	struct journal_proof pr;
	char key[ID_PUBLIC_TEXT_MAX], why[JOURNAL_WHY_MAX];
	uint8_t *body;
	size_t len = 12 + alen + blen;
	int ret;

	if (journal_proof_check(a, alen, b, blen, seq, &pr, why, sizeof(why)) != 0)
		return set_err(j, "proof: %s", why);
	if ((body = malloc(len)) == NULL)
		return set_err(j, "out of memory");
	put_be(body, seq, 8);
	put_be(body + 8, alen, 4);
	memcpy(body + 12, a, alen);
	memcpy(body + 12 + alen, b, blen);
	identity_pk_to_text(pr.reporter, key, sizeof(key));
	ret = journal_append(j, at, JOURNAL_PROOF, key, body, len);
	free(body);
	return ret;
}

int
journal_commitment(struct journal *j, int64_t at, const void *msg, size_t len)
{
	struct wire_commitment *c = malloc(sizeof(*c));
	char key[ID_PUBLIC_TEXT_MAX];
	enum wire_status ws;

	if (c == NULL)
		return set_err(j, "out of memory");
	ws = wire_commit_decode(msg, len, c);
	if (ws == WIRE_OK)
		identity_pk_to_text(c->member, key, sizeof(key));
	free(c);
	if (ws != WIRE_OK)
		return set_err(j, "commitment: %s", wire_status_text(ws));
	return journal_append(j, at, JOURNAL_COMMITMENT, key, msg, len);
}

/* A charter bundle that decodes, with at least one valid signature; its
 * subject "version N" in subject. 0, or -1 with why. */
static int
charter_check(const void *bundle, size_t len, char *subject, size_t sn, char *why, size_t n)
{
	struct gov_update *u;
	uint8_t digest[GOV_DIGEST_BYTES];
	char gwhy[200];
	size_t valid = 0;

	if (gov_decode(bundle, len, &u, gwhy, sizeof(gwhy)) != 0) {
		snprintf(why, n, "charter: %s", gwhy);
		return -1;
	}
	gov_digest(u, digest);
	for (size_t i = 0; i < u->nsigs; i++)
		if (crypto_sign_verify_detached(u->sigs[i].sig, digest, sizeof(digest),
		    u->sigs[i].pk) == 0)
			valid++;
	snprintf(subject, sn, "version %llu", (unsigned long long)u->version);
	gov_free(u);
	if (valid == 0) {
		snprintf(why, n, "charter: no valid signature");
		return -1;
	}
	return 0;
}

int
journal_charter(struct journal *j, int64_t at, const void *bundle, size_t len)
{
	char subject[64], why[JOURNAL_WHY_MAX];

	if (charter_check(bundle, len, subject, sizeof(subject), why, sizeof(why)) != 0)
		return set_err(j, "%s", why);
	return journal_append(j, at, JOURNAL_CHARTER, subject, bundle, len);
}

/* --- proofs --- */

static const struct wire_report *
report_numbered(const struct wire_envelope *e, uint64_t seq)
{
	for (size_t i = 0; i < e->nreports; i++)
		if (e->reports[i].seq == seq)
			return &e->reports[i];
	return NULL;
}

int
journal_proof_check(const void *a, size_t alen, const void *b, size_t blen, uint64_t seq,
    struct journal_proof *out, char *why, size_t whylen)
{
	struct wire_envelope *ea = malloc(sizeof(*ea)), *eb = malloc(sizeof(*eb));
	const struct wire_report *ra, *rb;
	uint8_t ha[WIRE_HASH_BYTES], hb[WIRE_HASH_BYTES];
	enum wire_status ws;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (ea == NULL || eb == NULL) {
		snprintf(why, whylen, "out of memory");
		goto done;
	}
	if ((ws = wire_decode(a, alen, ea)) != WIRE_OK) {
		snprintf(why, whylen, "first envelope: %s", wire_status_text(ws));
		goto done;
	}
	if ((ws = wire_decode(b, blen, eb)) != WIRE_OK) {
		snprintf(why, whylen, "second envelope: %s", wire_status_text(ws));
		goto done;
	}
	if (memcmp(ea->reporter, eb->reporter, ID_PUBLIC_BYTES) != 0) {
		snprintf(why, whylen, "the envelopes are signed by two different keys");
		goto done;
	}
	/* Two coalitions are two chains: the same number in each is no fork. */
	if (memcmp(ea->coalition, eb->coalition, WIRE_COALITION_BYTES) != 0) {
		snprintf(why, whylen, "the envelopes are for two different coalitions");
		goto done;
	}
	if ((ra = report_numbered(ea, seq)) == NULL || (rb = report_numbered(eb, seq)) == NULL) {
		snprintf(why, whylen, "the %s envelope holds no report #%llu",
		    ra == NULL ? "first" : "second", (unsigned long long)seq);
		goto done;
	}
	wire_report_hash(ra, ea->reporter, ha);
	wire_report_hash(rb, eb->reporter, hb);
	if (memcmp(ha, hb, sizeof(ha)) == 0) {
		snprintf(why, whylen, "the two reports #%llu are the same report",
		    (unsigned long long)seq);
		goto done;
	}
	memcpy(out->reporter, ea->reporter, ID_PUBLIC_BYTES);
	memcpy(out->coalition, ea->coalition, WIRE_COALITION_BYTES);
	out->first = *ra;
	out->second = *rb;
	ret = 0;
done:
	free(ea);
	free(eb);
	return ret;
}

/* --- verification --- */

/* What an entry's kind says its body must be. 0, or -1 with why. */
static int
entry_check(struct journal *j, const char *kind, const char *subject, size_t slen,
    const uint8_t *body, size_t len, char *why, size_t n)
{
	char key[ID_PUBLIC_TEXT_MAX];
	uint8_t pk[ID_PUBLIC_BYTES];
	struct a5_prefix p;

	if (strcmp(kind, JOURNAL_REPORT) == 0) {
		struct wire_envelope *e = env_buf(j);
		if (e == NULL) {
			snprintf(why, n, "out of memory");
			return -1;
		}
		if (report_check(e, body, len, key, why, n) != 0)
			return -1;
		if (strcmp(subject, key) != 0) {
			snprintf(why, n, "report: subject is not the envelope's signer %s", key);
			return -1;
		}
		return 0;
	}
	if (strcmp(kind, JOURNAL_PROOF) == 0) {
		struct journal_proof pr;
		char pwhy[JOURNAL_WHY_MAX - 16];
		uint64_t alen;
		if (len < 12 || (alen = get_be(body + 8, 4)) > len - 12) {
			snprintf(why, n, "proof: malformed body");
			return -1;
		}
		if (journal_proof_check(body + 12, (size_t)alen, body + 12 + alen,
		    len - 12 - (size_t)alen, get_be(body, 8), &pr, pwhy, sizeof(pwhy)) != 0) {
			snprintf(why, n, "proof: %s", pwhy);
			return -1;
		}
		identity_pk_to_text(pr.reporter, key, sizeof(key));
		if (strcmp(subject, key) != 0) {
			snprintf(why, n, "proof: subject is not the envelopes' signer %s", key);
			return -1;
		}
		return 0;
	}
	if (strcmp(kind, JOURNAL_REFUSAL) == 0 || strcmp(kind, JOURNAL_LOCAL) == 0) {
		bool refusal = kind[0] == 'r';
		if (len > JOURNAL_TEXT_MAX || !printable((const char *)body, len)) {
			snprintf(why, n, "%s: body is not short printable text", kind);
			return -1;
		}
		if (refusal ? identity_pk_from_text(subject, pk) != 0 :
		    strcmp(subject, "*") != 0 && prefix_parse(subject, slen, &p) != 0) {
			snprintf(why, n, "%s: subject is not %s", kind, refusal ? "a key" : "a prefix");
			return -1;
		}
		return 0;
	}
	if (strcmp(kind, JOURNAL_COMMITMENT) == 0) {
		struct wire_commitment *c = malloc(sizeof(*c));
		enum wire_status ws;
		if (c == NULL) {
			snprintf(why, n, "out of memory");
			return -1;
		}
		ws = wire_commit_decode(body, len, c);
		if (ws == WIRE_OK)
			identity_pk_to_text(c->member, key, sizeof(key));
		free(c);
		if (ws != WIRE_OK) {
			snprintf(why, n, "commitment: %s", wire_status_text(ws));
			return -1;
		}
		if (strcmp(subject, key) != 0) {
			snprintf(why, n, "commitment: subject is not its signer %s", key);
			return -1;
		}
		return 0;
	}
	if (strcmp(kind, JOURNAL_CHARTER) == 0) {
		char want[64];
		if (charter_check(body, len, want, sizeof(want), why, n) != 0)
			return -1;
		if (strcmp(subject, want) != 0) {
			snprintf(why, n, "charter: subject is not \"%s\"", want);
			return -1;
		}
		return 0;
	}
	snprintf(why, n, "unknown kind \"%s\"", kind);
	return -1;
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
check_row(struct journal *j, sqlite3_stmt *st, uint64_t expect,
    const uint8_t prev[JOURNAL_HASH_BYTES], struct journal_check *out)
{
	int64_t seq = sqlite3_column_int64(st, 0), at = sqlite3_column_int64(st, 1);
	const char *kind, *subject;
	const uint8_t *body;
	size_t klen, slen, blen;
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
	kind = (const char *)sqlite3_column_text(st, 2);
	klen = (size_t)sqlite3_column_bytes(st, 2);
	subject = (const char *)sqlite3_column_text(st, 3);
	slen = (size_t)sqlite3_column_bytes(st, 3);
	body = sqlite3_column_blob(st, 4);
	blen = (size_t)sqlite3_column_bytes(st, 4);
	if (kind == NULL || subject == NULL || !kind_ok(kind, klen) ||
	    strlen(kind) != klen || slen >= JOURNAL_SUBJECT_MAX || strlen(subject) != slen ||
	    !printable(subject, slen) || blen > JOURNAL_BODY_MAX)
		return bad(out, expect, "malformed row (kind, subject or body out of bounds)");
	if (memcmp(sqlite3_column_blob(st, 5), prev, JOURNAL_HASH_BYTES) != 0) {
		if (expect == 1)
			return bad(out, expect, "the first entry does not start the chain "
			    "(prev is not zero)");
		return bad(out, expect, "does not link to entry %llu (entry %llu or this one "
		    "was rewritten, or entries were reordered)", (unsigned long long)(expect - 1),
		    (unsigned long long)(expect - 1));
	}
	entry_hash(prev, (uint64_t)seq, at, kind, klen, subject, slen, body, blen, hash);
	if (memcmp(sqlite3_column_blob(st, 6), hash, JOURNAL_HASH_BYTES) != 0)
		return bad(out, expect, "content does not match its hash (edited)");
	if (entry_check(j, kind, subject, slen, body, blen, why, sizeof(why)) != 0)
		return bad(out, expect, "%s", why);
	memcpy(out->head, hash, JOURNAL_HASH_BYTES);
	return 0;
}

static int
walk(struct journal *j, struct journal_check *out)
{
	sqlite3_stmt *st;
	uint8_t head[JOURNAL_HASH_BYTES];
	uint64_t head_seq;
	bool present;
	int rc, ret = 0;

	if (head_read(j, &head_seq, head, &present) != 0)
		return -1;
	if (sqlite3_prepare_v2(j->db, walk_sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(j, "walk");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint8_t prev[JOURNAL_HASH_BYTES];
		memcpy(prev, out->head, sizeof(prev));
		if ((ret = check_row(j, st, out->entries + 1, prev, out)) != 0)
			break;
		out->entries++;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = db_err(j, "walk");
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
journal_verify(struct journal *j, struct journal_check *out)
{
	bool own_tx;
	int ret;

	memset(out, 0, sizeof(*out));
	if (j->missing)
		return 0;
	/* One read transaction: rows and head from the same snapshot, even
	 * while the daemon appends. */
	own_tx = sqlite3_get_autocommit(j->db);
	if (own_tx && exec(j, "BEGIN", "begin read") != 0)
		return -1;
	ret = walk(j, out);
	if (own_tx)
		sqlite3_exec(j->db, "COMMIT", NULL, NULL, NULL);
	return ret;
}

/* --- evidence files --- */

#define EVIDENCE_HEADER "article5-proof 1"

static int
put_base64(FILE *f, const char *field, const void *data, size_t len)
{
	size_t n = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	char *b = malloc(n);

	if (b == NULL)
		return -1;
	sodium_bin2base64(b, n, data, len, sodium_base64_VARIANT_ORIGINAL);
	fprintf(f, "%s %s\n", field, b);
	free(b);
	return 0;
}

int
journal_evidence_write(FILE *f, const char *member, uint64_t seq, int64_t found,
    const void *a, size_t alen, const void *b, size_t blen, char *why, size_t whylen)
{
	struct journal_proof pr;
	char key[ID_PUBLIC_TEXT_MAX];

	/* Exporting a proof that does not hold would accuse falsely. */
	if (journal_proof_check(a, alen, b, blen, seq, &pr, why, whylen) != 0)
		return -1;
	if (!printable(member, strlen(member)) || member[0] == '\0') {
		snprintf(why, whylen, "member name not printable");
		return -1;
	}
	identity_pk_to_text(pr.reporter, key, sizeof(key));
	fprintf(f, "\n" EVIDENCE_HEADER "\nmember %s\nkey %s\nseq %llu\nfound %lld\n", member, key,
	    (unsigned long long)seq, (long long)found);
	if (put_base64(f, "first", a, alen) != 0 || put_base64(f, "second", b, blen) != 0) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	fprintf(f, "end\n");
	if (ferror(f)) {
		snprintf(why, whylen, "write error");
		return -1;
	}
	return 0;
}

/* One proof block of an evidence file: slices of the text. */
struct ev_block {
	size_t line;			/* of the header */
	const char *key, *first, *second;
	size_t keylen, firstlen, secondlen;
	uint64_t seq;
	bool has_seq;
};

static int
base64_decode(const char *s, size_t n, uint8_t *out, size_t cap, size_t *len)
{
	const char *end;

	if (n == 0 || sodium_base642bin(out, cap, s, n, NULL, len, &end,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || end != s + n)
		return -1;
	return 0;
}

/* Checks one complete block; msg gets the verdict's text. 0 valid. */
static int
ev_block_check(const struct ev_block *b, const struct charter *c, uint8_t *ea, uint8_t *eb,
    char *msg, size_t n)
{
	uint8_t pk[ID_PUBLIC_BYTES], coalition[WIRE_COALITION_BYTES];
	char key[ID_PUBLIC_TEXT_MAX], why[JOURNAL_WHY_MAX - 32];
	char pa[A5_PREFIX_STRLEN], pb[A5_PREFIX_STRLEN];
	const struct charter_member *m;
	struct journal_proof pr;
	size_t alen, blen;

	if (b->key == NULL || !b->has_seq || b->first == NULL || b->second == NULL) {
		snprintf(msg, n, "incomplete: expected key, seq, first and second");
		return -1;
	}
	if (b->keylen >= sizeof(key)) {
		snprintf(msg, n, "bad key");
		return -1;
	}
	memcpy(key, b->key, b->keylen);
	key[b->keylen] = '\0';
	if (identity_pk_from_text(key, pk) != 0) {
		snprintf(msg, n, "bad key");
		return -1;
	}
	if (base64_decode(b->first, b->firstlen, ea, WIRE_ENVELOPE_MAX, &alen) != 0 ||
	    base64_decode(b->second, b->secondlen, eb, WIRE_ENVELOPE_MAX, &blen) != 0) {
		snprintf(msg, n, "an envelope is not base64 of at most %d bytes", WIRE_ENVELOPE_MAX);
		return -1;
	}
	if (journal_proof_check(ea, alen, eb, blen, b->seq, &pr, why, sizeof(why)) != 0) {
		snprintf(msg, n, "%s", why);
		return -1;
	}
	/* The header only says what to expect: the envelopes decide. */
	if (memcmp(pr.reporter, pk, ID_PUBLIC_BYTES) != 0) {
		snprintf(msg, n, "the envelopes are not signed by %s", key);
		return -1;
	}
	if ((m = charter_find(c, pr.reporter)) == NULL) {
		snprintf(msg, n, "%s is not a member of coalition %s", key, c->name);
		return -1;
	}
	wire_coalition_id(c->name, coalition);
	if (memcmp(pr.coalition, coalition, sizeof(coalition)) != 0) {
		snprintf(msg, n, "the envelopes were signed for another coalition than %s", c->name);
		return -1;
	}
	prefix_format(&pr.first.prefix, pa, sizeof(pa));
	prefix_format(&pr.second.prefix, pb, sizeof(pb));
	snprintf(msg, n, "%s signed two different reports #%llu (%s and %s)", m->name,
	    (unsigned long long)b->seq, pa, pb);
	return 0;
}

static bool
word_is(const char *w, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(w, s, n) == 0;
}

/* Sets a field once; -1 if it was set already. */
static int
field_set(const char **field, size_t *flen, const char *v, size_t vlen)
{
	if (*field != NULL)
		return -1;
	*field = v;
	*flen = vlen;
	return 0;
}

static int
ev_err(char *err, size_t n, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
ev_err(char *err, size_t n, size_t line, const char *fmt, ...)
{
	va_list ap;
	int w = snprintf(err, n, "line %zu: ", line);

	if (w >= 0 && (size_t)w < n) {
		va_start(ap, fmt);
		vsnprintf(err + w, n - (size_t)w, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Parses one "name value" line inside a block into b. 0, 1 at "end", -1. */
static int
ev_field(struct ev_block *b, const char *line, size_t n, size_t lineno, char *err, size_t errlen)
{
	const char *sp = memchr(line, ' ', n), *v = sp ? sp + 1 : line + n;
	size_t klen = sp ? (size_t)(sp - line) : n, vlen = n - klen - (sp ? 1 : 0);
	char num[24];
	int dup = 0;

	if (word_is(line, n, "end"))
		return 1;
	if (word_is(line, klen, "key"))
		dup = field_set(&b->key, &b->keylen, v, vlen);
	else if (word_is(line, klen, "first"))
		dup = field_set(&b->first, &b->firstlen, v, vlen);
	else if (word_is(line, klen, "second"))
		dup = field_set(&b->second, &b->secondlen, v, vlen);
	else if (word_is(line, klen, "seq")) {
		if (b->has_seq || vlen == 0 || vlen >= sizeof(num))
			return ev_err(err, errlen, lineno, "bad or repeated seq, expected one number");
		memcpy(num, v, vlen);
		num[vlen] = '\0';
		if (uint_parse(num, 1, UINT64_MAX / 2, &b->seq) != 0)
			return ev_err(err, errlen, lineno, "bad seq '%s', expected a number from 1", num);
		b->has_seq = true;
	} else if (!word_is(line, klen, "member") && !word_is(line, klen, "found"))
		return ev_err(err, errlen, lineno, "unknown field '%.*s', expected member, key, seq, "
		    "found, first, second or end", (int)(klen > 40 ? 40 : klen), line);
	if (dup)
		return ev_err(err, errlen, lineno, "'%.*s' given twice in one proof", (int)klen, line);
	return 0;
}

int
journal_evidence_check(const char *text, size_t len, const struct charter *c,
    void (*each)(void *arg, size_t line, bool valid, const char *msg), void *arg,
    char *err, size_t errlen)
{
	uint8_t *ea = malloc(WIRE_ENVELOPE_MAX), *eb = malloc(WIRE_ENVELOPE_MAX);
	struct ev_block b;
	size_t lineno = 0, nproofs = 0, nbad = 0;
	bool in = false;
	char msg[JOURNAL_WHY_MAX + 64];
	int ret = -1;

	if (err && errlen > 0)
		err[0] = '\0';
	memset(&b, 0, sizeof(b));
	if (ea == NULL || eb == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	if (len > JOURNAL_EVIDENCE_MAX) {
		snprintf(err, errlen, "larger than %u bytes", JOURNAL_EVIDENCE_MAX);
		goto done;
	}
	for (size_t off = 0; off < len;) {
		const char *line = text + off, *nl = memchr(line, '\n', len - off);
		size_t n = nl ? (size_t)(nl - line) : len - off;
		int r;

		off += n + (nl ? 1 : 0);
		lineno++;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n == 0 || line[0] == '#')
			continue;
		if (memchr(line, '\0', n) != NULL) {
			ev_err(err, errlen, lineno, "NUL byte");
			goto done;
		}
		if (!in) {
			if (!word_is(line, n, EVIDENCE_HEADER)) {
				ev_err(err, errlen, lineno, "expected '" EVIDENCE_HEADER "', found '%.*s'",
				    (int)(n > 40 ? 40 : n), line);
				goto done;
			}
			if (++nproofs > JOURNAL_EVIDENCE_PROOFS_MAX) {
				ev_err(err, errlen, lineno, "more than %d proofs",
				    JOURNAL_EVIDENCE_PROOFS_MAX);
				goto done;
			}
			memset(&b, 0, sizeof(b));
			b.line = lineno;
			in = true;
			continue;
		}
		if ((r = ev_field(&b, line, n, lineno, err, errlen)) < 0)
			goto done;
		if (r == 1) {
			bool valid = ev_block_check(&b, c, ea, eb, msg, sizeof(msg)) == 0;
			if (!valid)
				nbad++;
			if (each != NULL)
				each(arg, b.line, valid, msg);
			in = false;
		}
	}
	if (in) {
		ev_err(err, errlen, b.line, "proof not closed by 'end'");
		goto done;
	}
	if (nproofs == 0) {
		snprintf(err, errlen, "no proof in the file");
		goto done;
	}
	ret = nbad == 0 ? 0 : 1;
done:
	free(ea);
	free(eb);
	return ret;
}
