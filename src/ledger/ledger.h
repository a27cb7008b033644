/* ledger.h - the daemon's durable state in SQLite (WAL): bans, offender
 * history for escalation, and source positions. Writes are batched: callers
 * bracket a tick's work with ledger_begin/ledger_commit. */
#ifndef A5_LEDGER_H
#define A5_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

#define LEDGER_NAME_MAX 64
/* State keys and values: at most LEDGER_STATE_MAX - 1 bytes of text. */
#define LEDGER_STATE_MAX 1024

struct ledger_ban {
	struct a5_prefix prefix;
	char service[LEDGER_NAME_MAX];	/* "sshd"; "manual" for CLI bans */
	char rule[LEDGER_NAME_MAX];	/* rule that produced the last failure */
	char reason[LEDGER_NAME_MAX];	/* "maxretry", "manual", ... */
	char origin[LEDGER_NAME_MAX];	/* "local" (later: a coalition member) */
	uint32_t evidence;		/* failures counted */
	int64_t first_seen, last_seen;	/* unix seconds */
	int64_t created;		/* unix seconds */
	int64_t expires;		/* unix seconds; 0 = never */
};

struct ledger;
struct sqlite3;

/* Opens or creates the database at path (":memory:" for tests), enables WAL
 * and creates the schema. 0, or -1 with err filled. */
int ledger_open(const char *path, struct ledger **out, char *err, size_t errlen);
/* Drops an unfinished batch (rolls back), then closes. NULL is a no-op. */
void ledger_close(struct ledger *l);
/* WAL checkpoints in a thread with its own connection (checkpoint.c), so
 * that a commit never waits for the disk: for the daemon, whose loop must
 * not stall. No-op in memory. 0, or -1 with err filled (SQLite then
 * checkpoints within commits, as before). ledger_close stops the thread. */
int ledger_checkpoint_in_background(struct ledger *l, char *err, size_t errlen);
void ledger_checkpoint_stop(struct ledger *l);
/* Checkpoints run by the thread, and those that failed. */
void ledger_checkpoint_counts(const struct ledger *l, uint64_t *runs, uint64_t *failures);
/* The last error ("path: what: sqlite message") of any call that returned
 * -1; valid until the next call on l. */
const char *ledger_errmsg(const struct ledger *l);

/* Batching: nested begins are counted, the outermost commit writes. Outside
 * a batch each write commits on its own. A failed commit rolls the whole
 * batch back; a commit without a begin is an error. */
int ledger_begin(struct ledger *l);
int ledger_commit(struct ledger *l);
/* The connection, for modules whose writes join the ledger's batches (the
 * journal). Owned by the ledger: valid until ledger_close. */
struct sqlite3 *ledger_db(struct ledger *l);

/* Inserts or replaces the ban for b->prefix. */
int ledger_ban_put(struct ledger *l, const struct ledger_ban *b);
/* Removes the ban for p; 1 if one was removed, 0 if none, -1 on error. */
int ledger_ban_remove(struct ledger *l, const struct a5_prefix *p);
/* Looks up the ban for exactly p: 1 found (filled), 0 not found, -1 error. */
int ledger_ban_get(struct ledger *l, const struct a5_prefix *p, struct ledger_ban *out);
/* Calls cb for every ban not expired at now (expires == 0 or > now), in
 * order of creation: this host's bans and the coalition's (reason
 * "coalition", origin the reporting member, expires the deadline), one per
 * prefix, the longer of the two where a prefix has both (the local one on
 * a tie). cb returning non-zero stops the walk. Returns the number
 * visited, or -1. */
int ledger_bans_active(struct ledger *l, int64_t now,
    int (*cb)(const struct ledger_ban *b, void *arg), void *arg);
/* Deletes bans that expired at or before now; returns how many, or -1. */
int ledger_bans_expire(struct ledger *l, int64_t now);
/* Deletes all of this host's bans (not the coalition's: see
 * ledger_cbans_expire); returns how many, or -1. */
int ledger_bans_clear(struct ledger *l);
/* Number of active bans at now, as ledger_bans_active lists them, or -1. */
int64_t ledger_bans_count(struct ledger *l, int64_t now);

/* Offender history (escalation): records one more ban of p at now and
 * returns in *count how many bans p has had in total, this one included.
 * History older than forget_after seconds before now is reset first
 * (0 = never forget). */
int ledger_offender_bump(struct ledger *l, const struct a5_prefix *p,
    int64_t now, int64_t forget_after, uint32_t *count);
/* Current count without changing it (0 if unknown). */
int ledger_offender_count(struct ledger *l, const struct a5_prefix *p, uint32_t *count);

/* Small key/value state (journal cursor, file positions). Values are text
 * up to 1 KiB (LEDGER_STATE_MAX - 1 bytes; longer keys or values are
 * refused). get: 1 found, 0 absent, -1 error (also when the value does not
 * fit in buf). */
int ledger_state_get(struct ledger *l, const char *key, char *buf, size_t n);
int ledger_state_set(struct ledger *l, const char *key, const char *value);

/* Coalition storage. Keys are 32-byte ed25519 public keys; blobs are signed
 * envelopes (at most LEDGER_BLOB_MAX bytes).
 * outbox: this member's envelopes not yet stored by the stream, written in
 * the same transaction as the chain head so that a crash can neither lose
 * a report nor reuse a sequence number. */
#define LEDGER_KEY_BYTES 32
#define LEDGER_HASH_BYTES 32
#define LEDGER_BLOB_MAX (1024 * 1024)
int ledger_outbox_put(struct ledger *l, const char *msgid, const void *data, size_t len);
int ledger_outbox_del(struct ledger *l, const char *msgid);
/* Walks the outbox oldest first; cb non-zero stops. Returns the count or -1. */
int ledger_outbox_each(struct ledger *l,
    int (*cb)(const char *msgid, const void *data, size_t len, void *arg), void *arg);
/* Signed chain messages kept as evidence, bytes to the ledger: envelopes
 * (reports first_seq..last_seq) and revocations (first_seq = last_seq). */
int ledger_envelope_put(struct ledger *l, const uint8_t reporter[LEDGER_KEY_BYTES],
    uint64_t first_seq, uint64_t last_seq, int64_t received, const void *data, size_t len);
/* The stored message holding reporter's link seq: 1 found (copied), 0 none, -1 error. */
int ledger_envelope_find(struct ledger *l, const uint8_t reporter[LEDGER_KEY_BYTES], uint64_t seq,
    void *buf, size_t cap, size_t *len);
/* Every stored envelope, by reporter and sequence (no order across
 * reporters); cb returns non-zero to stop. The number visited or -1. */
int ledger_envelopes_each(struct ledger *l,
    int (*cb)(const void *data, size_t len, void *arg), void *arg);
int ledger_envelopes_expire(struct ledger *l, int64_t before);
/* Equivocation proof: two signed envelopes with different reports for seq. */
int ledger_proof_put(struct ledger *l, const uint8_t reporter[LEDGER_KEY_BYTES], uint64_t seq,
    const void *a, size_t alen, const void *b, size_t blen, int64_t now);
int ledger_proofs_count(struct ledger *l, const uint8_t reporter[LEDGER_KEY_BYTES]);
/* The proofs of reporter stored in the file at path, by seq, read on a
 * read-only connection of its own (the CLI, beside a running daemon; the
 * file is neither created nor migrated). cb gets each row as stored (a or
 * b NULL when that column holds no bytes) and returns non-zero to stop.
 * The number of rows visited, or -1 with err filled ("path: why"). */
int ledger_proofs_read(const char *path, const uint8_t reporter[LEDGER_KEY_BYTES],
    int (*cb)(int64_t seq, int64_t found, const void *a, size_t alen, const void *b,
    size_t blen, void *arg), void *arg, char *err, size_t errlen);

/* Coalition bans: enforced here on behalf of other members until a
 * deadline (unix seconds), written by ledger_cban_raise (below). get:
 * 1 found, 0 not, -1 error. active: cb for each with deadline > now
 * (stops early if cb returns non-zero); returns the number visited. */
int ledger_cban_get(struct ledger *l, const struct a5_prefix *p, int64_t *deadline);
int ledger_cban_remove(struct ledger *l, const struct a5_prefix *p);
/* Records the coalition ban b (b->expires is its deadline; b->origin the
 * reporting member, with service, rule, evidence, first/last seen and
 * created as provenance; b->reason is not stored) unless one in force at
 * now lasts at least as long: 1 recorded (a new row, or a later deadline
 * with this provenance), 0 held already (nothing written). *prev: the
 * deadline of the row in force at now that this one finds (0 if none; the
 * kernel element then needs replacing to reach the new deadline). -1 on
 * error. A prefix not held yet costs one statement, as the usual case
 * should. ledger_bans_active lists coalition bans with the bans. */
int ledger_cban_raise(struct ledger *l, const struct ledger_ban *b, int64_t now, int64_t *prev);
int ledger_cbans_active(struct ledger *l, int64_t now,
    int (*cb)(const struct a5_prefix *p, int64_t deadline, void *arg), void *arg);
/* Expires the per-origin rows (below) with the bans. */
int ledger_cbans_expire(struct ledger *l, int64_t now);
/* Sets the deadline of p's coalition ban, lower or not, with origin as its
 * provenance (after a revocation left another member's ban in force). */
int ledger_cban_lower(struct ledger *l, const struct a5_prefix *p, int64_t deadline,
    const char *origin);

/* Per-origin record of coalition bans (docs/protocol.md "Revocations"):
 * for a prefix and a reporter, the last report of it applied here (or, for
 * this member's key, published by it): its sequence number, chain hash and
 * deadline. put keeps the row with the higher seq. get/del: 1 found, 0
 * none, -1 error. longest: the latest deadline after now among p's rows
 * but except's (this member's own: a local ban, not the coalition's) and
 * its reporter (1, or 0 when none is left). */
struct ledger_corigin {
	uint64_t seq;
	uint8_t hash[LEDGER_HASH_BYTES];	/* the report's chain hash */
	int64_t deadline;
};
int ledger_corigin_put(struct ledger *l, const struct a5_prefix *p,
    const uint8_t reporter[LEDGER_KEY_BYTES], const struct ledger_corigin *o);
int ledger_corigin_get(struct ledger *l, const struct a5_prefix *p,
    const uint8_t reporter[LEDGER_KEY_BYTES], struct ledger_corigin *o);
int ledger_corigin_del(struct ledger *l, const struct a5_prefix *p,
    const uint8_t reporter[LEDGER_KEY_BYTES]);
int ledger_corigin_longest(struct ledger *l, const struct a5_prefix *p, int64_t now,
    const uint8_t except[LEDGER_KEY_BYTES], int64_t *deadline, uint8_t reporter[LEDGER_KEY_BYTES]);
/* Calls cb for every row with deadline > now (prefix, reporter, deadline;
 * in no particular order): what each member asked for that is in force
 * here, for the budgets rebuilt at a start. cb non-zero stops the walk.
 * The number of rows visited, or -1. */
int ledger_corigins_active(struct ledger *l, int64_t now,
    int (*cb)(const struct a5_prefix *p, const uint8_t reporter[LEDGER_KEY_BYTES],
    int64_t deadline, void *arg), void *arg);

/* Prefixes this member declines to enforce for the coalition, with the
 * reason (enum wire_decline_reason) and until when; a put replaces the
 * reason and keeps the later end. active walks the latest-ending first. */
int ledger_decline_put(struct ledger *l, const struct a5_prefix *p, int reason, int64_t until);
int ledger_declines_active(struct ledger *l, int64_t now,
    int (*cb)(const struct a5_prefix *p, int reason, int64_t until, void *arg), void *arg);
int ledger_declines_expire(struct ledger *l, int64_t now);

#endif
