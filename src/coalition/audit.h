/* audit.h - checks the other members' signed commitments against what this
 * member's own record says each of them is obliged to enforce.
 *
 * Every report that obliges the coalition (known reporter, chain and
 * charter scope fine, a response policy that acts at once) is logged per
 * reporter with its deadline. When member m commits "I processed reporter
 * r up to seq A_r, my kernel holds N coalition bans with digest D, and I
 * decline these prefixes", the auditor moves r's logged reports up to A_r
 * into its model of m's set (deadline = the charter's quantized deadline,
 * with m's declared cap), drops what expired before the commitment's time,
 * takes out the declined prefixes, and compares count and LtHash digest.
 * The model is kept incrementally: one commitment costs what changed since
 * the last one, not the size of the set. docs/commitment.md ("Audit"). */
#ifndef A5_AUDIT_H
#define A5_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include "coalition/charter.h"
#include "coalition/wire.h"

/* Prefixes modelled per member; beyond, the member is "unverifiable". */
#define AUDIT_MODEL_MAX (2u << 20)
/* Obliging reports kept per reporter until every member has moved past. */
#define AUDIT_LOG_MAX (4u << 20)
#define AUDIT_SAMPLES 1024

enum audit_state {
	AUDIT_PENDING,		/* no commitment audited yet */
	AUDIT_OK,
	AUDIT_MISMATCH,		/* the last commitment did not match */
	AUDIT_FLAGGED,		/* two or more consecutive mismatches */
	AUDIT_SILENT,		/* no commitment for more than two periods */
	AUDIT_UNVERIFIABLE,	/* declines cut, or history this auditor lacks */
	AUDIT_SELF,
	AUDIT_NON_BINDING,	/* protected partners and observers */
	AUDIT_UNASSIGNED,	/* audited by others (the charter's auditors K) */
};

struct audit_member {
	uint64_t commitments;		/* received and verified */
	uint64_t audited, mismatches, consecutive, missed;
	uint64_t stale;			/* too old to audit when they could be */
	int64_t last_commit_us;		/* time the member put in its last commitment */
	int64_t last_received;		/* unix seconds, here */
	uint64_t last_seq;
	uint64_t count, expected;	/* last audited: kernel count claimed, our model */
	uint64_t declines;		/* in its last commitment */
	bool unverifiable;
	char last_problem[128];		/* why the last audit failed */
	uint32_t samples[AUDIT_SAMPLES];	/* response times, ms */
	size_t nsamples, sample_next;
};

struct audit;

/* self: this member's key (its own commitments are not audited). The
 * charter is copied. NULL if out of memory. */
struct audit *audit_new(const struct charter *c, const uint8_t self[ID_PUBLIC_BYTES]);
void audit_free(struct audit *a);
/* This auditor may have missed the commitments published around at_us
 * (unix µs): it was disconnected, libnats dropped some, or its
 * subscriptions were made anew (docs/transport.md, "Commitments"). A gap
 * between two commitments of a member that spans at_us is not counted in
 * missed. */
void audit_unheard(struct audit *a, int64_t at_us);

/* Quantized deadline of a report (unix seconds): ts + min(ttl, charter
 * cap, member cap), rounded up to a multiple of the commit period. The
 * enforcing member sets its kernel timeout to reach exactly this, and the
 * auditor expects it there, so commitments (taken half a period away from
 * any multiple) never straddle an expiry. cap 0 = none. */
int64_t audit_deadline(const struct charter *c, int64_t ts_sec, uint32_t ttl, uint32_t cap);

/* Logs an obliging report of reporter (a member's key). ttl as reported;
 * now: unix seconds here. Obligations that ended more than a horizon
 * (4 commit periods, at least 60 s) before now are swept out as the log
 * grows, so the log stays bounded by the rate of obliging reports times
 * their lifetime even when a binding member never commits. */
void audit_report(struct audit *a, const uint8_t reporter[ID_PUBLIC_BYTES], uint64_t seq,
    const struct a5_prefix *p, int64_t ts_us, uint32_t ttl, int64_t now);

/* heads[i]: how far this auditor has processed member i's chain (charter
 * order). Audits c (verified by the caller) now, or keeps it until the
 * heads reach what it claims. Returns 1 audited, 0 kept for later, -1
 * ignored (unknown member, self, stale or out-of-order seq, or taken
 * longer than the horizon before now: counted in stale). */
int audit_commitment(struct audit *a, const struct wire_commitment *c, const uint64_t *heads,
    int64_t now);
/* Retries kept commitments once heads moved. */
void audit_retry(struct audit *a, const uint64_t *heads, int64_t now);
/* Whether some commitment waits for audit_retry (the caller need not work
 * out heads for it otherwise). */
bool audit_waiting(const struct audit *a);

/* Obligations logged now, all reporters (what the log's memory holds). */
size_t audit_logged(const struct audit *a);
/* Per member, charter order; NULL past the end. */
const struct audit_member *audit_get(const struct audit *a, size_t member_index);
enum audit_state audit_state_of(const struct audit *a, size_t member_index, int64_t now);
/* Whether this auditor judges member i's commitments (the charter's
 * auditors K, charter_audits), as worked out when the audit was made. */
bool audit_assigned(const struct audit *a, size_t i);
const char *audit_state_name(enum audit_state s);
/* Response time percentile (0..100) in ms; -1 without samples. */
int64_t audit_percentile(const struct audit_member *m, unsigned pct);

#endif
