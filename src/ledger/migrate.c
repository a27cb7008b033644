/* migrate.c - the ledger file's schema: each version's tables and the steps
 * from one version to the next (docs/ledger.md, docs/journal.md). */
#include <sqlite3.h>

#include "ledger/migrate.h"

/* Version 1, the first schema. */
static const char schema_v1_sql[] =
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

/* Version 4: who asked for each coalition ban, one row per prefix and
 * reporter (the last report of it applied here, or published by this
 * member), so that a revocation by its origin lifts that origin's ban
 * only (docs/protocol.md "Revocations"). */
static const char schema_v4_sql[] =
	"CREATE TABLE IF NOT EXISTS corigins ("
	" family INTEGER NOT NULL, addr BLOB NOT NULL, len INTEGER NOT NULL,"
	" reporter BLOB NOT NULL, seq INTEGER NOT NULL, hash BLOB NOT NULL,"
	" deadline INTEGER NOT NULL,"
	" PRIMARY KEY (family, addr, len, reporter)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS corigins_deadline ON corigins (deadline);"
	"PRAGMA user_version = 4;";

/* The step to version i + 1, in order; each ends with its user_version. */
static const char *const steps[LEDGER_SCHEMA_VERSION] = {
	schema_v1_sql, schema_v2_sql, schema_v3_sql, schema_v4_sql,
};

/* The journal keeps no version of its own: its tables have not changed
 * since they were added. The triggers make the table append-only for every
 * writer that goes through SQLite honestly (a bug elsewhere in the daemon,
 * a hand-typed DELETE); a deliberate attacker drops them, and the chain
 * catches that. */
static const char journal_sql[] =
	"CREATE TABLE IF NOT EXISTS journal ("
	" seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, kind TEXT NOT NULL,"
	" subject TEXT NOT NULL, body BLOB NOT NULL, prev BLOB NOT NULL,"
	" hash BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS journal_head ("
	" id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL,"
	" hash BLOB NOT NULL);"
	"CREATE TRIGGER IF NOT EXISTS journal_no_update BEFORE UPDATE ON journal"
	" BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;"
	"CREATE TRIGGER IF NOT EXISTS journal_no_delete BEFORE DELETE ON journal"
	" BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;";

int
migrate_version(struct db *d, int64_t *version)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(d->h, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return db_fail_sqlite(d, "read schema version");
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*version = sqlite3_column_int64(st, 0);
	else
		db_fail_sqlite(d, "read schema version");
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return -1;
	if (*version > LEDGER_SCHEMA_VERSION)
		return db_fail(d, "schema version %lld is newer than this build "
		    "supports (%d); refusing to open it (upgrade article5)",
		    (long long)*version, LEDGER_SCHEMA_VERSION);
	if (*version < 0)
		return db_fail(d, "invalid schema version %lld", (long long)*version);
	return 0;
}

int
migrate_ledger(struct db *d)
{
	char *msg = NULL;
	int64_t version = 0;

	if (sqlite3_exec(d->h, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return db_fail_sqlite(d, "begin schema transaction");
	/* Read again under the lock: another process may have just done it. */
	if (migrate_version(d, &version) != 0)
		goto fail;
	for (int64_t v = version; v < LEDGER_SCHEMA_VERSION; v++) {
		if (sqlite3_exec(d->h, steps[v], NULL, NULL, &msg) != SQLITE_OK) {
			db_fail(d, "create schema: %s", msg ? msg : sqlite3_errmsg(d->h));
			sqlite3_free(msg);
			goto fail;
		}
	}
	if (sqlite3_exec(d->h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		db_fail_sqlite(d, "commit schema");
		goto fail;
	}
	return 0;
fail:
	sqlite3_exec(d->h, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int
migrate_journal_exists(struct db *d, bool *exist)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(d->h, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
	    " AND name IN ('journal', 'journal_head')", -1, &st, NULL) != SQLITE_OK)
		return db_fail_sqlite(d, "read schema");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*exist = sqlite3_column_int(st, 0) > 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : db_fail_sqlite(d, "read schema");
}

int
migrate_journal(struct db *d)
{
	struct db_unit u;
	bool exist = false;

	if (migrate_journal_exists(d, &exist) != 0)
		return -1;
	if (exist)
		return 0;
	if (db_unit_begin(d, "journal", &u) != 0)
		return -1;
	return db_unit_end(d, &u, db_exec(d, journal_sql, "create tables"));
}
