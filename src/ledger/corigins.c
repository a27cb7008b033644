/* corigins.c - which members asked for each coalition ban: one row per
 * prefix and reporter, so that a revocation by one origin lifts its own
 * ban and leaves the others' (docs/protocol.md "Revocations"). */
#include <stdint.h>
#include <string.h>

#include <sqlite3.h>

#include "common/util.h"
#include "ledger/db.h"
#include "ledger/ledger.h"
#include "ledger/tables.h"

#define WHERE_ROW " WHERE family = ?1 AND addr = ?2 AND len = ?3 AND reporter = ?4"

const struct ledger_stmt ledger_corigins_stmts[] = {
	/* Once per applied report: kept prepared. A later report of the same
	 * prefix by the same member replaces the row; an older one (a late
	 * redelivery) does not. */
	{ ST_CORIGIN_PUT, "INSERT INTO corigins (family, addr, len, reporter, seq, hash, deadline)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
	    " ON CONFLICT (family, addr, len, reporter) DO UPDATE SET seq = excluded.seq,"
	    " hash = excluded.hash, deadline = excluded.deadline WHERE excluded.seq > seq" },
	{ ST_CORIGIN_GET, "SELECT seq, hash, deadline FROM corigins" WHERE_ROW },
	{ ST_CORIGIN_DEL, "DELETE FROM corigins" WHERE_ROW },
	{ ST_CORIGIN_LONGEST, "SELECT deadline, reporter FROM corigins"
	    " WHERE family = ?1 AND addr = ?2 AND len = ?3 AND deadline > ?4 AND reporter != ?5"
	    " ORDER BY deadline DESC LIMIT 1" },
	{ ST_CORIGINS_EXPIRE, "DELETE FROM corigins WHERE deadline <= ?1" },
	/* Once per start and per adopted charter: the budgets' rebuild. The
	 * deadline index finds the rows in force; no order needed. */
	{ ST_CORIGINS_ACTIVE, "SELECT family, addr, len, reporter, deadline FROM corigins"
	    " WHERE deadline > ?1" },
	{ ST_CBAN_LOWER, "UPDATE cbans SET deadline = ?4, origin = ?5"
	    " WHERE family = ?1 AND addr = ?2 AND len = ?3" },
};
const size_t ledger_corigins_nstmts = ARRAY_LEN(ledger_corigins_stmts);

/* Binds prefix and reporter as ?1..?4. 0 or -1 (statement reset). */
static int
bind_row(struct ledger *l, enum stmt_id id, const struct a5_prefix *p,
    const uint8_t reporter[LEDGER_KEY_BYTES], const char *what)
{
	sqlite3_stmt *st = l->st[id];

	if (ledger_prefix_ok(l, p) != 0)
		return -1;
	if (ledger_bind_prefix(st, 1, p) != 0 ||
	    sqlite3_bind_blob(st, 4, reporter, LEDGER_KEY_BYTES, SQLITE_STATIC) != SQLITE_OK) {
		db_fail_sqlite(&l->db, what);
		db_stmt_done(st);
		return -1;
	}
	return 0;
}

int
ledger_corigin_put(struct ledger *l, const struct a5_prefix *p,
    const uint8_t reporter[LEDGER_KEY_BYTES], const struct ledger_corigin *o)
{
	sqlite3_stmt *st = l->st[ST_CORIGIN_PUT];

	if (o->seq > INT64_MAX)
		return db_fail(&l->db, "coalition ban origin: sequence number out of range");
	if (bind_row(l, ST_CORIGIN_PUT, p, reporter, "put coalition ban origin: bind") != 0)
		return -1;
	if (sqlite3_bind_int64(st, 5, (int64_t)o->seq) != SQLITE_OK ||
	    sqlite3_bind_blob(st, 6, o->hash, LEDGER_HASH_BYTES, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 7, o->deadline) != SQLITE_OK) {
		db_fail_sqlite(&l->db, "put coalition ban origin: bind");
		db_stmt_done(st);
		return -1;
	}
	return ledger_stmt_run(l, ST_CORIGIN_PUT, "put coalition ban origin");
}

int
ledger_corigin_get(struct ledger *l, const struct a5_prefix *p,
    const uint8_t reporter[LEDGER_KEY_BYTES], struct ledger_corigin *o)
{
	sqlite3_stmt *st = l->st[ST_CORIGIN_GET];
	int ret;

	memset(o, 0, sizeof(*o));
	if (bind_row(l, ST_CORIGIN_GET, p, reporter, "get coalition ban origin: bind") != 0)
		return -1;
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		if (sqlite3_column_int64(st, 0) < 1 || sqlite3_column_type(st, 1) != SQLITE_BLOB ||
		    sqlite3_column_bytes(st, 1) != LEDGER_HASH_BYTES) {
			ret = db_fail(&l->db, "corrupt coalition ban origin row");
			break;
		}
		o->seq = (uint64_t)sqlite3_column_int64(st, 0);
		memcpy(o->hash, sqlite3_column_blob(st, 1), LEDGER_HASH_BYTES);
		o->deadline = sqlite3_column_int64(st, 2);
		ret = 1;
		break;
	case SQLITE_DONE:
		ret = 0;
		break;
	default:
		ret = db_fail_sqlite(&l->db, "get coalition ban origin");
		break;
	}
	db_stmt_done(st);
	return ret;
}

int
ledger_corigin_del(struct ledger *l, const struct a5_prefix *p,
    const uint8_t reporter[LEDGER_KEY_BYTES])
{
	if (bind_row(l, ST_CORIGIN_DEL, p, reporter, "remove coalition ban origin: bind") != 0 ||
	    ledger_stmt_run(l, ST_CORIGIN_DEL, "remove coalition ban origin") != 0)
		return -1;
	return sqlite3_changes(l->db.h) > 0 ? 1 : 0;
}

int
ledger_corigin_longest(struct ledger *l, const struct a5_prefix *p, int64_t now,
    const uint8_t except[LEDGER_KEY_BYTES], int64_t *deadline, uint8_t reporter[LEDGER_KEY_BYTES])
{
	sqlite3_stmt *st = l->st[ST_CORIGIN_LONGEST];
	int ret;

	*deadline = 0;
	if (ledger_prefix_ok(l, p) != 0)
		return -1;
	if (ledger_bind_prefix(st, 1, p) != 0 || sqlite3_bind_int64(st, 4, now) != SQLITE_OK ||
	    sqlite3_bind_blob(st, 5, except, LEDGER_KEY_BYTES, SQLITE_STATIC) != SQLITE_OK) {
		db_fail_sqlite(&l->db, "longest coalition ban origin: bind");
		db_stmt_done(st);
		return -1;
	}
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		if (sqlite3_column_type(st, 1) != SQLITE_BLOB ||
		    sqlite3_column_bytes(st, 1) != LEDGER_KEY_BYTES) {
			ret = db_fail(&l->db, "corrupt coalition ban origin row");
			break;
		}
		*deadline = sqlite3_column_int64(st, 0);
		memcpy(reporter, sqlite3_column_blob(st, 1), LEDGER_KEY_BYTES);
		ret = 1;
		break;
	case SQLITE_DONE:
		ret = 0;
		break;
	default:
		ret = db_fail_sqlite(&l->db, "longest coalition ban origin");
		break;
	}
	db_stmt_done(st);
	return ret;
}

int
ledger_cban_lower(struct ledger *l, const struct a5_prefix *p, int64_t deadline,
    const char *origin)
{
	sqlite3_stmt *st = l->st[ST_CBAN_LOWER];

	if (ledger_prefix_ok(l, p) != 0)
		return -1;
	if (ledger_bind_prefix(st, 1, p) != 0 || sqlite3_bind_int64(st, 4, deadline) != SQLITE_OK ||
	    ledger_bind_name(st, 5, origin, LEDGER_NAME_MAX) != SQLITE_OK) {
		db_fail_sqlite(&l->db, "lower coalition ban: bind");
		db_stmt_done(st);
		return -1;
	}
	return ledger_stmt_run(l, ST_CBAN_LOWER, "lower coalition ban");
}

struct corigin_walk {
	int (*cb)(const struct a5_prefix *p, const uint8_t reporter[LEDGER_KEY_BYTES],
	    int64_t deadline, void *arg);
	void *arg;
};

static int
corigin_row(const struct a5_prefix *p, sqlite3_stmt *st, void *ctx)
{
	struct corigin_walk *w = ctx;

	if (sqlite3_column_type(st, 3) != SQLITE_BLOB ||
	    sqlite3_column_bytes(st, 3) != LEDGER_KEY_BYTES)
		return 0;	/* skipped: one bad row must not cost the others */
	return w->cb(p, sqlite3_column_blob(st, 3), sqlite3_column_int64(st, 4), w->arg);
}

int
ledger_corigins_active(struct ledger *l, int64_t now,
    int (*cb)(const struct a5_prefix *p, const uint8_t reporter[LEDGER_KEY_BYTES],
    int64_t deadline, void *arg), void *arg)
{
	struct corigin_walk w = { cb, arg };

	return ledger_walk_prefix_rows(l, ST_CORIGINS_ACTIVE, now, "list coalition ban origins",
	    corigin_row, &w);
}
