/* ledger.c - bans, offender history and small state kept in SQLite (WAL). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/util.h"
#include "ledger/ledger.h"

/* Bumped whenever the schema changes; a database written by a newer build
 * is refused rather than guessed at. Migrations from older versions go in
 * schema_create(). */
#define LEDGER_SCHEMA_VERSION	3

/* Writers wait this long for another process (the CLI) to finish. */
#define LEDGER_BUSY_MS		5000
/* ledger_begin nesting deeper than this is a caller bug, not a batch. */
#define LEDGER_NEST_MAX		64
#define LEDGER_PATH_MAX		4096
#define LEDGER_ERR_MAX		(LEDGER_PATH_MAX + 256)
/* Page size of a new database file (text: it goes into a PRAGMA). */
#define LEDGER_PAGE_SIZE	"16384"
/* Columns of one ban, in the order row_to_ban() reads them. */
#define BAN_COLS "family, addr, len, service, rule, reason, origin, evidence, " \
	"first_seen, last_seen, created, expires"
/* Columns of one coalition ban, in the order cban_bind() binds them. */
#define CBAN_COLS "family, addr, len, deadline, service, rule, origin, evidence, " \
	"first_seen, last_seen, created"

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS bans ("
	" family INTEGER NOT NULL, addr BLOB NOT NULL, len INTEGER NOT NULL,"
	" service TEXT NOT NULL, rule TEXT NOT NULL, reason TEXT NOT NULL,"
	" origin TEXT NOT NULL, evidence INTEGER NOT NULL,"
	" first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
	" created INTEGER NOT NULL, expires INTEGER NOT NULL,"
	" UNIQUE (family, addr, len));"
	"CREATE INDEX IF NOT EXISTS bans_expires ON bans (expires);"
	"CREATE TABLE IF NOT EXISTS offenders ("
	" family INTEGER NOT NULL, addr BLOB NOT NULL, len INTEGER NOT NULL,"
	" count INTEGER NOT NULL, last_ban INTEGER NOT NULL,"
	" PRIMARY KEY (family, addr, len)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS state ("
	" key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS outbox ("
	" msgid TEXT PRIMARY KEY, envelope BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS envelopes ("
	" reporter BLOB NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,"
	" received INTEGER NOT NULL, envelope BLOB NOT NULL,"
	" PRIMARY KEY (reporter, first_seq, last_seq));"
	"CREATE TABLE IF NOT EXISTS proofs ("
	" reporter BLOB NOT NULL, seq INTEGER NOT NULL, found INTEGER NOT NULL,"
	" first BLOB NOT NULL, second BLOB NOT NULL, PRIMARY KEY (reporter, seq));"
	"PRAGMA user_version = 1;";

/* Version 2: what this member enforces for the coalition, and what it
 * declines on purpose (docs/commitment.md). */
static const char schema_v2_sql[] =
	"CREATE TABLE IF NOT EXISTS cbans ("
	" family INTEGER NOT NULL, addr BLOB NOT NULL, len INTEGER NOT NULL,"
	" deadline INTEGER NOT NULL, PRIMARY KEY (family, addr, len)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS declines ("
	" family INTEGER NOT NULL, addr BLOB NOT NULL, len INTEGER NOT NULL,"
	" reason INTEGER NOT NULL, until INTEGER NOT NULL,"
	" PRIMARY KEY (family, addr, len)) WITHOUT ROWID;"
	"PRAGMA user_version = 2;";

/* Version 3: a coalition ban's provenance (who reported it, for which
 * service and rule, with what evidence) lives in its cbans row, which the
 * member's commitments are built from anyway; version 2 wrote a bans row
 * too, four more b-trees per received report. Those rows hand their
 * provenance to their cbans row and go. And no index on bans.created:
 * listings sort what they read. */
static const char schema_v3_sql[] =
	"DROP INDEX IF EXISTS bans_created;"
	"ALTER TABLE cbans ADD COLUMN service TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE cbans ADD COLUMN rule TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE cbans ADD COLUMN origin TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE cbans ADD COLUMN evidence INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE cbans ADD COLUMN first_seen INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE cbans ADD COLUMN last_seen INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE cbans ADD COLUMN created INTEGER NOT NULL DEFAULT 0;"
	"UPDATE cbans SET service = b.service, rule = b.rule, origin = b.origin,"
	" evidence = b.evidence, first_seen = b.first_seen, last_seen = b.last_seen,"
	" created = b.created FROM bans b WHERE b.reason = 'coalition'"
	" AND b.family = cbans.family AND b.addr = cbans.addr AND b.len = cbans.len;"
	"DELETE FROM bans WHERE reason = 'coalition';"
	"PRAGMA user_version = 3;";

enum stmt_id {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK,
	ST_BAN_PUT, ST_BAN_GET, ST_BAN_DEL,
	ST_BANS_ACTIVE, ST_BANS_EXPIRE, ST_BANS_CLEAR, ST_BANS_COUNT,
	ST_OFF_BUMP, ST_OFF_GET,
	ST_STATE_GET, ST_STATE_SET,
	ST_CBAN_ADD, ST_CBAN_RAISE, ST_CBAN_GET, ST_CBAN_DEL, ST_CBANS_ACTIVE, ST_CBANS_EXPIRE,
	ST_DECLINE_PUT, ST_DECLINES_ACTIVE, ST_DECLINES_EXPIRE,
	ST_ENVELOPE_PUT,
	ST_COUNT
};

/* Prepared once at open; indexed by enum stmt_id. */
static const char *const stmt_sql[ST_COUNT] = {
	/* IMMEDIATE takes the write lock up front: a deferred transaction that
	 * reads first and writes later can fail with SQLITE_BUSY without ever
	 * calling the busy handler. */
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	/* An upsert, not INSERT OR REPLACE: the row keeps its rowid, so a
	 * replaced ban keeps its place among bans created in the same second. */
	[ST_BAN_PUT] = "INSERT INTO bans (" BAN_COLS ")"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
	    " ON CONFLICT (family, addr, len) DO UPDATE SET"
	    " service = excluded.service, rule = excluded.rule,"
	    " reason = excluded.reason, origin = excluded.origin,"
	    " evidence = excluded.evidence, first_seen = excluded.first_seen,"
	    " last_seen = excluded.last_seen, created = excluded.created,"
	    " expires = excluded.expires",
	[ST_BAN_GET] = "SELECT " BAN_COLS " FROM bans"
	    " WHERE family = ?1 AND addr = ?2 AND len = ?3",
	[ST_BAN_DEL] = "DELETE FROM bans WHERE family = ?1 AND addr = ?2 AND len = ?3",
	/* This host's bans and the coalition's, one row per prefix: of a ban
	 * and a coalition ban of the same prefix, the one that lasts longer
	 * (the ban on a tie). A version 2 row whose bans row was gone reads
	 * as origin "coalition". Column 12 keeps replaced bans in place
	 * among those of the same second. */
	[ST_BANS_ACTIVE] = "SELECT " BAN_COLS ", rowid AS k FROM bans b"
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
	    " ORDER BY 11, 13",
	[ST_BANS_EXPIRE] = "DELETE FROM bans WHERE expires <> 0 AND expires <= ?1",
	[ST_BANS_CLEAR] = "DELETE FROM bans",
	/* The rows ST_BANS_ACTIVE would list: both kinds, less the prefixes
	 * held in both. */
	[ST_BANS_COUNT] = "SELECT (SELECT count(*) FROM bans WHERE expires = 0 OR expires > ?1)"
	    " + (SELECT count(*) FROM cbans WHERE deadline > ?1)"
	    " - (SELECT count(*) FROM cbans c JOIN bans b"
	    "  ON b.family = c.family AND b.addr = c.addr AND b.len = c.len"
	    "  WHERE c.deadline > ?1 AND (b.expires = 0 OR b.expires > ?1))",
	/* One statement, so that the daemon and the CLI bumping the same
	 * prefix at once cannot lose a count. ?4 = now, ?5 = forget_after. */
	[ST_OFF_BUMP] = "INSERT INTO offenders (family, addr, len, count, last_ban)"
	    " VALUES (?1, ?2, ?3, 1, ?4)"
	    " ON CONFLICT (family, addr, len) DO UPDATE SET"
	    " count = CASE WHEN ?5 > 0 AND last_ban < ?4 - ?5 THEN 1"
	    " ELSE min(count + 1, 4294967295) END,"
	    " last_ban = ?4"
	    " RETURNING count",
	[ST_OFF_GET] = "SELECT count FROM offenders"
	    " WHERE family = ?1 AND addr = ?2 AND len = ?3",
	[ST_STATE_GET] = "SELECT value FROM state WHERE key = ?1",
	[ST_STATE_SET] = "INSERT INTO state (key, value) VALUES (?1, ?2)"
	    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	/* The later deadline wins: two reports of one prefix, the longer holds. */
	[ST_CBAN_ADD] = "INSERT INTO cbans (" CBAN_COLS ")"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
	    " ON CONFLICT (family, addr, len) DO NOTHING",
	/* A later deadline, with the provenance of the report that brought it. */
	[ST_CBAN_RAISE] = "UPDATE cbans SET deadline = ?4, service = ?5, rule = ?6, origin = ?7,"
	    " evidence = ?8, first_seen = ?9, last_seen = ?10, created = ?11"
	    " WHERE family = ?1 AND addr = ?2 AND len = ?3",
	[ST_CBAN_GET] = "SELECT deadline FROM cbans WHERE family = ?1 AND addr = ?2 AND len = ?3",
	[ST_CBAN_DEL] = "DELETE FROM cbans WHERE family = ?1 AND addr = ?2 AND len = ?3",
	[ST_CBANS_ACTIVE] = "SELECT family, addr, len, deadline FROM cbans WHERE deadline > ?1",
	[ST_CBANS_EXPIRE] = "DELETE FROM cbans WHERE deadline <= ?1",
	[ST_DECLINE_PUT] = "INSERT INTO declines (family, addr, len, reason, until)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)"
	    " ON CONFLICT (family, addr, len) DO UPDATE SET reason = excluded.reason,"
	    " until = max(until, excluded.until)",
	[ST_DECLINES_ACTIVE] = "SELECT family, addr, len, reason, until FROM declines"
	    " WHERE until > ?1 ORDER BY until DESC",
	[ST_DECLINES_EXPIRE] = "DELETE FROM declines WHERE until <= ?1",
	/* Once per received envelope: kept prepared, unlike the rarer
	 * coalition statements below (run_blob). */
	[ST_ENVELOPE_PUT] = "INSERT OR IGNORE INTO envelopes (reporter, first_seq, last_seq,"
	    " received, envelope) VALUES (?1, ?2, ?3, ?4, ?5)",
};

struct ledger {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	unsigned depth;		/* ledger_begin nesting */
	bool walking;		/* inside ledger_bans_active */
	char path[LEDGER_PATH_MAX];
	char err[LEDGER_ERR_MAX];
};

static int set_err(struct ledger *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Records "path: what" in l->err; always returns -1. */
static int
set_err(struct ledger *l, const char *fmt, ...)
{
	va_list ap;
	int w;

	w = snprintf(l->err, sizeof(l->err), "%s: ", l->path);
	if (w < 0 || (size_t)w >= sizeof(l->err))
		return -1;
	va_start(ap, fmt);
	vsnprintf(l->err + w, sizeof(l->err) - (size_t)w, fmt, ap);
	va_end(ap);
	return -1;
}

/* Records "path: what: sqlite3_errmsg"; always returns -1. */
static int
db_err(struct ledger *l, const char *what)
{
	return set_err(l, "%s: %s", what, sqlite3_errmsg(l->db));
}

/* Every statement is reset and unbound after use: the blobs are bound
 * SQLITE_STATIC and must not outlive the caller's memory. */
static void
stmt_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Steps a statement that returns no rows. */
static int
stmt_run(struct ledger *l, enum stmt_id id, const char *what)
{
	int ret = 0;

	if (sqlite3_step(l->st[id]) != SQLITE_DONE)
		ret = db_err(l, what);
	stmt_done(l->st[id]);
	return ret;
}

/* Accepts only well-formed prefixes: widening a malformed prefix silently
 * could ban far more than asked for. */
static int
prefix_ok(struct ledger *l, const struct a5_prefix *p)
{
	const char *why = prefix_check(p);

	return why == NULL ? 0 : set_err(l, "invalid prefix: %s", why);
}

/* Binds family, addr, len to parameters first..first+2. */
static int
bind_prefix(sqlite3_stmt *st, int first, const struct a5_prefix *p)
{
	if (sqlite3_bind_int(st, first, p->family) != SQLITE_OK ||
	    sqlite3_bind_blob(st, first + 1, p->addr, sizeof(p->addr),
	    SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int(st, first + 2, p->len) != SQLITE_OK)
		return -1;
	return 0;
}

/* Binds a NUL-terminated field of at most n-1 bytes. */
static int
bind_name(sqlite3_stmt *st, int idx, const char *s, size_t n)
{
	return sqlite3_bind_text(st, idx, s, (int)strnlen(s, n), SQLITE_STATIC);
}

/* Copies a text column into dst[n]; -1 if NULL or it would not fit. */
static int
col_text(sqlite3_stmt *st, int col, char *dst, size_t n)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	int len = sqlite3_column_bytes(st, col);

	if (s == NULL || len < 0 || (size_t)len >= n)
		return -1;
	memcpy(dst, s, (size_t)len);
	dst[len] = '\0';
	return 0;
}

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
		return set_err(l, "corrupt ban row: family %lld", (long long)family);
	b->prefix.family = (uint8_t)family;
	if (sqlite3_column_type(st, 1) != SQLITE_BLOB ||
	    sqlite3_column_bytes(st, 1) != (int)sizeof(b->prefix.addr))
		return set_err(l, "corrupt ban row: address is not 16 bytes");
	memcpy(b->prefix.addr, sqlite3_column_blob(st, 1), sizeof(b->prefix.addr));
	if (len < 0 || len > prefix_maxlen(&b->prefix))
		return set_err(l, "corrupt ban row: length %lld", (long long)len);
	b->prefix.len = (uint8_t)len;
	if (prefix_ok(l, &b->prefix) != 0)
		return set_err(l, "corrupt ban row: host bits set");
	if (col_text(st, 3, b->service, sizeof(b->service)) != 0 ||
	    col_text(st, 4, b->rule, sizeof(b->rule)) != 0 ||
	    col_text(st, 5, b->reason, sizeof(b->reason)) != 0 ||
	    col_text(st, 6, b->origin, sizeof(b->origin)) != 0)
		return set_err(l, "corrupt ban row: text field missing or longer "
		    "than %d bytes", LEDGER_NAME_MAX - 1);
	if (evidence < 0 || evidence > UINT32_MAX)
		return set_err(l, "corrupt ban row: evidence %lld", (long long)evidence);
	b->evidence = (uint32_t)evidence;
	b->first_seen = sqlite3_column_int64(st, 8);
	b->last_seen = sqlite3_column_int64(st, 9);
	b->created = sqlite3_column_int64(st, 10);
	b->expires = sqlite3_column_int64(st, 11);
	return 0;
}

static int
check_version(struct ledger *l, int64_t *version)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(l->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return db_err(l, "read schema version");
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*version = sqlite3_column_int64(st, 0);
	else
		db_err(l, "read schema version");
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return -1;
	if (*version > LEDGER_SCHEMA_VERSION)
		return set_err(l, "schema version %lld is newer than this build "
		    "supports (%d); refusing to open it (upgrade article5)",
		    (long long)*version, LEDGER_SCHEMA_VERSION);
	if (*version < 0)
		return set_err(l, "invalid schema version %lld", (long long)*version);
	return 0;
}

/* Creates the schema, or checks it, under the write lock so that two
 * processes opening a fresh file at once do not race. */
static int
schema_create(struct ledger *l)
{
	char *msg = NULL;
	int64_t version = 0;

	if (sqlite3_exec(l->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return db_err(l, "begin schema transaction");
	if (check_version(l, &version) != 0)
		goto fail;
	/* Version 1 is the first schema; a later version adds its migration
	 * steps here, one per version, before the final user_version bump. */
	if ((version == 0 &&
	    sqlite3_exec(l->db, schema_sql, NULL, NULL, &msg) != SQLITE_OK) ||
	    (version < 2 &&
	    sqlite3_exec(l->db, schema_v2_sql, NULL, NULL, &msg) != SQLITE_OK) ||
	    (version < 3 &&
	    sqlite3_exec(l->db, schema_v3_sql, NULL, NULL, &msg) != SQLITE_OK)) {
		set_err(l, "create schema: %s", msg ? msg : sqlite3_errmsg(l->db));
		sqlite3_free(msg);
		goto fail;
	}
	if (sqlite3_exec(l->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		db_err(l, "commit schema");
		goto fail;
	}
	return 0;
fail:
	sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* Sets WAL and synchronous=NORMAL (a power loss may lose the last commits,
 * never corrupt the file, and a commit costs no fsync), and temporary
 * storage in memory. */
static int
set_pragmas(struct ledger *l, bool on_disk)
{
	sqlite3_stmt *st;
	const unsigned char *mode;
	bool wal;

	if (sqlite3_prepare_v2(l->db, "PRAGMA journal_mode = WAL", -1, &st,
	    NULL) != SQLITE_OK)
		return db_err(l, "set journal_mode");
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return db_err(l, "set journal_mode");
	}
	mode = sqlite3_column_text(st, 0);
	wal = mode != NULL && strcasecmp((const char *)mode, "wal") == 0;
	if (!wal && on_disk) {
		set_err(l, "cannot enable WAL (journal_mode is %s)",
		    mode ? (const char *)mode : "unknown");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	if (sqlite3_exec(l->db, "PRAGMA synchronous = NORMAL", NULL, NULL,
	    NULL) != SQLITE_OK)
		return db_err(l, "set synchronous");
	/* Statement journals in memory: an insert into bans (four b-trees)
	 * saves the pages it changes in case it must be undone alone, and a
	 * file-backed journal spills to a temporary file past 64 KiB, four
	 * 16 KiB pages: a write system call per page and statement. What else
	 * is temporary here (sorts of small tables) is small too. */
	if (sqlite3_exec(l->db, "PRAGMA temp_store = MEMORY", NULL, NULL,
	    NULL) != SQLITE_OK)
		return db_err(l, "set temp_store");
	return 0;
}

/* SQLite creates files with 0644 (less umask); the ledger holds who was
 * banned and why, so a new file is created here with 0600 first. The WAL
 * and shm files inherit the database file's mode. */
static int
create_private(struct ledger *l)
{
	int fd = open(l->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0) {
		if (errno == EEXIST)
			return 0;
		return set_err(l, "create: %s", strerror(errno));
	}
	if (fchmod(fd, 0600) != 0) {
		set_err(l, "chmod 0600: %s", strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
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
	if (!strlcpy_ok(l->path, path, sizeof(l->path))) {
		set_err(l, "path longer than %d bytes", LEDGER_PATH_MAX - 1);
		goto fail;
	}
	/* "" is SQLite's private temporary database. */
	on_disk = strcmp(path, ":memory:") != 0 && path[0] != '\0';
	if (on_disk && create_private(l) != 0)
		goto fail;
	/* SQLite's memory statistics take a global mutex around every
	 * allocation, and nothing here reads them. Only possible before
	 * SQLite's first use in the process; later it refuses, harmlessly. */
	static bool memstatus_off;
	if (!memstatus_off) {
		(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
		memstatus_off = true;
	}
	/* NOMUTEX: a ledger (and the journal attached to it) is used by one
	 * thread at a time, so the connection's own mutex, taken by every
	 * bind, step and reset, buys nothing. */
	if (sqlite3_open_v2(path, &l->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		if (l->db == NULL)
			set_err(l, "open: out of memory");
		else
			db_err(l, "open");
		goto fail;
	}
	sqlite3_extended_result_codes(l->db, 1);
	sqlite3_busy_timeout(l->db, LEDGER_BUSY_MS);
	/* Checked before anything writes to the file (WAL changes its header). */
	if (check_version(l, &version) != 0)
		goto fail;
	/* A new file gets 16 KiB pages: a batch is written to the WAL and
	 * copied back at each checkpoint one page per system call, and the
	 * coalition's envelopes (about 25 KiB each) fill fewer overflow pages.
	 * It only takes before the first table exists; an older file keeps
	 * its size (4 KiB), and works the same. */
	if (version == 0 &&
	    sqlite3_exec(l->db, "PRAGMA page_size = " LEDGER_PAGE_SIZE, NULL, NULL, NULL) != SQLITE_OK) {
		db_err(l, "set page_size");
		goto fail;
	}
	/* An up-to-date file needs no write lock: opening it does not wait
	 * behind the daemon's batch. */
	if (set_pragmas(l, on_disk) != 0 ||
	    (version < LEDGER_SCHEMA_VERSION && schema_create(l) != 0))
		goto fail;
	for (int i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(l->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &l->st[i], NULL) != SQLITE_OK) {
			set_err(l, "prepare \"%s\": %s", stmt_sql[i], sqlite3_errmsg(l->db));
			goto fail;
		}
	}
	*out = l;
	return 0;
fail:
	if (errlen > 0)
		strlcpy_ok(err, l->err, errlen);
	ledger_close(l);
	return -1;
}

void
ledger_close(struct ledger *l)
{
	if (l == NULL)
		return;
	/* An unfinished batch is dropped, as if the process had died. */
	if (l->db != NULL && !sqlite3_get_autocommit(l->db))
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(l->st[i]);
	sqlite3_close_v2(l->db);
	free(l);
}

const char *
ledger_errmsg(const struct ledger *l)
{
	return l->err;
}

struct sqlite3 *
ledger_db(struct ledger *l)
{
	return l->db;
}

int
ledger_begin(struct ledger *l)
{
	if (l->depth >= LEDGER_NEST_MAX)
		return set_err(l, "begin: nested deeper than %d", LEDGER_NEST_MAX);
	if (l->depth == 0 && stmt_run(l, ST_BEGIN, "begin") != 0)
		return -1;
	l->depth++;
	return 0;
}

int
ledger_commit(struct ledger *l)
{
	if (l->depth == 0)
		return set_err(l, "commit without begin");
	if (--l->depth > 0)
		return 0;
	/* Some errors (disk full, I/O) make SQLite roll back on its own; the
	 * writes after that went to disk one by one and the batch is gone. */
	if (sqlite3_get_autocommit(l->db))
		return set_err(l, "commit: the transaction was rolled back by an "
		    "earlier error");
	if (stmt_run(l, ST_COMMIT, "commit") == 0)
		return 0;
	/* Leave no transaction open behind a failed commit: the next begin
	 * would fail, and every later write would be lost at close. */
	if (!sqlite3_get_autocommit(l->db)) {
		sqlite3_step(l->st[ST_ROLLBACK]);
		stmt_done(l->st[ST_ROLLBACK]);
	}
	return -1;
}

/* Refuses a malformed row: the prefix, and text fields that end within
 * their arrays. */
static int
ban_check(struct ledger *l, const struct ledger_ban *b)
{
	if (prefix_ok(l, &b->prefix) != 0)
		return -1;
	if (memchr(b->service, '\0', sizeof(b->service)) == NULL ||
	    memchr(b->rule, '\0', sizeof(b->rule)) == NULL ||
	    memchr(b->reason, '\0', sizeof(b->reason)) == NULL ||
	    memchr(b->origin, '\0', sizeof(b->origin)) == NULL)
		return set_err(l, "put ban: text field not NUL-terminated");
	return 0;
}

/* Binds a checked b to parameters first..first+11 (BAN_COLS). */
static int
ban_bind(sqlite3_stmt *st, int first, const struct ledger_ban *b)
{
	if (bind_prefix(st, first, &b->prefix) != 0 ||
	    bind_name(st, first + 3, b->service, sizeof(b->service)) != SQLITE_OK ||
	    bind_name(st, first + 4, b->rule, sizeof(b->rule)) != SQLITE_OK ||
	    bind_name(st, first + 5, b->reason, sizeof(b->reason)) != SQLITE_OK ||
	    bind_name(st, first + 6, b->origin, sizeof(b->origin)) != SQLITE_OK ||
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
	if (ban_check(l, b) != 0)
		return -1;
	if (ban_bind(l->st[id], 1, b) != 0) {
		db_err(l, "put ban: bind");
		stmt_done(l->st[id]);
		return -1;
	}
	return 0;
}

int
ledger_ban_put(struct ledger *l, const struct ledger_ban *b)
{
	if (bind_ban(l, ST_BAN_PUT, b) != 0)
		return -1;
	return stmt_run(l, ST_BAN_PUT, "put ban");
}

int
ledger_ban_remove(struct ledger *l, const struct a5_prefix *p)
{
	sqlite3_stmt *st = l->st[ST_BAN_DEL];

	if (prefix_ok(l, p) != 0)
		return -1;
	if (bind_prefix(st, 1, p) != 0) {
		db_err(l, "remove ban: bind");
		stmt_done(st);
		return -1;
	}
	if (stmt_run(l, ST_BAN_DEL, "remove ban") != 0)
		return -1;
	return sqlite3_changes(l->db) > 0 ? 1 : 0;
}

int
ledger_ban_get(struct ledger *l, const struct a5_prefix *p, struct ledger_ban *out)
{
	sqlite3_stmt *st = l->st[ST_BAN_GET];
	int ret;

	if (prefix_ok(l, p) != 0)
		return -1;
	if (bind_prefix(st, 1, p) != 0) {
		db_err(l, "get ban: bind");
		stmt_done(st);
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
		ret = db_err(l, "get ban");
		break;
	}
	stmt_done(st);
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
		return set_err(l, "bans_active called from its own callback");
	if (sqlite3_bind_int64(st, 1, now) != SQLITE_OK) {
		db_err(l, "list bans: bind");
		stmt_done(st);
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
		visited = db_err(l, "list bans");
	l->walking = false;
	stmt_done(st);
	return visited;
}

/* Runs a DELETE bound to now (or unbound) and returns the rows it removed. */
static int
delete_count(struct ledger *l, enum stmt_id id, const int64_t *now, const char *what)
{
	if (now != NULL && sqlite3_bind_int64(l->st[id], 1, *now) != SQLITE_OK) {
		db_err(l, what);
		stmt_done(l->st[id]);
		return -1;
	}
	if (stmt_run(l, id, what) != 0)
		return -1;
	return sqlite3_changes(l->db);
}

int
ledger_bans_expire(struct ledger *l, int64_t now)
{
	return delete_count(l, ST_BANS_EXPIRE, &now, "expire bans");
}

int
ledger_bans_clear(struct ledger *l)
{
	return delete_count(l, ST_BANS_CLEAR, NULL, "clear bans");
}

int64_t
ledger_bans_count(struct ledger *l, int64_t now)
{
	sqlite3_stmt *st = l->st[ST_BANS_COUNT];
	int64_t n = -1;

	if (sqlite3_bind_int64(st, 1, now) != SQLITE_OK)
		db_err(l, "count bans: bind");
	else if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	else
		db_err(l, "count bans");
	stmt_done(st);
	return n;
}

/* Reads a count column into *count, refusing values a uint32_t cannot hold. */
static int
col_count(struct ledger *l, sqlite3_stmt *st, uint32_t *count)
{
	int64_t v = sqlite3_column_int64(st, 0);

	if (v < 0 || v > UINT32_MAX)
		return set_err(l, "corrupt offender row: count %lld", (long long)v);
	*count = (uint32_t)v;
	return 0;
}

int
ledger_offender_bump(struct ledger *l, const struct a5_prefix *p,
    int64_t now, int64_t forget_after, uint32_t *count)
{
	sqlite3_stmt *st = l->st[ST_OFF_BUMP];
	int ret = -1, rc;

	if (prefix_ok(l, p) != 0)
		return -1;
	if (forget_after < 0)
		return set_err(l, "offender bump: negative forget_after %lld",
		    (long long)forget_after);
	if (bind_prefix(st, 1, p) != 0 ||
	    sqlite3_bind_int64(st, 4, now) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 5, forget_after) != SQLITE_OK) {
		db_err(l, "offender bump: bind");
		stmt_done(st);
		return -1;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ret = col_count(l, st, count);
		/* The change is made by the first step; finish it anyway. */
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			;
	}
	if (rc != SQLITE_DONE)
		ret = db_err(l, "offender bump");
	stmt_done(st);
	return ret;
}

int
ledger_offender_count(struct ledger *l, const struct a5_prefix *p, uint32_t *count)
{
	sqlite3_stmt *st = l->st[ST_OFF_GET];
	int ret;

	if (prefix_ok(l, p) != 0)
		return -1;
	if (bind_prefix(st, 1, p) != 0) {
		db_err(l, "offender count: bind");
		stmt_done(st);
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
		ret = db_err(l, "offender count");
		break;
	}
	stmt_done(st);
	return ret;
}

/* Keys and values must be NUL-terminated within LEDGER_STATE_MAX bytes. */
static int
state_check(struct ledger *l, const char *what, const char *s)
{
	if (strnlen(s, LEDGER_STATE_MAX) >= LEDGER_STATE_MAX)
		return set_err(l, "state: %s longer than %d bytes", what,
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
	if (bind_name(st, 1, key, LEDGER_STATE_MAX) != SQLITE_OK) {
		db_err(l, "state get: bind");
		stmt_done(st);
		return -1;
	}
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		ret = 1;
		if (col_text(st, 0, buf, n) != 0) {
			ret = set_err(l, "state get \"%s\": value does not fit in "
			    "%zu bytes", key, n);
			if (n > 0)
				buf[0] = '\0';
		}
		break;
	case SQLITE_DONE:
		ret = 0;
		break;
	default:
		ret = db_err(l, "state get");
		break;
	}
	stmt_done(st);
	return ret;
}

int
ledger_state_set(struct ledger *l, const char *key, const char *value)
{
	sqlite3_stmt *st = l->st[ST_STATE_SET];

	if (state_check(l, "key", key) != 0 || state_check(l, "value", value) != 0)
		return -1;
	if (bind_name(st, 1, key, LEDGER_STATE_MAX) != SQLITE_OK ||
	    bind_name(st, 2, value, LEDGER_STATE_MAX) != SQLITE_OK) {
		db_err(l, "state set: bind");
		stmt_done(st);
		return -1;
	}
	return stmt_run(l, ST_STATE_SET, "state set");
}

/* --- coalition storage: rare enough per call that statements are
 * prepared on demand rather than kept (but ledger_envelope_put, once
 * per received envelope). --- */

static int
run_blob(struct ledger *l, const char *sql, const char *what,
    int (*bind)(sqlite3_stmt *st, const void *arg), const void *arg)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(l->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(l, what);
	if (bind(st, arg) != SQLITE_OK) {
		sqlite3_finalize(st);
		return db_err(l, what);
	}
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(l, what);
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
		return set_err(l, "outbox: envelope too large");
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

	if (sqlite3_prepare_v2(l->db, "SELECT msgid, envelope FROM outbox ORDER BY rowid",
	    -1, &st, NULL) != SQLITE_OK)
		return db_err(l, "outbox walk");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		const void *data = sqlite3_column_blob(st, 1);
		int len = sqlite3_column_bytes(st, 1);
		n++;
		if (id != NULL && data != NULL && len > 0 && cb(id, data, (size_t)len, arg) != 0)
			break;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? n : db_err(l, "outbox walk");
}

int
ledger_envelopes_each(struct ledger *l,
    int (*cb)(const void *data, size_t len, void *arg), void *arg)
{
	sqlite3_stmt *st;
	int rc, n = 0;

	if (sqlite3_prepare_v2(l->db, "SELECT envelope FROM envelopes ORDER BY reporter, first_seq",
	    -1, &st, NULL) != SQLITE_OK)
		return db_err(l, "envelopes walk");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *data = sqlite3_column_blob(st, 0);
		int len = sqlite3_column_bytes(st, 0);
		n++;
		if (data != NULL && len > 0 && cb(data, (size_t)len, arg) != 0)
			break;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? n : db_err(l, "envelopes walk");
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
		return set_err(l, "envelopes: envelope too large");
	if (bind_env(l->st[ST_ENVELOPE_PUT], &e) != SQLITE_OK) {
		db_err(l, "envelope put: bind");
		stmt_done(l->st[ST_ENVELOPE_PUT]);
		return -1;
	}
	return stmt_run(l, ST_ENVELOPE_PUT, "envelope put");
}

int
ledger_envelope_find(struct ledger *l, const uint8_t reporter[LEDGER_KEY_BYTES], uint64_t seq,
    void *buf, size_t cap, size_t *len)
{
	sqlite3_stmt *st;
	int rc, found = 0;

	if (sqlite3_prepare_v2(l->db, "SELECT envelope FROM envelopes WHERE reporter = ?1 "
	    "AND first_seq <= ?2 AND last_seq >= ?2 ORDER BY received LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return db_err(l, "envelope find");
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
		return db_err(l, "envelope find");
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
		return set_err(l, "proofs: envelope too large");
	return run_blob(l, "INSERT OR IGNORE INTO proofs (reporter, seq, found, first, second) "
	    "VALUES (?1, ?2, ?4, ?5, ?6)", "proof put", bind_env, &e);
}

int
ledger_proofs_count(struct ledger *l, const uint8_t reporter[LEDGER_KEY_BYTES])
{
	sqlite3_stmt *st;
	int n = -1;

	if (sqlite3_prepare_v2(l->db, "SELECT count(*) FROM proofs WHERE reporter = ?1",
	    -1, &st, NULL) != SQLITE_OK)
		return db_err(l, "proofs count");
	sqlite3_bind_blob(st, 1, reporter, LEDGER_KEY_BYTES, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* --- coalition bans and declines --- */

/* Reads family, addr, len from columns 0..2, re-checked like a ban row. */
static int
row_prefix(struct ledger *l, sqlite3_stmt *st, struct a5_prefix *p)
{
	int64_t family = sqlite3_column_int64(st, 0), len = sqlite3_column_int64(st, 2);

	memset(p, 0, sizeof(*p));
	if ((family != A5_AF_INET && family != A5_AF_INET6) ||
	    sqlite3_column_type(st, 1) != SQLITE_BLOB ||
	    sqlite3_column_bytes(st, 1) != (int)sizeof(p->addr))
		return set_err(l, "corrupt prefix in a row");
	p->family = (uint8_t)family;
	memcpy(p->addr, sqlite3_column_blob(st, 1), sizeof(p->addr));
	if (len < 0 || len > prefix_maxlen(p))
		return set_err(l, "corrupt prefix length %lld in a row", (long long)len);
	p->len = (uint8_t)len;
	return prefix_ok(l, p);
}

static int
prefix_stmt(struct ledger *l, enum stmt_id id, const struct a5_prefix *p, const char *what)
{
	if (prefix_ok(l, p) != 0)
		return -1;
	if (bind_prefix(l->st[id], 1, p) != 0) {
		db_err(l, what);
		stmt_done(l->st[id]);
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
		ret = db_err(l, "get coalition ban");
		break;
	}
	stmt_done(st);
	return ret;
}

/* Binds a coalition ban (CBAN_COLS as ?1..?11): b->expires is its deadline. */
static int
cban_bind(struct ledger *l, enum stmt_id id, const struct ledger_ban *b)
{
	sqlite3_stmt *st = l->st[id];

	if (ban_check(l, b) != 0)
		return -1;
	if (bind_prefix(st, 1, &b->prefix) != 0 ||
	    sqlite3_bind_int64(st, 4, b->expires) != SQLITE_OK ||
	    bind_name(st, 5, b->service, sizeof(b->service)) != SQLITE_OK ||
	    bind_name(st, 6, b->rule, sizeof(b->rule)) != SQLITE_OK ||
	    bind_name(st, 7, b->origin, sizeof(b->origin)) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 8, b->evidence) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 9, b->first_seen) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 10, b->last_seen) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 11, b->created) != SQLITE_OK) {
		db_err(l, "put coalition ban: bind");
		stmt_done(st);
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
	if (cban_bind(l, ST_CBAN_ADD, b) != 0 || stmt_run(l, ST_CBAN_ADD, "add coalition ban") != 0)
		return -1;
	if (sqlite3_changes(l->db) > 0)
		return 1;
	if ((had = ledger_cban_get(l, &b->prefix, &old)) < 0)
		return -1;
	if (had == 1 && old > now) {
		*prev = old;
		if (old >= b->expires)
			return 0;	/* held at least this long already */
	}
	if (cban_bind(l, ST_CBAN_RAISE, b) != 0 ||
	    stmt_run(l, ST_CBAN_RAISE, "raise coalition ban") != 0)
		return -1;
	return 1;
}

int
ledger_cban_remove(struct ledger *l, const struct a5_prefix *p)
{
	if (prefix_stmt(l, ST_CBAN_DEL, p, "remove coalition ban: bind") != 0 ||
	    stmt_run(l, ST_CBAN_DEL, "remove coalition ban") != 0)
		return -1;
	return sqlite3_changes(l->db) > 0 ? 1 : 0;
}

/* Streams the rows of statement sid (bound to now) whose columns 0..2 are
 * a prefix, re-checked like a ban row; row gets the prefix and the
 * statement for the other columns, and stops the walk by returning
 * non-zero. The number of rows passed to row, or -1. */
static int
walk_prefix_rows(struct ledger *l, int sid, int64_t now, const char *what,
    int (*row)(const struct a5_prefix *p, sqlite3_stmt *st, void *ctx), void *ctx)
{
	sqlite3_stmt *st = l->st[sid];
	struct a5_prefix p;
	int visited = 0, rc;

	if (sqlite3_bind_int64(st, 1, now) != SQLITE_OK) {
		db_err(l, what);
		stmt_done(st);
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
		visited = db_err(l, what);
	stmt_done(st);
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

	return walk_prefix_rows(l, ST_CBANS_ACTIVE, now, "list coalition bans", cban_row, &w);
}

int
ledger_cbans_expire(struct ledger *l, int64_t now)
{
	return delete_count(l, ST_CBANS_EXPIRE, &now, "expire coalition bans");
}

int
ledger_decline_put(struct ledger *l, const struct a5_prefix *p, int reason, int64_t until)
{
	sqlite3_stmt *st = l->st[ST_DECLINE_PUT];

	if (prefix_stmt(l, ST_DECLINE_PUT, p, "put decline: bind") != 0)
		return -1;
	if (sqlite3_bind_int(st, 4, reason) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 5, until) != SQLITE_OK) {
		db_err(l, "put decline: bind");
		stmt_done(st);
		return -1;
	}
	return stmt_run(l, ST_DECLINE_PUT, "put decline");
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

	return walk_prefix_rows(l, ST_DECLINES_ACTIVE, now, "list declines", decline_row, &w);
}

int
ledger_declines_expire(struct ledger *l, int64_t now)
{
	return delete_count(l, ST_DECLINES_EXPIRE, &now, "expire declines");
}
