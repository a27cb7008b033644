/* cbans.c - the bans this member enforces for the coalition, until their
 * deadlines, and the prefixes it declines to enforce (docs/commitment.md). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/util.h"
#include "ledger/db.h"
#include "ledger/ledger.h"
#include "ledger/tables.h"

/* Columns of one coalition ban, in the order cban_bind() binds them. */
#define CBAN_COLS "family, addr, len, deadline, service, rule, origin, evidence, " \
	"first_seen, last_seen, created"

const struct ledger_stmt ledger_cbans_stmts[] = {
	/* The later deadline wins: two reports of one prefix, the longer holds. */
	{ ST_CBAN_ADD, "INSERT INTO cbans (" CBAN_COLS ")"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
	    " ON CONFLICT (family, addr, len) DO NOTHING" },
	/* A later deadline, with the provenance of the report that brought it. */
	{ ST_CBAN_RAISE, "UPDATE cbans SET deadline = ?4, service = ?5, rule = ?6, origin = ?7,"
	    " evidence = ?8, first_seen = ?9, last_seen = ?10, created = ?11"
	    " WHERE family = ?1 AND addr = ?2 AND len = ?3" },
	{ ST_CBAN_GET, "SELECT deadline FROM cbans WHERE family = ?1 AND addr = ?2 AND len = ?3" },
	{ ST_CBAN_DEL, "DELETE FROM cbans WHERE family = ?1 AND addr = ?2 AND len = ?3" },
	{ ST_CBANS_ACTIVE, "SELECT family, addr, len, deadline FROM cbans WHERE deadline > ?1" },
	{ ST_CBANS_EXPIRE, "DELETE FROM cbans WHERE deadline <= ?1" },
	{ ST_DECLINE_PUT, "INSERT INTO declines (family, addr, len, reason, until)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)"
	    " ON CONFLICT (family, addr, len) DO UPDATE SET reason = excluded.reason,"
	    " until = max(until, excluded.until)" },
	{ ST_DECLINES_ACTIVE, "SELECT family, addr, len, reason, until FROM declines"
	    " WHERE until > ?1 ORDER BY until DESC" },
	{ ST_DECLINES_EXPIRE, "DELETE FROM declines WHERE until <= ?1" },
};
const size_t ledger_cbans_nstmts = ARRAY_LEN(ledger_cbans_stmts);

/* Reads family, addr, len from columns 0..2, re-checked like a ban row. */
static int
row_prefix(struct ledger *l, sqlite3_stmt *st, struct a5_prefix *p)
{
	int64_t family = sqlite3_column_int64(st, 0), len = sqlite3_column_int64(st, 2);

	memset(p, 0, sizeof(*p));
	if ((family != A5_AF_INET && family != A5_AF_INET6) ||
	    sqlite3_column_type(st, 1) != SQLITE_BLOB ||
	    sqlite3_column_bytes(st, 1) != (int)sizeof(p->addr))
		return db_fail(&l->db, "corrupt prefix in a row");
	p->family = (uint8_t)family;
	memcpy(p->addr, sqlite3_column_blob(st, 1), sizeof(p->addr));
	if (len < 0 || len > prefix_maxlen(p))
		return db_fail(&l->db, "corrupt prefix length %lld in a row", (long long)len);
	p->len = (uint8_t)len;
	return ledger_prefix_ok(l, p);
}

static int
prefix_stmt(struct ledger *l, enum stmt_id id, const struct a5_prefix *p, const char *what)
{
	if (ledger_prefix_ok(l, p) != 0)
		return -1;
	if (ledger_bind_prefix(l->st[id], 1, p) != 0) {
		db_fail_sqlite(&l->db, what);
		db_stmt_done(l->st[id]);
		return -1;
	}
	return 0;
}

int
ledger_cban_get(struct ledger *l, const struct a5_prefix *p, int64_t *deadline)
{
	sqlite3_stmt *st = l->st[ST_CBAN_GET];
	int ret;

	if (prefix_stmt(l, ST_CBAN_GET, p, "get coalition ban: bind") != 0)
		return -1;
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		*deadline = sqlite3_column_int64(st, 0);
		ret = 1;
		break;
	case SQLITE_DONE:
		ret = 0;
		break;
	default:
		ret = db_fail_sqlite(&l->db, "get coalition ban");
		break;
	}
	db_stmt_done(st);
	return ret;
}

/* Binds a coalition ban (CBAN_COLS as ?1..?11): b->expires is its deadline. */
static int
cban_bind(struct ledger *l, enum stmt_id id, const struct ledger_ban *b)
{
	sqlite3_stmt *st = l->st[id];

	if (ledger_ban_check(l, b) != 0)
		return -1;
	if (ledger_bind_prefix(st, 1, &b->prefix) != 0 ||
	    sqlite3_bind_int64(st, 4, b->expires) != SQLITE_OK ||
	    ledger_bind_name(st, 5, b->service, sizeof(b->service)) != SQLITE_OK ||
	    ledger_bind_name(st, 6, b->rule, sizeof(b->rule)) != SQLITE_OK ||
	    ledger_bind_name(st, 7, b->origin, sizeof(b->origin)) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 8, b->evidence) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 9, b->first_seen) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 10, b->last_seen) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 11, b->created) != SQLITE_OK) {
		db_fail_sqlite(&l->db, "put coalition ban: bind");
		db_stmt_done(st);
		return -1;
	}
	return 0;
}

int
ledger_cban_raise(struct ledger *l, const struct ledger_ban *b, int64_t now, int64_t *prev)
{
	int64_t old = 0;
	int had;

	*prev = 0;
	/* The usual case, a prefix not held yet, costs one statement. */
	if (cban_bind(l, ST_CBAN_ADD, b) != 0 || ledger_stmt_run(l, ST_CBAN_ADD, "add coalition ban") != 0)
		return -1;
	if (sqlite3_changes(l->db.h) > 0)
		return 1;
	if ((had = ledger_cban_get(l, &b->prefix, &old)) < 0)
		return -1;
	if (had == 1 && old > now) {
		*prev = old;
		if (old >= b->expires)
			return 0;	/* held at least this long already */
	}
	if (cban_bind(l, ST_CBAN_RAISE, b) != 0 ||
	    ledger_stmt_run(l, ST_CBAN_RAISE, "raise coalition ban") != 0)
		return -1;
	return 1;
}

int
ledger_cban_remove(struct ledger *l, const struct a5_prefix *p)
{
	if (prefix_stmt(l, ST_CBAN_DEL, p, "remove coalition ban: bind") != 0 ||
	    ledger_stmt_run(l, ST_CBAN_DEL, "remove coalition ban") != 0)
		return -1;
	return sqlite3_changes(l->db.h) > 0 ? 1 : 0;
}

int
ledger_walk_prefix_rows(struct ledger *l, int sid, int64_t now, const char *what,
    int (*row)(const struct a5_prefix *p, sqlite3_stmt *st, void *ctx), void *ctx)
{
	sqlite3_stmt *st = l->st[sid];
	struct a5_prefix p;
	int visited = 0, rc;

	if (sqlite3_bind_int64(st, 1, now) != SQLITE_OK) {
		db_fail_sqlite(&l->db, what);
		db_stmt_done(st);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (row_prefix(l, st, &p) != 0) {
			visited = -1;
			break;
		}
		visited++;
		if (row(&p, st, ctx) != 0)
			break;
	}
	if (visited >= 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		visited = db_fail_sqlite(&l->db, what);
	db_stmt_done(st);
	return visited;
}

struct cban_walk {
	int (*cb)(const struct a5_prefix *p, int64_t deadline, void *arg);
	void *arg;
};

static int
cban_row(const struct a5_prefix *p, sqlite3_stmt *st, void *ctx)
{
	struct cban_walk *w = ctx;

	return w->cb(p, sqlite3_column_int64(st, 3), w->arg);
}

int
ledger_cbans_active(struct ledger *l, int64_t now,
    int (*cb)(const struct a5_prefix *p, int64_t deadline, void *arg), void *arg)
{
	struct cban_walk w = { cb, arg };

	return ledger_walk_prefix_rows(l, ST_CBANS_ACTIVE, now, "list coalition bans", cban_row, &w);
}

int
ledger_cbans_expire(struct ledger *l, int64_t now)
{
	if (ledger_delete_count(l, ST_CORIGINS_EXPIRE, &now, "expire coalition ban origins") < 0)
		return -1;
	return ledger_delete_count(l, ST_CBANS_EXPIRE, &now, "expire coalition bans");
}

/* --- declines --- */

int
ledger_decline_put(struct ledger *l, const struct a5_prefix *p, int reason, int64_t until)
{
	sqlite3_stmt *st = l->st[ST_DECLINE_PUT];

	if (prefix_stmt(l, ST_DECLINE_PUT, p, "put decline: bind") != 0)
		return -1;
	if (sqlite3_bind_int(st, 4, reason) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 5, until) != SQLITE_OK) {
		db_fail_sqlite(&l->db, "put decline: bind");
		db_stmt_done(st);
		return -1;
	}
	return ledger_stmt_run(l, ST_DECLINE_PUT, "put decline");
}

struct decline_walk {
	int (*cb)(const struct a5_prefix *p, int reason, int64_t until, void *arg);
	void *arg;
};

static int
decline_row(const struct a5_prefix *p, sqlite3_stmt *st, void *ctx)
{
	struct decline_walk *w = ctx;

	return w->cb(p, sqlite3_column_int(st, 3), sqlite3_column_int64(st, 4), w->arg);
}

int
ledger_declines_active(struct ledger *l, int64_t now,
    int (*cb)(const struct a5_prefix *p, int reason, int64_t until, void *arg), void *arg)
{
	struct decline_walk w = { cb, arg };

	return ledger_walk_prefix_rows(l, ST_DECLINES_ACTIVE, now, "list declines", decline_row, &w);
}

int
ledger_declines_expire(struct ledger *l, int64_t now)
{
	return ledger_delete_count(l, ST_DECLINES_EXPIRE, &now, "expire declines");
}
