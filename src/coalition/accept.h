/* accept.h - the acceptance pipeline for received reports. Every report of a
 * verified envelope goes through: known, non-revoked, non-quarantined
 * reporter -> chain (no replay, no fork: two different reports with one
 * sequence number quarantine the reporter) -> scope (allowlist, members'
 * own prefixes, special-purpose ranges, widest prefix) -> rate limit ->
 * response policy (immediate / quorum / never) -> ttl capped. Each refusal
 * is counted per member and per reason. No I/O here: the daemon persists
 * the chain state and the proofs it is handed. */
#ifndef A5_ACCEPT_H
#define A5_ACCEPT_H

#include <stdbool.h>
#include <stdint.h>

#include "coalition/charter.h"
#include "coalition/wire.h"
#include "common/prefixlist.h"

enum accept_reason {
	ACC_OK = 0,
	ACC_UNKNOWN_KEY, ACC_REVOKED, ACC_QUARANTINED, ACC_BAD_SIGNATURE, ACC_MALFORMED,
	ACC_WRONG_COALITION, ACC_REPLAY, ACC_FORK, ACC_CHAIN_GAP,
	ACC_ALLOWLIST, ACC_MEMBER_PREFIX, ACC_SPECIAL_RANGE, ACC_TOO_WIDE,
	ACC_RATE, ACC_LOCAL_UNBAN, ACC_OBSERVER_ALONE, ACC_QUORUM_PENDING, ACC_EXPIRED,
	ACC_NREASONS
};

enum accept_verdict { ACC_APPLY, ACC_WAIT, ACC_REFUSE };

struct accept_decision {
	enum accept_verdict verdict;
	enum accept_reason reason;
	uint32_t ttl;		/* for ACC_APPLY: capped by policy and local bantime_max */
	/* ACC_FORK: hash of the conflicting earlier report, for the proof */
	uint8_t other_hash[WIRE_HASH_BYTES];
};

struct accept_member_stats {
	uint64_t accepted, refused[ACC_NREASONS];
	int64_t last_seen;
	uint64_t last_seq;
	bool quarantined;
};

struct accept;

/* self: this member's key (its own reports are skipped, not counted).
 * local_allow: this host's allowlist (loopback, own addresses, config).
 * ttl_max_local: the local cap (local configuration may only tighten). */
struct accept *accept_new(const struct charter *c, const uint8_t self[ID_PUBLIC_BYTES],
    const struct prefixlist *local_allow, uint32_t ttl_max_local);
void accept_free(struct accept *a);

/* Decides on one report of an envelope whose signature was verified. */
void accept_report(struct accept *a, const uint8_t reporter[ID_PUBLIC_BYTES],
    const struct wire_report *r, int64_t now, struct accept_decision *d);
/* Counts an envelope refused before its reports were looked at. */
void accept_count_envelope(struct accept *a, const uint8_t reporter[ID_PUBLIC_BYTES],
    enum accept_reason why);

/* A local unban holds against remote reports for prefix until `until`. */
void accept_local_unban(struct accept *a, const struct a5_prefix *p, int64_t until);

/* Chain state, to persist and restore across restarts. */
int accept_chain_get(const struct accept *a, const uint8_t reporter[ID_PUBLIC_BYTES],
    uint64_t *seq, uint8_t hash[WIRE_HASH_BYTES]);
void accept_chain_set(struct accept *a, const uint8_t reporter[ID_PUBLIC_BYTES],
    uint64_t seq, const uint8_t hash[WIRE_HASH_BYTES]);
void accept_quarantine(struct accept *a, const uint8_t reporter[ID_PUBLIC_BYTES]);

const struct accept_member_stats *accept_stats(const struct accept *a, size_t member_index);
const char *accept_reason_name(enum accept_reason r);

#endif
