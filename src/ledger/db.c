/* db.c - the SQLite helpers shared by the ledger and the journal. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "ledger/db.h"

bool
db_init(struct db *d, const char *label, const char *path)
{
	d->h = NULL;
	d->label = label;
	d->err[0] = '\0';
	return strlcpy_ok(d->path, path, sizeof(d->path));
}

bool
db_on_disk(const char *path)
{
	return strcmp(path, ":memory:") != 0 && path[0] != '\0';
}

int
db_vfail(struct db *d, const char *fmt, va_list ap)
{
	int w = snprintf(d->err, sizeof(d->err), "%s%s: ", d->label, d->path);

	if (w >= 0 && (size_t)w < sizeof(d->err))
		vsnprintf(d->err + w, sizeof(d->err) - (size_t)w, fmt, ap);
	return -1;
}

int
db_fail(struct db *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	db_vfail(d, fmt, ap);
	va_end(ap);
	return -1;
}

int
db_fail_sqlite(struct db *d, const char *what)
{
	return db_fail(d, "%s: %s", what, sqlite3_errmsg(d->h));
}

int
db_create_private(struct db *d)
{
	int fd = open(d->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0) {
		if (errno == EEXIST)
			return 0;
		return db_fail(d, "create: %s", strerror(errno));
	}
	if (fchmod(fd, 0600) != 0) {
		db_fail(d, "chmod 0600: %s", strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
db_open(struct db *d, int flags)
{
	/* SQLite's memory statistics take a global mutex around every
	 * allocation, and nothing here reads them. Only possible before
	 * SQLite's first use in the process; later it refuses, harmlessly. */
	static bool memstatus_off;

	if (!memstatus_off) {
		(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
		memstatus_off = true;
	}
	if (sqlite3_open_v2(d->path, &d->h, flags, NULL) != SQLITE_OK) {
		if (d->h == NULL)
			return db_fail(d, "open: out of memory");
		return db_fail_sqlite(d, "open");
	}
	sqlite3_extended_result_codes(d->h, 1);
	sqlite3_busy_timeout(d->h, DB_BUSY_MS);
	return 0;
}

int
db_set_wal(struct db *d, bool on_disk)
{
	sqlite3_stmt *st;
	const unsigned char *mode;
	bool wal;

	if (sqlite3_prepare_v2(d->h, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK)
		return db_fail_sqlite(d, "set journal_mode");
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return db_fail_sqlite(d, "set journal_mode");
	}
	mode = sqlite3_column_text(st, 0);
	wal = mode != NULL && strcasecmp((const char *)mode, "wal") == 0;
	if (!wal && on_disk) {
		db_fail(d, "cannot enable WAL (journal_mode is %s)",
		    mode ? (const char *)mode : "unknown");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	if (sqlite3_exec(d->h, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK)
		return db_fail_sqlite(d, "set synchronous");
	/* Statement journals in memory: an insert into bans (four b-trees)
	 * saves the pages it changes in case it must be undone alone, and a
	 * file-backed journal spills to a temporary file past 64 KiB: a write
	 * system call per page and statement. What else
	 * is temporary here (sorts of small tables) is small too. */
	if (sqlite3_exec(d->h, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL) != SQLITE_OK)
		return db_fail_sqlite(d, "set temp_store");
	return 0;
}

void
db_close(struct db *d)
{
	/* An unfinished transaction is dropped, as if the process had died. */
	if (d->h != NULL && !sqlite3_get_autocommit(d->h))
		sqlite3_exec(d->h, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close_v2(d->h);
	d->h = NULL;
}

int
db_exec(struct db *d, const char *sql, const char *what)
{
	char *msg = NULL;

	if (sqlite3_exec(d->h, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	db_fail(d, "%s: %s", what, msg ? msg : sqlite3_errmsg(d->h));
	sqlite3_free(msg);
	return -1;
}

int
db_prepare(struct db *d, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v3(d->h, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
		return db_fail(d, "prepare \"%s\": %s", sql, sqlite3_errmsg(d->h));
	return 0;
}

void
db_stmt_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

int
db_stmt_run(struct db *d, sqlite3_stmt *st, const char *what)
{
	int ret = 0;

	if (sqlite3_step(st) != SQLITE_DONE)
		ret = db_fail_sqlite(d, what);
	db_stmt_done(st);
	return ret;
}

int
db_unit_begin(struct db *d, const char *name, struct db_unit *u)
{
	char sql[64];

	u->name = name;
	u->sp = NULL;
	if (sqlite3_get_autocommit(d->h)) {
		u->own = true;
		return db_exec(d, "BEGIN IMMEDIATE", "begin");
	}
	u->own = false;
	snprintf(sql, sizeof(sql), "SAVEPOINT %s", name);
	return db_exec(d, sql, "savepoint");
}

int
db_savepoint_prepare(struct db *d, const char *name, struct db_savepoint *sp)
{
	char sql[64];

	sp->name = name;
	sp->begin = sp->release = NULL;
	snprintf(sql, sizeof(sql), "SAVEPOINT %s", name);
	if (db_prepare(d, sql, &sp->begin) != 0)
		return -1;
	snprintf(sql, sizeof(sql), "RELEASE %s", name);
	if (db_prepare(d, sql, &sp->release) != 0) {
		db_savepoint_finalize(sp);
		return -1;
	}
	return 0;
}

void
db_savepoint_finalize(struct db_savepoint *sp)
{
	sqlite3_finalize(sp->begin);
	sqlite3_finalize(sp->release);
	sp->begin = sp->release = NULL;
}

int
db_unit_begin_prepared(struct db *d, const struct db_savepoint *sp, struct db_unit *u)
{
	if (sqlite3_get_autocommit(d->h))
		return db_unit_begin(d, sp->name, u);
	u->name = sp->name;
	u->sp = sp;
	u->own = false;
	return db_stmt_run(d, sp->begin, "savepoint");
}

int
db_unit_end(struct db *d, const struct db_unit *u, int ok)
{
	char sql[64];

	if (ok == 0) {
		if (u->own) {
			if (db_exec(d, "COMMIT", "commit") == 0)
				return 0;
			if (!sqlite3_get_autocommit(d->h))
				sqlite3_exec(d->h, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		if (u->sp != NULL)
			return db_stmt_run(d, u->sp->release, "release savepoint");
		snprintf(sql, sizeof(sql), "RELEASE %s", u->name);
		return db_exec(d, sql, "release savepoint");
	}
	/* After an error SQLite may have rolled back the outer transaction
	 * itself, so these may fail: ignored. */
	if (u->own)
		sqlite3_exec(d->h, "ROLLBACK", NULL, NULL, NULL);
	else {
		snprintf(sql, sizeof(sql), "ROLLBACK TO %s", u->name);
		sqlite3_exec(d->h, sql, NULL, NULL, NULL);
		snprintf(sql, sizeof(sql), "RELEASE %s", u->name);
		sqlite3_exec(d->h, sql, NULL, NULL, NULL);
	}
	return -1;
}
