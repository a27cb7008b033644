/* receive.c - messages in from the coalition's stream: each is sorted by
 * kind, and the reports of an envelope go through the acceptance pipeline;
 * those to apply are handed back in a batch, the others are recorded here
 * (refusals, declines, evidence, chain heads). */
#include <stdio.h>
#include <string.h>

#include "coalition/audit.h"
#include "coalition/evidence.h"
#include "coalition/state.h"
#include "common/log.h"
#include "common/util.h"
#include "ledger/journal.h"
#include "ledger/ledger.h"

/* A report this member does not enforce for a reason of its own is
 * declared in its commitments until the report's deadline, so that the
 * auditors do not count it as a failure. */
static void
decline(struct coalition *co, const struct wire_report *r, enum accept_reason why, int64_t now)
{
	/* A local floor is this host's policy, like its allowlist: declared
	 * as one (the wire has no other reason for it). */
	int reason = why == ACC_ALLOWLIST || why == ACC_LOCAL_FLOOR ? WIRE_DECLINE_ALLOWLIST :
	    why == ACC_RATE ? WIRE_DECLINE_RATE : why == ACC_LOCAL_UNBAN ? WIRE_DECLINE_UNBAN : 0;

	if (reason == 0 || !coalition_enforces(co))
		return;
	int64_t until = audit_deadline(co->charter, accept_stamp(r, now), r->ttl, co->ttl_cap);
	if (until <= now)
		return;
	if (ledger_decline_put(co->ledger, &r->prefix, reason, until) != 0)
		log_warnx("ledger: %s", ledger_errmsg(co->ledger));
	else
		co->declines_made++;
}

/* An accepted report goes to the batch when this member's role enforces
 * the others' reports; protected partners and observers only log it. The
 * prefix is formatted only on that rare path: this runs once per applied
 * report, and a flood brings thousands per second (the envelope's own log
 * line counts them). */
static void
apply_add(struct coalition *co, struct coalition_batch *out, const char *who,
    const uint8_t reporter[ID_PUBLIC_BYTES], const struct wire_report *r,
    const uint8_t hash[WIRE_HASH_BYTES], const struct accept_decision *d)
{
	if (!coalition_enforces(co)) {
		char text[A5_PREFIX_STRLEN];
		prefix_format(&r->prefix, text, sizeof(text));
		log_debug("coalition: %s reported %s (%s); not enforced here (role)", who, text,
		    r->service);
		return;
	}
	if (out->napply == ARRAY_LEN(out->apply))
		return;	/* impossible: COALITION_RECEIVE_MAX envelopes of WIRE_REPORTS_MAX */
	/* Who asked, with the report's chain link: what a revocation by its
	 * origin must name to lift it (docs/protocol.md "Revocations"). */
	struct ledger_corigin o = { .seq = r->seq, .deadline = d->deadline };
	memcpy(o.hash, hash, sizeof(o.hash));
	if (ledger_corigin_put(co->ledger, &r->prefix, reporter, &o) != 0)
		log_warnx("ledger: %s", ledger_errmsg(co->ledger));
	struct coalition_apply *a = &out->apply[out->napply++];
	memset(a, 0, sizeof(*a));
	a->prefix = r->prefix;
	a->ttl = d->ttl;
	a->deadline = d->deadline;
	strlcpy_ok(a->member, who, sizeof(a->member));
	strlcpy_ok(a->service, r->service, sizeof(a->service));
	strlcpy_ok(a->rule, r->rule, sizeof(a->rule));
	a->evidence = r->evidence;
	a->first_seen = (int64_t)r->first_seen;
	a->last_seen = (int64_t)r->last_seen;
	a->reported_us = (int64_t)r->timestamp_us;
}

/* The charter before the signature: a message naming a key that is not a
 * member's is refused without a signature check (anyone who can publish
 * could otherwise make every member verify junk). Counted with the keys
 * that are not members; a message too short to name a key goes on to the
 * decoder, which refuses it. */
bool
coalition_sender_known(struct coalition *co, const struct transport_msg *msg)
{
	const uint8_t *pk = wire_signer(msg->data, msg->len);

	if (pk == NULL || coalition_member_index(co, pk) >= 0)
		return true;
	accept_count_envelope(co->accept, pk, ACC_UNKNOWN_KEY);
	coalition_log_refusal(co, -1, "unknown key", ACC_UNKNOWN_KEY, NULL);
	return false;
}

/* What a chain link's arrival asks of the pipeline, from its message id
 * (msg->msgid, wire_link_msgid) and its numbers first..last. */
enum link_arrival {
	LINK_TAKE,		/* to the acceptance pipeline */
	LINK_REFUSED,		/* refused here (ACC_MSGID), counted */
	LINK_DONE,		/* processed already: delivered again */
};

/*
 * A link that would extend its signer's chain (last above the head, also
 * when it starts at or below it) must come under its own message id, else
 * it is refused by every member alike: the stream, which de-duplicates by
 * id, may have dropped it while the fast path delivered it, so the members
 * catching up from the stream would never get it, the others would apply
 * it, and the audits of the first would count a ban they never saw.
 *
 * A link wholly at or below the head, under its own id and kept in the
 * ledger as it is, was processed here already: the stream read again from
 * the position kept before a crash (written at most once a second). Taken
 * as done (co->redelivered), not refused as a replay: the member did
 * nothing wrong. Under another id (published again to get past the
 * stream's de-duplication) it goes on to the chain check, a replay.
 * msg->msgid NULL: not from NATS, not checked.
 */
static enum link_arrival
link_arrival(struct coalition *co, const struct transport_msg *msg, int mi,
    const uint8_t signer[ID_PUBLIC_BYTES], const char *tag, uint64_t first, uint64_t last)
{
	static uint8_t kept[WIRE_ENVELOPE_MAX];
	char want[WIRE_LINK_MSGID_MAX];
	const struct accept_member_stats *st = accept_stats(co->accept, (size_t)mi);
	size_t klen = 0;

	if (msg->msgid == NULL || st == NULL)
		return LINK_TAKE;
	wire_link_msgid(signer, tag, first, msg->data, msg->len, want, sizeof(want));
	bool own = strcmp(want, msg->msgid) == 0;
	if (last > st->last_seq) {
		if (own)
			return LINK_TAKE;
		accept_count_envelope(co->accept, signer, ACC_MSGID);
		coalition_log_refusal(co, mi, co->charter->members[mi].name, ACC_MSGID, NULL);
		return LINK_REFUSED;
	}
	if (own && ledger_envelope_find(co->ledger, signer, first, kept, sizeof(kept), &klen) == 1 &&
	    klen == msg->len && memcmp(kept, msg->data, klen) == 0) {
		co->redelivered++;
		return LINK_DONE;
	}
	return LINK_TAKE;
}

static void
handle_envelope(struct coalition *co, const struct transport_msg *msg, struct coalition_batch *out)
{
	static struct wire_envelope e;
	uint8_t coalition[WIRE_COALITION_BYTES];
	int64_t now = now_sec();

	if (!coalition_sender_known(co, msg))
		return;
	enum wire_status ws = wire_decode(msg->data, msg->len, &e);
	if (ws != WIRE_OK) {
		/* Not charged to the key it claims: without a valid signature
		 * anyone can claim any key. Counted apart (status). */
		co->invalid_envelopes++;
		coalition_log_refusal(co, -1, "unverified sender", ws == WIRE_ERR_SIGNATURE ?
		    ACC_BAD_SIGNATURE : ACC_MALFORMED, NULL);
		return;
	}
	if (memcmp(e.reporter, co->id.pk, ID_PUBLIC_BYTES) == 0)
		return;	/* our own reports come back on the stream */
	int mi = coalition_member_index(co, e.reporter);
	const char *who = mi >= 0 ? co->charter->members[mi].name : "unknown key";
	wire_coalition_id(co->charter->name, coalition);
	if (memcmp(coalition, e.coalition, sizeof(coalition)) != 0) {
		accept_count_envelope(co->accept, e.reporter, ACC_WRONG_COALITION);
		coalition_log_refusal(co, mi, who, ACC_WRONG_COALITION, NULL);
		return;
	}
	if (mi < 0) {
		accept_count_envelope(co->accept, e.reporter, ACC_UNKNOWN_KEY);
		coalition_log_refusal(co, mi, who, ACC_UNKNOWN_KEY, NULL);
		return;
	}
	if (link_arrival(co, msg, mi, e.reporter, "", e.reports[0].seq,
	    e.reports[e.nreports - 1].seq) != LINK_TAKE)
		return;
	size_t applied = 0, kept = 0;
	uint16_t accepted[WIRE_REPORTS_MAX];
	const struct accept_member_stats *ms = accept_stats(co->accept, (size_t)mi);
	bool was_quarantined = ms->quarantined, was_throttled = ms->throttled;
	for (size_t i = 0; i < e.nreports; i++) {
		const struct wire_report *r = &e.reports[i];
		struct accept_decision d;
		uint8_t hash[WIRE_HASH_BYTES];

		wire_report_hash(r, e.reporter, hash);
		accept_report_hashed(co->accept, e.reporter, r, hash, now, &d);
		if (d.reason == ACC_FORK) {
			static uint8_t other[WIRE_ENVELOPE_MAX];
			size_t olen = 0;
			int found = ledger_envelope_find(co->ledger, e.reporter, r->seq, other,
			    sizeof(other), &olen);
			if (found == 1 && (olen != msg->len || memcmp(other, msg->data, olen) != 0)) {
				ledger_proof_put(co->ledger, e.reporter, r->seq, other, olen,
				    msg->data, msg->len, now);
				if (journal_proof(co->journal, now, r->seq, other, olen, msg->data,
				    msg->len) != 0)
					log_warnx("%s", journal_errmsg(co->journal));
				coalition_proof_publish(co, e.reporter, r->seq, other, olen, msg->data, msg->len);
			}
			log_warnx("coalition: %s signed two different reports #%llu: quarantined%s",
			    who, (unsigned long long)r->seq, found == 1 ? ", proof kept" : "");
		}
		bool obliges = coalition_report_obliges(co, mi, r, &d);
		if (obliges) {
			/* stamped ahead: clamped as accept does (accept_stamp_us) */
			audit_report(co->audit, e.reporter, r->seq, &r->prefix, accept_stamp_us(r, now),
			    r->ttl, now);
			if (d.verdict != ACC_APPLY)
				decline(co, r, d.reason, now);
		}
		if (obliges || d.verdict == ACC_WAIT || d.reason == ACC_FORK)
			kept++;
		if (d.verdict == ACC_APPLY) {
			accepted[applied++] = (uint16_t)i;
			apply_add(co, out, who, e.reporter, r, hash, &d);
		} else if (d.verdict == ACC_REFUSE && d.reason != ACC_OK) {
			/* same throttle as the log line, checked before log_refusal moves it */
			if (now - co->last_refusal_log[mi] >= 10 &&
			    journal_refusal(co->journal, now, e.reporter, r->seq,
			    accept_reason_name(d.reason), &r->prefix) != 0)
				log_warnx("%s", journal_errmsg(co->journal));
			coalition_log_refusal(co, mi, who, d.reason, &r->prefix);
		}
	}
	/* Kept as evidence only when something in it counted: a member over
	 * its rate must not grow every receiver's disk at the stream's pace.
	 * (A fork against a report refused earlier is still detected, from
	 * the hashes kept in memory; only the stored proof is then missing.) */
	if (kept > 0 && ledger_envelope_put(co->ledger, e.reporter, e.reports[0].seq,
	    e.reports[e.nreports - 1].seq, now, msg->data, msg->len) != 0)
		log_warnx("ledger: %s", ledger_errmsg(co->ledger));
	if (applied > 0 && journal_report_decoded(co->journal, now, msg->data, msg->len, &e,
	    accepted, applied) != 0)
		log_warnx("%s", journal_errmsg(co->journal));
	if (applied > 0)
		log_info("coalition: %s reported %zu bans, %zu applied", who, e.nreports, applied);
	if (!was_quarantined && ms->quarantined && ms->quarantine_why != ACC_FORK)
		log_warnx("coalition: %s over its budget %llu times (%s; %llu bans, %llu IPv4 addresses "
		    "in force here): quarantined", who, (unsigned long long)ms->strikes,
		    accept_reason_name(ms->quarantine_why), (unsigned long long)ms->budget_bans,
		    (unsigned long long)ms->budget_addresses4);
	else if (!was_throttled && ms->throttled && !ms->quarantined)
		log_warnx("coalition: %s over its budget (%llu bans, %llu IPv4 addresses in force "
		    "here): throttled to a tenth of the rate", who, (unsigned long long)ms->budget_bans,
		    (unsigned long long)ms->budget_addresses4);
	chain_save_peer(&co->chains, co->ledger, co->accept, (size_t)mi);
}

/* A revocation passed the pipeline: lifts the ban its origin asked for,
 * if this member holds one from it (the row of the report it names, or of
 * an older one: a later report of the prefix is not revoked by this). 1
 * applied, 0 not held here. */
static int
revoke_apply(struct coalition *co, struct coalition_batch *out, const char *who,
    const struct wire_revocation *v, int64_t now)
{
	struct ledger_corigin o;
	uint8_t other[ID_PUBLIC_BYTES];
	int64_t left = 0;
	char text[A5_PREFIX_STRLEN], still[CHARTER_NAME_MAX + 64] = "";

	int found = ledger_corigin_get(co->ledger, &v->prefix, v->reporter, &o);
	if (found < 0)
		log_warnx("ledger: %s", ledger_errmsg(co->ledger));
	if (found != 1 || o.seq > v->revoked_seq ||
	    (o.seq == v->revoked_seq && memcmp(o.hash, v->revoked_hash, WIRE_HASH_BYTES) != 0))
		return 0;
	if (ledger_corigin_del(co->ledger, &v->prefix, v->reporter) < 0 ||
	    (found = ledger_corigin_longest(co->ledger, &v->prefix, now, co->id.pk, &left,
	    other)) < 0) {
		log_warnx("ledger: %s", ledger_errmsg(co->ledger));
		found = 0;
	}
	prefix_format(&v->prefix, text, sizeof(text));
	if (found == 1) {
		/* Another member's ban of the prefix stays in force: the
		 * coalition's element now ends with it. */
		int oi = coalition_member_index(co, other);
		const char *by = oi >= 0 ? co->charter->members[oi].name : "?";
		if (ledger_cban_lower(co->ledger, &v->prefix, left, by) != 0)
			log_warnx("ledger: %s", ledger_errmsg(co->ledger));
		snprintf(still, sizeof(still), "; still banned as reported by %s", by);
	} else {
		left = 0;
		if (ledger_cban_remove(co->ledger, &v->prefix) < 0)
			log_warnx("ledger: %s", ledger_errmsg(co->ledger));
		/* The auditors still hold the revoked report as an obligation
		 * until its deadline: declared, its absence is not a failure. */
		if (o.deadline > now)
			coalition_decline(co, &v->prefix, WIRE_DECLINE_UNBAN, o.deadline);
	}
	log_info("coalition: %s revoked its ban of %s (report #%llu)%s", who, text,
	    (unsigned long long)v->revoked_seq, still);
	if (out->napply < ARRAY_LEN(out->apply)) {
		struct coalition_apply *a = &out->apply[out->napply++];
		memset(a, 0, sizeof(*a));
		a->revoke = true;
		a->prefix = v->prefix;
		a->deadline = left;
		strlcpy_ok(a->member, who, sizeof(a->member));
	}
	return 1;
}

/* A revocation "AR" (docs/protocol.md "Revocations"): checked like a
 * report (signature, member, chain), then only its origin may take a ban
 * back. Refusals are counted per member and reason like reports'. */
static void
handle_revocation(struct coalition *co, const struct transport_msg *msg,
    struct coalition_batch *out)
{
	struct wire_revocation v;
	struct accept_decision d;
	uint8_t coalition[WIRE_COALITION_BYTES], hash[WIRE_HASH_BYTES];
	int64_t now = now_sec();

	if (!coalition_sender_known(co, msg))
		return;
	enum wire_status ws = wire_revocation_decode(msg->data, msg->len, &v);
	if (ws != WIRE_OK) {
		co->invalid_envelopes++;
		coalition_log_refusal(co, -1, "unverified sender", ws == WIRE_ERR_SIGNATURE ?
		    ACC_BAD_SIGNATURE : ACC_MALFORMED, NULL);
		return;
	}
	if (memcmp(v.reporter, co->id.pk, ID_PUBLIC_BYTES) == 0)
		return;	/* our own, back from the stream */
	int mi = coalition_member_index(co, v.reporter);
	const char *who = mi >= 0 ? co->charter->members[mi].name : "unknown key";
	wire_coalition_id(co->charter->name, coalition);
	if (memcmp(coalition, v.coalition, sizeof(coalition)) != 0 || mi < 0) {
		enum accept_reason why = mi < 0 ? ACC_UNKNOWN_KEY : ACC_WRONG_COALITION;
		accept_count_envelope(co->accept, v.reporter, why);
		coalition_log_refusal(co, mi, who, why, NULL);
		return;
	}
	if (link_arrival(co, msg, mi, v.reporter, "r", v.seq, v.seq) != LINK_TAKE)
		return;
	wire_revocation_hash(&v, hash);
	accept_revocation(co->accept, &v, hash, now, &d);
	if (d.reason == ACC_FORK) {
		/* Proven like a report's fork: from the message kept at v.seq
		 * (a report's envelope or a revocation), before this one is. */
		int proof = coalition_fork_proof(co, v.reporter, v.seq, msg->data, msg->len, now);
		log_warnx("coalition: %s signed two different chain links #%llu: quarantined%s",
		    who, (unsigned long long)v.seq, proof ? ", proof kept" : "");
	}
	if (d.verdict == ACC_APPLY && coalition_enforces(co) &&
	    revoke_apply(co, out, who, &v, now) == 0)
		d.reason = ACC_REVOKE_UNKNOWN;
	/* Kept as evidence like an envelope whose reports counted: every link
	 * the chain took and the charter allows (applied here or not: where
	 * the report was not applied, it is still a link another message may
	 * fork), and a fork. One message of at most WIRE_REVOKE_MAX bytes per
	 * link; refused ones (not-origin, replay, quarantined, ...) are not. */
	if ((d.verdict == ACC_APPLY || d.reason == ACC_FORK) &&
	    ledger_envelope_put(co->ledger, v.reporter, v.seq, v.seq, now, msg->data, msg->len) != 0)
		log_warnx("ledger: %s", ledger_errmsg(co->ledger));
	if (d.verdict == ACC_APPLY)
		accept_count_revocation(co->accept, v.reporter, d.reason);
	if (d.reason != ACC_OK) {
		if (now - co->last_refusal_log[mi] >= 10 &&
		    journal_refusal(co->journal, now, v.reporter, v.seq, accept_reason_name(d.reason),
		    &v.prefix) != 0)
			log_warnx("%s", journal_errmsg(co->journal));
		coalition_log_refusal(co, mi, who, d.reason, &v.prefix);
	}
	chain_save_peer(&co->chains, co->ledger, co->accept, (size_t)mi);
}

void
coalition_handle(struct coalition *co, const struct transport_msg *msgs, size_t n,
    struct coalition_batch *out)
{
	for (size_t i = 0; i < n && !co->defunct; i++) {
		const struct transport_msg *m = &msgs[i];
		enum wire_kind kind = wire_kind(m->data, m->len);
		/* A commitment subject is read by the member's auditors only: a
		 * report there would reach K members and no one else. */
		if (m->commitment_subject && kind != WIRE_KIND_COMMITMENT) {
			co->invalid_envelopes++;
			log_debug("coalition: not a commitment on commitment subject %s: dropped",
			    m->reporter);
			continue;
		}
		switch (kind) {
		case WIRE_KIND_COMMITMENT:
			coalition_commitment_received(co, m);
			break;
		case WIRE_KIND_PROOF:
			coalition_proof_received(co, m);
			break;
		case WIRE_KIND_CHARTER:
			coalition_charter_received(co, m);
			break;
		case WIRE_KIND_REVOCATION:
			handle_revocation(co, m, out);
			break;
		default:
			handle_envelope(co, m, out);
			break;
		}
	}
	/* Heads cost a lookup per member: worked out only for a waiting one. */
	if (n > 0 && audit_waiting(co->audit))
		audit_retry(co->audit, chain_settled(&co->chains, co->accept, now_sec(),
		    coalition_hole_settle(co)), now_sec());
}

int
coalition_receive(struct coalition *co, struct coalition_batch *out)
{
	size_t room = COALITION_RECEIVE_MAX - co->npending;

	out->napply = 0;
	if (co->tr == NULL)
		return 0;
	size_t n = transport_poll(co->tr, co->pending + co->npending, room);

	coalition_handle(co, co->pending + co->npending, n, out);
	co->npending += n;
	return (int)n;
}
