/* control_handlers.c - the worker's answers to control requests (status,
 * bans, ban, unban, flush, members, audit; docs/control.md). control.c
 * parses the request line; this file acts on it and writes the answer. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "coalition/wire.h"
#include "common/log.h"
#include "common/util.h"
#include "coalition/coalition.h"
#include "daemon/config.h"
#include "daemon/control.h"
#include "daemon/privsep.h"
#include "daemon/worker.h"
#include "detector/detector.h"
#include "enforcer/kset.h"
#include "ledger/journal.h"
#include "ledger/ledger.h"
#include "rules/rules.h"
#include "sensor/sensor.h"

struct list_ctx {
	struct outbuf *out;
	int json, n;
	int64_t now;
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

static void
answer_error(struct outbuf *out, int json, const char *msg)
{
	char esc[600];

	if (json) {
		json_escape(esc, sizeof(esc), msg);
		outbuf_printf(out, "{\"error\": %s}\n", esc);
	} else
		outbuf_printf(out, "error: %s\n", msg);
}

static void
answer_ok(struct outbuf *out, int json, const char *msg)
{
	char esc[600];

	if (json) {
		json_escape(esc, sizeof(esc), msg);
		outbuf_printf(out, "{\"ok\": true, \"message\": %s}\n", esc);
	} else
		outbuf_printf(out, "%s\n", msg);
}


static void
handle_status(struct daemon *d, struct outbuf *out, int json)
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
		    (int)getpid(), (int)getppid(), d->cfg->nsources, rules_service_count(d->rs), rules_count(d->rs),
		    (unsigned long long)d->lines, (unsigned long long)d->matches,
		    (unsigned long long)d->attempts, (unsigned long long)d->bans, (long long)active,
		    (unsigned long long)d->refused_allow, ds.offenders, (unsigned long long)ds.evictions,
		    (unsigned long long)ss->truncated, (unsigned long long)ss->rotations,
		    (unsigned long long)rules_scratch_limit_hits(d->sc),
		    (unsigned long long)es->commits, (unsigned long long)es->applied,
		    (unsigned long long)es->failed, (unsigned long long)d->ledger_errors,
		    (unsigned long long)d->reloads, (unsigned long long)d->remote_applied);
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
	    d->cfg->nsources, (unsigned long long)ss->lines, (unsigned long long)ss->truncated,
	    (unsigned long long)ss->rotations);
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

/* A flush lifts the coalition bans too; each is declared declined until
 * its deadline, as a local unban is. */
static int
flush_cban(const struct a5_prefix *p, int64_t deadline, void *arg)
{
	struct daemon *d = arg;

	if (d->co != NULL)
		coalition_decline(d->co, p, WIRE_DECLINE_UNBAN, deadline);
	return 0;
}

static void
handle_request(struct daemon *d, const char *req, size_t len, struct outbuf *out)
{
	struct control_request r;
	char err[256], text[A5_PREFIX_STRLEN], msg[320];
	int64_t now = now_sec();

	if (control_parse(req, len, &r, err, sizeof(err)) != 0) {
		answer_error(out, len > 0 && req[0] == 'j', err);
		return;
	}
	prefix_format(&r.prefix, text, sizeof(text));
	switch (r.cmd) {
	case CTL_STATUS:
		handle_status(d, out, r.json);
		break;
	case CTL_BANS: {
		struct list_ctx c = { out, r.json, 0, now };
		if (r.json)
			outbuf_printf(out, "[");
		else
			outbuf_printf(out, "%-40s %-14s %-26s %8s  %-20s %-10s %s\n", "PREFIX", "SERVICE",
			    "RULE", "FAILURES", "LAST SEEN", "EXPIRES IN", "ORIGIN");
		if (ledger_bans_active(d->ledger, now, list_one, &c) < 0) {
			outbuf_free(out);
			answer_error(out, r.json, "ledger error");
			break;
		}
		if (r.json)
			outbuf_printf(out, "%s]\n", c.n ? "\n" : "");
		break;
	}
	case CTL_BAN: {
		/* exactly the duration asked for, else the default bantime:
		 * no escalation for an operator's ban */
		struct ban_request ban = { .prefix = r.prefix, .service = "manual", .rule = "manual",
		    .reason = "manual", .evidence = 0, .first_seen = now, .last_seen = now,
		    .base = d->cfg->bantime, .duration = r.duration ? r.duration : d->cfg->bantime };
		if (daemon_ban(d, &ban, err, sizeof(err)) != 0)
			answer_error(out, r.json, err);
		else {
			snprintf(msg, sizeof(msg), "banned %s", text);
			answer_ok(out, r.json, msg);
		}
		break;
	}
	case CTL_UNBAN: {
		int found = ledger_ban_remove(d->ledger, &r.prefix);
		int64_t held_until = 0;
		if (found != 1 && d->co != NULL &&
		    ledger_cban_get(d->ledger, &r.prefix, &held_until) == 1 && held_until > now)
			found = 1;	/* a coalition ban, lifted below */
		if (journal_local(d->journal, now, "unban", &r.prefix, 0, found == 1 ? "by request" :
		    "by request (not in the ledger)") != 0)
			log_warnx("%s", journal_errmsg(d->journal));
		det_forget(d->det, &r.prefix);
		enforce_group(d, ENF_DELETE, ENF_GROUP_LOCAL, &r.prefix, 0);
		if (d->co != NULL) {
			/* Local decisions win over the coalition's: the prefix leaves
			 * the coalition sets too, declared declined in the commitments
			 * until the hold and any deadline it had here both end. */
			int64_t deadline = 0, until = now + d->cfg->unban_hold;
			if (ledger_cban_get(d->ledger, &r.prefix, &deadline) == 1 && deadline > until)
				until = deadline;
			ledger_cban_remove(d->ledger, &r.prefix);
			enforce_group(d, ENF_DELETE, ENF_GROUP_COALITION, &r.prefix, 0);
			coalition_local_unban(d->co, &r.prefix, now + d->cfg->unban_hold);
			coalition_decline(d->co, &r.prefix, WIRE_DECLINE_UNBAN, until);
		}
		log_info("unban %s (by request)", text);
		snprintf(msg, sizeof(msg), found == 1 ? "unbanned %s" :
		    "%s was not banned in the ledger; removed from the kernel set if present", text);
		answer_ok(out, r.json, msg);
		break;
	}
	case CTL_MEMBERS:
		if (d->co == NULL)
			answer_error(out, r.json, "no coalition configured (see 'coalition' in docs/config.md)");
		else
			coalition_members(d->co, out, r.json);
		break;
	case CTL_AUDIT:
		if (d->co == NULL)
			answer_error(out, r.json, "no coalition configured (see 'coalition' in docs/config.md)");
		else
			coalition_audit(d->co, out, r.json);
		break;
	case CTL_METRICS:
		web_metrics(d, out, r.json);
		break;
	case CTL_FLUSH: {
		int n = ledger_bans_clear(d->ledger);
		int nc = ledger_cbans_active(d->ledger, now, flush_cban, d);
		if (n >= 0 && nc > 0)
			n += nc;
		ledger_cbans_expire(d->ledger, INT64_MAX);
		snprintf(msg, sizeof(msg), "by request, %d bans", n < 0 ? 0 : n);
		if (journal_local(d->journal, now, "flush", NULL, 0, msg) != 0)
			log_warnx("%s", journal_errmsg(d->journal));
		if (privc_flush(d->pc) != 0) {
			answer_error(out, r.json, "flushing the nftables sets failed");
			break;
		}
		log_info("flush: %d bans lifted (by request)", n);
		snprintf(msg, sizeof(msg), "flushed %d bans", n < 0 ? 0 : n);
		answer_ok(out, r.json, msg);
		break;
	}
	}
}

/* Reads one request (bounded, with a short timeout), answers, closes. The
 * CLI writes its request at once, so this does not stall the loop. */
void
control_serve(struct daemon *d)
{
	char req[CONTROL_REQUEST_MAX + 2];
	struct timeval tv = { 1, 0 };
	struct outbuf out = { 0 };
	size_t len = 0;
	ssize_t n;
	int fd;

	while ((fd = accept4(d->ctlfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		len = 0;
		while (len < sizeof(req) && (n = read(fd, req + len, sizeof(req) - len)) > 0) {
			len += (size_t)n;
			if (memchr(req, '\n', len))
				break;
		}
		char *nl = memchr(req, '\n', len);
		if (nl != NULL)
			len = (size_t)(nl - req);
		else
			len = sizeof(req);	/* no newline: too long or cut, refused by the parser */
		handle_request(d, req, len, &out);
		if (out.overflow) {
			outbuf_free(&out);
			answer_error(&out, req[0] == 'j', "response too large");
		}
		for (size_t off = 0; off < out.len; ) {
			n = write(fd, out.data + off, out.len - off);
			if (n <= 0)
				break;
			off += (size_t)n;
		}
		outbuf_free(&out);
		close(fd);
	}
}
