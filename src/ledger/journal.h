/* journal.h - the tamper-evident journal: an append-only, hash-chained log
 * of received evidence (signed envelopes, equivocation proofs), refusals and
 * this host's own ban decisions, kept in the ledger's SQLite file. Each
 * entry's hash covers the previous entry's hash, so an edited, deleted or
 * reordered row breaks the chain at that row; the head (seq, hash) is kept
 * apart to catch a truncated tail. docs/journal.md has the format and what
 * it does and does not protect against.
 *
 * The journal stores bytes: a kind, a subject and a body its caller hands
 * it. It knows the body of its own kind ("local") and nothing of the
 * coalition's wire format; coalition/evidence.h writes and checks the
 * coalition's kinds and is where journal_verify lives. */
#ifndef A5_JOURNAL_H
#define A5_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

#define JOURNAL_HASH_BYTES 32		/* BLAKE2b-256 */
#define JOURNAL_KIND_MAX 16		/* bytes, NUL included */
#define JOURNAL_SUBJECT_MAX 128		/* bytes, NUL included */
/* A proof holds two envelopes of at most WIRE_ENVELOPE_MAX bytes. */
#define JOURNAL_BODY_MAX (256 * 1024)	/* a stream message: two envelopes, a charter update */
#define JOURNAL_WHY_MAX 256
/* Text bodies (refusal, local) stay short: they describe, the envelopes prove. */
#define JOURNAL_TEXT_MAX 512

/* The journal's own kind (docs/journal.md gives each body's layout; the
 * coalition's kinds are in coalition/evidence.h). */
#define JOURNAL_LOCAL "local"		/* this host's ban, unban or flush */

struct sqlite3;
struct journal;

/* Opens the journal in the database file at path with a connection of its
 * own (WAL, 5 s busy timeout), creating its tables unless readonly. A
 * readonly journal whose tables do not exist yet reads as empty. 0, or -1
 * with err filled. */
int journal_open(const char *path, bool readonly, struct journal **out, char *err, size_t errlen);
/* Uses db, an open read-write connection (the ledger's), creating the
 * tables if needed: appends then join whatever transaction db has open, so
 * an entry commits or rolls back with the ledger batch that caused it.
 * db stays the caller's; journal_close does not close it. */
int journal_attach(struct sqlite3 *db, struct journal **out, char *err, size_t errlen);
/* Rolls back a batch left open by journal_begin (own connection only) and
 * closes. NULL is a no-op. */
void journal_close(struct journal *j);
/* The last error of a call that returned -1; valid until the next call. */
const char *journal_errmsg(const struct journal *j);
/* Records "journal PATH: what" as the last error, for the modules that
 * write typed entries through journal_append; always returns -1. */
int journal_fail(struct journal *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A batch of appends in one transaction (BEGIN IMMEDIATE ... COMMIT); only
 * for a journal with no ledger transaction around it. Appends outside a
 * batch commit one by one. */
int journal_begin(struct journal *j);
int journal_commit(struct journal *j);

/* Appends one entry: kind of 1..15 bytes of [a-z], subject of at most 127
 * bytes of printable ASCII, body of at most JOURNAL_BODY_MAX bytes. at is
 * unix seconds. The entry, the chain link and the head are written under
 * one savepoint: all or nothing. 0 or -1. */
int journal_append(struct journal *j, int64_t at, const char *kind, const char *subject,
    const void *body, size_t len);

/* local: this host's action "ban", "unban" or "flush"; p NULL for flush;
 * ttl in seconds (0 when it does not apply); reason is free printable
 * text. */
int journal_local(struct journal *j, int64_t at, const char *action, const struct a5_prefix *p,
    int64_t ttl, const char *reason);

/* The head: number of entries and hash of the last (zeros when empty). */
int journal_head(struct journal *j, uint64_t *seq, uint8_t hash[JOURNAL_HASH_BYTES]);

/* One entry as stored, as journal_walk hands it to its checker. */
struct journal_entry {
	uint64_t seq;
	int64_t at;
	const char *kind;		/* NUL-terminated, kind_ok */
	const char *subject;		/* NUL-terminated printable ASCII */
	size_t subject_len;
	const uint8_t *body;
	size_t len;
};

/* What an entry's kind says its body must be: 0, or -1 with why filled.
 * Called for every kind but the journal's own. */
typedef int journal_check_fn(void *arg, const struct journal_entry *e, char *why, size_t n);

/* Outcome of journal_walk (and journal_verify). */
struct journal_check {
	uint64_t entries;			/* entries checked and found intact */
	uint64_t bad;				/* first bad entry; 0 if none */
	char why[JOURNAL_WHY_MAX];		/* what is wrong with it */
	uint8_t head[JOURNAL_HASH_BYTES];	/* hash of the last intact entry */
};

/* Re-walks the chain from entry 1 in one read snapshot: the sequence has no
 * gap, every hash matches its entry and links to the one before, every
 * local entry is well-formed and check (unless NULL) accepts every other,
 * and the head table names the last entry. Stops at the first bad entry.
 * 0 intact, 1 broken (out->bad, out->why), -1 on a database error. */
int journal_walk(struct journal *j, journal_check_fn *check, void *arg, struct journal_check *out);

/* Calls fn for the entries of kind kind_a or kind_b (kind_b may be NULL),
 * newest first, without checking the chain (journal_walk does), until fn
 * returns non-zero or max entries were handed over. Returns the number
 * handed over, or -1. For views such as `article5 history`. */
int journal_recent(struct journal *j, const char *kind_a, const char *kind_b, uint64_t max,
    int (*fn)(void *arg, const struct journal_entry *e), void *arg);

/* Whether s[0..n) is printable ASCII (0x20..0x7e): the subject, and the
 * text bodies. */
bool journal_printable(const char *s, size_t n);

#endif
