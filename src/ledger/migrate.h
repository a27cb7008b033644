/* migrate.h - the schema of the ledger's file: the ledger's tables, created
 * at the current version or moved up from an older one, and the journal's
 * tables beside them. */
#ifndef A5_LEDGER_MIGRATE_H
#define A5_LEDGER_MIGRATE_H

#include <stdbool.h>
#include <stdint.h>

#include "ledger/db.h"

/* Bumped whenever the ledger's schema changes, with a migration step in
 * migrate.c; a file written by a newer build is refused rather than
 * guessed at. */
#define LEDGER_SCHEMA_VERSION 4

/* Reads the file's schema version (0: no tables yet), refusing one newer
 * than this build or negative. 0 or -1. */
int migrate_version(struct db *d, int64_t *version);
/* Brings the ledger's tables to LEDGER_SCHEMA_VERSION under the write lock,
 * so that two processes opening a fresh file at once do not race; a file
 * already current is left alone. 0 or -1. */
int migrate_ledger(struct db *d);

/* Whether the journal's tables exist. 0 or -1. */
int migrate_journal_exists(struct db *d, bool *exist);
/* Creates the journal's tables unless they exist, all or nothing inside or
 * outside the caller's transaction. 0 or -1. */
int migrate_journal(struct db *d);

#endif
