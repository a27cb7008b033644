/* envelopes.c - the coalition's signed messages kept here: this member's
 * outbox, the envelopes received (evidence), and equivocation proofs. Rare
 * enough per call that statements are prepared on demand rather than kept,
 * but ledger_envelope_put, once per received envelope. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "common/util.h"
#include "ledger/db.h"
#include "ledger/ledger.h"
#include "ledger/tables.h"

const struct ledger_stmt ledger_envelopes_stmts[] = {
	/* Once per received envelope: kept prepared, unlike the rarer
	 * coalition statements below (run_blob). */
	{ ST_ENVELOPE_PUT, "INSERT OR IGNORE INTO envelopes (reporter, first_seq, last_seq,"
	    " received, envelope) VALUES (?1, ?2, ?3, ?4, ?5)" },
};
const size_t ledger_envelopes_nstmts = ARRAY_LEN(ledger_envelopes_stmts);

static int
run_blob(struct ledger *l, const char *sql, const char *what,
    int (*bind)(sqlite3_stmt *st, const void *arg), const void *arg)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(l->db.h, sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail_sqlite(&l->db, what);
	if (bind(st, arg) != SQLITE_OK) {
		sqlite3_finalize(st);
		return db_fail_sqlite(&l->db, what);
	}
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail_sqlite(&l->db, what);
	return 0;
}

struct outbox_args { const char *msgid; const void *data; size_t len; };

static int
bind_outbox(sqlite3_stmt *st, const void *arg)
{
	const struct outbox_args *a = arg;
	int rc = sqlite3_bind_text(st, 1, a->msgid, -1, SQLITE_STATIC);

	if (rc == SQLITE_OK && a->data != NULL)
		rc = sqlite3_bind_blob(st, 2, a->data, (int)a->len, SQLITE_STATIC);
	return rc;
}

int
ledger_outbox_put(struct ledger *l, const char *msgid, const void *data, size_t len)
{
	struct outbox_args a = { msgid, data, len };

	if (len > LEDGER_BLOB_MAX)
		return db_fail(&l->db, "outbox: envelope too large");
	return run_blob(l, "INSERT OR REPLACE INTO outbox (msgid, envelope) VALUES (?1, ?2)",
	    "outbox put", bind_outbox, &a);
}

int
ledger_outbox_del(struct ledger *l, const char *msgid)
{
	struct outbox_args a = { msgid, NULL, 0 };

	return run_blob(l, "DELETE FROM outbox WHERE msgid = ?1", "outbox delete", bind_outbox, &a);
}

int
ledger_outbox_each(struct ledger *l,
    int (*cb)(const char *msgid, const void *data, size_t len, void *arg), void *arg)
{
	sqlite3_stmt *st;
	int rc, n = 0;

	if (sqlite3_prepare_v2(l->db.h, "SELECT msgid, envelope FROM outbox ORDER BY rowid",
	    -1, &st, NULL) != SQLITE_OK)
		return db_fail_sqlite(&l->db, "outbox walk");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		const void *data = sqlite3_column_blob(st, 1);
		int len = sqlite3_column_bytes(st, 1);
		n++;
		if (id != NULL && data != NULL && len > 0 && cb(id, data, (size_t)len, arg) != 0)
			break;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? n : db_fail_sqlite(&l->db, "outbox walk");
}

int
ledger_envelopes_each(struct ledger *l,
    int (*cb)(const void *data, size_t len, void *arg), void *arg)
{
	sqlite3_stmt *st;
	int rc, n = 0;

	if (sqlite3_prepare_v2(l->db.h, "SELECT envelope FROM envelopes ORDER BY reporter, first_seq",
	    -1, &st, NULL) != SQLITE_OK)
		return db_fail_sqlite(&l->db, "envelopes walk");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *data = sqlite3_column_blob(st, 0);
		int len = sqlite3_column_bytes(st, 0);
		n++;
		if (data != NULL && len > 0 && cb(data, (size_t)len, arg) != 0)
			break;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? n : db_fail_sqlite(&l->db, "envelopes walk");
}

struct env_args {
	const uint8_t *reporter;
	uint64_t first, last;
	int64_t when;
	const void *a, *b;
	size_t alen, blen;
};

static int
bind_env(sqlite3_stmt *st, const void *arg)
{
	const struct env_args *e = arg;
	int rc = sqlite3_bind_blob(st, 1, e->reporter, LEDGER_KEY_BYTES, SQLITE_STATIC);

	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, (sqlite3_int64)e->first);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, (sqlite3_int64)e->last);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, e->when);
	if (rc == SQLITE_OK && e->a)
		rc = sqlite3_bind_blob(st, 5, e->a, (int)e->alen, SQLITE_STATIC);
	if (rc == SQLITE_OK && e->b)
		rc = sqlite3_bind_blob(st, 6, e->b, (int)e->blen, SQLITE_STATIC);
	return rc;
}

int
ledger_envelope_put(struct ledger *l, const uint8_t reporter[LEDGER_KEY_BYTES],
    uint64_t first_seq, uint64_t last_seq, int64_t received, const void *data, size_t len)
{
	struct env_args e = { reporter, first_seq, last_seq, received, data, NULL, len, 0 };

	if (len > LEDGER_BLOB_MAX)
		return db_fail(&l->db, "envelopes: envelope too large");
	if (bind_env(l->st[ST_ENVELOPE_PUT], &e) != SQLITE_OK) {
		db_fail_sqlite(&l->db, "envelope put: bind");
		db_stmt_done(l->st[ST_ENVELOPE_PUT]);
		return -1;
	}
	return ledger_stmt_run(l, ST_ENVELOPE_PUT, "envelope put");
}

int
ledger_envelope_find(struct ledger *l, const uint8_t reporter[LEDGER_KEY_BYTES], uint64_t seq,
    void *buf, size_t cap, size_t *len)
{
	sqlite3_stmt *st;
	int rc, found = 0;

	if (sqlite3_prepare_v2(l->db.h, "SELECT envelope FROM envelopes WHERE reporter = ?1 "
	    "AND first_seq <= ?2 AND last_seq >= ?2 ORDER BY received LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return db_fail_sqlite(&l->db, "envelope find");
	sqlite3_bind_blob(st, 1, reporter, LEDGER_KEY_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const void *d = sqlite3_column_blob(st, 0);
		int n = sqlite3_column_bytes(st, 0);
		if (d != NULL && n > 0 && (size_t)n <= cap) {
			memcpy(buf, d, (size_t)n);
			*len = (size_t)n;
			found = 1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail_sqlite(&l->db, "envelope find");
	return found;
}

int
ledger_envelopes_expire(struct ledger *l, int64_t before)
{
	struct env_args e = { NULL, 0, 0, before, NULL, NULL, 0, 0 };
	static const uint8_t zero[LEDGER_KEY_BYTES];

	e.reporter = zero;	/* ?1 unused */
	return run_blob(l, "DELETE FROM envelopes WHERE received < ?4 AND ?1 IS NOT NULL "
	    "AND ?2 = ?2 AND ?3 = ?3", "envelopes expire", bind_env, &e);
}

int
ledger_proof_put(struct ledger *l, const uint8_t reporter[LEDGER_KEY_BYTES], uint64_t seq,
    const void *a, size_t alen, const void *b, size_t blen, int64_t now)
{
	struct env_args e = { reporter, seq, seq, now, a, b, alen, blen };

	if (alen > LEDGER_BLOB_MAX || blen > LEDGER_BLOB_MAX)
		return db_fail(&l->db, "proofs: envelope too large");
	return run_blob(l, "INSERT OR IGNORE INTO proofs (reporter, seq, found, first, second) "
	    "VALUES (?1, ?2, ?4, ?5, ?6)", "proof put", bind_env, &e);
}

int
ledger_proofs_count(struct ledger *l, const uint8_t reporter[LEDGER_KEY_BYTES])
{
	sqlite3_stmt *st;
	int n = -1;

	if (sqlite3_prepare_v2(l->db.h, "SELECT count(*) FROM proofs WHERE reporter = ?1",
	    -1, &st, NULL) != SQLITE_OK)
		return db_fail_sqlite(&l->db, "proofs count");
	sqlite3_bind_blob(st, 1, reporter, LEDGER_KEY_BYTES, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

int
ledger_proofs_read(const char *path, const uint8_t reporter[LEDGER_KEY_BYTES],
    int (*cb)(int64_t seq, int64_t found, const void *a, size_t alen, const void *b,
    size_t blen, void *arg), void *arg, char *err, size_t errlen)
{
	struct db d;
	sqlite3_stmt *st = NULL;
	struct stat sb;
	int rc, n = 0;

	if (errlen > 0)
		err[0] = '\0';
	if (!db_init(&d, "", path)) {
		snprintf(err, errlen, "%s: path longer than %d bytes", path, DB_PATH_MAX - 1);
		return -1;
	}
	/* SQLite would say "unable to open database file"; say why. */
	if (stat(path, &sb) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (db_open(&d, SQLITE_OPEN_READONLY) != 0 ||
	    sqlite3_prepare_v2(d.h, "SELECT seq, found, first, second FROM proofs"
	    " WHERE reporter = ?1 ORDER BY seq", -1, &st, NULL) != SQLITE_OK) {
		if (d.h != NULL && d.err[0] == '\0')
			db_fail(&d, "%s", sqlite3_errmsg(d.h));
		n = -1;
		goto done;
	}
	sqlite3_bind_blob(st, 1, reporter, LEDGER_KEY_BYTES, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		if (cb(sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
		    sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2),
		    sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3), arg) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_fail(&d, "%s", sqlite3_errmsg(d.h));
		n = -1;
	}
done:
	if (n < 0 && errlen > 0)
		strlcpy_ok(err, d.err, errlen);
	sqlite3_finalize(st);
	db_close(&d);
	return n;
}
