/* receive.c - messages in from the coalition's stream: each is sorted by
 * kind, and the reports of an envelope go through the acceptance pipeline;
 * those to apply are handed back in a batch, the others are recorded here
 * (refusals, declines, evidence, chain heads). */
#include <stdio.h>
#include <string.h>

#include "coalition/audit.h"
#include "coalition/state.h"
#include "common/log.h"
#include "common/util.h"
#include "ledger/journal.h"
#include "ledger/ledger.h"

/* A report this member does not enforce for a reason of its own is
 * declared in its commitments until the report's deadline, so that the
 * auditors do not count it as a failure. */
static void
decline(struct alliance *al, const struct wire_report *r, enum accept_reason why, int64_t now)
{
	int reason = why == ACC_ALLOWLIST ? WIRE_DECLINE_ALLOWLIST :
	    why == ACC_RATE ? WIRE_DECLINE_RATE : why == ACC_LOCAL_UNBAN ? WIRE_DECLINE_UNBAN : 0;

	if (reason == 0 || !alliance_enforces(al))
		return;
	int64_t until = audit_deadline(al->charter, (int64_t)(r->timestamp_us / 1000000), r->ttl,
	    al->ttl_cap);
	if (until <= now)
		return;
	if (ledger_decline_put(al->ledger, &r->prefix, reason, until) != 0)
		log_warnx("ledger: %s", ledger_errmsg(al->ledger));
	else
		al->declines_made++;
}

/* An accepted report goes to the batch when this member's role enforces
 * the others' reports; protected partners and observers only log it. The
 * prefix is formatted only on that rare path: this runs once per applied
 * report, and a flood brings thousands per second (the envelope's own log
 * line counts them). */
static void
apply_add(struct alliance *al, struct alliance_batch *out, const char *who,
    const struct wire_report *r, const struct accept_decision *d)
{
	if (!alliance_enforces(al)) {
		char text[A5_PREFIX_STRLEN];
		prefix_format(&r->prefix, text, sizeof(text));
		log_debug("coalition: %s reported %s (%s); not enforced here (role)", who, text,
		    r->service);
		return;
	}
	if (out->napply == ARRAY_LEN(out->apply))
		return;	/* impossible: ALLIANCE_RECEIVE_MAX envelopes of WIRE_REPORTS_MAX */
	struct alliance_apply *a = &out->apply[out->napply++];
	a->prefix = r->prefix;
	a->ttl = d->ttl;
	a->deadline = d->deadline;
	strlcpy_ok(a->member, who, sizeof(a->member));
	strlcpy_ok(a->service, r->service, sizeof(a->service));
	strlcpy_ok(a->rule, r->rule, sizeof(a->rule));
	a->evidence = r->evidence;
	a->first_seen = (int64_t)r->first_seen;
	a->last_seen = (int64_t)r->last_seen;
}

static void
handle_envelope(struct alliance *al, const struct transport_msg *msg, struct alliance_batch *out)
{
	static struct wire_envelope e;
	enum wire_status ws = wire_decode(msg->data, msg->len, &e);
	uint8_t coalition[WIRE_COALITION_BYTES];
	int64_t now = now_sec();

	if (ws != WIRE_OK) {
		/* Not charged to the key it claims: without a valid signature
		 * anyone can claim any key. Counted apart (status). */
		al->invalid_envelopes++;
		alliance_log_refusal(al, -1, "unverified sender", ws == WIRE_ERR_SIGNATURE ?
		    ACC_BAD_SIGNATURE : ACC_MALFORMED, NULL);
		return;
	}
	if (memcmp(e.reporter, al->id.pk, ID_PUBLIC_BYTES) == 0)
		return;	/* our own reports come back on the stream */
	int mi = alliance_member_index(al, e.reporter);
	const char *who = mi >= 0 ? al->charter->members[mi].name : "unknown key";
	wire_coalition_id(al->charter->name, coalition);
	if (memcmp(coalition, e.coalition, sizeof(coalition)) != 0) {
		accept_count_envelope(al->accept, e.reporter, ACC_WRONG_COALITION);
		alliance_log_refusal(al, mi, who, ACC_WRONG_COALITION, NULL);
		return;
	}
	if (mi < 0) {
		accept_count_envelope(al->accept, e.reporter, ACC_UNKNOWN_KEY);
		alliance_log_refusal(al, mi, who, ACC_UNKNOWN_KEY, NULL);
		return;
	}
	size_t applied = 0, kept = 0;
	uint16_t accepted[WIRE_REPORTS_MAX];
	for (size_t i = 0; i < e.nreports; i++) {
		const struct wire_report *r = &e.reports[i];
		struct accept_decision d;

		accept_report(al->accept, e.reporter, r, now, &d);
		if (d.reason == ACC_FORK) {
			static uint8_t other[WIRE_ENVELOPE_MAX];
			size_t olen = 0;
			int found = ledger_envelope_find(al->ledger, e.reporter, r->seq, other,
			    sizeof(other), &olen);
			if (found == 1 && (olen != msg->len || memcmp(other, msg->data, olen) != 0)) {
				ledger_proof_put(al->ledger, e.reporter, r->seq, other, olen,
				    msg->data, msg->len, now);
				if (journal_proof(al->journal, now, r->seq, other, olen, msg->data,
				    msg->len) != 0)
					log_warnx("%s", journal_errmsg(al->journal));
				alliance_proof_publish(al, e.reporter, r->seq, other, olen, msg->data, msg->len);
			}
			log_warnx("coalition: %s signed two different reports #%llu: quarantined%s",
			    who, (unsigned long long)r->seq, found == 1 ? ", proof kept" : "");
		}
		bool obliges = alliance_report_obliges(al, mi, r, &d);
		if (obliges) {
			audit_report(al->audit, e.reporter, r->seq, &r->prefix,
			    (int64_t)r->timestamp_us, r->ttl, now);
			if (d.verdict != ACC_APPLY)
				decline(al, r, d.reason, now);
		}
		if (obliges || d.verdict == ACC_WAIT || d.reason == ACC_FORK)
			kept++;
		if (d.verdict == ACC_APPLY) {
			accepted[applied++] = (uint16_t)i;
			apply_add(al, out, who, r, &d);
		} else if (d.verdict == ACC_REFUSE && d.reason != ACC_OK) {
			/* same throttle as the log line, checked before log_refusal moves it */
			if (now - al->last_refusal_log[mi] >= 10 &&
			    journal_refusal(al->journal, now, e.reporter, r->seq,
			    accept_reason_name(d.reason), &r->prefix) != 0)
				log_warnx("%s", journal_errmsg(al->journal));
			alliance_log_refusal(al, mi, who, d.reason, &r->prefix);
		}
	}
	/* Kept as evidence only when something in it counted: a member over
	 * its rate must not grow every receiver's disk at the stream's pace.
	 * (A fork against a report refused earlier is still detected, from
	 * the hashes kept in memory; only the stored proof is then missing.) */
	if (kept > 0 && ledger_envelope_put(al->ledger, e.reporter, e.reports[0].seq,
	    e.reports[e.nreports - 1].seq, now, msg->data, msg->len) != 0)
		log_warnx("ledger: %s", ledger_errmsg(al->ledger));
	if (applied > 0 && journal_report_decoded(al->journal, now, msg->data, msg->len, &e,
	    accepted, applied) != 0)
		log_warnx("%s", journal_errmsg(al->journal));
	if (applied > 0)
		log_info("coalition: %s reported %zu bans, %zu applied", who, e.nreports, applied);
	chain_save_peer(&al->chains, al->ledger, al->accept, (size_t)mi);
}

void
alliance_handle(struct alliance *al, const struct transport_msg *msgs, size_t n,
    struct alliance_batch *out)
{
	for (size_t i = 0; i < n && !al->defunct; i++) {
		const struct transport_msg *m = &msgs[i];
		switch (wire_kind(m->data, m->len)) {
		case WIRE_KIND_COMMITMENT:
			alliance_commitment_received(al, m);
			break;
		case WIRE_KIND_PROOF:
			alliance_proof_received(al, m);
			break;
		case WIRE_KIND_CHARTER:
			alliance_charter_received(al, m);
			break;
		default:
			handle_envelope(al, m, out);
			break;
		}
	}
	if (n > 0)
		audit_retry(al->audit, chain_positions(&al->chains, al->accept), now_sec());
}

int
alliance_receive(struct alliance *al, struct alliance_batch *out)
{
	size_t room = ALLIANCE_RECEIVE_MAX - al->npending;

	out->napply = 0;
	if (al->tr == NULL)
		return 0;
	size_t n = transport_poll(al->tr, al->pending + al->npending, room);

	alliance_handle(al, al->pending + al->npending, n, out);
	al->npending += n;
	return (int)n;
}
