/* state.c - small key/value state: the journal cursor, file positions. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/util.h"
#include "ledger/db.h"
#include "ledger/ledger.h"
#include "ledger/tables.h"

const struct ledger_stmt ledger_state_stmts[] = {
	{ ST_STATE_GET, "SELECT value FROM state WHERE key = ?1" },
	{ ST_STATE_SET, "INSERT INTO state (key, value) VALUES (?1, ?2)"
	    " ON CONFLICT (key) DO UPDATE SET value = excluded.value" },
};
const size_t ledger_state_nstmts = ARRAY_LEN(ledger_state_stmts);

/* Keys and values must be NUL-terminated within LEDGER_STATE_MAX bytes. */
static int
state_check(struct ledger *l, const char *what, const char *s)
{
	if (strnlen(s, LEDGER_STATE_MAX) >= LEDGER_STATE_MAX)
		return db_fail(&l->db, "state: %s longer than %d bytes", what,
		    LEDGER_STATE_MAX - 1);
	return 0;
}

int
ledger_state_get(struct ledger *l, const char *key, char *buf, size_t n)
{
	sqlite3_stmt *st = l->st[ST_STATE_GET];
	int ret;

	if (n > 0)
		buf[0] = '\0';
	if (state_check(l, "key", key) != 0)
		return -1;
	if (ledger_bind_name(st, 1, key, LEDGER_STATE_MAX) != SQLITE_OK) {
		db_fail_sqlite(&l->db, "state get: bind");
		db_stmt_done(st);
		return -1;
	}
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		ret = 1;
		if (ledger_col_text(st, 0, buf, n) != 0) {
			ret = db_fail(&l->db, "state get \"%s\": value does not fit in "
			    "%zu bytes", key, n);
			if (n > 0)
				buf[0] = '\0';
		}
		break;
	case SQLITE_DONE:
		ret = 0;
		break;
	default:
		ret = db_fail_sqlite(&l->db, "state get");
		break;
	}
	db_stmt_done(st);
	return ret;
}

int
ledger_state_set(struct ledger *l, const char *key, const char *value)
{
	sqlite3_stmt *st = l->st[ST_STATE_SET];

	if (state_check(l, "key", key) != 0 || state_check(l, "value", value) != 0)
		return -1;
	if (ledger_bind_name(st, 1, key, LEDGER_STATE_MAX) != SQLITE_OK ||
	    ledger_bind_name(st, 2, value, LEDGER_STATE_MAX) != SQLITE_OK) {
		db_fail_sqlite(&l->db, "state set: bind");
		db_stmt_done(st);
		return -1;
	}
	return ledger_stmt_run(l, ST_STATE_SET, "state set");
}
