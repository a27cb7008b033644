/* control_history.c - `history [PREFIX] [limit=N]` on the control socket:
 * the decisions in the tamper-evident journal, newest first (this host's
 * bans, unbans and flushes; the coalition reports it refused). The chain
 * is not re-checked here: `article5 verify` does that. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "coalition/evidence.h"
#include "common/util.h"
#include "daemon/control.h"
#include "daemon/control_views.h"
#include "daemon/history_entry.h"
#include "daemon/worker.h"
#include "ledger/journal.h"

/* Entries read at most per request: a history filtered by an address that
 * never appears must not walk a journal of millions inside the loop. */
#define HISTORY_SCAN_MAX 100000

struct history_ctx {
	struct outbuf *out;
	const struct control_request *r;
	unsigned n;
};

static int
history_one(void *arg, const struct journal_entry *e)
{
	struct history_ctx *c = arg;
	struct history_item it;
	char p[A5_PREFIX_STRLEN], when[32], ttl[32], reason[2 * JOURNAL_TEXT_MAX], member[300];
	struct tm tm;
	time_t t = (time_t)e->at;

	if (history_entry_parse(e, &it) != 0)
		return 0;	/* not ours to judge: `verify` does */
	if (c->r->has_prefix && !history_entry_about(&it, &c->r->prefix))
		return 0;
	if (it.has_prefix)
		prefix_format(&it.prefix, p, sizeof(p));
	else
		snprintf(p, sizeof(p), "%s", it.all ? "*" : "-");
	if (gmtime_r(&t, &tm) == NULL || strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(when, sizeof(when), "%lld", (long long)e->at);
	if (c->r->json) {
		json_escape(reason, sizeof(reason), it.reason);
		outbuf_printf(c->out, "%s\n  {\"seq\": %llu, \"at\": %lld, \"time\": \"%s\", "
		    "\"kind\": \"%s\", \"action\": \"%s\", \"prefix\": \"%s\", \"ttl\": %lld, "
		    "\"reason\": %s", c->n ? "," : "", (unsigned long long)it.seq, (long long)it.at,
		    when, e->kind, it.action, p, (long long)it.ttl, reason);
		if (it.member[0] != '\0') {
			json_escape(member, sizeof(member), it.member);
			outbuf_printf(c->out, ", \"member\": %s, \"report_seq\": %llu", member,
			    (unsigned long long)it.report_seq);
		}
		outbuf_printf(c->out, "}");
	} else {
		if (it.ttl > 0)
			duration_format(it.ttl, ttl, sizeof(ttl));
		else
			snprintf(ttl, sizeof(ttl), "-");
		if (it.member[0] != '\0')
			outbuf_printf(c->out, "%-20s  %-8s %-40s %-8s %s (report %llu of %.24s...)\n",
			    when, it.action, p, ttl, it.reason, (unsigned long long)it.report_seq,
			    it.member);
		else
			outbuf_printf(c->out, "%-20s  %-8s %-40s %-8s %s\n", when, it.action, p, ttl,
			    it.reason);
	}
	return ++c->n >= c->r->limit;
}

void
view_history(struct daemon *d, struct outbuf *out, const struct control_request *r)
{
	struct history_ctx c = { out, r, 0 };

	if (r->json)
		outbuf_printf(out, "[");
	else
		outbuf_printf(out, "%-20s  %-8s %-40s %-8s %s\n", "TIME", "ACTION", "PREFIX", "TTL",
		    "REASON");
	if (journal_recent(d->journal, JOURNAL_LOCAL, JOURNAL_REFUSAL, HISTORY_SCAN_MAX,
	    history_one, &c) < 0) {
		char msg[600];
		snprintf(msg, sizeof(msg), "reading the journal: %s", journal_errmsg(d->journal));
		outbuf_free(out);
		answer_error(out, r->json, msg);
		return;
	}
	if (r->json)
		outbuf_printf(out, "%s]\n", c.n ? "\n" : "");
}
