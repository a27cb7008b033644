/* ledger.c - the ledger's connection: opening (schema, statements),
 * batches, errors, and the helpers its tables' files share. The tables
 * themselves: bans.c, state.c, cbans.c, envelopes.c. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/util.h"
#include "ledger/db.h"
#include "ledger/ledger.h"
#include "ledger/migrate.h"
#include "ledger/tables.h"

/* ledger_begin nesting deeper than this is a caller bug, not a batch. */
#define LEDGER_NEST_MAX		64
/* Page size of a new database file (text: it goes into a PRAGMA). */
#define LEDGER_PAGE_SIZE	"4096"

static const struct ledger_stmt batch_stmts[] = {
	/* IMMEDIATE takes the write lock up front: a deferred transaction that
	 * reads first and writes later can fail with SQLITE_BUSY without ever
	 * calling the busy handler. */
	{ ST_BEGIN, "BEGIN IMMEDIATE" },
	{ ST_COMMIT, "COMMIT" },
	{ ST_ROLLBACK, "ROLLBACK" },
};
static const size_t batch_nstmts = ARRAY_LEN(batch_stmts);

/* Every table's statements, prepared once at open. */
static const struct {
	const struct ledger_stmt *stmts;
	const size_t *n;
} stmt_groups[] = {
	{ batch_stmts, &batch_nstmts },
	{ ledger_bans_stmts, &ledger_bans_nstmts },
	{ ledger_state_stmts, &ledger_state_nstmts },
	{ ledger_cbans_stmts, &ledger_cbans_nstmts },
	{ ledger_envelopes_stmts, &ledger_envelopes_nstmts },
	{ ledger_corigins_stmts, &ledger_corigins_nstmts },
};

static int
prepare_all(struct ledger *l)
{
	for (size_t g = 0; g < ARRAY_LEN(stmt_groups); g++) {
		for (size_t i = 0; i < *stmt_groups[g].n; i++) {
			const struct ledger_stmt *s = &stmt_groups[g].stmts[i];
			if (db_prepare(&l->db, s->sql, &l->st[s->id]) != 0)
				return -1;
		}
	}
	/* A statement no table's file lists is a bug here, not in the file. */
	for (int i = 0; i < ST_COUNT; i++)
		if (l->st[i] == NULL)
			return db_fail(&l->db, "statement %d has no SQL", i);
	return 0;
}

int
ledger_open(const char *path, struct ledger **out, char *err, size_t errlen)
{
	struct ledger *l;
	bool on_disk;
	int64_t version = 0;

	*out = NULL;
	if (errlen > 0)
		err[0] = '\0';
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		if (errlen > 0)
			snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if (!db_init(&l->db, "", path)) {
		db_fail(&l->db, "path longer than %d bytes", DB_PATH_MAX - 1);
		goto fail;
	}
	on_disk = db_on_disk(path);
	if (on_disk && db_create_private(&l->db) != 0)
		goto fail;
	/* NOMUTEX: a ledger (and the journal attached to it) is used by one
	 * thread at a time, so the connection's own mutex, taken by every
	 * bind, step and reset, buys nothing. */
	if (db_open(&l->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX) != 0)
		goto fail;
	/* Checked before anything writes to the file (WAL changes its header). */
	if (migrate_version(&l->db, &version) != 0)
		goto fail;
	/* A new file gets 4 KiB pages. 16 KiB ones (chosen for the flood's
	 * large envelopes, fewer overflow pages and fewer writes) made every
	 * coalition envelope of one report write nine 16 KiB WAL frames, one
	 * per b-tree it touches: at 100 daemons on one machine, a fifth of the
	 * members' CPU more and a p99 20 % higher than with 4 KiB
	 * (bench/scale, docs/bench.md "2026-12-07 (night)"). It only takes
	 * before the first table exists; an older file keeps its size, and
	 * works the same. */
	if (version == 0 &&
	    sqlite3_exec(l->db.h, "PRAGMA page_size = " LEDGER_PAGE_SIZE, NULL, NULL, NULL) != SQLITE_OK) {
		db_fail_sqlite(&l->db, "set page_size");
		goto fail;
	}
	/* An up-to-date file needs no write lock: opening it does not wait
	 * behind the daemon's batch. */
	if (db_set_wal(&l->db, on_disk) != 0 ||
	    (version < LEDGER_SCHEMA_VERSION && migrate_ledger(&l->db) != 0) ||
	    prepare_all(l) != 0)
		goto fail;
	*out = l;
	return 0;
fail:
	if (errlen > 0)
		strlcpy_ok(err, l->db.err, errlen);
	ledger_close(l);
	return -1;
}

void
ledger_close(struct ledger *l)
{
	if (l == NULL)
		return;
	ledger_checkpoint_stop(l);
	/* An unfinished batch is dropped, as if the process had died. */
	if (l->db.h != NULL && !sqlite3_get_autocommit(l->db.h))
		sqlite3_exec(l->db.h, "ROLLBACK", NULL, NULL, NULL);
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(l->st[i]);
	db_close(&l->db);
	free(l);
}

const char *
ledger_errmsg(const struct ledger *l)
{
	return l->db.err;
}

struct sqlite3 *
ledger_db(struct ledger *l)
{
	return l->db.h;
}

int
ledger_begin(struct ledger *l)
{
	if (l->depth >= LEDGER_NEST_MAX)
		return db_fail(&l->db, "begin: nested deeper than %d", LEDGER_NEST_MAX);
	if (l->depth == 0 && ledger_stmt_run(l, ST_BEGIN, "begin") != 0)
		return -1;
	l->depth++;
	return 0;
}

int
ledger_commit(struct ledger *l)
{
	if (l->depth == 0)
		return db_fail(&l->db, "commit without begin");
	if (--l->depth > 0)
		return 0;
	/* Some errors (disk full, I/O) make SQLite roll back on its own; the
	 * writes after that went to disk one by one and the batch is gone. */
	if (sqlite3_get_autocommit(l->db.h))
		return db_fail(&l->db, "commit: the transaction was rolled back by an "
		    "earlier error");
	if (ledger_stmt_run(l, ST_COMMIT, "commit") == 0)
		return 0;
	/* Leave no transaction open behind a failed commit: the next begin
	 * would fail, and every later write would be lost at close. */
	if (!sqlite3_get_autocommit(l->db.h)) {
		sqlite3_step(l->st[ST_ROLLBACK]);
		db_stmt_done(l->st[ST_ROLLBACK]);
	}
	return -1;
}

/* --- helpers for the tables' files --- */

int
ledger_stmt_run(struct ledger *l, enum stmt_id id, const char *what)
{
	return db_stmt_run(&l->db, l->st[id], what);
}

int
ledger_delete_count(struct ledger *l, enum stmt_id id, const int64_t *now, const char *what)
{
	if (now != NULL && sqlite3_bind_int64(l->st[id], 1, *now) != SQLITE_OK) {
		db_fail_sqlite(&l->db, what);
		db_stmt_done(l->st[id]);
		return -1;
	}
	if (ledger_stmt_run(l, id, what) != 0)
		return -1;
	return sqlite3_changes(l->db.h);
}

int
ledger_prefix_ok(struct ledger *l, const struct a5_prefix *p)
{
	const char *why = prefix_check(p);

	return why == NULL ? 0 : db_fail(&l->db, "invalid prefix: %s", why);
}

int
ledger_bind_prefix(sqlite3_stmt *st, int first, const struct a5_prefix *p)
{
	if (sqlite3_bind_int(st, first, p->family) != SQLITE_OK ||
	    sqlite3_bind_blob(st, first + 1, p->addr, sizeof(p->addr),
	    SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int(st, first + 2, p->len) != SQLITE_OK)
		return -1;
	return 0;
}

int
ledger_bind_name(sqlite3_stmt *st, int idx, const char *s, size_t n)
{
	return sqlite3_bind_text(st, idx, s, (int)strnlen(s, n), SQLITE_STATIC);
}

int
ledger_col_text(sqlite3_stmt *st, int col, char *dst, size_t n)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	int len = sqlite3_column_bytes(st, col);

	if (s == NULL || len < 0 || (size_t)len >= n)
		return -1;
	memcpy(dst, s, (size_t)len);
	dst[len] = '\0';
	return 0;
}

int
ledger_ban_check(struct ledger *l, const struct ledger_ban *b)
{
	if (ledger_prefix_ok(l, &b->prefix) != 0)
		return -1;
	if (memchr(b->service, '\0', sizeof(b->service)) == NULL ||
	    memchr(b->rule, '\0', sizeof(b->rule)) == NULL ||
	    memchr(b->reason, '\0', sizeof(b->reason)) == NULL ||
	    memchr(b->origin, '\0', sizeof(b->origin)) == NULL)
		return db_fail(&l->db, "put ban: text field not NUL-terminated");
	return 0;
}
