/* tables.h - what the files holding the ledger's tables share (inside
 * src/ledger/ only): the connection, its prepared statements, and the
 * helpers that bind and read prefixes and names the same way everywhere.
 * Each table's file lists the statements it uses with their SQL;
 * ledger_open prepares them all once. */
#ifndef A5_LEDGER_TABLES_H
#define A5_LEDGER_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "common/addr.h"
#include "ledger/db.h"
#include "ledger/ledger.h"

enum stmt_id {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK,
	ST_BAN_PUT, ST_BAN_GET, ST_BAN_DEL,
	ST_BANS_ACTIVE, ST_BANS_EXPIRE, ST_BANS_CLEAR, ST_BANS_COUNT,
	ST_OFF_BUMP, ST_OFF_GET,
	ST_STATE_GET, ST_STATE_SET,
	ST_CBAN_ADD, ST_CBAN_RAISE, ST_CBAN_GET, ST_CBAN_DEL, ST_CBANS_ACTIVE, ST_CBANS_EXPIRE,
	ST_DECLINE_PUT, ST_DECLINES_ACTIVE, ST_DECLINES_EXPIRE,
	ST_ENVELOPE_PUT,
	ST_CBAN_LOWER, ST_CORIGIN_PUT, ST_CORIGIN_GET, ST_CORIGIN_DEL, ST_CORIGIN_LONGEST,
	ST_CORIGINS_EXPIRE, ST_CORIGINS_ACTIVE,
	ST_COUNT
};

/* One statement a table's file keeps prepared. */
struct ledger_stmt {
	enum stmt_id id;
	const char *sql;
};

/* Each table's file: its statements (bans.c, state.c, cbans.c, envelopes.c). */
extern const struct ledger_stmt ledger_bans_stmts[];
extern const size_t ledger_bans_nstmts;
extern const struct ledger_stmt ledger_state_stmts[];
extern const size_t ledger_state_nstmts;
extern const struct ledger_stmt ledger_cbans_stmts[];
extern const size_t ledger_cbans_nstmts;
extern const struct ledger_stmt ledger_envelopes_stmts[];
extern const size_t ledger_envelopes_nstmts;
extern const struct ledger_stmt ledger_corigins_stmts[];
extern const size_t ledger_corigins_nstmts;

struct ledger {
	struct db db;
	sqlite3_stmt *st[ST_COUNT];
	unsigned depth;		/* ledger_begin nesting */
	bool walking;		/* inside ledger_bans_active */
	struct ledger_ckpt *ckpt;	/* checkpoint.c; NULL: SQLite's own */
};

/* Steps statement id, which returns no rows. 0 or -1. */
int ledger_stmt_run(struct ledger *l, enum stmt_id id, const char *what);
/* Runs a DELETE bound to now (or unbound) and returns the rows it removed,
 * or -1. */
int ledger_delete_count(struct ledger *l, enum stmt_id id, const int64_t *now, const char *what);

/* Streams the rows of statement sid (bound to now as ?1) whose columns
 * 0..2 are a prefix, re-checked like a ban row; row gets the prefix and the
 * statement for the other columns, and stops the walk by returning
 * non-zero. The number of rows passed to row, or -1. */
int ledger_walk_prefix_rows(struct ledger *l, int sid, int64_t now, const char *what,
    int (*row)(const struct a5_prefix *p, sqlite3_stmt *st, void *ctx), void *ctx);

/* Accepts only well-formed prefixes: widening a malformed prefix silently
 * could ban far more than asked for. 0, or -1 with the error set. */
int ledger_prefix_ok(struct ledger *l, const struct a5_prefix *p);
/* Binds family, addr, len to parameters first..first+2. 0 or -1. */
int ledger_bind_prefix(sqlite3_stmt *st, int first, const struct a5_prefix *p);
/* Binds a NUL-terminated field of at most n-1 bytes; an SQLite code. */
int ledger_bind_name(sqlite3_stmt *st, int idx, const char *s, size_t n);
/* Copies a text column into dst[n]; -1 if NULL or it would not fit. */
int ledger_col_text(sqlite3_stmt *st, int col, char *dst, size_t n);
/* Refuses a malformed ban: the prefix, and text fields that end within
 * their arrays. */
int ledger_ban_check(struct ledger *l, const struct ledger_ban *b);

#endif
