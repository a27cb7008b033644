/* accept.h - the acceptance pipeline for received reports. Every report of a
 * verified envelope goes through: known, non-revoked, non-quarantined
 * reporter -> chain (no replay, no fork: two different reports with one
 * sequence number quarantine the reporter) -> scope (widest prefix,
 * allowlist, members' own prefixes, special-purpose ranges) -> time (too
 * far ahead, expired; a stamp ahead counts as now + a 2 s grace) -> rate limit (a tenth
 * while throttled) -> local unban hold -> budgets of bans and addresses
 * (throttle, then quarantine) -> response policy (immediate / quorum /
 * never) -> wide prefixes (k-of-n) -> ttl capped -> this host's floors.
 * Each refusal is counted per member and per reason. A revocation goes
 * through member, chain, origin and the same rate limit (one bucket per
 * member for both).
 * No I/O here: the daemon persists the chain state and the proofs it is
 * handed. docs/charter.md explains each step and the choices below.
 *
 * Chain: a report that passes the chain check advances the reporter's chain
 * even if a later step refuses it, so one bad report never blocks a member.
 * A gap (seq > last + 1: a report lost or withheld) is accepted and counted
 * in gaps; a gap report that arrives late (JetStream redelivery) is
 * accepted once and counted in late. seq == last + 1 whose prev is not the
 * hash of the report we hold at last is a fork like any other. A report at
 * or below the chain head that is too old to look up (more than 1024 back)
 * is refused as a replay. The daemon decides and records before it acks: a
 * redelivered report it already decided on is a replay here. */
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
	ACC_FUTURE,		/* made more than ACCEPT_SKEW_MAX ahead of this clock */
	ACC_NOT_ORIGIN,		/* a revocation of a report its signer did not make */
	ACC_REVOKE_UNKNOWN,	/* a revocation of a ban not held here from that origin */
	/* budgets (docs/charter.md "Budgets") */
	ACC_BUDGET_BANS,	/* the member's bans in force here would pass budget_bans */
	ACC_BUDGET_ADDRESSES,	/* ... the addresses they cover, budget_addresses4/6 */
	ACC_THROTTLED,		/* over its budget lately: a tenth of the rate */
	ACC_WIDE_PENDING,	/* wider than wide_prefix4/6: waits for wide_quorum members */
	ACC_LOCAL_FLOOR,	/* the charter allows it, this host's configuration does not */
	ACC_MSGID,		/* a new chain link under a message id not its own (wire_link_msgid) */
	ACC_NREASONS
};
/* ACC_CHAIN_GAP is never a verdict's reason: gaps are accepted and counted
 * in accept_member_stats.gaps. ACC_BAD_SIGNATURE and ACC_WRONG_COALITION
 * come from the caller, through accept_count_envelope. */

/* Clock skew tolerated on a report's time (seconds): a report's ban ends at
 * its time + ttl, the origin's end, so a time further ahead than this
 * would stretch the ban here; such a report is refused (ACC_FUTURE). */
#define ACCEPT_SKEW_MAX 300
/* A stamp at most this far ahead of this clock (seconds) is taken as it
 * is; one further ahead counts as now + ACCEPT_STAMP_GRACE. Without it, a
 * report stamped a few ms after a second began reached a receiver whose
 * clock still showed the second before (time(2) lags clock_gettime by up
 * to a tick; NTP keeps hosts only ms apart): that receiver counted its
 * deadline from the earlier second, one commit period shorter than the
 * others did, and every audit of it or by it differed at that ban's end
 * (e2e/churn). Members' clocks must agree much better than this (NTP). */
#define ACCEPT_STAMP_GRACE 2

enum accept_verdict {
	ACC_APPLY, ACC_WAIT, ACC_REFUSE,
	ACC_SKIP	/* this member's own report (reason ACC_OK): nothing to do, not counted */
};

struct accept_decision {
	enum accept_verdict verdict;
	enum accept_reason reason;
	uint32_t ttl;		/* for ACC_APPLY: seconds from now to deadline */
	int64_t deadline;	/* for ACC_APPLY: unix seconds (audit_deadline) */
	/* ACC_FORK: hash of the conflicting earlier report, for the proof: the
	 * report held at the same seq, or (prev mismatch) the one held at seq-1 */
	uint8_t other_hash[WIRE_HASH_BYTES];
};

/* refused[] counts every report not applied, by reason: waits
 * (ACC_QUORUM_PENDING) and envelopes (accept_count_envelope) included. */
struct accept_member_stats {
	uint64_t accepted, refused[ACC_NREASONS];
	uint64_t gaps;		/* reports skipped over by seq jumps (not refused) */
	uint64_t late;		/* of those, arrived later and accepted */
	int64_t last_seen;	/* last report or envelope, whatever the verdict */
	uint64_t last_seq;	/* chain head */
	bool quarantined;
	/* why: ACC_FORK (a fork seen here or a proof of one), ACC_BUDGET_BANS or
	 * ACC_BUDGET_ADDRESSES (budget_strikes refusals for its budget) */
	enum accept_reason quarantine_why;
	/* Budget use: bans applied here and not expired, the IPv4 addresses and
	 * IPv6 /64s they cover; throttled after a budget refusal until its use
	 * is back under half of each budget; strikes: budget refusals since. */
	bool throttled;
	uint64_t budget_bans, budget_addresses4, budget_units6, strikes;
};

/* This host's floors under any charter (article5.conf "coalition_*"
 * lines): an adopted charter may tighten them, never loosen them. */
struct accept_floors {
	uint8_t max_prefix4, max_prefix6;	/* widest accepted; 0: the charter's */
	bool no_special;			/* special ranges refused even with allow_special */
	bool not_alone[3];			/* roles (enum member_role) that need 2 reporters */
};

struct accept;

/* self: this member's key (its own reports are skipped, not counted; NULL
 * for none). local_allow: this host's allowlist (loopback, own addresses,
 * config; NULL for none). ttl_max_local: the local cap (local configuration
 * may only tighten; 0 = none). The charter and the allowlist are copied.
 * NULL if out of memory. */
struct accept *accept_new(const struct charter *c, const uint8_t self[ID_PUBLIC_BYTES],
    const struct prefixlist *local_allow, uint32_t ttl_max_local);
/* The same with this host's floors (NULL: none). */
struct accept *accept_new_floors(const struct charter *c, const uint8_t self[ID_PUBLIC_BYTES],
    const struct prefixlist *local_allow, uint32_t ttl_max_local, const struct accept_floors *f);
void accept_free(struct accept *a);

/* Decides on one report of an envelope whose signature was verified. now in
 * unix seconds. Hashes the report with wire_report_hash. */
void accept_report(struct accept *a, const uint8_t reporter[ID_PUBLIC_BYTES],
    const struct wire_report *r, int64_t now, struct accept_decision *d);
/* The same with the report's chain hash (wire_report_hash) given by a
 * caller that computed it already, for its ledger. */
void accept_report_hashed(struct accept *a, const uint8_t reporter[ID_PUBLIC_BYTES],
    const struct wire_report *r, const uint8_t hash[WIRE_HASH_BYTES], int64_t now,
    struct accept_decision *d);
/* Counts an envelope refused before its reports were looked at. */
void accept_count_envelope(struct accept *a, const uint8_t reporter[ID_PUBLIC_BYTES],
    enum accept_reason why);

/* Decides on a revocation (wire.h) whose signature was verified: member,
 * not revoked or quarantined, the signer's chain (a revocation is a link of
 * it: a replay or a fork is refused like a report's), then the origin it
 * names must be the signer (ACC_NOT_ORIGIN), then a token from the bucket
 * the signer's reports share (ACC_RATE, ACC_THROTTLED; the chain has moved
 * all the same). ACC_APPLY with ACC_OK when those pass; whether the ban it
 * names is held here is the caller's question (the ledger's), which then
 * calls accept_count_revocation with its answer. Refusals are counted
 * here. hash: wire_revocation_hash. now: unix seconds, for the bucket. */
void accept_revocation(struct accept *a, const struct wire_revocation *v,
    const uint8_t hash[WIRE_HASH_BYTES], int64_t now, struct accept_decision *d);
/* Counts a revocation that passed accept_revocation: ACC_OK applied
 * (accepted), else refused for why (ACC_REVOKE_UNKNOWN). */
void accept_count_revocation(struct accept *a, const uint8_t reporter[ID_PUBLIC_BYTES],
    enum accept_reason why);

/* A local unban holds against remote reports for prefix (and any prefix
 * overlapping it) until `until`; calling again for the same prefix replaces
 * its end (a past one lifts the hold). At most 1024 holds: when full, the
 * one ending first is dropped. */
void accept_local_unban(struct accept *a, const struct a5_prefix *p, int64_t until);

/* The scope checks the charter alone decides (form, width, members' own
 * prefixes, special-purpose ranges), without this host's allowlist: what
 * every member must agree on, for the audit. ACC_OK or the reason. */
enum accept_reason accept_charter_scope(const struct accept *a, const struct a5_prefix *p);

/* Chain state, to persist and restore across restarts. get: 0 (seq 0 and a
 * zero hash before any report), -1 if reporter is not a member. set also
 * forgets the remembered (seq, hash) pairs but the head. */
int accept_chain_get(const struct accept *a, const uint8_t reporter[ID_PUBLIC_BYTES],
    uint64_t *seq, uint8_t hash[WIRE_HASH_BYTES]);
void accept_chain_set(struct accept *a, const uint8_t reporter[ID_PUBLIC_BYTES],
    uint64_t seq, const uint8_t hash[WIRE_HASH_BYTES]);
/* Sequence numbers a gap skipped and that have not come since (at most
 * max of them), to persist beside the head: JetStream redelivers a report
 * that was in flight at a crash after later ones, and after the restart it
 * must still be taken as late, not refused as a replay. set_missing marks
 * one again (after accept_chain_set; ignored unless below the head and
 * within the remembered window). */
size_t accept_chain_missing(const struct accept *a, const uint8_t reporter[ID_PUBLIC_BYTES],
    uint64_t *out, size_t max);
void accept_chain_set_missing(struct accept *a, const uint8_t reporter[ID_PUBLIC_BYTES],
    uint64_t seq);
/* How far reporter's chain is here without a hole: the head when no number
 * below it is missing, else the lowest missing number - 1. A hole open for
 * settle seconds or more (first seen by a call at or before now) no longer
 * counts: the report is taken as lost, and the head is the answer again.
 * Audits and commitments need this: a report that reaches this member
 * after its successors (a fast-path copy lost, publishes resent after a
 * reconnect) is applied here later than its number says. */
uint64_t accept_chain_settled(struct accept *a, const uint8_t reporter[ID_PUBLIC_BYTES],
    int64_t now, int64_t settle);
/* Charges reporter's budget with a ban of p in force here until deadline,
 * as an accepted report does: the budgets rebuilt at a start (or with an
 * adopted charter) from the ledger's bans in force and who asked for them,
 * so that a restart gives no member a fresh budget. Ignored for this
 * member's own key, keys not in the charter and deadlines not after now.
 * Strikes, throttle and a budget quarantine are not restored: the next
 * report of a member still over its budget strikes again. */
void accept_budget_restore(struct accept *a, const uint8_t reporter[ID_PUBLIC_BYTES],
    const struct a5_prefix *p, int64_t deadline, int64_t now);
/* Carries each member's strikes, throttle and quarantine (with its why)
 * from the pipeline from to a (matched by key), for a charter adopted in
 * force: none of them is in the ledger, and an update must not lift them. */
void accept_carry_sanctions(struct accept *a, const struct accept *from);
/* Quarantines reporter on a proof of a fork received (quarantine_why ACC_FORK). */
void accept_quarantine(struct accept *a, const uint8_t reporter[ID_PUBLIC_BYTES]);

/* A report's time as its deadline counts it here: its stamp, or now +
 * ACCEPT_STAMP_GRACE if stamped further ahead of this clock (within
 * ACCEPT_SKEW_MAX; further ahead is refused as ACC_FUTURE before this is
 * asked). accept_stamp_us in unix microseconds (what the audit logs),
 * accept_stamp in unix seconds: the same instant, truncated. now: unix
 * seconds. */
int64_t accept_stamp_us(const struct wire_report *r, int64_t now);
int64_t accept_stamp(const struct wire_report *r, int64_t now);

/* member_index: index in the charter; NULL past the last member. */
const struct accept_member_stats *accept_stats(const struct accept *a, size_t member_index);
/* Reports and envelopes from keys that are not members. */
const struct accept_member_stats *accept_stats_unknown(const struct accept *a);
const char *accept_reason_name(enum accept_reason r);

#endif
