/* control_handlers.c - the worker's answers to control requests that act
 * (ban, unban, flush, reload) and the small ones (ping, members, audit);
 * the read-only views are in control_status.c and control_history.c.
 * control.c parses the request line; this file identifies the caller
 * (SO_PEERCRED), logs who asked for each change, acts and answers
 * (docs/control.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "coalition/wire.h"
#include "common/log.h"
#include "common/prefix_split.h"
#include "common/util.h"
#include "coalition/coalition.h"
#include "daemon/config.h"
#include "daemon/control.h"
#include "daemon/control_views.h"
#include "daemon/privsep.h"
#include "daemon/worker.h"
#include "detector/detector.h"
#include "ledger/journal.h"
#include "ledger/ledger.h"
#include "policy/verdict.h"

void
answer_error(struct outbuf *out, int json, const char *msg)
{
	char esc[1200];

	if (json) {
		json_escape(esc, sizeof(esc), msg);
		outbuf_printf(out, "{\"error\": %s}\n", esc);
	} else
		outbuf_printf(out, "error: %s\n", msg);
}

void
answer_ok(struct outbuf *out, int json, const char *msg)
{
	char esc[1200];

	if (json) {
		json_escape(esc, sizeof(esc), msg);
		outbuf_printf(out, "{\"ok\": true, \"message\": %s}\n", esc);
	} else
		outbuf_printf(out, "%s\n", msg);
}

/* Who is on the other end of a control connection. */
struct peer {
	int known;
	unsigned uid, gid;
	int pid;
};

static void
peer_of(int fd, struct peer *p)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	memset(p, 0, sizeof(*p));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 && len == sizeof(cr)) {
		p->known = 1;
		p->uid = (unsigned)cr.uid;
		p->gid = (unsigned)cr.gid;
		p->pid = (int)cr.pid;
	}
}

/* One log line per state-changing request: what, and who asked. */
static void
log_request(const struct peer *p, const char *req, size_t len)
{
	if (p->known)
		log_info("control: \"%.*s\" from uid %u gid %u pid %d", (int)len, req, p->uid, p->gid,
		    p->pid);
	else
		log_info("control: \"%.*s\" from an unidentified caller", (int)len, req);
}

/* --- ban --- */

/* A ban by hand: the allowlist (in the verdict), bantime_max, and when it
 * is to be published, the charter's scope (what every member would refuse
 * is refused here, with the reason, rather than signed and sent). */
static void
handle_ban(struct daemon *d, const struct control_request *r, struct outbuf *out)
{
	char err[300], text[A5_PREFIX_STRLEN], msg[600], dur[32], cap[32];
	int64_t now = now_sec(), duration = r->duration ? r->duration : d->cfg->bantime;
	int capped = 0;
	const char *why;

	prefix_format(&r->prefix, text, sizeof(text));
	if (duration > d->cfg->bantime_max) {
		duration = d->cfg->bantime_max;
		capped = 1;
	}
	/* exactly the duration asked for, else the default bantime:
	 * no escalation for an operator's ban */
	struct ban_request ban = { .prefix = r->prefix, .service = "manual", .rule = "manual",
	    .reason = "manual", .evidence = 0, .first_seen = now, .last_seen = now,
	    .base = d->cfg->bantime, .duration = duration };
	if (daemon_ban(d, &ban, err, sizeof(err)) != 0) {
		answer_error(out, r->json, err);
		return;
	}
	duration_format(duration, dur, sizeof(dur));
	if (capped) {
		duration_format(r->duration, cap, sizeof(cap));
		snprintf(msg, sizeof(msg), "banned %s for %s (%s asked, cut to bantime_max)", text,
		    dur, cap);
	} else
		snprintf(msg, sizeof(msg), "banned %s for %s", text, dur);
	/* Enforced here in any case (local decisions are this host's); the
	 * coalition gets it only if its members would take it, and the
	 * operator hears at once why not (the receivers' own scope check). */
	why = d->co != NULL && d->cfg->publish && !d->cfg->observe ?
	    coalition_publish_refusal(d->co, &r->prefix) : NULL;
	if (why != NULL) {
		size_t used = strlen(msg);
		snprintf(msg + used, sizeof(msg) - used, "; not published to the coalition, its "
		    "members would refuse it (%s)", why);
	}
	answer_ok(out, r->json, msg);
}

/* --- unban --- */

/* The wider bans that hold the prefix being unbanned. They all hold one
 * prefix, so they nest in one another, one per prefix length at most: all
 * of them fit (the ledger holds each prefix once; more is refused, never
 * silently left out, since one left out would keep the address banned). */
struct covering {
	const struct a5_prefix *target;
	size_t n;
	int over;
	struct ledger_ban b[PREFIX_NEST_MAX];
};

static int
covering_one(const struct ledger_ban *b, void *arg)
{
	struct covering *c = arg;

	if (prefix_equal(&b->prefix, c->target) || !prefix_contains(&b->prefix, c->target))
		return 0;
	if (c->n < PREFIX_NEST_MAX)
		c->b[c->n++] = *b;
	else
		c->over = 1;
	return 0;
}

/* The widest of the covering bans: the one whose unban lifts them all. */
static const struct ledger_ban *
covering_widest(const struct covering *c)
{
	const struct ledger_ban *w = &c->b[0];

	for (size_t i = 1; i < c->n; i++)
		if (c->b[i].prefix.len < w->prefix.len)
			w = &c->b[i];
	return w;
}

/* The later of two expiries, 0 (never) being the latest. */
static int64_t
later_expiry(int64_t a, int64_t b)
{
	return a == 0 || b == 0 ? 0 : a > b ? a : b;
}

static int
is_coalition_ban(const struct ledger_ban *b)
{
	return strcmp(b->reason, "coalition") == 0;
}

/* Lifts the covering bans and bans the rest of them around target again.
 * Each is cut around the next narrower one (prefix_split_nest), so no two
 * pieces overlap; a piece keeps the record of the ban it was cut from and
 * the latest expiry of the bans that held it (its own and the wider ones),
 * so nothing outside target is banned for less time than before. Returns
 * the pieces banned again, or -1 when the bans could not be split (then
 * nothing was lifted). */
static int
split_bans(struct daemon *d, const struct covering *cov, const struct a5_prefix *target,
    int64_t now)
{
	struct a5_prefix nest[PREFIX_NEST_MAX];
	struct prefix_piece pieces[PREFIX_SPLIT_MAX];
	int64_t until[PREFIX_NEST_MAX];
	char outer[A5_PREFIX_STRLEN], inner[A5_PREFIX_STRLEN], why[160];
	int n, kept = 0;

	for (size_t i = 0; i < cov->n; i++)
		nest[i] = cov->b[i].prefix;
	if ((n = prefix_split_nest(nest, cov->n, target, pieces)) < 0)
		return -1;
	for (size_t i = 0; i < cov->n; i++) {
		until[i] = cov->b[i].expires;
		for (size_t j = 0; j < cov->n; j++)
			if (nest[j].len < nest[i].len)
				until[i] = later_expiry(until[i], cov->b[j].expires);
	}
	prefix_format(target, inner, sizeof(inner));
	snprintf(why, sizeof(why), "by request, split around %s", inner);
	/* Widest first, each in a transaction of its own: the wider prefix
	 * leaves the kernel before pieces that overlap it arrive (nftables
	 * refuses an interval that overlaps one still in the set), and a
	 * narrower one the kernel never held (a wider one covered it) fails
	 * its delete alone, as "not in the set". */
	for (unsigned len = 0; len < target->len; len++)
		for (size_t i = 0; i < cov->n; i++) {
			if (nest[i].len != len)
				continue;
			ledger_ban_remove(d->ledger, &nest[i]);
			enforce_group(d, ENF_DELETE, ENF_GROUP_LOCAL, &nest[i], 0);
			privc_commit(d->pc);
			if (journal_local(d->journal, now, "unban", &nest[i], 0, why) != 0)
				log_warnx("%s", journal_errmsg(d->journal));
		}
	for (int k = 0; k < n; k++) {
		const struct ledger_ban *b = &cov->b[pieces[k].from];
		struct ledger_ban piece = *b;

		if (prefixlist_overlaps(&d->allow, &pieces[k].prefix))
			continue;
		piece.prefix = pieces[k].prefix;
		piece.expires = until[pieces[k].from];
		if (ledger_ban_put(d->ledger, &piece) != 0)
			log_warnx("ledger: %s", ledger_errmsg(d->ledger));
		prefix_format(&b->prefix, outer, sizeof(outer));
		snprintf(why, sizeof(why), "rest of %s after an unban of %s", outer, inner);
		if (journal_local(d->journal, now, "ban", &piece.prefix,
		    piece.expires ? piece.expires - now : 0, why) != 0)
			log_warnx("%s", journal_errmsg(d->journal));
		enforce_group(d, ENF_ADD, ENF_GROUP_LOCAL, &piece.prefix,
		    verdict_ttl(piece.expires, now));
		kept++;
	}
	log_info("unban %s: %zu wider ban%s split, %d narrower prefixes banned again", inner,
	    cov->n, cov->n > 1 ? "s" : "", kept);
	return kept;
}

/* "P (service S from O, expires in T)" for the answer. */
static void
describe_ban(const struct ledger_ban *b, int64_t now, char *buf, size_t n)
{
	char p[A5_PREFIX_STRLEN], left[32];

	prefix_format(&b->prefix, p, sizeof(p));
	if (b->expires)
		duration_format(b->expires - now, left, sizeof(left));
	else
		snprintf(left, sizeof(left), "never");
	if (snprintf(buf, n, "%s (%.64s, from %.64s, expires in %s)", p, b->service, b->origin,
	    left) >= (int)n && n > 4)
		memcpy(buf + n - 4, "...", 4);
}

/* The exact prefix out of the ledger, the detector and the kernel sets;
 * for a coalition ban, declined as before. 1 if something was banned. */
static int
unban_exact(struct daemon *d, const struct a5_prefix *p, int64_t now)
{
	int found = ledger_ban_remove(d->ledger, p);
	int64_t held_until = 0;

	if (found != 1 && d->co != NULL &&
	    ledger_cban_get(d->ledger, p, &held_until) == 1 && held_until > now)
		found = 1;	/* a coalition ban, lifted below */
	det_forget(d->det, p);
	enforce_group(d, ENF_DELETE, ENF_GROUP_LOCAL, p, 0);
	if (d->co != NULL) {
		/* Local decisions win over the coalition's: the prefix leaves
		 * the coalition sets too, declared declined in the commitments
		 * until the hold and any deadline it had here both end. */
		int64_t deadline = 0, until = now + d->cfg->unban_hold;
		if (ledger_cban_get(d->ledger, p, &deadline) == 1 && deadline > until)
			until = deadline;
		ledger_cban_remove(d->ledger, p);
		enforce_group(d, ENF_DELETE, ENF_GROUP_COALITION, p, 0);
		coalition_local_unban(d->co, p, now + d->cfg->unban_hold);
		coalition_decline(d->co, p, WIRE_DECLINE_UNBAN, until);
	}
	return found == 1;
}

/* Tells the truth: an address inside a wider ban is still blocked after
 * its own entry is gone, so that case is refused (nothing changed) unless
 * split is asked for; and nothing to lift is an error too. */
static void
handle_unban(struct daemon *d, const struct control_request *r, struct outbuf *out)
{
	struct covering *cov = calloc(1, sizeof(*cov));
	char text[A5_PREFIX_STRLEN], msg[1000], one[300];
	int64_t now = now_sec();
	int split = 0;

	if (cov == NULL) {
		answer_error(out, r->json, "out of memory");
		return;
	}
	cov->target = &r->prefix;
	prefix_format(&r->prefix, text, sizeof(text));
	if (ledger_bans_active(d->ledger, now, covering_one, cov) < 0) {
		answer_error(out, r->json, "ledger error");
		goto done;
	}
	if (cov->over) {
		snprintf(msg, sizeof(msg), "%s lies inside more than %d wider bans; nothing was lifted",
		    text, PREFIX_NEST_MAX);
		answer_error(out, r->json, msg);
		goto done;
	}
	if (cov->n > 0 && !r->split) {
		const struct ledger_ban *w = covering_widest(cov);
		char outer[A5_PREFIX_STRLEN];
		describe_ban(w, now, one, sizeof(one));
		prefix_format(&w->prefix, outer, sizeof(outer));
		snprintf(msg, sizeof(msg), "%s lies inside the banned prefix %s%s; nothing was lifted. "
		    "`article5 unban %s` lifts the whole prefix, `article5 unban --split %s` lifts only "
		    "%s and bans the rest of it again", text, one,
		    cov->n > 1 ? " (and narrower bans inside it)" : "", outer, text, text);
		answer_error(out, r->json, msg);
		goto done;
	}
	for (size_t i = 0; i < cov->n; i++)
		if (is_coalition_ban(&cov->b[i])) {
			describe_ban(&cov->b[i], now, one, sizeof(one));
			snprintf(msg, sizeof(msg), "%s lies inside %s, a coalition ban: it cannot be split "
			    "here; nothing was lifted. `article5 unban` of that prefix lifts it on this host",
			    text, one);
			answer_error(out, r->json, msg);
			goto done;
		}
	if (cov->n > 0) {
		if (split_bans(d, cov, &r->prefix, now) < 0) {
			snprintf(msg, sizeof(msg), "the wider bans holding %s could not be split; nothing "
			    "was lifted", text);
			answer_error(out, r->json, msg);
			goto done;
		}
		split = 1;
	}
	int found = unban_exact(d, &r->prefix, now);
	if (journal_local(d->journal, now, "unban", &r->prefix, 0, found || split ? "by request" :
	    "by request (not in the ledger)") != 0)
		log_warnx("%s", journal_errmsg(d->journal));
	if (!found && !split) {
		snprintf(msg, sizeof(msg), "%s was not banned (no ban of it, or holding it, in the "
		    "ledger); nothing was lifted", text);
		answer_error(out, r->json, msg);
		goto done;
	}
	log_info("unban %s (by request)", text);
	if (split)
		snprintf(msg, sizeof(msg), "unbanned %s: split out of %zu wider ban%s, the rest of which "
		    "stays banned", text, cov->n, cov->n > 1 ? "s" : "");
	else
		snprintf(msg, sizeof(msg), "unbanned %s", text);
	answer_ok(out, r->json, msg);
done:
	free(cov);
}

/* --- flush, reload --- */

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
handle_flush(struct daemon *d, const struct control_request *r, struct outbuf *out)
{
	char msg[320];
	int64_t now = now_sec();
	int n = ledger_bans_clear(d->ledger);
	int nc = ledger_cbans_active(d->ledger, now, flush_cban, d);

	if (n >= 0 && nc > 0)
		n += nc;
	ledger_cbans_expire(d->ledger, INT64_MAX);
	snprintf(msg, sizeof(msg), "by request, %d bans", n < 0 ? 0 : n);
	if (journal_local(d->journal, now, "flush", NULL, 0, msg) != 0)
		log_warnx("%s", journal_errmsg(d->journal));
	if (privc_flush(d->pc) != 0) {
		answer_error(out, r->json, "flushing the nftables sets failed");
		return;
	}
	/* A flush is the local emergency exit: it publishes no revocations
	 * (thousands of them would trip every member's rate limit). The
	 * operator is told, so a false positive is revoked by its unban. */
	log_info("flush: %d bans lifted (by request)", n < 0 ? 0 : n);
	if (d->co != NULL)
		snprintf(msg, sizeof(msg), "flushed %d bans here; the bans this host published stay "
		    "at the other members until they expire (`article5 unban PREFIX` revokes one)",
		    n < 0 ? 0 : n);
	else
		snprintf(msg, sizeof(msg), "flushed %d bans", n < 0 ? 0 : n);
	answer_ok(out, r->json, msg);
}

/* What SIGHUP does (worker_reload: the enforcer process takes the new
 * policy as records), with the outcome answered. */
static void
handle_reload(struct daemon *d, const struct control_request *r, struct outbuf *out)
{
	char why[1024], msg[1200];

	if (worker_reload(d, why, sizeof(why)) != 0) {
		snprintf(msg, sizeof(msg), "reload refused, the running configuration is kept: %s",
		    why[0] ? why : "see the log");
		answer_error(out, r->json, msg);
		return;
	}
	snprintf(msg, sizeof(msg), "reloaded %.900s: %zu rules for %zu services", d->cfg->path,
	    rules_count(d->rs), rules_service_count(d->rs));
	answer_ok(out, r->json, msg);
}

static void
handle_request(struct daemon *d, const char *req, size_t len, const struct peer *peer,
    struct outbuf *out)
{
	struct control_request r;
	char err[256];

	if (control_parse(req, len, &r, err, sizeof(err)) != 0) {
		answer_error(out, len > 0 && req[0] == 'j', err);
		return;
	}
	switch (r.cmd) {
	case CTL_BAN: case CTL_UNBAN: case CTL_FLUSH: case CTL_RELOAD:
		log_request(peer, req, len);
		break;
	default:
		break;
	}
	switch (r.cmd) {
	case CTL_STATUS:
		if (r.service[0] != '\0')
			view_status_service(d, out, &r);
		else
			view_status(d, out, r.json);
		break;
	case CTL_BANS:
		view_bans(d, out, &r);
		break;
	case CTL_HISTORY:
		view_history(d, out, &r);
		break;
	case CTL_BAN:
		handle_ban(d, &r, out);
		break;
	case CTL_UNBAN:
		handle_unban(d, &r, out);
		break;
	case CTL_FLUSH:
		handle_flush(d, &r, out);
		break;
	case CTL_RELOAD:
		handle_reload(d, &r, out);
		break;
	case CTL_PING:
		if (r.json)
			outbuf_printf(out, "{\"ok\": true, \"message\": \"pong\", \"pid\": %d}\n", (int)getpid());
		else
			outbuf_printf(out, "pong\n");
		break;
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
	case CTL_NCMDS:
		answer_error(out, r.json, "unknown command");
		break;
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
	struct peer peer;
	size_t len = 0;
	ssize_t n;
	int fd;

	while ((fd = accept4(d->ctlfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		peer_of(fd, &peer);
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
		handle_request(d, req, len, &peer, &out);
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
