/* commitment.c - commitments (docs/commitment.md): this member's, signed
 * each period with the declines it declares, and the others', audited
 * against the record of obligations kept here (rebuilt from the stored
 * envelopes at start). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "coalition/audit.h"
#include "coalition/evidence.h"
#include "coalition/state.h"
#include "common/log.h"
#include "common/util.h"
#include "ledger/journal.h"
#include "ledger/ledger.h"

/* The number of this member's last commitment, kept in the ledger. */
void
coalition_commit_seq_load(struct coalition *co)
{
	char v[LEDGER_STATE_MAX];
	uint64_t seq;

	co->commit_seq = 0;
	if (ledger_state_get(co->ledger, "commit:self", v, sizeof(v)) == 1 &&
	    uint_parse(v, 0, UINT64_MAX / 2, &seq) == 0)
		co->commit_seq = seq;
}

/* Whether a report this member processed obliges the coalition: what every
 * member must then enforce (or decline by reason). The refusals that are
 * this host's own business (its allowlist, rate seen here, a local unban)
 * do not lift the obligation of the others; the charter's own checks do. */
bool
coalition_report_obliges(const struct coalition *co, int mi, const struct wire_report *r,
    const struct accept_decision *d)
{
	const struct charter_member *m = &co->charter->members[mi];
	const struct response_policy *rp = &co->charter->policy.response[m->role];

	if (d->verdict == ACC_APPLY)
		return true;
	switch (d->reason) {
	case ACC_ALLOWLIST: case ACC_RATE: case ACC_LOCAL_UNBAN: case ACC_EXPIRED: case ACC_LOCAL_FLOOR:
		return !rp->never && rp->quorum < 2 &&
		    accept_charter_scope(co->accept, &r->prefix) == ACC_OK;
	default:
		return false;
	}
}

/* The audit's record of obligations lives in memory; at start it is
 * rebuilt from the envelopes the ledger keeps (8 days), so a restart of
 * this member does not make it blame the others for bans it forgot. */
static int
seed_one(const void *data, size_t len, void *arg)
{
	struct coalition *co = arg;
	static struct wire_envelope e;
	int64_t now = now_sec();

	if (wire_decode(data, len, &e) != WIRE_OK)
		return 0;
	int mi = coalition_member_index(co, e.reporter);
	if (mi < 0 || co->charter->members[mi].revoked)
		return 0;
	const struct response_policy *rp =
	    &co->charter->policy.response[co->charter->members[mi].role];
	if (rp->never || rp->quorum >= 2)
		return 0;
	for (size_t i = 0; i < e.nreports; i++) {
		const struct wire_report *r = &e.reports[i];
		if (accept_charter_scope(co->accept, &r->prefix) != ACC_OK ||
		    audit_deadline(co->charter, (int64_t)(r->timestamp_us / 1000000), r->ttl, 0) <= now)
			continue;
		audit_report(co->audit, e.reporter, r->seq, &r->prefix, (int64_t)r->timestamp_us, r->ttl,
		    now);
	}
	return 0;
}

void
coalition_audit_seed(struct coalition *co)
{
	if (ledger_envelopes_each(co->ledger, seed_one, co) < 0)
		log_warnx("coalition: audit: %s", ledger_errmsg(co->ledger));
}

struct decl_walk {
	struct wire_commitment *c;
	bool truncated;
};

static int
decl_one(const struct a5_prefix *p, int reason, int64_t until, void *arg)
{
	struct decl_walk *w = arg;

	if (w->c->ndeclines == WIRE_COMMIT_DECLINES_MAX) {
		w->truncated = true;
		return 1;
	}
	struct wire_decline *d = &w->c->declines[w->c->ndeclines++];
	d->prefix = *p;
	d->reason = (uint8_t)reason;
	d->until = (uint64_t)until;
	return 0;
}

int64_t
coalition_commit_period(const struct coalition *co)
{
	return co->charter->members[co->self].role == ROLE_MEMBER ? co->charter->policy.commit_period : 0;
}

int64_t
coalition_hole_settle(const struct coalition *co)
{
	int64_t s = 3 * (int64_t)co->charter->policy.commit_period;

	return s < 10 ? 10 : s;
}

/* Below 4 s, a quarter period is too thin a margin against clock skew
 * (docs/commitment.md wants clocks within a few hundred ms): the middle. */
#define COMMIT_SPREAD_MIN_S 4

int64_t
coalition_commit_phase_ms(const struct coalition *co)
{
	int64_t q_ms = coalition_commit_period(co) * 1000;
	size_t n = co->charter->nmembers;

	if (q_ms < COMMIT_SPREAD_MIN_S * 1000 || n < 2)
		return q_ms / 2;
	return q_ms / 4 + (int64_t)co->self * (q_ms / 2) / (int64_t)n;
}

void
coalition_commit(struct coalition *co, const uint8_t *digest, uint64_t count)
{
	struct wire_commitment *c = co->commit;
	static uint8_t buf[WIRE_ENVELOPE_MAX];
	char v[32];
	int64_t now_us = now_usec(), now = now_us / 1000000;

	if (coalition_commit_period(co) == 0)
		return;
	if (co->tr == NULL || !transport_connected(co->tr)) {
		co->commits_skipped++;	/* a period missed, as the others will see */
		return;
	}
	/* A report missing below another member's head (its successors came
	 * first) is not applied here, but the head would claim it: every
	 * auditor would count this kernel one ban short. Skipped until the
	 * hole fills or is given up as lost (coalition_hole_settle). */
	chain_settled(&co->chains, co->accept, now, coalition_hole_settle(co));
	if (chain_holes(&co->chains)) {
		co->commits_skipped++;
		co->commits_held++;
		if (!co->holding)
			log_info("coalition: a report of another member came after its successors; "
			    "commitments wait until it is here (at most %llds)",
			    (long long)coalition_hole_settle(co));
		co->holding = true;
		return;
	}
	co->holding = false;
	memset(c, 0, offsetof(struct wire_commitment, applied));
	wire_coalition_id(co->charter->name, c->coalition);
	memcpy(c->member, co->id.pk, ID_PUBLIC_BYTES);
	c->seq = co->commit_seq + 1;
	c->time_us = (uint64_t)now_us;
	c->period = co->charter->policy.commit_period;
	c->ttl_cap = co->ttl_cap;
	if (digest != NULL) {
		c->count = count;
		memcpy(c->digest, digest, WIRE_HASH_BYTES);
	} else
		c->flags |= WIRE_COMMIT_NO_DIGEST;
	const uint64_t *heads = chain_positions(&co->chains, co->accept);
	for (size_t i = 0; i < co->charter->nmembers; i++) {
		if ((int)i == co->self || heads[i] == 0)
			continue;
		memcpy(c->applied[c->napplied].reporter, co->charter->members[i].pk, ID_PUBLIC_BYTES);
		c->applied[c->napplied++].seq = heads[i];
	}
	struct decl_walk w = { c, false };
	ledger_declines_expire(co->ledger, now);
	if (ledger_declines_active(co->ledger, now, decl_one, &w) < 0)
		log_warnx("ledger: %s", ledger_errmsg(co->ledger));
	if (w.truncated)
		c->flags |= WIRE_COMMIT_TRUNCATED;
	size_t len = wire_commit_encode(c, &co->id, buf, sizeof(buf));
	if (len == 0) {
		log_warnx("coalition: cannot encode commitment #%llu", (unsigned long long)c->seq);
		return;
	}
	/* Core NATS, to the auditors subscribed (docs/transport.md,
	 * "Commitments"): nothing waits for an ack; the seq is used from here
	 * on whatever the outcome: auditors need it to grow, not to be dense. */
	if (transport_publish_commitment(co->tr, buf, len) != 0) {
		co->publish_errors++;
		co->commits_skipped++;
		return;
	}
	co->commit_seq = c->seq;
	co->commits_sent++;
	snprintf(v, sizeof(v), "%llu", (unsigned long long)c->seq);
	if (ledger_state_set(co->ledger, "commit:self", v) != 0)
		log_warnx("ledger: %s", ledger_errmsg(co->ledger));
	if (journal_commitment(co->journal, now, buf, len) != 0)
		log_warnx("%s", journal_errmsg(co->journal));
}

/* A decline the daemon decides (a local unban, an allowlist changed by a
 * reload): declared like the pipeline's own (receive.c). */
void
coalition_decline(struct coalition *co, const struct a5_prefix *p, int reason, int64_t until)
{
	if (!coalition_enforces(co) || until <= now_sec())
		return;
	if (ledger_decline_put(co->ledger, p, reason, until) != 0)
		log_warnx("ledger: %s", ledger_errmsg(co->ledger));
	else
		co->declines_made++;
}

/*
 * Commitments reach only their auditors (docs/commitment.md, "Sampled
 * audits"): each member's go out on its own commitment subject, and this
 * member subscribes to those of the members it audits. Every member
 * receiving every commitment made them N² traffic, most of it dropped
 * unread (bench/scale: three quarters of the NATS servers' work at 100
 * members). Auditing all others (up to auditors + 1 members, or an
 * observer's or protected partner's view): one wildcard subscription.
 */
void
coalition_watch_commitments(struct coalition *co)
{
	char hex[CHARTER_MEMBERS_MAX][ID_TOKEN_TEXT];
	const char *tokens[CHARTER_MEMBERS_MAX];
	size_t n = 0, others = 0;

	if (co->tr == NULL)
		return;
	for (size_t i = 0; i < co->charter->nmembers; i++) {
		if ((int)i == co->self)
			continue;
		others++;
		if (!audit_assigned(co->audit, i))
			continue;
		identity_token(co->charter->members[i].pk, hex[n]);
		tokens[n] = hex[n];
		n++;
	}
	/* Alone (others 0): nothing to watch, not the wildcard. */
	bool all = n > 0 && n == others;
	co->watch_failed = transport_watch_commitments(co->tr, tokens, n, all) != 0;
	if (co->watch_failed) {
		if (now_sec() - co->last_watch_log >= 60) {
			co->last_watch_log = now_sec();
			log_warnx("coalition: the commitments to audit: %s; trying again every second",
			    transport_errmsg(co->tr));
		}
	} else {
		log_debug("coalition: auditing the commitments of %zu of %zu members", n, others);
	}
	/* What the old subscriptions held is gone with them. */
	audit_unheard(co->audit, now_usec());
	const struct transport_stats *st = transport_get_stats(co->tr);
	co->reconnects_seen = st->reconnects;
	co->kdropped_seen = st->commitments_dropped;
}

/* Before transport_tick takes the commitments of this second: those the
 * member was not there to hear (a reconnect, an overflow of libnats'
 * buffer) leave a gap in their authors' series that is not theirs. */
void
coalition_commitments_tick(struct coalition *co)
{
	if (co->tr == NULL)
		return;
	if (co->watch_failed)
		coalition_watch_commitments(co);
	const struct transport_stats *st = transport_get_stats(co->tr);

	if (st->reconnects != co->reconnects_seen || st->commitments_dropped != co->kdropped_seen) {
		co->reconnects_seen = st->reconnects;
		co->kdropped_seen = st->commitments_dropped;
		audit_unheard(co->audit, now_usec());
	}
}

/* Another member's commitment: audited now against the
 * chain positions processed here, or kept until they reach its claims. */
void
coalition_commitment_received(struct coalition *co, const struct transport_msg *msg)
{
	struct wire_commitment *c = co->commit;	/* ours is rebuilt from scratch each period */
	uint8_t coalition[WIRE_COALITION_BYTES];

	if (!coalition_sender_known(co, msg))
		return;
	/* Not ours to audit: no signature check (the charter's auditors K
	 * keeps what a member verifies per period from growing with N). A
	 * forged signer gains nothing here: the message is only dropped. */
	const uint8_t *signer = wire_signer(msg->data, msg->len);
	int si = signer != NULL ? coalition_member_index(co, signer) : -1;
	/* Only its owner may publish on a commitment subject (the NATS
	 * permissions): another member's commitment there is relayed, by
	 * whoever holds that subject, to auditors that are not its own. */
	if (msg->commitment_subject && signer != NULL) {
		char tok[ID_TOKEN_TEXT];

		identity_token(signer, tok);
		if (strcmp(tok, msg->reporter) != 0) {
			co->invalid_commitments++;
			return;
		}
	}
	if (si >= 0 && si == co->self)
		return;	/* our own, heard through the wildcard: nothing to audit */
	if (si >= 0 && !audit_assigned(co->audit, (size_t)si)) {
		co->commitments_unassigned++;
		return;
	}
	enum wire_status ws = wire_commit_decode(msg->data, msg->len, c);
	if (ws != WIRE_OK) {
		co->invalid_commitments++;
		coalition_log_refusal(co, -1, "unverified sender", ws == WIRE_ERR_SIGNATURE ?
		    ACC_BAD_SIGNATURE : ACC_MALFORMED, NULL);
		return;
	}
	int mi = coalition_member_index(co, c->member);
	wire_coalition_id(co->charter->name, coalition);
	if (mi < 0 || memcmp(coalition, c->coalition, sizeof(coalition)) != 0) {
		co->invalid_commitments++;
		return;
	}
	if (mi == co->self)
		return;
	int64_t now = now_sec();
	int was_flagged = audit_state_of(co->audit, (size_t)mi, now) == AUDIT_FLAGGED;
	const uint64_t *settled = chain_settled(&co->chains, co->accept, now, coalition_hole_settle(co));
	if (audit_commitment(co->audit, c, settled, now) == 1) {
		const struct audit_member *st = audit_get(co->audit, (size_t)mi);
		if (!was_flagged && audit_state_of(co->audit, (size_t)mi, now) == AUDIT_FLAGGED)
			log_warnx("audit: %s flagged: %s (kernel %llu, expected %llu)",
			    co->charter->members[mi].name, st->last_problem,
			    (unsigned long long)st->count, (unsigned long long)st->expected);
	}
}
