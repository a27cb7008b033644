/* db.h - the SQLite helpers the ledger's files share: a connection with its
 * path and last error, a private file in WAL mode, statements, and units of
 * work that are all or nothing inside or outside a caller's transaction. */
#ifndef A5_LEDGER_DB_H
#define A5_LEDGER_DB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <sqlite3.h>

#define DB_PATH_MAX 4096
#define DB_ERR_MAX (DB_PATH_MAX + 512)
/* Writers wait this long for another process (the CLI, the daemon). */
#define DB_BUSY_MS 5000

/* A connection and where its errors go: "LABELPATH: what[: sqlite message]". */
struct db {
	sqlite3 *h;
	const char *label;		/* "" (the ledger) or "journal " */
	char path[DB_PATH_MAX];
	char err[DB_ERR_MAX];
};

/* Sets label and path (h NULL). false if path does not fit (truncated). */
bool db_init(struct db *d, const char *label, const char *path);
/* true unless path is SQLite's in-memory (":memory:") or temporary ("") database. */
bool db_on_disk(const char *path);

/* Records "LABELPATH: what" in d->err; always returns -1. */
int db_fail(struct db *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int db_vfail(struct db *d, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Records "LABELPATH: what: sqlite3_errmsg"; always returns -1. */
int db_fail_sqlite(struct db *d, const char *what);

/* Creates d->path with mode 0600 unless it exists: SQLite would create it
 * 0644 less umask, and the file holds who was banned and why. The WAL and
 * shm files inherit the database file's mode. */
int db_create_private(struct db *d);
/* Opens d->path with flags (SQLITE_OPEN_*): extended result codes, a busy
 * timeout of DB_BUSY_MS. */
int db_open(struct db *d, int flags);
/* journal_mode=WAL (refused when on_disk and the file cannot use it),
 * synchronous=NORMAL (a power loss may lose the last commits, never corrupt
 * the file, and a commit costs no fsync), temporary storage in memory. */
int db_set_wal(struct db *d, bool on_disk);
/* Rolls back a transaction left open and closes. */
void db_close(struct db *d);

/* sqlite3_exec of sql; what names it in the error. */
int db_exec(struct db *d, const char *sql, const char *what);
/* Prepares sql to be kept for the connection's life. */
int db_prepare(struct db *d, const char *sql, sqlite3_stmt **st);
/* Every statement is reset and unbound after use: blobs are bound
 * SQLITE_STATIC and must not outlive the caller's memory. */
void db_stmt_done(sqlite3_stmt *st);
/* Steps a statement that returns no rows, then db_stmt_done. */
int db_stmt_run(struct db *d, sqlite3_stmt *st, const char *what);

/* All or nothing: outside any transaction BEGIN IMMEDIATE (the write lock
 * before the first read), inside one a savepoint named name (a string
 * literal of letters). db_unit_end commits or releases when ok is 0, else
 * rolls back (the error is then already in d->err) and returns -1. */
struct db_savepoint;
struct db_unit {
	bool own;		/* BEGIN IMMEDIATE, not a savepoint */
	const char *name;
	const struct db_savepoint *sp;	/* prepared savepoint, or NULL */
};
int db_unit_begin(struct db *d, const char *name, struct db_unit *u);
int db_unit_end(struct db *d, const struct db_unit *u, int ok);

/* A unit run often inside a caller's transaction (the journal's append,
 * once for every envelope a member applies) keeps its savepoint's two
 * statements prepared: sqlite3_exec parses "SAVEPOINT name" each time.
 * name as for db_unit_begin; finalize before the connection closes. */
struct db_savepoint {
	const char *name;
	sqlite3_stmt *begin, *release;
};
int db_savepoint_prepare(struct db *d, const char *name, struct db_savepoint *sp);
void db_savepoint_finalize(struct db_savepoint *sp);
/* db_unit_begin with sp's statements for the savepoint. */
int db_unit_begin_prepared(struct db *d, const struct db_savepoint *sp, struct db_unit *u);

#endif
