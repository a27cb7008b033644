/* web.c - the worker's metrics and dashboard (docs/metrics.md): the loop
 * counts into a metrics table as it goes (lines by source, attempts by
 * service and rule, bans by service and origin, propagation delays), the
 * rest is read when a page is asked for (bans in force, kernel sets, the
 * coalition's counters). Served by src/http/ from this same loop, and on
 * the control socket for `article5 metrics`. */
#include <string.h>
#include <unistd.h>

#include "coalition/coalition.h"
#include "common/log.h"
#include "common/util.h"
#include "daemon/config.h"
#include "daemon/control.h"
#include "daemon/privsep.h"
#include "daemon/worker.h"
#include "http/http.h"
#include "http/metrics.h"
#include "ledger/ledger.h"
#include "rules/rules.h"

/* The series read at rendering time. */
static void
web_refresh(struct daemon *d)
{
	struct metrics *m = d->metrics;
	static const struct { int group; const char *name; } sets[] = {
		{ ENF_GROUP_LOCAL, "local" }, { ENF_GROUP_COALITION, "coalition" },
	};

	metrics_set(m, M_BANS_ACTIVE, NULL, NULL, (double)ledger_bans_count(d->ledger, now_sec()));
	metrics_set(m, M_UPTIME, NULL, NULL, (double)(now_sec() - d->started));
	metrics_clear(m, M_KERNEL_SET);
	if (d->mirror) {
		for (size_t i = 0; i < ARRAY_LEN(sets); i++) {
			uint8_t dg[KSET_DIGEST_LEN];
			uint64_t n;
			if (privc_digest(d->pc, sets[i].group, dg, &n) == 0)
				metrics_set(m, M_KERNEL_SET, sets[i].name, NULL, (double)n);
		}
	}
	/* gauges of the coalition: members come and go with charter updates */
	metrics_clear(m, M_REFUSALS);
	metrics_clear(m, M_COMMIT_LAG);
	metrics_clear(m, M_MEMBER_AUDIT);
	if (d->co != NULL)
		coalition_metrics(d->co, m);
	else
		metrics_set(m, M_NATS_CONNECTED, NULL, NULL, 0);
}

void
web_metrics(struct daemon *d, struct outbuf *out, int json)
{
	/* What is queued is applied first: the kernel's sizes include it. */
	privc_commit(d->pc);
	web_refresh(d);
	if (json)
		metrics_render_json(d->metrics, out);
	else
		metrics_render(d->metrics, out);
}

/* The dashboard's feed: the totals, the rings, the coalition's members
 * and audit as the control socket gives them. */
static void
feed_json(struct daemon *d, struct outbuf *out)
{
	outbuf_printf(out, "{\"now\": %lld, \"mode\": \"%s\", \"uptime\": %lld, \"lines\": %llu, "
	    "\"attempts_total\": %llu, \"bans_total\": %llu, \"active_bans\": %lld, ", (long long)now_sec(),
	    d->cfg->observe ? "observe" : "enforce", (long long)(now_sec() - d->started),
	    (unsigned long long)d->lines, (unsigned long long)d->attempts,
	    (unsigned long long)d->bans, (long long)ledger_bans_count(d->ledger, now_sec()));
	dash_feed_json(&d->feed, out);
	if (d->co == NULL) {
		outbuf_printf(out, ", \"coalition\": null, \"members\": null, \"audit\": null}\n");
		return;
	}
	outbuf_printf(out, ", ");
	coalition_status(d->co, out, 1);
	outbuf_printf(out, ", \"members\": ");
	coalition_members(d->co, out, 1);
	outbuf_printf(out, ", \"audit\": ");
	coalition_audit(d->co, out, 1);
	outbuf_printf(out, "}\n");
}

static int
web_render(void *arg, enum http_page page, struct outbuf *out)
{
	struct daemon *d = arg;

	switch (page) {
	case HTTP_PAGE_METRICS:
		web_metrics(d, out, 0);
		break;
	case HTTP_PAGE_FEED:
		feed_json(d, out);
		break;
	case HTTP_PAGE_DASHBOARD:
		outbuf_printf(out, "%s", dashboard_html);
		break;
	}
	return out->overflow ? -1 : 0;
}

int
web_open(struct daemon *d)
{
	char err[512];

	if ((d->metrics = metrics_new()) == NULL) {
		log_warnx("out of memory");
		return -1;
	}
	if (d->cfg->http_listen[0] == '\0')
		return 0;
	if (dash_feed_init(&d->feed) != 0) {
		log_warnx("out of memory");
		return -1;
	}
	d->http = http_open(d->cfg->http_listen, d->cfg->http_token, web_render, d, err, sizeof(err));
	if (d->http == NULL) {
		log_warnx("%s", err);
		return -1;
	}
	log_info("http: serving /metrics and the dashboard on %s%s", d->cfg->http_listen,
	    d->cfg->http_token[0] ? " (bearer token required)" : "");
	return 0;
}

void
web_close(struct daemon *d)
{
	http_close(d->http);
	d->http = NULL;
	dash_feed_free(&d->feed);
	metrics_free(d->metrics);
	d->metrics = NULL;
}

void
web_lines(struct daemon *d, const char *source, uint64_t n)
{
	metrics_add(d->metrics, M_LINES_READ, source, NULL, (double)n);
}

void
web_attempt(struct daemon *d, const struct a5_prefix *addr, const char *service, const char *rule)
{
	metrics_add(d->metrics, M_ATTEMPTS, service, rule, 1);
	if (d->http != NULL)
		dash_feed_attempt(&d->feed, now_sec(), addr, service, rule);
}

/* A ban's propagation delay (a coalition ban) and its line on the dashboard. */
static void
web_ban_seen(struct daemon *d, const struct a5_prefix *p, const char *service, const char *origin,
    int64_t reported_us)
{
	if (reported_us > 0) {
		int64_t delay = now_usec() - reported_us;
		/* another member's clock may be ahead of ours */
		metrics_observe(d->metrics, M_PROPAGATION, delay > 0 ? (double)delay / 1e6 : 0);
	}
	if (d->http != NULL)
		dash_feed_ban(&d->feed, now_sec(), p, service, origin);
}

void
web_ban(struct daemon *d, const struct a5_prefix *p, const char *service, const char *origin,
    int64_t reported_us)
{
	metrics_add(d->metrics, M_BANS, service, origin, 1);
	web_ban_seen(d, p, service, origin, reported_us);
}

/* A coalition ban's service is the reporting member's free text: one
 * member sending ever new names would fill article5_bans_total's label
 * sets (METRICS_SERIES_MAX) and starve the real series. So the series
 * names a service only when this host has one of that name (or "manual",
 * a member's ban by hand), else "other". The member label is bounded by
 * the charter. (A lookup per report: up to RULES_SERVICES_MAX strcmp, next
 * to the report's signature check.) The dashboard's rings keep the name
 * as reported: they are bounded by their own size. */
void
web_ban_remote(struct daemon *d, const struct a5_prefix *p, const char *service,
    const char *member, int64_t reported_us)
{
	const char *label = strcmp(service, "manual") == 0 ||
	    (d->rs != NULL && rules_service_find(d->rs, service) >= 0) ? service : WEB_SERVICE_OTHER;

	metrics_add(d->metrics, M_BANS, label, member, 1);
	web_ban_seen(d, p, service, member, reported_us);
}
