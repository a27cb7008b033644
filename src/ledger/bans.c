/* bans.c - this host's bans (and the coalition's, where they are listed
 * together) and the offender history that escalation counts. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/util.h"
#include "ledger/db.h"
#include "ledger/ledger.h"
#include "ledger/tables.h"

/* Columns of one ban, in the order row_to_ban() reads them. */
#define BAN_COLS "family, addr, len, service, rule, reason, origin, evidence, " \
	"first_seen, last_seen, created, expires"

const struct ledger_stmt ledger_bans_stmts[] = {
	/* An upsert, not INSERT OR REPLACE: the row keeps its rowid, so a
	 * replaced ban keeps its place among bans created in the same second. */
	{ ST_BAN_PUT, "INSERT INTO bans (" BAN_COLS ")"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
	    " ON CONFLICT (family, addr, len) DO UPDATE SET"
	    " service = excluded.service, rule = excluded.rule,"
	    " reason = excluded.reason, origin = excluded.origin,"
	    " evidence = excluded.evidence, first_seen = excluded.first_seen,"
	    " last_seen = excluded.last_seen, created = excluded.created,"
	    " expires = excluded.expires" },
	{ ST_BAN_GET, "SELECT " BAN_COLS " FROM bans"
	    " WHERE family = ?1 AND addr = ?2 AND len = ?3" },
	{ ST_BAN_DEL, "DELETE FROM bans WHERE family = ?1 AND addr = ?2 AND len = ?3" },
	/* This host's bans and the coalition's, one row per prefix: of a ban
	 * and a coalition ban of the same prefix, the one that lasts longer
	 * (the ban on a tie). A version 2 row whose bans row was gone reads
	 * as origin "coalition". Column 12 keeps replaced bans in place
	 * among those of the same second. */
	{ ST_BANS_ACTIVE, "SELECT " BAN_COLS ", rowid AS k FROM bans b"
	    " WHERE (expires = 0 OR expires > ?1) AND NOT EXISTS (SELECT 1 FROM cbans c"
	    "  WHERE c.family = b.family AND c.addr = b.addr AND c.len = b.len"
	    "  AND b.expires <> 0 AND c.deadline > b.expires)"
	    " UNION ALL"
	    " SELECT family, addr, len, service, rule, 'coalition',"
	    " CASE origin WHEN '' THEN 'coalition' ELSE origin END, evidence,"
	    " first_seen, last_seen, created, deadline, NULL FROM cbans c"
	    " WHERE deadline > ?1 AND NOT EXISTS (SELECT 1 FROM bans b"
	    "  WHERE b.family = c.family AND b.addr = c.addr AND b.len = c.len"
	    "  AND (b.expires = 0 OR b.expires >= c.deadline))"
	    " ORDER BY 11, 13" },
	{ ST_BANS_EXPIRE, "DELETE FROM bans WHERE expires <> 0 AND expires <= ?1" },
	{ ST_BANS_CLEAR, "DELETE FROM bans" },
	/* The rows ST_BANS_ACTIVE would list: both kinds, less the prefixes
	 * held in both. */
	{ ST_BANS_COUNT, "SELECT (SELECT count(*) FROM bans WHERE expires = 0 OR expires > ?1)"
	    " + (SELECT count(*) FROM cbans WHERE deadline > ?1)"
	    " - (SELECT count(*) FROM cbans c JOIN bans b"
	    "  ON b.family = c.family AND b.addr = c.addr AND b.len = c.len"
	    "  WHERE c.deadline > ?1 AND (b.expires = 0 OR b.expires > ?1))" },
	/* One statement, so that the daemon and the CLI bumping the same
	 * prefix at once cannot lose a count. ?4 = now, ?5 = forget_after. */
	{ ST_OFF_BUMP, "INSERT INTO offenders (family, addr, len, count, last_ban)"
	    " VALUES (?1, ?2, ?3, 1, ?4)"
	    " ON CONFLICT (family, addr, len) DO UPDATE SET"
	    " count = CASE WHEN ?5 > 0 AND last_ban < ?4 - ?5 THEN 1"
	    " ELSE min(count + 1, 4294967295) END,"
	    " last_ban = ?4"
	    " RETURNING count" },
	{ ST_OFF_GET, "SELECT count FROM offenders"
	    " WHERE family = ?1 AND addr = ?2 AND len = ?3" },
};
const size_t ledger_bans_nstmts = ARRAY_LEN(ledger_bans_stmts);

/* Reads one row of BAN_COLS, re-checking everything: the file may have been
 * edited by hand or by a newer build. */
static int
row_to_ban(struct ledger *l, sqlite3_stmt *st, struct ledger_ban *b)
{
	int64_t family, len, evidence;

	memset(b, 0, sizeof(*b));
	family = sqlite3_column_int64(st, 0);
	len = sqlite3_column_int64(st, 2);
	evidence = sqlite3_column_int64(st, 7);
	if (family != A5_AF_INET && family != A5_AF_INET6)
		return db_fail(&l->db, "corrupt ban row: family %lld", (long long)family);
	b->prefix.family = (uint8_t)family;
	if (sqlite3_column_type(st, 1) != SQLITE_BLOB ||
	    sqlite3_column_bytes(st, 1) != (int)sizeof(b->prefix.addr))
		return db_fail(&l->db, "corrupt ban row: address is not 16 bytes");
	memcpy(b->prefix.addr, sqlite3_column_blob(st, 1), sizeof(b->prefix.addr));
	if (len < 0 || len > prefix_maxlen(&b->prefix))
		return db_fail(&l->db, "corrupt ban row: length %lld", (long long)len);
	b->prefix.len = (uint8_t)len;
	if (ledger_prefix_ok(l, &b->prefix) != 0)
		return db_fail(&l->db, "corrupt ban row: host bits set");
	if (ledger_col_text(st, 3, b->service, sizeof(b->service)) != 0 ||
	    ledger_col_text(st, 4, b->rule, sizeof(b->rule)) != 0 ||
	    ledger_col_text(st, 5, b->reason, sizeof(b->reason)) != 0 ||
	    ledger_col_text(st, 6, b->origin, sizeof(b->origin)) != 0)
		return db_fail(&l->db, "corrupt ban row: text field missing or longer "
		    "than %d bytes", LEDGER_NAME_MAX - 1);
	if (evidence < 0 || evidence > UINT32_MAX)
		return db_fail(&l->db, "corrupt ban row: evidence %lld", (long long)evidence);
	b->evidence = (uint32_t)evidence;
	b->first_seen = sqlite3_column_int64(st, 8);
	b->last_seen = sqlite3_column_int64(st, 9);
	b->created = sqlite3_column_int64(st, 10);
	b->expires = sqlite3_column_int64(st, 11);
	return 0;
}

/* Binds a checked b to parameters first..first+11 (BAN_COLS). */
static int
ban_bind(sqlite3_stmt *st, int first, const struct ledger_ban *b)
{
	if (ledger_bind_prefix(st, first, &b->prefix) != 0 ||
	    ledger_bind_name(st, first + 3, b->service, sizeof(b->service)) != SQLITE_OK ||
	    ledger_bind_name(st, first + 4, b->rule, sizeof(b->rule)) != SQLITE_OK ||
	    ledger_bind_name(st, first + 5, b->reason, sizeof(b->reason)) != SQLITE_OK ||
	    ledger_bind_name(st, first + 6, b->origin, sizeof(b->origin)) != SQLITE_OK ||
	    sqlite3_bind_int64(st, first + 7, b->evidence) != SQLITE_OK ||
	    sqlite3_bind_int64(st, first + 8, b->first_seen) != SQLITE_OK ||
	    sqlite3_bind_int64(st, first + 9, b->last_seen) != SQLITE_OK ||
	    sqlite3_bind_int64(st, first + 10, b->created) != SQLITE_OK ||
	    sqlite3_bind_int64(st, first + 11, b->expires) != SQLITE_OK)
		return -1;
	return 0;
}

/* Checks b and binds it to statement id (BAN_COLS as ?1..?12). */
static int
bind_ban(struct ledger *l, enum stmt_id id, const struct ledger_ban *b)
{
	if (ledger_ban_check(l, b) != 0)
		return -1;
	if (ban_bind(l->st[id], 1, b) != 0) {
		db_fail_sqlite(&l->db, "put ban: bind");
		db_stmt_done(l->st[id]);
		return -1;
	}
	return 0;
}

int
ledger_ban_put(struct ledger *l, const struct ledger_ban *b)
{
	if (bind_ban(l, ST_BAN_PUT, b) != 0)
		return -1;
	return ledger_stmt_run(l, ST_BAN_PUT, "put ban");
}

int
ledger_ban_remove(struct ledger *l, const struct a5_prefix *p)
{
	sqlite3_stmt *st = l->st[ST_BAN_DEL];

	if (ledger_prefix_ok(l, p) != 0)
		return -1;
	if (ledger_bind_prefix(st, 1, p) != 0) {
		db_fail_sqlite(&l->db, "remove ban: bind");
		db_stmt_done(st);
		return -1;
	}
	if (ledger_stmt_run(l, ST_BAN_DEL, "remove ban") != 0)
		return -1;
	return sqlite3_changes(l->db.h) > 0 ? 1 : 0;
}

int
ledger_ban_get(struct ledger *l, const struct a5_prefix *p, struct ledger_ban *out)
{
	sqlite3_stmt *st = l->st[ST_BAN_GET];
	int ret;

	if (ledger_prefix_ok(l, p) != 0)
		return -1;
	if (ledger_bind_prefix(st, 1, p) != 0) {
		db_fail_sqlite(&l->db, "get ban: bind");
		db_stmt_done(st);
		return -1;
	}
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		ret = row_to_ban(l, st, out) == 0 ? 1 : -1;
		break;
	case SQLITE_DONE:
		ret = 0;
		break;
	default:
		ret = db_fail_sqlite(&l->db, "get ban");
		break;
	}
	db_stmt_done(st);
	return ret;
}

int
ledger_bans_active(struct ledger *l, int64_t now,
    int (*cb)(const struct ledger_ban *b, void *arg), void *arg)
{
	sqlite3_stmt *st = l->st[ST_BANS_ACTIVE];
	struct ledger_ban b;
	int visited = 0, rc;

	/* The walk streams from one prepared statement; a nested walk would
	 * reset it under the outer one. Other calls from cb are fine. */
	if (l->walking)
		return db_fail(&l->db, "bans_active called from its own callback");
	if (sqlite3_bind_int64(st, 1, now) != SQLITE_OK) {
		db_fail_sqlite(&l->db, "list bans: bind");
		db_stmt_done(st);
		return -1;
	}
	l->walking = true;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (row_to_ban(l, st, &b) != 0) {
			visited = -1;
			break;
		}
		visited++;
		if (cb(&b, arg) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		visited = db_fail_sqlite(&l->db, "list bans");
	l->walking = false;
	db_stmt_done(st);
	return visited;
}

int
ledger_bans_expire(struct ledger *l, int64_t now)
{
	return ledger_delete_count(l, ST_BANS_EXPIRE, &now, "expire bans");
}

int
ledger_bans_clear(struct ledger *l)
{
	return ledger_delete_count(l, ST_BANS_CLEAR, NULL, "clear bans");
}

int64_t
ledger_bans_count(struct ledger *l, int64_t now)
{
	sqlite3_stmt *st = l->st[ST_BANS_COUNT];
	int64_t n = -1;

	if (sqlite3_bind_int64(st, 1, now) != SQLITE_OK)
		db_fail_sqlite(&l->db, "count bans: bind");
	else if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	else
		db_fail_sqlite(&l->db, "count bans");
	db_stmt_done(st);
	return n;
}

/* --- offender history --- */

/* Reads a count column into *count, refusing values a uint32_t cannot hold. */
static int
col_count(struct ledger *l, sqlite3_stmt *st, uint32_t *count)
{
	int64_t v = sqlite3_column_int64(st, 0);

	if (v < 0 || v > UINT32_MAX)
		return db_fail(&l->db, "corrupt offender row: count %lld", (long long)v);
	*count = (uint32_t)v;
	return 0;
}

int
ledger_offender_bump(struct ledger *l, const struct a5_prefix *p,
    int64_t now, int64_t forget_after, uint32_t *count)
{
	sqlite3_stmt *st = l->st[ST_OFF_BUMP];
	int ret = -1, rc;

	if (ledger_prefix_ok(l, p) != 0)
		return -1;
	if (forget_after < 0)
		return db_fail(&l->db, "offender bump: negative forget_after %lld",
		    (long long)forget_after);
	if (ledger_bind_prefix(st, 1, p) != 0 ||
	    sqlite3_bind_int64(st, 4, now) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 5, forget_after) != SQLITE_OK) {
		db_fail_sqlite(&l->db, "offender bump: bind");
		db_stmt_done(st);
		return -1;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ret = col_count(l, st, count);
		/* The change is made by the first step; finish it anyway. */
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			;
	}
	if (rc != SQLITE_DONE)
		ret = db_fail_sqlite(&l->db, "offender bump");
	db_stmt_done(st);
	return ret;
}

int
ledger_offender_count(struct ledger *l, const struct a5_prefix *p, uint32_t *count)
{
	sqlite3_stmt *st = l->st[ST_OFF_GET];
	int ret;

	if (ledger_prefix_ok(l, p) != 0)
		return -1;
	if (ledger_bind_prefix(st, 1, p) != 0) {
		db_fail_sqlite(&l->db, "offender count: bind");
		db_stmt_done(st);
		return -1;
	}
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		ret = col_count(l, st, count);
		break;
	case SQLITE_DONE:
		*count = 0;
		ret = 0;
		break;
	default:
		ret = db_fail_sqlite(&l->db, "offender count");
		break;
	}
	db_stmt_done(st);
	return ret;
}
