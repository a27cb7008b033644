/* daemon.c - `article5 daemon`: the worker's event loop over the log
 * sources, the coalition, the control socket, signals and a one-second
 * tick. Each loop iteration is one batch: ledger writes in one SQLite
 * transaction, nftables changes in one transaction, applied by the
 * privileged enforcer process (parent.c, docs/privsep.md). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/log.h"
#include "common/timeparse.h"
#include "common/util.h"
#include "coalition/wire.h"
#include "coalition/coalition.h"
#include "daemon/config.h"
#include "daemon/f2b_services.h"
#include "daemon/control.h"
#include "daemon/parent.h"
#include "daemon/privsep.h"
#include "daemon/sandbox.h"
#include "detector/detector.h"
#include "enforcer/enforcer.h"
#include "enforcer/kset.h"
#include "ledger/journal.h"
#include "ledger/ledger.h"
#include "sensor/sensor.h"

/* Source positions are saved this often (and at shutdown). */
#define POSITION_SAVE_SECS 5

struct daemon {
	struct config *cfg;
	struct ruleset *rs;
	struct rules_scratch *sc;
	struct service_policy *pol;
	struct detector *det;
	struct f2b_services *f2b;
	struct ledger *ledger;
	struct journal *journal;	/* on the ledger's connection: entries join its batch */
	struct privc *pc;		/* to the enforcer process */
	struct sensor *sensor;
	struct coalition *co;		/* NULL: no coalition configured */
	bool mirror;			/* the enforcer keeps a kernel mirror */
	struct prefixlist allow;	/* configured + local addresses */
	int epfd, sigfd, timerfd, ctlfd;
	int commitfd;			/* CLOCK_REALTIME, at each commitment instant; -1: none */
	bool commit_due;
	uint64_t charter_version;	/* in force in the coalition, to see it change */
	int64_t started, last_position_save;
	int64_t chunk_ts;		/* journal timestamp of the current chunk (s), 0 = now */
	bool stop;
	/* counters */
	uint64_t lines, matches, attempts, bans, refused_allow, ledger_errors, reloads;
	uint64_t remote_applied;
};

static void enforce_group(struct daemon *d, enum enf_op op, int group, const struct a5_prefix *p,
    uint32_t ttl);

static void
daemon_usage(FILE *f)
{
	fprintf(f,
	    "usage: article5 daemon -c CONFIG [-v]\n"
	    "\n"
	    "Runs the shield in the foreground: follows the configured log sources,\n"
	    "counts failed attempts per address and service, bans offenders in\n"
	    "nftables (table inet article5) and records everything in the ledger.\n"
	    "With 'coalition' and 'identity' in CONFIG it also publishes its bans as\n"
	    "signed reports and applies the reports of the other members that pass\n"
	    "the acceptance checks (docs/charter.md).\n"
	    "SIGTERM/SIGINT stop it cleanly; SIGHUP reloads the configuration, the\n"
	    "rules and the allowlist (sources are fixed until restart).\n"
	    "\n"
	    "  -c CONFIG   configuration file (see docs/config.md)\n"
	    "  -v          log debug messages\n");
}

/* Escalation: bantime * factor^(n-1), capped. */
static int64_t
ban_duration(const struct daemon *d, int64_t base, uint32_t count)
{
	int64_t t = base;

	for (uint32_t i = 1; i < count && t < d->cfg->bantime_max; i++)
		t *= d->cfg->bantime_factor;
	return t > d->cfg->bantime_max ? d->cfg->bantime_max : t;
}

static uint32_t
ttl_of(int64_t expires, int64_t now)
{
	if (expires == 0)
		return 0;
	int64_t left = expires - now;
	return left < 1 ? 1 : left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
}

static void
enforce_group(struct daemon *d, enum enf_op op, int group, const struct a5_prefix *p, uint32_t ttl)
{
	struct enf_record rec;

	memset(&rec, 0, sizeof(rec));
	rec.op = (uint8_t)op;
	rec.group = (uint8_t)group;
	rec.ttl = ttl;
	rec.prefix = *p;
	privc_queue(d->pc, &rec);
}

/* A coalition ban ends at its deadline to the millisecond: every member
 * computes the same deadline, and the audit compares kernel sets at
 * half a period past deadlines. A timeout in whole seconds from a clock in
 * whole seconds let an element outlive its deadline by up to a second,
 * which a 2 s period cannot absorb. The enforcer commits within the same
 * loop iteration, milliseconds later. */
static void
enforce_until(struct daemon *d, const struct a5_prefix *p, int64_t deadline)
{
	struct enf_record rec;
	int64_t left = deadline * 1000 - now_usec() / 1000;

	if (left < 1)
		left = 1;
	if (left > (int64_t)UINT32_MAX * 1000)
		left = (int64_t)UINT32_MAX * 1000;
	memset(&rec, 0, sizeof(rec));
	rec.op = ENF_ADD;
	rec.group = ENF_GROUP_COALITION;
	rec.ttl = (uint32_t)(left / 1000);
	rec.ttl_ms = (uint16_t)(left % 1000);
	rec.prefix = *p;
	privc_queue(d->pc, &rec);
}

static void
enforce(struct daemon *d, enum enf_op op, const struct a5_prefix *p, uint32_t ttl)
{
	enforce_group(d, op, ENF_GROUP_LOCAL, p, ttl);
}

/* Applies a ban decided here (detector or CLI). duration 0 means: the
 * service's base bantime, escalated for a repeat offender; otherwise exactly
 * duration (manual bans). Returns 0, or -1 with a reason in err. */
static int
ban_apply(struct daemon *d, const struct a5_prefix *p, const char *service,
    const char *rule, const char *reason, uint32_t evidence, int64_t first,
    int64_t last, int64_t base, int64_t duration, char *err, size_t errlen)
{
	struct ledger_ban b, old;
	char text[A5_PREFIX_STRLEN], dur[32];
	int64_t now = now_sec();
	uint32_t count = 1;

	prefix_format(p, text, sizeof(text));
	if (prefixlist_overlaps(&d->allow, p)) {
		d->refused_allow++;
		snprintf(err, errlen, "%s overlaps the allowlist (or this host's addresses); not banned", text);
		log_info("%s", err);
		return -1;
	}
	if (d->cfg->observe)
		count = 0;	/* no escalation history for dry runs */
	/* An offender already banned keeps its ban: lines logged before the
	 * kernel dropped its packets must not escalate it again. */
	int64_t deadline = 0;
	if (duration == 0 && ((ledger_ban_get(d->ledger, p, &old) == 1 &&
	    (old.expires == 0 || old.expires > now)) ||
	    (ledger_cban_get(d->ledger, p, &deadline) == 1 && deadline > now)))
		return 0;
	if (duration == 0) {
		if (!d->cfg->observe && ledger_offender_bump(d->ledger, p, now, 0, &count) != 0) {
			d->ledger_errors++;
			log_warnx("ledger: %s", ledger_errmsg(d->ledger));
		}
		duration = ban_duration(d, base, count);
	}
	memset(&b, 0, sizeof(b));
	b.prefix = *p;
	strlcpy_ok(b.service, service, sizeof(b.service));
	strlcpy_ok(b.rule, rule, sizeof(b.rule));
	strlcpy_ok(b.reason, reason, sizeof(b.reason));
	strlcpy_ok(b.origin, "local", sizeof(b.origin));
	b.evidence = evidence;
	b.first_seen = first;
	b.last_seen = last;
	b.created = now;
	b.expires = now + duration;
	duration_format(duration, dur, sizeof(dur));
	if (d->cfg->observe) {
		/* A dry run records nothing: a later switch to enforce mode must
		 * not turn its decisions into real bans. */
		d->bans++;
		log_info("would ban %s: %s (%s/%s, %u failures)", text, dur, service, rule, evidence);
		return 0;
	}
	if (ledger_ban_put(d->ledger, &b) != 0) {
		d->ledger_errors++;
		log_warnx("ledger: %s", ledger_errmsg(d->ledger));
	}
	char why[2 * LEDGER_NAME_MAX + 48] = "manual";
	if (strcmp(reason, "manual") != 0)
		snprintf(why, sizeof(why), "%s/%s %u failures", service, rule, evidence);
	if (journal_local(d->journal, now, "ban", p, duration, why) != 0) {
		d->ledger_errors++;
		log_warnx("%s", journal_errmsg(d->journal));
	}
	enforce(d, ENF_ADD, p, (uint32_t)duration);
	if (d->co != NULL && d->cfg->publish)
		coalition_local_ban(d->co, &b);
	d->bans++;
	log_info("ban %s: %s (%s/%s, %u failures, ban #%u)", text, dur, service, rule, evidence, count);
	return 0;
}

/* A report accepted by the coalition's pipeline (and enforced by this
 * member's role). It goes to the coalition sets, which hold exactly what
 * this member enforces for the others (its commitments digest them), until
 * the deadline every member computes the same way. A local ban of the same
 * prefix stays as it is, in the local sets; the bans listing shows the
 * coalition's ban, and who reported it, unless the local one lasts at
 * least as long. The allowlist is checked again here: the pipeline holds
 * the copy of the start (or of the last charter adopted) while this one
 * follows reloads, and a report refused for it must be declined in the
 * commitments, which the enforcer's own re-check does not do. */
static void
on_remote(struct daemon *d, const struct coalition_apply *a)
{
	struct ledger_ban b;
	char text[A5_PREFIX_STRLEN];
	int64_t now = now_sec(), prev = 0;

	/* The prefix is formatted only for the rare paths that log it: this
	 * runs once per applied report, and a flood brings thousands per
	 * second (the envelope's own log line counts them). */
	if (d->cfg->observe) {
		/* a dry run records nothing (see ban_apply) */
		d->remote_applied++;
		prefix_format(&a->prefix, text, sizeof(text));
		log_debug("would ban %s: reported by %s", text, a->member);
		return;
	}
	if (prefixlist_overlaps(&d->allow, &a->prefix)) {
		d->refused_allow++;
		coalition_decline(d->co, &a->prefix, WIRE_DECLINE_ALLOWLIST, a->deadline);
		return;
	}
	/* One row per coalition ban, with its provenance (the bans listing
	 * shows it): one statement for a prefix not held yet; nothing is
	 * written when a coalition ban in force already lasts at least as long. */
	memset(&b, 0, sizeof(b));
	b.prefix = a->prefix;
	strlcpy_ok(b.service, a->service, sizeof(b.service));
	strlcpy_ok(b.rule, a->rule, sizeof(b.rule));
	strlcpy_ok(b.reason, "coalition", sizeof(b.reason));
	strlcpy_ok(b.origin, a->member, sizeof(b.origin));
	b.evidence = a->evidence;
	b.first_seen = a->first_seen;
	b.last_seen = a->last_seen;
	b.created = now;
	b.expires = a->deadline;
	int raised = ledger_cban_raise(d->ledger, &b, now, &prev);
	if (raised == 0) {
		d->remote_applied++;	/* already held at least this long */
		return;
	}
	if (raised < 0) {
		d->ledger_errors++;
		log_warnx("ledger: %s", ledger_errmsg(d->ledger));
	}
	/* The kernel keeps an element's first timeout when it is added again
	 * (before Linux 6.10): a later deadline needs the element replaced
	 * (one transaction). */
	if (prev > now)
		enforce_group(d, ENF_DELETE, ENF_GROUP_COALITION, &a->prefix, 0);
	enforce_until(d, &a->prefix, a->deadline);
	d->remote_applied++;
}

/* Takes what the coalition has received and applies the reports it
 * accepted, in order. Returns the number of messages handled. */
static int
remote_receive(struct daemon *d)
{
	static struct coalition_batch batch;	/* 3 MiB: not on the stack */
	int n = coalition_receive(d->co, &batch);

	for (size_t i = 0; i < batch.napply; i++)
		on_remote(d, &batch.apply[i]);
	return n;
}

/* An attempt's verdict (repeat times the same attempt): counted in its
 * window, and banned when the window is full, for the service's bantime. */
static void
on_event(struct daemon *d, const struct det_event *ev, unsigned repeat, const char *rule)
{
	struct det_result r, one;
	char err[256];

	/* "message repeated N times" stands for N lines (N is bounded by
	 * rules/syslog.h); the first ban among them is the one applied. */
	r.ban = false;
	for (unsigned i = 0; i < (repeat > 0 ? repeat : 1u); i++) {
		det_feed(d->det, ev, &one);
		if (one.counted)
			d->attempts++;
		if (one.ban && !r.ban)
			r = one;
	}
	if (!r.ban)
		return;
	/* An IPv6 form of an allowlisted IPv4 client (NAT64, 6to4, Teredo)
	 * is that client: not banned either. */
	if (!prefix_equal(&r.offender, &r.prefix) && prefixlist_overlaps(&d->allow, &r.offender)) {
		char text[A5_PREFIX_STRLEN], v4[A5_PREFIX_STRLEN];
		prefix_format(&r.prefix, text, sizeof(text));
		prefix_format(&r.offender, v4, sizeof(v4));
		d->refused_allow++;
		log_info("%s stands for %s, which overlaps the allowlist; not banned", text, v4);
		return;
	}
	/* The aggregate of an IPv6 attacker may hold this host's own addresses
	 * (an attacker in our /64): ban the address alone then. */
	if (!prefix_equal(&r.prefix, &r.addr) && prefixlist_overlaps(&d->allow, &r.prefix) &&
	    !prefixlist_overlaps(&d->allow, &r.addr))
		r.prefix = r.addr;
	const char *svc = rules_service_get(d->rs, ev->service)->name;
	ban_apply(d, &r.prefix, svc, rule, "maxretry", r.evidence, r.first_seen,
	    r.last_seen, d->pol[ev->service].bantime, 0, err, sizeof(err));
}

static void
on_match(void *arg, const struct rules_match *m)
{
	struct daemon *d = arg;
	struct det_event ev;

	d->matches++;
	det_event_from_match(m, d->chunk_ts ? d->chunk_ts : now_sec(), &ev);
	on_event(d, &ev, m->repeat, m->info->name);
}

/* One failure found by a fail2ban-filter service: one attempt. */
static void
on_f2b_hit(void *arg, const struct f2b_hit *h)
{
	struct daemon *d = arg;
	struct det_event ev;

	d->matches++;
	memset(&ev, 0, sizeof(ev));
	ev.kind = RK_FAIL;
	ev.service = h->service;
	ev.has_addr = true;
	ev.addr = h->addr;
	/* Like the native rules: the journal's time, else the wall clock (a
	 * line's own date may be old, e.g. a file read again after a restart). */
	ev.ts = d->chunk_ts ? d->chunk_ts : now_sec();
	on_event(d, &ev, 1, h->filter);
}

static uint64_t
count_lines(const char *buf, size_t len)
{
	uint64_t n = 0;

	for (const char *p = buf, *end = buf + len; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
		n++;
	return n;
}

static void
on_lines(void *arg, const char *source, const char *buf, size_t len, int64_t ts_usec)
{
	struct daemon *d = arg;
	long n;

	d->chunk_ts = ts_usec > 0 ? ts_usec / 1000000 : 0;
	f2b_services_lines(d->f2b, source, buf, len, d->chunk_ts, on_f2b_hit, d);
	if (!f2b_services_native_reads(d->f2b, source)) {
		d->lines += count_lines(buf, len);
		return;
	}
	n = rules_scan(d->rs, d->sc, buf, len, on_match, d);
	if (n > 0)
		d->lines += (uint64_t)n;
	else if (n < 0)
		log_warnx("%s: scanning a chunk of %zu bytes failed", source, len);
}

/* --- engine (rules, policy, detector): built at start and on SIGHUP --- */

struct engine {
	struct ruleset *rs;
	struct rules_scratch *sc;
	struct service_policy *pol;
	struct detector *det;
	struct f2b_services *f2b;
};

static void
engine_free(struct engine *e)
{
	rules_scratch_free(e->sc);
	f2b_services_free(e->f2b);
	det_free(e->det);
	rules_free(e->rs);
	free(e->pol);
	memset(e, 0, sizeof(*e));
}

static int
engine_build(const struct config *cfg, struct engine *e, char *err, size_t errlen)
{
	struct det_service *ds = NULL;

	memset(e, 0, sizeof(*e));
	if ((e->rs = config_build_rules(cfg, err, errlen)) == NULL)
		return -1;
	size_t ns = rules_service_count(e->rs);
	e->pol = calloc(ns, sizeof(*e->pol));
	ds = calloc(ns, sizeof(*ds));
	if (e->pol == NULL || ds == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (config_policies(cfg, e->rs, e->pol, err, errlen) != 0)
		goto fail;
	for (size_t i = 0; i < ns; i++) {
		ds[i].maxretry = e->pol[i].maxretry;
		ds[i].findtime = e->pol[i].findtime;
		ds[i].disabled = e->pol[i].disabled;
	}
	struct det_config dc = { cfg->ipv6_prefix, cfg->max_offenders, DET_CONNS_MAX, ns, ds };
	e->det = det_new(&dc);
	e->sc = rules_scratch_new(e->rs);
	if (e->det == NULL || e->sc == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((e->f2b = f2b_services_new(cfg, e->rs, err, errlen)) == NULL)
		goto fail;
	free(ds);
	return 0;
fail:
	free(ds);
	engine_free(e);
	return -1;
}

/* The engine the daemon runs (to free it): the inverse of engine_install. */
static void
engine_of(const struct daemon *d, struct engine *e)
{
	e->rs = d->rs;
	e->sc = d->sc;
	e->pol = d->pol;
	e->det = d->det;
	e->f2b = d->f2b;
}

static void
engine_install(struct daemon *d, struct engine *e)
{
	d->rs = e->rs;
	d->sc = e->sc;
	d->pol = e->pol;
	d->det = e->det;
	d->f2b = e->f2b;
}

/* Commitments are taken half a period after each multiple of the period
 * (wall clock): deadlines are multiples of it, so no ban is ever about to
 * expire at the instant its digest is read (docs/commitment.md). */
static int
commit_arm(struct daemon *d)
{
	struct timespec now;
	struct itimerspec its;
	int64_t q = coalition_commit_period(d->co);

	memset(&its, 0, sizeof(its));
	if (q <= 0)	/* no commitments (any more): disarmed */
		return timerfd_settime(d->commitfd, 0, &its, NULL);
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t next = ((int64_t)now.tv_sec - q / 2) / q * q + q + q / 2;
	if (next <= (int64_t)now.tv_sec)
		next += q;
	its.it_value.tv_sec = (time_t)next;
	its.it_value.tv_nsec = q % 2 ? 500000000 : 0;
	return timerfd_settime(d->commitfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static int epoll_watch(int epfd, int fd);

/* A charter update was adopted from the stream: this member's role or the
 * commit period may have changed, so the commitment timer follows. */
static void
charter_changed(struct daemon *d)
{
	d->charter_version = coalition_charter_version(d->co);
	privc_scope(d->pc, d->cfg);	/* the enforcer protects the new members' prefixes */
	if (d->commitfd < 0 && coalition_commit_period(d->co) > 0 &&
	    ((d->commitfd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK)) < 0 ||
	    epoll_watch(d->epfd, d->commitfd) != 0)) {
		log_warn("commitment timer");
		return;
	}
	if (d->commitfd >= 0 && commit_arm(d) != 0)
		log_warn("commitment timer");
}

/* Reads the digest of the coalition sets from the kernel mirror, after the
 * events of this iteration's nftables commit, and publishes the
 * commitment. Without a mirror (observe mode, no CAP) it says so. */
static void
commit_now(struct daemon *d)
{
	uint8_t dg[KSET_DIGEST_LEN];
	uint64_t n = 0;
	const uint8_t *digest = NULL;

	d->commit_due = false;
	if (d->mirror && privc_digest(d->pc, ENF_GROUP_COALITION, dg, &n) == 0)
		digest = dg;
	ledger_begin(d->ledger);
	coalition_commit(d->co, digest, n);
	if (ledger_commit(d->ledger) != 0) {
		d->ledger_errors++;
		log_warnx("ledger: %s", ledger_errmsg(d->ledger));
	}
}


/* --- ledger restore, positions --- */

static int
restore_one(const struct ledger_ban *b, void *arg)
{
	struct daemon *d = arg;

	if (prefixlist_overlaps(&d->allow, &b->prefix))
		return 0;
	if (strcmp(b->reason, "coalition") == 0)
		return 0;	/* the coalition sets are restored from their own table */
	enforce(d, ENF_ADD, &b->prefix, ttl_of(b->expires, now_sec()));
	return 0;
}

static int
restore_cban(const struct a5_prefix *p, int64_t deadline, void *arg)
{
	struct daemon *d = arg;

	if (prefixlist_overlaps(&d->allow, p))
		return 0;
	/* Replaced, not merely added: an element left in the kernel keeps its
	 * own timeout, which a deadline raised meanwhile would not reach. */
	enforce_group(d, ENF_DELETE, ENF_GROUP_COALITION, p, 0);
	enforce_until(d, p, deadline);
	return 0;
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
save_position(void *arg, const char *source)
{
	struct daemon *d = arg;
	char pos[LEDGER_STATE_MAX], key[PATH_MAX + 8];

	if (sensor_position(d->sensor, source, pos, sizeof(pos)) != 1)
		return;
	snprintf(key, sizeof(key), "pos:%s", source);
	if (strlen(key) >= LEDGER_STATE_MAX)
		return;	/* a path this long is followed, but not resumed */
	if (ledger_state_set(d->ledger, key, pos) != 0)
		log_warnx("ledger: %s", ledger_errmsg(d->ledger));
}

static int
sources_add(struct daemon *d, char *err, size_t errlen)
{
	for (size_t i = 0; i < d->cfg->nsources; i++) {
		const struct config_source *s = &d->cfg->sources[i];
		char key[PATH_MAX + 8], pos[LEDGER_STATE_MAX];
		const char *saved = NULL;
		int rc;

		snprintf(key, sizeof(key), "pos:%s", s->type == SRC_FILE ? s->path :
		    s->type == SRC_JOURNAL ? "journal" : "stdin");
		if (strlen(key) < LEDGER_STATE_MAX &&
		    ledger_state_get(d->ledger, key, pos, sizeof(pos)) == 1)
			saved = pos;
		if (s->type == SRC_FILE)
			rc = sensor_add_file(d->sensor, s->path, saved, err, errlen);
		else if (s->type == SRC_JOURNAL) {
			const char *m[CONFIG_MATCHES_MAX];
			for (size_t k = 0; k < s->nmatches; k++)
				m[k] = s->matches[k];
			rc = sensor_add_journal(d->sensor, m, s->nmatches, saved, err, errlen);
		} else
			rc = sensor_add_stdin(d->sensor, err, errlen);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* --- control requests --- */

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
	case CTL_BAN:
		if (ban_apply(d, &r.prefix, "manual", "manual", "manual", 0, now, now,
		    d->cfg->bantime, r.duration ? r.duration : d->cfg->bantime, err, sizeof(err)) != 0)
			answer_error(out, r.json, err);
		else {
			snprintf(msg, sizeof(msg), "banned %s", text);
			answer_ok(out, r.json, msg);
		}
		break;
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
		enforce(d, ENF_DELETE, &r.prefix, 0);
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
static void
control_accept(struct daemon *d)
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

/* --- lifecycle --- */

static int
reload(struct daemon *d)
{
	struct config *ncfg = calloc(1, sizeof(*ncfg));
	struct engine e;
	struct prefixlist nallow;
	char err[1024];

	if (ncfg == NULL)
		return -1;
	config_defaults(ncfg);
	if (config_load(d->cfg->path, ncfg, err, sizeof(err)) != 0) {
		log_warnx("reload refused, keeping the running configuration: %s", err);
		free(ncfg);
		return -1;
	}
	/* Sources stay as they are: they hold file positions. The engine is
	 * built on them, so that fail2ban-filter services are routed the lines
	 * the sensor really reads (a source line changed by the reload would
	 * otherwise steer lines that no longer come). */
	ncfg->nsources = d->cfg->nsources;
	memcpy(ncfg->sources, d->cfg->sources, sizeof(ncfg->sources));
	if (engine_build(ncfg, &e, err, sizeof(err)) != 0) {
		log_warnx("reload refused, keeping the running configuration: %s", err);
		free(ncfg);
		return -1;
	}
	config_allowlist(ncfg, &nallow);
	/* The enforcer process gets the allowlist, mode, ttl cap and charter
	 * scope as records (it parses nothing), and keeps the kernel sets. */
	privc_commit(d->pc);
	if (privc_policy(d->pc, ncfg) != 0) {
		log_warnx("reload refused, keeping the running configuration: the enforcer could "
		    "not reopen (see its message)");
		engine_free(&e);
		free(ncfg);
		return -1;
	}
	struct engine old;
	engine_of(d, &old);
	engine_free(&old);
	engine_install(d, &e);
	free(d->cfg);
	d->cfg = ncfg;
	d->allow = nallow;
	d->reloads++;
	log_info("reloaded %s: %zu rules, %zu services", d->cfg->path, rules_count(d->rs),
	    rules_service_count(d->rs));
	return 0;
}

static int
epoll_watch(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* The worker: forked by the enforcer process (parent.c) as root, it reads
 * what only root may read, confines itself (sandbox.c), and then runs the
 * loop. Its changes to the kernel go to the enforcer over privfd. */
static int
worker_main(struct parent *p, int privfd)
{
	struct daemon d;
	struct engine e;
	struct identity id;
	bool have_id = false;
	char err[1024], dbpath[PATH_MAX + 16];
	int rc = 1;
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	memset(&d, 0, sizeof(d));
	d.epfd = d.sigfd = d.timerfd = d.commitfd = -1;
	d.ctlfd = p->ctlfd;
	d.started = now_sec();
	d.cfg = p->cfg;
	d.mirror = p->mirror;
	if ((d.pc = privc_new(privfd)) == NULL) {
		log_warnx("out of memory");
		close(privfd);
		return 1;
	}
	/* The secret key file is root's (0600): read before the drop. */
	if (d.cfg->charter[0] != '\0') {
		if (identity_load(d.cfg->identity, &id, err, sizeof(err)) != 0) {
			log_warnx("coalition: %s", err);
			goto out;
		}
		have_id = true;
	}
	if (p->drop) {
		const char *writable[] = { d.cfg->state_dir };
		if (sandbox_enter(&p->user, writable, 1, err, sizeof(err)) != 0) {
			log_warnx("sandbox: %s; refusing to run", err);
			goto out;
		}
		/* The change of user cleared the parent-death signal. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != p->pid)
			goto out;
		if (access(d.cfg->state_dir, R_OK | W_OK | X_OK) != 0) {
			log_warn("state_dir %s: user %s cannot use it (each directory above it must "
			    "be searchable by that user)", d.cfg->state_dir, p->user.name);
			goto out;
		}
	} else if (sandbox_filter_only(err, sizeof(err)) != 0) {
		log_warnx("sandbox: %s; refusing to run", err);
		goto out;
	}
	privc_scope(d.pc, d.cfg);	/* the adopted charter's members, for the enforcer */
	if (engine_build(d.cfg, &e, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		goto out;
	}
	engine_install(&d, &e);
	if (config_allowlist(d.cfg, &d.allow) < 0)
		log_warn("cannot list this host's addresses; only configured ones are allowed");
	snprintf(dbpath, sizeof(dbpath), "%s/ledger.db", d.cfg->state_dir);
	if (ledger_open(dbpath, &d.ledger, err, sizeof(err)) != 0 ||
	    journal_attach(ledger_db(d.ledger), &d.journal, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		goto out;
	}
	/* Restore: unexpired bans back into the kernel, expired ones dropped
	 * (after a worker restart the kernel still holds them: adding again
	 * is harmless). */
	ledger_bans_expire(d.ledger, now_sec());
	ledger_cbans_expire(d.ledger, now_sec());
	int restored = ledger_bans_active(d.ledger, now_sec(), restore_one, &d);
	int crestored = ledger_cbans_active(d.ledger, now_sec(), restore_cban, &d);
	if (crestored > 0) {
		privc_commit(d.pc);
		log_info("restored %d coalition bans", crestored);
	}
	if (restored > 0) {
		privc_commit(d.pc);
		log_info("restored %d bans from %s", restored, dbpath);
	}
	if (d.cfg->charter[0] != '\0') {
		d.co = coalition_open(d.cfg, &id, &d.allow, d.ledger, err, sizeof(err));
		identity_wipe(&id);
		have_id = false;
		if (d.co == NULL) {
			log_warnx("coalition: %s", err);
			goto out;
		}
		coalition_publish(d.co);	/* what a crash left in the outbox */
		d.charter_version = coalition_charter_version(d.co);
	}

	struct itimerspec its = { { 1, 0 }, { 1, 0 } };
	if ((d.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0 ||
	    (d.timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)) < 0 ||
	    timerfd_settime(d.timerfd, 0, &its, NULL) != 0 ||
	    (d.epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		log_warn("event loop setup");
		goto out;
	}
	if (d.co != NULL && coalition_commit_period(d.co) > 0 &&
	    ((d.commitfd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK)) < 0 ||
	    commit_arm(&d) != 0 || epoll_watch(d.epfd, d.commitfd) != 0)) {
		log_warn("commitment timer");
		goto out;
	}
	if ((d.sensor = sensor_new(on_lines, &d)) == NULL) {
		log_warnx("out of memory");
		goto out;
	}
	if (sources_add(&d, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		goto out;
	}
	if (epoll_watch(d.epfd, d.sigfd) != 0 || epoll_watch(d.epfd, d.timerfd) != 0 ||
	    epoll_watch(d.epfd, d.ctlfd) != 0 || epoll_watch(d.epfd, sensor_fd(d.sensor)) != 0 ||
	    (d.co != NULL && coalition_fd(d.co) >= 0 && epoll_watch(d.epfd, coalition_fd(d.co)) != 0)) {
		log_warn("epoll_ctl");
		goto out;
	}
	if (privc_ready(d.pc) != 0)
		goto out;
	log_info("started: %s mode, %zu rules for %zu services, %zu sources, control %s",
	    d.cfg->observe ? "observe" : "enforce", rules_count(d.rs), rules_service_count(d.rs),
	    d.cfg->nsources, d.cfg->control_socket);

	int more = 1;	/* read sources once at start */
	while (!d.stop) {
		struct epoll_event evs[16];
		int n = epoll_wait(d.epfd, evs, 16, more ? 0 : -1);
		if (n < 0 && errno != EINTR) {
			log_warn("epoll_wait");
			break;
		}
		ledger_begin(d.ledger);
		if (more || n > 0)
			more = 0;
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == d.sigfd) {
				struct signalfd_siginfo si;
				while (read(d.sigfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGHUP)
						reload(&d);
					else {
						log_info("signal %d: stopping", (int)si.ssi_signo);
						d.stop = true;
					}
				}
			} else if (fd == d.timerfd) {
				uint64_t ticks;
				if (read(d.timerfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
					log_warn("timerfd");
				int64_t now = now_sec();
				ledger_bans_expire(d.ledger, now);
				ledger_cbans_expire(d.ledger, now);
				if (d.co != NULL && coalition_tick(d.co) == 1 &&
				    epoll_watch(d.epfd, coalition_fd(d.co)) != 0)
					log_warn("epoll_ctl");
				if (now - d.last_position_save >= POSITION_SAVE_SECS) {
					sensor_foreach(d.sensor, save_position, &d);
					d.last_position_save = now;
				}
			} else if (fd == d.commitfd) {
				uint64_t ticks;
				if (read(d.commitfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
					log_warn("timerfd");
				d.commit_due = true;
				if (commit_arm(&d) != 0)
					log_warn("commitment timer");
			} else if (d.co != NULL && fd >= 0 && fd == coalition_fd(d.co)) {
				if (remote_receive(&d) > 0)
					more = 1;	/* the queue may hold more than one batch */
			} else if (fd == d.ctlfd) {
				/* Apply what is queued first so answers see the kernel state. */
				privc_commit(d.pc);
				control_accept(&d);
			}
		}
		/* The sensor's epoll fd may be readable, or earlier work was cut
		 * short to keep the loop responsive. */
		int sr = sensor_dispatch(d.sensor);
		if (sr < 0) {
			log_warnx("log sources failed; stopping");
			d.stop = true;
		} else if (sr > 0)
			more = 1;
		if (d.co != NULL)
			coalition_prepare(d.co);	/* chain head + outbox join this batch */
		if (ledger_commit(d.ledger) != 0) {
			d.ledger_errors++;
			log_warnx("ledger: %s", ledger_errmsg(d.ledger));
		}
		if (privc_pending(d.pc) > 0)
			privc_commit(d.pc);
		if (privc_broken(d.pc)) {
			log_warnx("the enforcer process is gone; stopping");
			break;
		}
		if (d.co != NULL) {
			/* Reports are acked once applied and recorded; local bans are
			 * published once in our own kernel and ledger. */
			coalition_ack(d.co);
			coalition_publish(d.co);
			if (d.commit_due)
				commit_now(&d);
			if (coalition_defunct(d.co)) {
				coalition_close(d.co);	/* its fd leaves the epoll set as it closes */
				d.co = NULL;
				d.commit_due = false;
				if (d.commitfd >= 0) {
					close(d.commitfd);
					d.commitfd = -1;
				}
			} else if (coalition_charter_version(d.co) != d.charter_version)
				charter_changed(&d);
		}
	}
	sensor_foreach(d.sensor, save_position, &d);
	rc = 0;
out:
	if (have_id)
		identity_wipe(&id);
	privc_commit(d.pc);
	sensor_free(d.sensor);
	coalition_close(d.co);
	journal_close(d.journal);
	ledger_close(d.ledger);
	struct engine last;
	engine_of(&d, &last);
	engine_free(&last);
	if (d.sigfd >= 0) close(d.sigfd);
	if (d.timerfd >= 0) close(d.timerfd);
	if (d.commitfd >= 0) close(d.commitfd);
	if (d.epfd >= 0) close(d.epfd);
	if (d.ctlfd >= 0) close(d.ctlfd);
	privc_free(d.pc);
	if (d.cfg != p->cfg)
		free(d.cfg);
	return rc;
}

int
cmd_daemon(int argc, char **argv)
{
	struct parent p;
	char err[1024], cfgpath[PATH_MAX];
	int opt, verbose = 0, rc;
	sigset_t mask;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0) {
			daemon_usage(stdout);
			return 0;
		}
	optind = 1;
	cfgpath[0] = '\0';
	while ((opt = getopt(argc, argv, "c:vh")) != -1) {
		switch (opt) {
		case 'c':
			/* absolute: the worker works from / */
			if (realpath(optarg, cfgpath) == NULL) {
				fprintf(stderr, "article5 daemon: %s: %s\n", optarg, strerror(errno));
				return 1;
			}
			break;
		case 'v': verbose = 1; break;
		case 'h': daemon_usage(stdout); return 0;
		default: daemon_usage(stderr); return 2;
		}
	}
	if (cfgpath[0] == '\0' || optind != argc) {
		daemon_usage(stderr);
		return 2;
	}
	log_init("article5", verbose, 0);
	/* Blocked before any process or thread exists (libnats starts some):
	 * both processes read them from a signalfd. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	memset(&p, 0, sizeof(p));
	p.worker = worker_main;
	if ((p.cfg = calloc(1, sizeof(*p.cfg))) == NULL)
		fatalx("out of memory");
	config_defaults(p.cfg);
	if (config_load(cfgpath, p.cfg, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (p.cfg->nsources == 0)
		fatalx("%s: no 'source' line: nothing to watch", cfgpath);
	if (parent_setup(&p, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		if (p.ctlfd >= 0) {
			close(p.ctlfd);
			unlink(p.cfg->control_socket);
		}
		kset_close(p.s.kset);
		enf_close(p.s.enf);
		free(p.cfg);
		return 1;
	}
	log_info("enforcer process %d: %s; the worker runs as %s", (int)getpid(),
	    p.cfg->observe ? "observe mode, nftables untouched" : "owns table inet article5",
	    p.drop ? p.user.name : "this same user (not started as root)");
	rc = parent_run(&p);
	free(p.cfg);
	log_info("stopped");
	return rc;
}
