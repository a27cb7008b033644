/* coalition.h - this member in its coalition, as the daemon sees it:
 * publishes its bans as signed, chained reports and hands back the reports
 * of the others that pass the acceptance pipeline, to be applied by the
 * caller. The files behind it: coalition.c (open, connect, tick), receive.c
 * (envelopes in), proof.c, adopt.c (charter updates in), publish.c (local
 * bans out), chain.c (chain heads), commitment.c (commitments, declines,
 * audit), status.c (the control socket's views). */
#ifndef A5_COALITION_H
#define A5_COALITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "coalition/charter.h"
#include "coalition/wire.h"

struct coalition;
struct config;
struct identity;
struct ledger;
struct ledger_ban;
struct outbuf;
struct prefixlist;

/* Messages taken from the transport per coalition_receive: 64 envelopes of
 * at most 256 reports stay well under the enforcer's queue
 * (ENF_QUEUE_MAX), leaving room for the local bans of the same iteration. */
#define COALITION_RECEIVE_MAX 64
#define COALITION_BATCH_MAX (COALITION_RECEIVE_MAX * WIRE_REPORTS_MAX)

/* A remote report accepted by the pipeline and enforced by this member's
 * role, for the caller to apply. Copies: the envelope, and the charter it
 * came under, may be gone when the batch is applied. */
struct coalition_apply {
	/* A revocation by the origin of the coalition's ban of prefix (the
	 * ledger is updated already): the caller takes the coalition's
	 * element out, and puts it back until deadline when another member's
	 * ban of it is left (deadline > 0). Local bans are not touched. */
	bool revoke;
	struct a5_prefix prefix;
	uint32_t ttl;		/* seconds from the decision until deadline */
	int64_t deadline;	/* unix seconds, the same at every member (audit_deadline) */
	char member[CHARTER_NAME_MAX];	/* reporter's name in the charter */
	char service[WIRE_NAME_MAX + 1], rule[WIRE_NAME_MAX + 1];
	uint32_t evidence;
	int64_t first_seen, last_seen;
	int64_t reported_us;	/* the report's own time (the origin's clock) */
};

/* What one coalition_receive decided, in the order received. About 3 MiB:
 * the caller keeps one, not on the stack. The reports this member declines
 * for reasons of its own (allowlist, rate, a local unban) are declared by
 * the coalition itself (receive.c) and are not in it. */
struct coalition_batch {
	size_t napply;
	struct coalition_apply apply[COALITION_BATCH_MAX];
};

/* Loads the charter named by cfg (or the newer copy adopted from the stream,
 * kept in the state directory), takes the identity id (loaded by the
 * caller while it could still read the secret file; the coalition keeps its
 * own locked copy and the caller wipes its own), connects. allow stays the
 * caller's (a reload may change it; charter adoption reads it). NULL + err. */
struct coalition *coalition_open(const struct config *cfg, const struct identity *id,
    const struct prefixlist *allow, struct ledger *ledger, char *err, size_t errlen);
void coalition_close(struct coalition *co);

/* The fd to poll for received reports, or -1 while not connected yet. */
int coalition_fd(const struct coalition *co);
/* Called every second: retries the first connection; returns 1 when it has
 * just succeeded (coalition_fd is then valid and must be polled). */
int coalition_tick(struct coalition *co);
/* Whether received reports are enforced here (members: yes; protected
 * partners and observers: no, they only log). */
bool coalition_enforces(const struct coalition *co);

/* Why every member would refuse a report of p (the charter's scope, the
 * same check they make: accept_charter_scope), as "reason: explanation";
 * NULL if it can be published. */
const char *coalition_publish_refusal(const struct coalition *co, const struct a5_prefix *p);
/* Queues one local ban for publication at the next coalition_prepare; a ban
 * coalition_publish_refusal refuses is logged and kept local. */
void coalition_local_ban(struct coalition *co, const struct ledger_ban *b);
/* Counts a corroboration (docs/scale.md "Decisions, not raw reports"): a
 * report of member (NULL: a detection here) for a ban already held, which
 * is not re-sent. Per member of the charter in force; shown by `members`,
 * `status` and /metrics (article5_corroborations_total). */
void coalition_corroborated(struct coalition *co, const char *member);
/* A local unban holds against remote reports for the prefix, and if this
 * member reported p (a report in force), the next coalition_prepare signs a
 * revocation of it for the others (docs/protocol.md "Revocations"). */
void coalition_local_unban(struct coalition *co, const struct a5_prefix *p, int64_t until);

/* Takes queued messages, verifies and decides; out is filled with the
 * reports to apply (out->napply is reset first). Messages are acknowledged
 * only by coalition_ack, after the caller has applied the batch and
 * committed the ledger and the enforcer. Returns the number of messages
 * handled. */
int coalition_receive(struct coalition *co, struct coalition_batch *out);
void coalition_ack(struct coalition *co);
/* Signs the queued local bans as one envelope, records it (chain head and
 * outbox in the ledger: the caller commits), then publishes what is in the
 * outbox. Call after the ledger commit of the same iteration. */
void coalition_prepare(struct coalition *co);
/* true: no local ban or revocation waits to be signed (what
 * coalition_prepare would put in the outbox) */
bool coalition_nothing_to_sign(const struct coalition *co);
void coalition_publish(struct coalition *co);

/* Seconds between this member's commitments (the charter's period), or 0
 * when it makes none (protected partners and observers). */
int64_t coalition_commit_period(const struct coalition *co);
/* When in each period this member takes its commitment, in ms after the
 * multiple of the period: spread over the middle half of the period by
 * charter position, so that N members do not all commit, and all receive
 * N commitments, in the same instant (docs/commitment.md). */
int64_t coalition_commit_phase_ms(const struct coalition *co);
/* Seconds a hole in another member's chain (a report received after its
 * successors) holds back this member's audits and commitments: three
 * commit periods, at least 10 s; past it the report is taken as lost
 * (accept_chain_settled, docs/commitment.md "Holes"). */
int64_t coalition_hole_settle(const struct coalition *co);
/* Signs and publishes one commitment: digest and count of the kernel's
 * coalition sets (digest NULL when they could not be read), the chain
 * positions processed, the declines in force. Call after enf_commit, inside
 * a ledger batch (the commitment number and journal entry join it). */
void coalition_commit(struct coalition *co, const uint8_t *digest, uint64_t count);
/* Declares p declined (enum wire_decline_reason) until `until`. */
void coalition_decline(struct coalition *co, const struct a5_prefix *p, int reason, int64_t until);
void coalition_audit(const struct coalition *co, struct outbuf *out, int json);

/* Charter updates (docs/governance.md) are adopted while receiving: the
 * version in force, and whether the charter in force still names this
 * member as an active one (if not, the caller closes the coalition). */
uint64_t coalition_charter_version(const struct coalition *co);
bool coalition_defunct(const struct coalition *co);

void coalition_members(const struct coalition *co, struct outbuf *out, int json);
void coalition_status(const struct coalition *co, struct outbuf *out, int json);
/* The coalition's series of /metrics (metrics.c; docs/metrics.md). */
struct metrics;
void coalition_metrics(const struct coalition *co, struct metrics *m);

#endif
