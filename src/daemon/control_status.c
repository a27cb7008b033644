/* control_status.c - the control socket's views of the running worker:
 * status (counters, each log source with its state), status SERVICE (its
 * policy, rule hits, attempts, bans) and bans (with filters). Read-only;
 * docs/control.md. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "coalition/coalition.h"
#include "common/util.h"
#include "daemon/config.h"
#include "daemon/control.h"
#include "daemon/control_views.h"
#include "daemon/privsep.h"
#include "daemon/worker.h"
#include "detector/detector.h"
#include "enforcer/kset.h"
#include "ledger/ledger.h"
#include "rules/rules.h"
#include "sensor/sensor.h"

struct list_ctx {
	struct outbuf *out;
	int json, n;
	int64_t now;
	const char *service, *origin;	/* NULL or "": any */
};

static void
fmt_time(int64_t t, char *buf, size_t n)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL)
		snprintf(buf, n, "-");
	else
		strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
list_one(const struct ledger_ban *b, void *arg)
{
	struct list_ctx *c = arg;
	char p[A5_PREFIX_STRLEN], l[32], svc[160], rule[160], origin[160], reason[160], left[32];

	if ((c->service != NULL && c->service[0] != '\0' && strcmp(b->service, c->service) != 0) ||
	    (c->origin != NULL && c->origin[0] != '\0' && strcmp(b->origin, c->origin) != 0))
		return 0;
	prefix_format(&b->prefix, p, sizeof(p));
	fmt_time(b->last_seen, l, sizeof(l));
	if (c->json) {
		/* every text field escaped: the ledger is only as clean as its writers */
		json_escape(svc, sizeof(svc), b->service);
		json_escape(rule, sizeof(rule), b->rule);
		json_escape(origin, sizeof(origin), b->origin);
		json_escape(reason, sizeof(reason), b->reason);
		outbuf_printf(c->out, "%s\n  {\"prefix\": \"%s\", \"service\": %s, \"rule\": %s, "
		    "\"reason\": %s, \"origin\": %s, \"failures\": %u, \"first_seen\": %lld, "
		    "\"last_seen\": %lld, \"created\": %lld, \"expires\": %lld}",
		    c->n ? "," : "", p, svc, rule, reason, origin, b->evidence,
		    (long long)b->first_seen, (long long)b->last_seen, (long long)b->created,
		    (long long)b->expires);
	} else {
		if (b->expires)
			duration_format(b->expires - c->now, left, sizeof(left));
		else
			snprintf(left, sizeof(left), "never");
		outbuf_printf(c->out, "%-40s %-14s %-26s %8u  %-20s %-10s %s\n", p, b->service,
		    b->rule, b->evidence, l, left, b->origin);
	}
	c->n++;
	return 0;
}

/* The bans, as a JSON array or a table; service/origin filter (NULL: any). */
static int
list_bans(struct daemon *d, struct outbuf *out, int json, const char *service, const char *origin)
{
	struct list_ctx c = { out, json, 0, now_sec(), service, origin };

	if (json)
		outbuf_printf(out, "[");
	else
		outbuf_printf(out, "%-40s %-14s %-26s %8s  %-20s %-10s %s\n", "PREFIX", "SERVICE",
		    "RULE", "FAILURES", "LAST SEEN", "EXPIRES IN", "ORIGIN");
	if (ledger_bans_active(d->ledger, c.now, list_one, &c) < 0)
		return -1;
	if (json)
		outbuf_printf(out, "%s]", c.n ? "\n" : "");
	return c.n;
}

void
view_bans(struct daemon *d, struct outbuf *out, const struct control_request *r)
{
	if (list_bans(d, out, r->json, r->service, r->origin) < 0) {
		outbuf_free(out);
		answer_error(out, r->json, "ledger error");
		return;
	}
	if (r->json)
		outbuf_printf(out, "\n");
}

/* "5s ago", "never" */
static void
fmt_ago(int64_t t, int64_t now, char *buf, size_t n)
{
	char d[32];

	if (t == 0) {
		snprintf(buf, n, "never");
		return;
	}
	duration_format(now - t > 0 ? now - t : 0, d, sizeof(d));
	snprintf(buf, n, "%s ago", d);
}

/* Each source: path, state, lines read, last line; quiet ones flagged. */
static void
sources_view(struct daemon *d, struct outbuf *out, int json)
{
	size_t n = sensor_source_count(d->sensor);
	int64_t now = now_sec();
	char name[2 * PATH_MAX], detail[300], ago[48];

	if (json)
		outbuf_printf(out, ", \"source_status\": [");
	for (size_t i = 0; i < n; i++) {
		struct sensor_source_info si;
		sensor_source_get(d->sensor, i, &si);
		if (json) {
			json_escape(name, sizeof(name), si.name);
			json_escape(detail, sizeof(detail), si.detail);
			outbuf_printf(out, "%s{\"path\": %s, \"state\": \"%s\", \"detail\": %s, "
			    "\"lines\": %llu, \"last_line\": %lld, \"quiet\": %s}", i ? ", " : "", name,
			    sensor_state_name(si.state), detail, (unsigned long long)si.lines,
			    (long long)si.last_line, si.quiet ? "true" : "false");
			continue;
		}
		fmt_ago(si.last_line, now, ago, sizeof(ago));
		outbuf_printf(out, "  %-36s %-8s %8llu lines, last %s%s%s%s\n", si.name,
		    sensor_state_name(si.state), (unsigned long long)si.lines, ago,
		    si.detail[0] ? " (" : "", si.detail, si.detail[0] ? ")" : "");
		if (si.quiet)
			outbuf_printf(out, "  %-36s warning: quiet, no line for source_quiet or longer\n", "");
	}
	if (json)
		outbuf_printf(out, "]");
}

void
view_status(struct daemon *d, struct outbuf *out, int json)
{
	const struct sensor_stats *ss = sensor_get_stats(d->sensor);
	struct enf_stats est;
	const struct enf_stats *es = &est;
	struct det_stats ds;
	int64_t active = ledger_bans_count(d->ledger, now_sec());

	det_get_stats(d->det, &ds);
	privc_stats(d->pc, &est);
	if (json) {
		outbuf_printf(out, "{\"mode\": \"%s\", \"uptime\": %lld, \"pid\": %d, \"enforcer_pid\": %d, "
		    "\"sources\": %zu, \"services\": %zu, \"rules\": %zu, "
		    "\"lines\": %llu, \"matches\": %llu, \"attempts\": %llu, \"bans\": %llu, "
		    "\"active_bans\": %lld, \"refused_allowlist\": %llu, "
		    "\"offenders_tracked\": %zu, \"offenders_evicted\": %llu, "
		    "\"lines_truncated\": %llu, \"rotations\": %llu, \"pcre_limit_hits\": %llu, "
		    "\"nft_commits\": %llu, \"nft_applied\": %llu, \"nft_failed\": %llu, "
		    "\"ledger_errors\": %llu, \"reloads\": %llu, \"remote_applied\": %llu",
		    d->cfg->observe ? "observe" : "enforce", (long long)(now_sec() - d->started),
		    (int)getpid(), (int)getppid(), sensor_source_count(d->sensor), rules_service_count(d->rs), rules_count(d->rs),
		    (unsigned long long)d->lines, (unsigned long long)d->matches,
		    (unsigned long long)d->attempts, (unsigned long long)d->bans, (long long)active,
		    (unsigned long long)d->refused_allow, ds.offenders, (unsigned long long)ds.evictions,
		    (unsigned long long)ss->truncated, (unsigned long long)ss->rotations,
		    (unsigned long long)rules_scratch_limit_hits(d->sc),
		    (unsigned long long)es->commits, (unsigned long long)es->applied,
		    (unsigned long long)es->failed, (unsigned long long)d->ledger_errors,
		    (unsigned long long)d->reloads, (unsigned long long)d->remote_applied);
		sources_view(d, out, 1);
		if (d->mirror) {
			uint8_t dg[KSET_DIGEST_LEN];
			uint64_t n;
			if (privc_digest(d->pc, -1, dg, &n) == 0) {
				outbuf_printf(out, ", \"kernel\": {\"prefixes\": %llu, \"digest\": \"",
				    (unsigned long long)n);
				char hex[2 * KSET_DIGEST_LEN + 1];
				sodium_bin2hex(hex, sizeof(hex), dg, sizeof(dg));
				outbuf_printf(out, "%s", hex);
				outbuf_printf(out, "\"}");
			} else
				outbuf_printf(out, ", \"kernel\": null");
		}
		if (d->co != NULL) {
			outbuf_printf(out, ", ");
			coalition_status(d->co, out, 1);
		}
		outbuf_printf(out, "}\n");
		return;
	}
	outbuf_printf(out, "mode:        %s\n", d->cfg->observe ? "observe (no enforcement)" : "enforce");
	outbuf_printf(out, "uptime:      %llds (worker pid %d, enforcer pid %d)\n",
	    (long long)(now_sec() - d->started), (int)getpid(), (int)getppid());
	outbuf_printf(out, "rules:       %zu rules for %zu services\n", rules_count(d->rs), rules_service_count(d->rs));
	outbuf_printf(out, "sources:     %zu; %llu lines read, %llu truncated, %llu rotations\n",
	    sensor_source_count(d->sensor), (unsigned long long)ss->lines, (unsigned long long)ss->truncated,
	    (unsigned long long)ss->rotations);
	sources_view(d, out, 0);
	outbuf_printf(out, "detection:   %llu lines matched, %llu failed attempts, %zu offenders tracked (%llu evicted)\n",
	    (unsigned long long)d->matches, (unsigned long long)d->attempts, ds.offenders,
	    (unsigned long long)ds.evictions);
	outbuf_printf(out, "bans:        %lld active, %llu issued since start, %llu refused by the allowlist\n",
	    (long long)active, (unsigned long long)d->bans, (unsigned long long)d->refused_allow);
	outbuf_printf(out, "nftables:    %llu transactions, %llu elements applied, %llu failed\n",
	    (unsigned long long)es->commits, (unsigned long long)es->applied, (unsigned long long)es->failed);
	if (d->mirror) {
		uint8_t dg[KSET_DIGEST_LEN];
		uint64_t n;
		char hex[2 * KSET_DIGEST_LEN + 1];
		int drc = privc_digest(d->pc, -1, dg, &n);
		if (drc == PRIV_NO_MIRROR)
			outbuf_printf(out, "kernel:      no mirror (it could not be opened; see the log)\n");
		else if (drc == 0) {
			sodium_bin2hex(hex, sizeof(hex), dg, sizeof(dg));
			outbuf_printf(out, "kernel:      %llu prefixes enforced, digest %.16s...\n",
			    (unsigned long long)n, hex);
		} else
			outbuf_printf(out, "kernel:      mirror being re-read (events were lost)\n");
	}
	if (d->co != NULL)
		coalition_status(d->co, out, 0);
	else
		outbuf_printf(out, "coalition:   none (this host works alone)\n");
}

/* One service: its policy, its rules' hits and its attempts since the
 * engine was built (start or last reload), its bans in force. */
void
view_status_service(struct daemon *d, struct outbuf *out, const struct control_request *r)
{
	int idx = rules_service_find(d->rs, r->service);
	char msg[200], esc[160], rn[160];
	int nr = 0;

	if (idx < 0) {
		snprintf(msg, sizeof(msg), "unknown service '%s' (`article5 status` lists the counts; "
		    "the rules files name the services)", r->service);
		answer_error(out, r->json, msg);
		return;
	}
	const struct service_policy *pol = &d->pol[idx];
	uint64_t attempts = d->svc_attempts[idx];
	char ft[32], bt[32];
	duration_format(pol->findtime, ft, sizeof(ft));
	duration_format(pol->bantime, bt, sizeof(bt));
	if (r->json) {
		json_escape(esc, sizeof(esc), r->service);
		outbuf_printf(out, "{\"service\": %s, \"disabled\": %s, \"maxretry\": %d, "
		    "\"findtime\": %lld, \"bantime\": %lld, \"attempts\": %llu, \"rules\": [", esc,
		    pol->disabled ? "true" : "false", pol->maxretry, (long long)pol->findtime,
		    (long long)pol->bantime, (unsigned long long)attempts);
	} else {
		outbuf_printf(out, "service:     %s%s\n", r->service, pol->disabled ? " (disabled)" : "");
		outbuf_printf(out, "policy:      maxretry %d, findtime %s, bantime %s\n", pol->maxretry,
		    ft, bt);
		outbuf_printf(out, "attempts:    %llu failed attempts (since start or the last reload)\n",
		    (unsigned long long)attempts);
		outbuf_printf(out, "rules:       hits since start or the last reload\n");
	}
	for (size_t i = 0; i < rules_count(d->rs); i++) {
		const struct rules_rule *rule = rules_get(d->rs, (int)i);
		if (rule->service != idx)
			continue;
		uint64_t hits = rules_scratch_hits(d->sc, (int)i);
		if (r->json) {
			json_escape(rn, sizeof(rn), rule->name);
			outbuf_printf(out, "%s{\"rule\": %s, \"kind\": \"%s\", \"hits\": %llu}", nr ? ", " : "",
			    rn, rules_kind_name(rule->kind), (unsigned long long)hits);
		} else
			outbuf_printf(out, "  %-32s %-10s %10llu\n", rule->name, rules_kind_name(rule->kind),
			    (unsigned long long)hits);
		nr++;
	}
	if (!r->json && nr == 0)
		outbuf_printf(out, "  (none: a fail2ban-filter service, or every rule disabled)\n");
	if (r->json)
		outbuf_printf(out, "], \"bans\": ");
	else
		outbuf_printf(out, "bans:\n");
	if (list_bans(d, out, r->json, r->service, NULL) < 0) {
		outbuf_free(out);
		answer_error(out, r->json, "ledger error");
		return;
	}
	if (r->json)
		outbuf_printf(out, "}\n");
}
