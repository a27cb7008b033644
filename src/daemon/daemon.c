/* daemon.c - the worker's event loop: one epoll set over the log sources,
 * the coalition, the control socket, signals and a one-second tick. Each
 * iteration is one batch: ledger writes in one SQLite transaction,
 * nftables changes in one transaction, applied by the privileged enforcer
 * process (parent.c, docs/privsep.md).
 *
 * Where a log line becomes a ban, in one direction: the sensor hands a
 * chunk of lines to on_lines; the rules (or a fail2ban filter) find the
 * failures; on_event feeds them to the detector, whose full window goes to
 * the policy (policy/verdict.c); daemon_ban carries the verdict out:
 * its record to the enforcer process, its ban to the coalition.
 * worker.c starts, reloads and stops what the loop runs on;
 * control_handlers.c answers the control socket. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "coalition/wire.h"
#include "common/log.h"
#include "common/util.h"
#include "coalition/coalition.h"
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "daemon/f2b_services.h"
#include "daemon/privsep.h"
#include "daemon/worker.h"
#include "detector/detector.h"
#include "enforcer/enforcer.h"
#include "http/http.h"
#include "ledger/ledger.h"
#include "policy/verdict.h"
#include "rules/rules.h"
#include "sensor/sensor.h"

/* Source positions are saved this often (and at shutdown). */
#define POSITION_SAVE_SECS 5
/* the longest a batch of received envelopes stays open (hold_batch) */
#define BATCH_HOLD_US 1000000

/* --- to the enforcer process --- */

void
enforce_group(struct daemon *d, enum enf_op op, int group, const struct a5_prefix *p, uint32_t ttl)
{
	struct enf_record rec;

	verdict_record(&rec, op, group, p, ttl);
	privc_queue(d->pc, &rec);
}

void
enforce_until(struct daemon *d, const struct a5_prefix *p, int64_t deadline)
{
	struct enf_record rec;

	verdict_record_until(&rec, p, deadline);
	privc_queue(d->pc, &rec);
}

/* Logged last: a "ban" line means the record is queued for the enforcer
 * and the report handed to the coalition. */
int
daemon_ban(struct daemon *d, const struct ban_request *req, char *err, size_t errlen)
{
	struct verdict_env env = { .allow = &d->allow, .ledger = d->ledger, .journal = d->journal,
	    .observe = d->cfg->observe, .bantime_max = d->cfg->bantime_max,
	    .bantime_factor = d->cfg->bantime_factor };
	struct verdict v;
	char text[A5_PREFIX_STRLEN], dur[32], span[32];

	verdict_ban(&env, req, &v, err, errlen);
	d->ledger_errors += v.ledger_errors;
	switch (v.outcome) {
	case VERDICT_REFUSED:
		d->refused_allow++;
		return -1;
	case VERDICT_HELD:
		return 0;
	case VERDICT_CORROBORATED:
		if (d->co != NULL)
			coalition_corroborated(d->co, NULL);
		return 0;
	case VERDICT_OBSERVED:
		d->bans++;
		web_ban(d, &req->prefix, req->service, "local", 0);
		return 0;
	case VERDICT_BAN:
		break;
	}
	privc_queue(d->pc, &v.rec);
	if (d->co != NULL && d->cfg->publish && v.publish)
		coalition_local_ban(d->co, &v.ban);
	else if (d->co != NULL && !v.publish)
		coalition_corroborated(d->co, NULL);
	d->bans++;
	web_ban(d, &req->prefix, req->service, "local", 0);
	prefix_format(&req->prefix, text, sizeof(text));
	duration_format(v.ban.expires - v.ban.created, dur, sizeof(dur));
	duration_format(req->last_seen > req->first_seen ? req->last_seen - req->first_seen : 0,
	    span, sizeof(span));
	/* One line per decision, with all of its reason (docs/systemd.md). */
	log_notice("ban %s for %s: service %s, rule %s, %u failures in %s, reason %s, origin "
	    "local, ban #%u", text, dur, req->service, req->rule, req->evidence, span,
	    req->reason != NULL ? req->reason : "-", v.count);
	return 0;
}

/* --- what comes in: reports, log lines --- */

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
		/* a dry run records nothing (see verdict_ban) */
		d->remote_applied++;
		web_ban_remote(d, &a->prefix, a->service, a->member, a->reported_us);
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
		/* already held at least this long: the first report won, this
		 * one corroborates it (counted, docs/scale.md) */
		d->remote_applied++;
		coalition_corroborated(d->co, a->member);
		return;
	}
	if (raised < 0) {
		d->ledger_errors++;
		log_warnx("ledger: %s", ledger_errmsg(d->ledger));
	}
	/* The kernel keeps an element's first timeout when it is added again
	 * (before Linux 6.10): a later deadline needs the element replaced
	 * (one transaction). */
	if (prev > now) {
		enforce_group(d, ENF_DELETE, ENF_GROUP_COALITION, &a->prefix, 0);
		/* held already, now longer (two members raced, or a longer
		 * ban): the later deadline wins whatever the order of arrival,
		 * so every member's sets agree; the report still corroborates */
		coalition_corroborated(d->co, a->member);
	}
	enforce_until(d, &a->prefix, a->deadline);
	d->remote_applied++;
	web_ban_remote(d, &a->prefix, a->service, a->member, a->reported_us);
}

/* A revocation by the origin of a coalition ban (the coalition updated
 * the ledger): its element leaves the coalition sets, and comes back until
 * the deadline of another member's ban of the prefix if one is left. The
 * local sets, where this member's own bans are, are not touched: local
 * decisions win. */
static void
on_revoke(struct daemon *d, const struct coalition_apply *a)
{
	if (d->cfg->observe)
		return;
	enforce_group(d, ENF_DELETE, ENF_GROUP_COALITION, &a->prefix, 0);
	if (a->deadline > now_sec() && !prefixlist_overlaps(&d->allow, &a->prefix))
		enforce_until(d, &a->prefix, a->deadline);
}

/* Takes what the coalition has received and applies the reports it
 * accepted, in order. */
static void
remote_receive(struct daemon *d)
{
	static struct coalition_batch batch;	/* 3 MiB: not on the stack */

	coalition_receive(d->co, &batch);
	for (size_t i = 0; i < batch.napply; i++) {
		if (batch.apply[i].revoke)
			on_revoke(d, &batch.apply[i]);
		else
			on_remote(d, &batch.apply[i]);
	}
}

/* An attempt's verdict (repeat times the same attempt): counted in its
 * window; a full window goes to the policy, banned for the service's
 * bantime. */
static void
on_event(struct daemon *d, const struct det_event *ev, unsigned repeat, const char *rule)
{
	struct det_result r, one;
	struct ban_request req;
	char err[256];

	/* "message repeated N times" stands for N lines (N is bounded by
	 * rules/syslog.h); the first ban among them is the one applied. */
	const char *svc = rules_service_get(d->rs, ev->service)->name;
	r.ban = false;
	for (unsigned i = 0; i < (repeat > 0 ? repeat : 1u); i++) {
		det_feed(d->det, ev, &one);
		if (one.counted) {
			d->attempts++;
			if (ev->service >= 0 && ev->service < RULES_SERVICES_MAX)
				d->svc_attempts[ev->service]++;
			web_attempt(d, &one.addr, svc, rule);
		}
		if (one.ban && !r.ban)
			r = one;
	}
	if (!r.ban)
		return;
	if (verdict_from_detection(&d->allow, &r, svc, rule, d->pol[ev->service].bantime, &req) != 0) {
		d->refused_allow++;
		return;
	}
	daemon_ban(d, &req, err, sizeof(err));
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
		uint64_t nl = count_lines(buf, len);
		d->lines += nl;
		web_lines(d, source, nl);
		return;
	}
	n = rules_scan(d->rs, d->sc, buf, len, on_match, d);
	if (n > 0) {
		d->lines += (uint64_t)n;
		web_lines(d, source, (uint64_t)n);
	}
	else if (n < 0)
		log_warnx("%s: scanning a chunk of %zu bytes failed", source, len);
}

/* --- the loop --- */

int
daemon_watch(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* SIGHUP reloads; SIGTERM and SIGINT stop. */
static void
on_signals(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			worker_reload(d, NULL, 0);
			d->hups++;
			worker_heartbeat(d);	/* the reload is over (systemd waits) */
		} else {
			log_info("signal %d: stopping", (int)si.ssi_signo);
			d->stop = true;
		}
	}
}

/* Every second: expiry in the ledger, the coalition's connection, the
 * sources' positions. */
static void
on_tick(struct daemon *d)
{
	uint64_t ticks;

	if (read(d->timerfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		log_warn("timerfd");
	if (d->http != NULL)
		http_run(d->http);	/* ends idle connections */
	int64_t now = now_sec();
	ledger_bans_expire(d->ledger, now);
	ledger_cbans_expire(d->ledger, now);
	if (d->co != NULL && coalition_tick(d->co) == 1 &&
	    daemon_watch(d->epfd, coalition_fd(d->co)) != 0)
		log_warn("epoll_ctl");
	if (now - d->last_position_save >= POSITION_SAVE_SECS) {
		worker_save_positions(d);
		d->last_position_save = now;
	}
	worker_heartbeat(d);
}

/* After the batch: the coalition acks what was applied and recorded,
 * publishes local bans once in our own kernel and ledger, commits when
 * due, and follows a charter update or its own end. */
static void
coalition_after_batch(struct daemon *d)
{
	coalition_ack(d->co);
	coalition_publish(d->co);
	if (d->commit_due)
		commit_now(d);
	if (coalition_defunct(d->co)) {
		coalition_close(d->co);	/* its fd leaves the epoll set as it closes */
		d->co = NULL;
		d->commit_due = false;
		if (d->commitfd >= 0) {
			close(d->commitfd);
			d->commitfd = -1;
		}
	} else if (coalition_charter_version(d->co) != d->charter_version)
		commit_follow_charter(d);
}

void
daemon_commit(struct daemon *d)
{
	if (ledger_commit(d->ledger) != 0) {
		d->ledger_errors++;
		log_warnx("ledger: %s", ledger_errmsg(d->ledger));
	}
}

/* Whether the turn's batch stays open for the next turns instead of being
 * committed now. Only a turn that took in coalition envelopes and nothing
 * else is held, for at most BATCH_HOLD_US: what it recorded is also in the
 * stream, and the stream position that would skip it is saved in this
 * batch or a later one, so a crash before the commit loses nothing (the
 * stream delivers it again). The kernel gets the bans now; the ledger a
 * moment later, in one commit for several envelopes. Why: the commit (WAL
 * frames, locks) was over a quarter of a receiver's CPU per envelope, and
 * when one attack reaches a hundred members on one machine, that CPU is
 * what the last one waits for (docs/ledger.md, "Batches held open"). A
 * turn that signs anything of its own, adopts a charter update, reads the
 * logs, answers a request or ticks commits, with what was held. */
static bool
hold_batch(struct daemon *d, bool received_only, int64_t *held_since)
{
	int64_t now = mono_usec();

	/* An adopted charter update was written to its file at once: the
	 * batch of the envelopes before it must not outlive it. */
	if (!received_only || d->commit_due || coalition_charter_version(d->co) != d->charter_version ||
	    (*held_since != 0 && now - *held_since >= BATCH_HOLD_US)) {
		*held_since = 0;
		return false;
	}
	if (*held_since == 0)
		*held_since = now;
	return true;
}

/* Runs until a signal stops it, the sources fail or the enforcer process
 * is gone. */
static void
run(struct daemon *d)
{
	int more = 1;	/* read sources once at start */
	int64_t held_since = 0;	/* the batch held open since (µs); 0: none */

	while (!d->stop) {
		struct epoll_event evs[16];
		int n = epoll_wait(d->epfd, evs, 16, more ? 0 : -1);
		if (n < 0 && errno != EINTR) {
			log_warn("epoll_wait");
			break;
		}
		if (held_since == 0)
			ledger_begin(d->ledger);
		/* Did this turn only take in coalition envelopes? */
		bool received_only = n > 0;
		/* The sensor is read when its fd is readable, or at start. It
		 * keeps that fd readable (its kick eventfd) while work cut
		 * short waits: an epoll_wait of its own in every turn, most
		 * of them for a coalition envelope, found nothing. */
		bool sensor_due = more != 0;
		if (more || n > 0)
			more = 0;
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (d->co == NULL || fd < 0 || fd != coalition_fd(d->co))
				received_only = false;
			if (fd == sensor_fd(d->sensor))
				sensor_due = true;
			else if (fd == d->sigfd)
				on_signals(d);
			else if (fd == d->timerfd)
				on_tick(d);
			else if (fd == d->commitfd)
				commit_timer_fired(d);
			else if (d->co != NULL && fd >= 0 && fd == coalition_fd(d->co)) {
				/* No second turn asked for: the coalition's fd
				 * stays readable while its queue holds more than
				 * this batch took (an eventfd, level-triggered;
				 * transport_poll reads it back only once the
				 * queue is empty). Asking cost an empty turn per
				 * envelope: a ledger transaction, its locks, two
				 * epoll_waits (docs/bench.md, "rx-cost"). */
				remote_receive(d);
			} else if (d->http != NULL && fd == http_fd(d->http)) {
				privc_commit(d->pc);	/* as for the control socket */
				http_run(d->http);
			} else if (fd == d->ctlfd) {
				/* Apply what is queued first so answers see the kernel state. */
				privc_commit(d->pc);
				control_serve(d);
			}
		}
		int sr = sensor_due ? sensor_dispatch(d->sensor) : 0;
		if (sr < 0) {
			log_warnx("log sources failed; stopping");
			d->stop = true;
		} else if (sr > 0)
			more = 1;
		/* Asked before coalition_prepare, which empties what is to sign. */
		if (sensor_due || (d->co != NULL && !coalition_nothing_to_sign(d->co)))
			received_only = false;
		if (d->co != NULL)
			coalition_prepare(d->co);	/* chain head + outbox join this batch */
		if (hold_batch(d, received_only, &held_since) == false)
			daemon_commit(d);
		if (privc_pending(d->pc) > 0)
			privc_apply(d->pc);
		if (privc_broken(d->pc)) {
			log_warnx("the enforcer process is gone; stopping");
			break;
		}
		if (d->co != NULL)
			coalition_after_batch(d);
	}
	if (held_since != 0)
		daemon_commit(d);
}

/* Forked by the enforcer process (parent.c): start (worker.c), the loop,
 * stop. */
int
worker_main(struct parent *p, int privfd)
{
	struct daemon d;
	int rc = 1;

	memset(&d, 0, sizeof(d));
	if ((d.pc = privc_new(privfd)) == NULL) {
		log_warnx("out of memory");
		close(privfd);
		return 1;
	}
	if (worker_start(&d, p, on_lines) == 0) {
		run(&d);
		worker_save_positions(&d);
		rc = 0;
	}
	worker_stop(&d, p);
	return rc;
}
