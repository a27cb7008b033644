/* journal.h - the tamper-evident journal: an append-only, hash-chained log
 * of received evidence (signed envelopes, equivocation proofs), refusals and
 * this host's own ban decisions, kept in the ledger's SQLite file. Each
 * entry's hash covers the previous entry's hash, so an edited, deleted or
 * reordered row breaks the chain at that row; the head (seq, hash) is kept
 * apart to catch a truncated tail. docs/journal.md has the format and what
 * it does and does not protect against. */
#ifndef A5_JOURNAL_H
#define A5_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "coalition/charter.h"
#include "coalition/wire.h"
#include "common/addr.h"

#define JOURNAL_HASH_BYTES 32		/* BLAKE2b-256 */
#define JOURNAL_KIND_MAX 16		/* bytes, NUL included */
#define JOURNAL_SUBJECT_MAX 128		/* bytes, NUL included */
/* A proof holds two envelopes of at most WIRE_ENVELOPE_MAX bytes. */
#define JOURNAL_BODY_MAX (256 * 1024)	/* a stream message: two envelopes, a charter update */
#define JOURNAL_WHY_MAX 256

/* Entry kinds (docs/journal.md gives each body's layout). */
#define JOURNAL_REPORT "report"		/* a received envelope and the reports accepted */
#define JOURNAL_REFUSAL "refusal"	/* a member's report refused, and why */
#define JOURNAL_LOCAL "local"		/* this host's ban, unban or flush */
#define JOURNAL_PROOF "proof"		/* two envelopes: a member equivocated */
#define JOURNAL_COMMITMENT "commitment"	/* a signed commitment (docs/commitment.md) */
#define JOURNAL_CHARTER "charter"	/* a charter update adopted (docs/governance.md) */

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

/* The typed entries the daemon writes; each formats its body as
 * docs/journal.md describes and calls journal_append.
 * report: a received envelope (its bytes as they arrived) and the indexes
 * (strictly increasing) of its reports the acceptance pipeline accepted
 * (verdict ACC_APPLY); subject is the envelope's signer. The envelope's
 * signature is checked again here. */
int journal_report(struct journal *j, int64_t at, const void *env, size_t len,
    const uint16_t *accepted, size_t naccepted);
/* The same for a caller that has just decoded env with wire_decode
 * (WIRE_OK) into decoded: its signature is not verified twice. The index
 * list is checked against decoded as journal_verify will check it. */
int journal_report_decoded(struct journal *j, int64_t at, const void *env, size_t len,
    const struct wire_envelope *decoded, const uint16_t *accepted, size_t naccepted);
/* refusal: report seq of reporter refused for reason (accept_reason_name);
 * p may be NULL (a refusal of a whole envelope). */
int journal_refusal(struct journal *j, int64_t at, const uint8_t reporter[ID_PUBLIC_BYTES],
    uint64_t seq, const char *reason, const struct a5_prefix *p);
/* local: action "ban", "unban" or "flush"; p NULL for flush; ttl in
 * seconds (0 when it does not apply); reason is free printable text. */
int journal_local(struct journal *j, int64_t at, const char *action, const struct a5_prefix *p,
    int64_t ttl, const char *reason);
/* commitment: a signed commitment message as published (its signature is
 * checked here, and again by verify); subject is its signer. */
int journal_commitment(struct journal *j, int64_t at, const void *msg, size_t len);
/* charter: a charter update bundle adopted from the stream, as received;
 * subject "version N". verify checks that it decodes, that the subject is
 * its version and that it carries at least one valid signature (whether
 * they were enough depends on the charter then in force: `article5 charter
 * show --charter PREVIOUS` tells, offline). */
int journal_charter(struct journal *j, int64_t at, const void *bundle, size_t len);
/* proof: the two envelopes holding different reports numbered seq, both
 * signed by the same member (checked with journal_proof_check first: an
 * invalid proof is refused, not recorded). */
int journal_proof(struct journal *j, int64_t at, uint64_t seq,
    const void *a, size_t alen, const void *b, size_t blen);

/* The head: number of entries and hash of the last (zeros when empty). */
int journal_head(struct journal *j, uint64_t *seq, uint8_t hash[JOURNAL_HASH_BYTES]);

/* Outcome of journal_verify. */
struct journal_check {
	uint64_t entries;			/* entries checked and found intact */
	uint64_t bad;				/* first bad entry; 0 if none */
	char why[JOURNAL_WHY_MAX];		/* what is wrong with it */
	uint8_t head[JOURNAL_HASH_BYTES];	/* hash of the last intact entry */
};

/* Re-walks the chain from entry 1 in one read snapshot: the sequence has no
 * gap, every hash matches its entry and links to the one before, every
 * stored signature verifies (envelopes; proofs: see journal_proof_check),
 * and the head table names the last entry. Stops at the first bad entry.
 * 0 intact, 1 broken (out->bad, out->why), -1 on a database error. */
int journal_verify(struct journal *j, struct journal_check *out);

/* An equivocation proof, as checked. */
struct journal_proof {
	uint8_t reporter[ID_PUBLIC_BYTES];
	uint8_t coalition[WIRE_COALITION_BYTES];
	struct wire_report first, second;	/* the two reports numbered seq */
};

/* Checks that a and b are envelopes whose signatures verify, by the same
 * reporter, for the same coalition, each holding a report numbered seq,
 * and that those two reports differ. Membership is the caller's to check
 * (against a charter). 0 (out filled), or -1 with why filled. */
int journal_proof_check(const void *a, size_t alen, const void *b, size_t blen, uint64_t seq,
    struct journal_proof *out, char *why, size_t whylen);

/* Evidence files: equivocation proofs anyone holding the charter can check
 * offline (docs/journal.md). Each proof is a block of text lines:
 *   article5-proof 1 / member NAME / key ed25519:... / seq N / found UNIX /
 *   first BASE64 / second BASE64 / end
 * Blank lines and lines starting with '#' are ignored. */
#define JOURNAL_EVIDENCE_MAX (64u * 1024 * 1024)	/* bytes per file */
#define JOURNAL_EVIDENCE_PROOFS_MAX 256

/* Writes one proof block (after checking it as journal_proof_check does).
 * 0, or -1 with why filled. */
int journal_evidence_write(FILE *f, const char *member, uint64_t seq, int64_t found,
    const void *a, size_t alen, const void *b, size_t blen, char *why, size_t whylen);
/* Checks every proof block of text against charter c: the envelopes'
 * signatures, one signer who is a member of c, c's coalition, the same
 * number, different reports; the header's key and seq must agree with the
 * envelopes (member and found are for people, not checked). each, if not
 * NULL, is called once per proof with its line, verdict and a message
 * ("NAME signed two different reports #N (P and Q)", or what is wrong).
 * 0 every proof (at least one) holds, 1 some do not, -1 the file is not an
 * evidence file (err: "line N: what"). */
int journal_evidence_check(const char *text, size_t len, const struct charter *c,
    void (*each)(void *arg, size_t line, bool valid, const char *msg), void *arg,
    char *err, size_t errlen);

#endif
