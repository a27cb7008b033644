/* metrics.c - the coalition's numbers for /metrics and `article5 metrics`
 * (docs/metrics.md): refusals by member and reason, each member's
 * commitment lag and audit state, the NATS connection. Read from the
 * acceptance pipeline's and the audit's own counters at each rendering. */
#include "coalition/audit.h"
#include "coalition/state.h"
#include "common/util.h"
#include "http/metrics.h"

static void
refusals(const struct accept_member_stats *st, const char *member, struct metrics *m)
{
	for (int r = 1; st != NULL && r < ACC_NREASONS; r++)
		if (st->refused[r] > 0)
			metrics_set(m, M_REFUSALS, member, accept_reason_name((enum accept_reason)r),
			    (double)st->refused[r]);
}

void
coalition_metrics(const struct coalition *co, struct metrics *m)
{
	int64_t now = now_sec(), now_us = now_usec();

	metrics_set(m, M_NATS_CONNECTED, NULL, NULL,
	    co->tr != NULL && transport_connected(co->tr) ? 1 : 0);
	for (size_t i = 0; i < co->charter->nmembers; i++) {
		const char *name = co->charter->members[i].name;
		refusals(accept_stats(co->accept, i), name, m);
		if (co->corroborations[i] > 0)
			metrics_set(m, M_CORROBORATIONS, name, NULL, (double)co->corroborations[i]);
		if ((int)i == co->self || co->audit == NULL)
			continue;
		const struct audit_member *st = audit_get(co->audit, i);
		if (st != NULL && st->last_commit_us > 0)
			metrics_set(m, M_COMMIT_LAG, name, NULL,
			    (double)(now_us - st->last_commit_us) / 1e6);
		metrics_set(m, M_MEMBER_AUDIT, name,
		    audit_state_name(audit_state_of(co->audit, i, now)), 1);
	}
	/* senders that are not members: one label, whatever key they claim */
	refusals(accept_stats_unknown(co->accept), "(not a member)", m);
}
