/* status.c - the coalition as the control socket shows it (article5
 * status, members, audit): text for people, JSON for scripts. */
#include <stdio.h>

#include "coalition/audit.h"
#include "coalition/state.h"
#include "common/util.h"
#include "daemon/control.h"

/* The own chain's head as it has always been shown (CHAIN_BROKEN too). */
static uint64_t
own_seq(const struct coalition *co)
{
	return co->chains.heads[co->self].seq;
}

void
coalition_audit(const struct coalition *co, struct outbuf *out, int json)
{
	int64_t now = now_sec(), now_us = now_usec();

	if (json)
		outbuf_printf(out, "[");
	else
		outbuf_printf(out, "%-16s %-10s %-8s %8s %7s %6s %8s %8s %9s %9s  %s\n", "MEMBER",
		    "ROLE", "LAST", "COMMITS", "MISSED", "MISM.", "P50 MS", "P99 MS", "KERNEL",
		    "EXPECTED", "STATE");
	for (size_t i = 0; i < co->charter->nmembers; i++) {
		const struct charter_member *m = &co->charter->members[i];
		const struct audit_member *st = audit_get(co->audit, i);
		enum audit_state s = audit_state_of(co->audit, i, now);
		bool binding = m->role == ROLE_MEMBER && !m->revoked;
		bool flagged = s == AUDIT_FLAGGED || (s == AUDIT_SILENT && binding);
		int64_t p50 = audit_percentile(st, 50), p99 = audit_percentile(st, 99);
		double age = st->last_commit_us ? (double)(now_us - st->last_commit_us) / 1e6 : -1;
		if ((int)i == co->self)
			age = -1;
		if (json) {
			outbuf_printf(out, "%s\n  {\"name\": \"%s\", \"role\": \"%s\", \"binding\": %s, "
			    "\"state\": \"%s\", \"flagged\": %s, \"last_commit_age\": %.3f, "
			    "\"commitments\": %llu, \"audited\": %llu, \"missed\": %llu, "
			    "\"mismatches\": %llu, \"stale\": %llu, \"response_p50_ms\": %lld, \"response_p99_ms\": %lld, "
			    "\"count\": %llu, \"expected\": %llu, \"declines\": %llu, \"problem\": \"%s\"}",
			    i ? "," : "", m->name, charter_role_name(m->role), binding ? "true" : "false",
			    audit_state_name(s), flagged ? "true" : "false", age,
			    (unsigned long long)st->commitments, (unsigned long long)st->audited,
			    (unsigned long long)st->missed, (unsigned long long)st->mismatches,
			    (unsigned long long)st->stale, (long long)p50, (long long)p99, (unsigned long long)st->count,
			    (unsigned long long)st->expected, (unsigned long long)st->declines,
			    st->last_problem);
		} else {
			char last[24] = "-", a50[24] = "-", a99[24] = "-";
			if (age >= 0)
				snprintf(last, sizeof(last), "%.1fs", age);
			if (p50 >= 0) {
				snprintf(a50, sizeof(a50), "%lld", (long long)p50);
				snprintf(a99, sizeof(a99), "%lld", (long long)p99);
			}
			outbuf_printf(out, "%-16s %-10s %-8s %8llu %7llu %6llu %8s %8s %9llu %9llu  %s%s%s\n",
			    m->name, charter_role_name(m->role), last,
			    (unsigned long long)st->commitments, (unsigned long long)st->missed,
			    (unsigned long long)st->mismatches, a50, a99, (unsigned long long)st->count,
			    (unsigned long long)st->expected, audit_state_name(s),
			    st->last_problem[0] ? ": " : "", st->last_problem);
		}
	}
	if (json)
		outbuf_printf(out, "\n]\n");
	else
		outbuf_printf(out, "this member: %llu commitments published (%llu periods skipped, "
		    "%llu of them waiting for a report that came after its successors), "
		    "%llu declines declared\n", (unsigned long long)co->commits_sent,
		    (unsigned long long)co->commits_skipped, (unsigned long long)co->commits_held,
		    (unsigned long long)co->declines_made);
}

void
coalition_members(const struct coalition *co, struct outbuf *out, int json)
{
	int64_t now = now_sec();

	if (json)
		outbuf_printf(out, "[");
	else
		outbuf_printf(out, "%-16s %-10s %-10s %10s %10s %10s  %s\n", "MEMBER", "ROLE",
		    "LAST SEEN", "SENT", "ACCEPTED", "REFUSED", "REFUSALS / STATE");
	for (size_t i = 0; i < co->charter->nmembers; i++) {
		const struct charter_member *m = &co->charter->members[i];
		const struct accept_member_stats *st = accept_stats(co->accept, i);
		char pk[ID_PUBLIC_TEXT_MAX], seen[32], reasons[1024] = "";
		uint64_t refused = 0;
		size_t used = 0;
		bool self = (int)i == co->self;

		identity_pk_to_text(m->pk, pk, sizeof(pk));
		for (int r = 1; st && r < ACC_NREASONS; r++) {
			if (st->refused[r] == 0)
				continue;
			refused += st->refused[r];
			int w = snprintf(reasons + used, sizeof(reasons) - used, json ?
			    "%s\"%s\": %llu" : "%s%s=%llu", used ? (json ? ", " : " ") : "",
			    accept_reason_name((enum accept_reason)r), (unsigned long long)st->refused[r]);
			if (w > 0 && (size_t)w < sizeof(reasons) - used)
				used += (size_t)w;
		}
		/* Seen: the last signed message of any kind, reports and
		 * revocations (the pipeline's clock) or commitments (the
		 * audit's): a member with nothing to report still commits every
		 * period, and `audit` shows that one. */
		int64_t last = st ? st->last_seen : 0;
		const struct audit_member *am = co->audit ? audit_get(co->audit, i) : NULL;
		if (am != NULL && am->last_received > last)
			last = am->last_received;
		if (self)
			snprintf(seen, sizeof(seen), "self");
		else if (last == 0)
			snprintf(seen, sizeof(seen), "never");
		else
			duration_format(now - last, seen, sizeof(seen));
		bool quarantined = st && st->quarantined, throttled = st && st->throttled;
		/* Why a member is contained, in words the others can act on. */
		char why[160] = "";
		if (quarantined)
			snprintf(why, sizeof(why), "%s", st->quarantine_why == ACC_FORK ?
			    "signed two different chain links, reports or revocations (fork)" :
			    st->quarantine_why == ACC_BUDGET_BANS ?
			    "over its budget of bans, again and again" :
			    st->quarantine_why == ACC_BUDGET_ADDRESSES ?
			    "over its budget of addresses, again and again" : "quarantined");
		else if (throttled)
			snprintf(why, sizeof(why), "over its budget: a tenth of the rate");
		if (json) {
			outbuf_printf(out, "%s\n  {\"name\": \"%s\", \"key\": \"%s\", \"role\": \"%s\", "
			    "\"self\": %s, \"revoked\": %s, \"quarantined\": %s, \"throttled\": %s, "
			    "\"why\": \"%s\", \"last_seen\": %lld, "
			    "\"last_seq\": %llu, \"sent\": %llu, \"accepted\": %llu, "
			    "\"gaps\": %llu, \"late\": %llu, \"corroborations\": %llu, "
			    "\"budget\": {\"bans\": %llu, \"bans_max\": %llu, \"addresses4\": %llu, "
			    "\"addresses4_max\": %llu, \"units6\": %llu, \"strikes\": %llu}, \"refused\": {%s}}",
			    i ? "," : "", m->name, pk, charter_role_name(m->role), self ? "true" : "false",
			    m->revoked ? "true" : "false", quarantined ? "true" : "false",
			    throttled ? "true" : "false", why,
			    (long long)last, (unsigned long long)(self ? own_seq(co) : st ? st->last_seq : 0),
			    (unsigned long long)(self ? co->sent : 0),
			    (unsigned long long)(st ? st->accepted : 0),
			    (unsigned long long)(st ? st->gaps : 0), (unsigned long long)(st ? st->late : 0),
			    (unsigned long long)co->corroborations[i],
			    (unsigned long long)(st ? st->budget_bans : 0),
			    (unsigned long long)co->charter->policy.budget_bans,
			    (unsigned long long)(st ? st->budget_addresses4 : 0),
			    (unsigned long long)co->charter->policy.budget_addresses4,
			    (unsigned long long)(st ? st->budget_units6 : 0),
			    (unsigned long long)(st ? st->strikes : 0), reasons);
		} else {
			char sent[24];
			snprintf(sent, sizeof(sent), self ? "%llu" : "-", (unsigned long long)co->sent);
			outbuf_printf(out, "%-16s %-10s %-10s %10s %10llu %10llu  %s%s%s%s%s%s\n", m->name,
			    charter_role_name(m->role), seen, sent,
			    (unsigned long long)(st ? st->accepted : 0), (unsigned long long)refused,
			    quarantined ? "QUARANTINED " : throttled ? "THROTTLED " : "",
			    m->revoked ? "REVOKED " : "", why[0] ? "(" : "", why, why[0] ? ") " : "",
			    reasons);
		}
	}
	if (json)
		outbuf_printf(out, "\n]\n");
}

static uint64_t
unknown_refused(const struct coalition *co)
{
	const struct accept_member_stats *st = accept_stats_unknown(co->accept);
	uint64_t n = 0;

	for (int r = 0; st != NULL && r < ACC_NREASONS; r++)
		n += st->refused[r];
	return n;
}

static uint64_t
corroborations_total(const struct coalition *co)
{
	uint64_t n = co->corroborations_other;

	for (size_t i = 0; i < co->charter->nmembers; i++)
		n += co->corroborations[i];
	return n;
}

void
coalition_status(const struct coalition *co, struct outbuf *out, int json)
{
	static const struct transport_stats none;
	const struct transport_stats *ts = co->tr ? transport_get_stats(co->tr) : &none;
	bool up = co->tr != NULL && transport_connected(co->tr);

	if (json) {
		outbuf_printf(out, "\"coalition\": {\"name\": \"%s\", \"member\": \"%s\", \"role\": \"%s\", "
		    "\"connected\": %s, \"chain_seq\": %llu, \"published\": %llu, \"received\": %llu, "
		    "\"publish_errors\": %llu, \"invalid_envelopes\": %llu, \"unknown_key_envelopes\": %llu, "
		    "\"proofs_sent\": %llu, \"proofs_received\": %llu, \"proofs_known\": %llu, "
		    "\"proofs_invalid\": %llu, \"charter_version\": %llu, \"charters_adopted\": %llu, "
		    "\"charters_refused\": %llu, \"charters_old\": %llu, \"audit_obligations\": %zu, "
		    "\"corroborations\": %llu, \"corroborations_local\": %llu, \"received_fast\": %llu, "
		    "\"copies_dropped\": %llu, \"fast_overflows\": %llu, \"stream_rereads\": %llu, "
		    "\"stream_position\": %llu, \"commitments_unassigned\": %llu, "
		    "\"commitments_skipped\": %llu, \"commitments_held\": %llu, \"redelivered\": %llu}",
		    co->charter->name, co->charter->members[co->self].name,
		    charter_role_name(co->charter->members[co->self].role), up ? "true" : "false",
		    (unsigned long long)own_seq(co), (unsigned long long)ts->published,
		    (unsigned long long)ts->received, (unsigned long long)co->publish_errors,
		    (unsigned long long)co->invalid_envelopes, (unsigned long long)unknown_refused(co),
		    (unsigned long long)co->proofs_sent, (unsigned long long)co->proofs_received,
		    (unsigned long long)co->proofs_known, (unsigned long long)co->proofs_invalid,
		    (unsigned long long)co->charter->version, (unsigned long long)co->charters_adopted,
		    (unsigned long long)co->charters_refused, (unsigned long long)co->charters_old,
		    co->audit ? audit_logged(co->audit) : 0,
		    (unsigned long long)corroborations_total(co),
		    (unsigned long long)co->corroborations[co->self], (unsigned long long)ts->fast,
		    (unsigned long long)ts->deduped, (unsigned long long)ts->overflows,
		    (unsigned long long)ts->rereads, (unsigned long long)co->stream_pos,
		    (unsigned long long)co->commitments_unassigned,
		    (unsigned long long)co->commits_skipped, (unsigned long long)co->commits_held,
		    (unsigned long long)co->redelivered);
		return;
	}
	outbuf_printf(out, "coalition:   %s as %s (%s), NATS %s; %llu reports published, "
	    "%llu envelopes received, chain at #%llu\n", co->charter->name,
	    co->charter->members[co->self].name, charter_role_name(co->charter->members[co->self].role),
	    up ? "connected" : "DISCONNECTED", (unsigned long long)co->sent,
	    (unsigned long long)ts->received, (unsigned long long)own_seq(co));
	outbuf_printf(out, "delivery:    %llu envelopes first on the fast path, %llu second copies "
	    "dropped; stream read and applied up to #%llu; %llu fast-path overflows, "
	    "%llu stream re-reads\n", (unsigned long long)ts->fast,
	    (unsigned long long)ts->deduped, (unsigned long long)co->stream_pos,
	    (unsigned long long)ts->overflows, (unsigned long long)ts->rereads);
	outbuf_printf(out, "corroborated: %llu bans already held reported again (%llu by this "
	    "member's own detections): counted, not re-sent\n",
	    (unsigned long long)corroborations_total(co),
	    (unsigned long long)co->corroborations[co->self]);
	outbuf_printf(out, "refused:     %llu envelopes unverifiable (bad signature or form), "
	    "%llu from keys not in the charter\n", (unsigned long long)co->invalid_envelopes,
	    (unsigned long long)unknown_refused(co));
	outbuf_printf(out, "proofs:      %llu published, %llu received (quarantined from them), "
	    "%llu already known, %llu invalid\n", (unsigned long long)co->proofs_sent,
	    (unsigned long long)co->proofs_received, (unsigned long long)co->proofs_known,
	    (unsigned long long)co->proofs_invalid);
	outbuf_printf(out, "charter:     version %llu; updates from the stream: %llu adopted, "
	    "%llu refused, %llu not newer\n", (unsigned long long)co->charter->version,
	    (unsigned long long)co->charters_adopted, (unsigned long long)co->charters_refused,
	    (unsigned long long)co->charters_old);
}
