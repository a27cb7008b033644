/* worker.c - the worker's start, reload and stop: the engine (rules,
 * policies, detector, fail2ban services), the ledger and the bans it
 * restores to the kernel, the coalition, the timers and the log sources.
 * daemon.c runs the loop in between. */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "coalition/identity.h"
#include "common/log.h"
#include "common/util.h"
#include "coalition/coalition.h"
#include "daemon/config.h"
#include "daemon/f2b_services.h"
#include "daemon/privsep.h"
#include "daemon/sandbox.h"
#include "daemon/worker.h"
#include "detector/detector.h"
#include "http/http.h"
#include "ledger/journal.h"
#include "ledger/ledger.h"
#include "policy/verdict.h"
#include "rules/rules.h"
#include "sensor/sensor.h"

/* --- the engine (rules, policies, detector): built at start and on SIGHUP --- */

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
	memset(d->svc_attempts, 0, sizeof(d->svc_attempts));	/* service indexes change */
}


/* --- the ledger's bans back into the kernel, source positions --- */

static int
restore_one(const struct ledger_ban *b, void *arg)
{
	struct daemon *d = arg;

	if (prefixlist_overlaps(&d->allow, &b->prefix))
		return 0;
	if (strcmp(b->reason, "coalition") == 0)
		return 0;	/* the coalition sets are restored from their own table */
	enforce_group(d, ENF_ADD, ENF_GROUP_LOCAL, &b->prefix, verdict_ttl(b->expires, now_sec()));
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
sources_add_pass(struct daemon *d, bool fallback, size_t nfallback, size_t *nopened,
    char *err, size_t errlen)
{
	for (size_t i = 0; i < d->cfg->nsources; i++) {
		const struct config_source *s = &d->cfg->sources[i];
		char key[PATH_MAX + 8], pos[LEDGER_STATE_MAX];
		const char *saved = NULL;
		int rc;

		if (s->unless_journal != fallback)
			continue;
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
			if (rc == 0)
				(*nopened)++;
			else if (nfallback > 0) {	/* the fallback will read instead */
				log_warnx("%s: %s", s->where, err);
				rc = 0;
			}
		} else
			rc = sensor_add_stdin(d->sensor, err, errlen);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* The unless-journal file sources stand in for the journal sources: read
 * only when none of those opens a readable journal. One line says which. */
static int
sources_add(struct daemon *d, char *err, size_t errlen)
{
	size_t nfallback = 0, njournal = 0, nopened = 0;

	for (size_t i = 0; i < d->cfg->nsources; i++) {
		nfallback += d->cfg->sources[i].unless_journal;
		njournal += d->cfg->sources[i].type == SRC_JOURNAL;
	}
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1 && nfallback == 0)
			break;
		if (pass == 1 && nopened > 0 && sensor_journal_readable()) {
			log_info("sources: the journal is readable: the %zu unless-journal source(s) "
			    "are not read", nfallback);
			break;
		}
		if (pass == 1)
			log_info("sources: %s: reading the %zu unless-journal source(s) instead",
			    njournal == 0 ? "no journal source" : "no readable journal", nfallback);
		if (sources_add_pass(d, pass == 1, nfallback, &nopened, err, errlen) != 0)
			return -1;
	}
	return 0;
}

void
worker_save_positions(struct daemon *d)
{
	sensor_foreach(d->sensor, save_position, d);
}

/* --- start --- */

/* As the worker's user, in its sandbox: from here on it cannot read what
 * only root may read. 0, or -1 (logged). */
static int
confine(struct daemon *d, struct parent *p)
{
	char err[1024];

	if (p->drop) {
		const char *writable[] = { d->cfg->state_dir };
		if (sandbox_enter(&p->user, writable, 1, err, sizeof(err)) != 0) {
			log_warnx("sandbox: %s; refusing to run", err);
			return -1;
		}
		/* The change of user cleared the parent-death signal. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != p->pid)
			return -1;
		if (access(d->cfg->state_dir, R_OK | W_OK | X_OK) != 0) {
			log_warn("state_dir %s: user %s cannot use it (each directory above it must "
			    "be searchable by that user)", d->cfg->state_dir, p->user.name);
			return -1;
		}
	} else if (sandbox_filter_only(err, sizeof(err)) != 0) {
		log_warnx("sandbox: %s; refusing to run", err);
		return -1;
	}
	return 0;
}

/* Opens the ledger and its journal, and restores the bans in force:
 * unexpired bans back into the kernel, expired ones dropped (after a
 * worker restart the kernel still holds them: adding again is harmless).
 * 0, or -1 (logged). */
static int
ledger_restore(struct daemon *d)
{
	char err[1024], dbpath[PATH_MAX + 16];

	snprintf(dbpath, sizeof(dbpath), "%s/ledger.db", d->cfg->state_dir);
	if (ledger_open(dbpath, &d->ledger, err, sizeof(err)) != 0 ||
	    journal_attach(ledger_db(d->ledger), &d->journal, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		return -1;
	}
	/* Not fatal: SQLite then checkpoints within commits, as it does
	 * without (the loop waits for the disk once in a while). */
	if (ledger_checkpoint_in_background(d->ledger, err, sizeof(err)) != 0)
		log_warnx("ledger: %s; checkpoints stay in the loop", err);
	ledger_bans_expire(d->ledger, now_sec());
	ledger_cbans_expire(d->ledger, now_sec());
	int restored = ledger_bans_active(d->ledger, now_sec(), restore_one, d);
	int crestored = ledger_cbans_active(d->ledger, now_sec(), restore_cban, d);
	if (crestored > 0) {
		privc_commit(d->pc);
		log_info("restored %d coalition bans", crestored);
	}
	if (restored > 0) {
		privc_commit(d->pc);
		log_info("restored %d bans from %s", restored, dbpath);
	}
	return 0;
}

/* The loop's fds: signals, the one-second tick, the commitment timer, the
 * log sources, the control socket, the coalition. 0, or -1 (logged). */
static int
events_open(struct daemon *d, sensor_lines_cb on_lines)
{
	struct itimerspec its = { { 1, 0 }, { 1, 0 } };
	char err[1024];
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if ((d->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0 ||
	    (d->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)) < 0 ||
	    timerfd_settime(d->timerfd, 0, &its, NULL) != 0 ||
	    (d->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		log_warn("event loop setup");
		return -1;
	}
	if (d->co != NULL && coalition_commit_period(d->co) > 0 &&
	    ((d->commitfd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK)) < 0 ||
	    commit_arm(d) != 0 || daemon_watch(d->epfd, d->commitfd) != 0)) {
		log_warn("commitment timer");
		return -1;
	}
	if ((d->sensor = sensor_new(on_lines, d)) == NULL) {
		log_warnx("out of memory");
		return -1;
	}
	sensor_set_quiet(d->sensor, d->cfg->source_quiet);
	if (sources_add(d, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		return -1;
	}
	if (daemon_watch(d->epfd, d->sigfd) != 0 || daemon_watch(d->epfd, d->timerfd) != 0 ||
	    daemon_watch(d->epfd, d->ctlfd) != 0 || daemon_watch(d->epfd, sensor_fd(d->sensor)) != 0 ||
	    (d->http != NULL && daemon_watch(d->epfd, http_fd(d->http)) != 0) ||
	    (d->co != NULL && coalition_fd(d->co) >= 0 && daemon_watch(d->epfd, coalition_fd(d->co)) != 0)) {
		log_warn("epoll_ctl");
		return -1;
	}
	return 0;
}

int
worker_start(struct daemon *d, struct parent *p, sensor_lines_cb on_lines)
{
	struct engine e;
	struct identity id;
	bool have_id = false;
	char err[1024];

	d->epfd = d->sigfd = d->timerfd = d->commitfd = -1;
	d->ctlfd = p->ctlfd;
	d->started = now_sec();
	d->cfg = p->cfg;
	d->mirror = p->mirror;
	/* The secret key file is root's (0600): read before the drop. */
	if (d->cfg->charter[0] != '\0') {
		if (identity_load(d->cfg->identity, &id, err, sizeof(err)) != 0) {
			log_warnx("coalition: %s", err);
			return -1;
		}
		have_id = true;
		/* the NATS nkey seed is 0600 as well (nats_nkey, docs/transport.md) */
		if (d->cfg->nats_nkey[0] != '\0') {
			if (nkey_load(d->cfg->nats_nkey, &id.nats_key, err, sizeof(err)) != 0) {
				log_warnx("coalition: %s", err);
				goto fail;
			}
			id.has_nats_key = true;
		}
	}
	/* bound before the drop: a port below 1024, a token file of root's */
	if (web_open(d) != 0 || confine(d, p) != 0)
		goto fail;
	privc_scope(d->pc, d->cfg);	/* the adopted charter's members, for the enforcer */
	if (engine_build(d->cfg, &e, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		goto fail;
	}
	engine_install(d, &e);
	if (config_allowlist(d->cfg, &d->allow) < 0)
		log_warn("cannot list this host's addresses; only configured ones are allowed");
	if (ledger_restore(d) != 0)
		goto fail;
	if (d->cfg->charter[0] != '\0') {
		d->co = coalition_open(d->cfg, &id, &d->allow, d->ledger, err, sizeof(err));
		identity_wipe(&id);
		have_id = false;
		if (d->co == NULL) {
			log_warnx("coalition: %s", err);
			goto fail;
		}
		coalition_publish(d->co);	/* what a crash left in the outbox */
		d->charter_version = coalition_charter_version(d->co);
	}
	if (events_open(d, on_lines) != 0)
		goto fail;
	/* systemd's STATUS has its numbers at READY, the sources opened
	 * among them */
	worker_heartbeat(d);
	if (privc_ready(d->pc) != 0)
		goto fail;
	log_info("started: %s mode, %zu rules for %zu services, %zu sources, control %s",
	    d->cfg->observe ? "observe" : "enforce", rules_count(d->rs), rules_service_count(d->rs),
	    sensor_source_count(d->sensor), d->cfg->control_socket);
	return 0;
fail:
	if (have_id)
		identity_wipe(&id);
	return -1;
}

/* --- reload, stop --- */

int
worker_reload(struct daemon *d, char *why, size_t whylen)
{
	struct config *ncfg = calloc(1, sizeof(*ncfg));
	struct engine e;
	struct prefixlist nallow;
	char err[1024];

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (ncfg == NULL)
		return -1;
	config_defaults(ncfg);
	if (config_load(d->cfg->path, ncfg, err, sizeof(err)) != 0) {
		log_warnx("reload refused, keeping the running configuration: %s", err);
		if (why != NULL)
			snprintf(why, whylen, "%s", err);
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
		if (why != NULL)
			snprintf(why, whylen, "%s", err);
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
		if (why != NULL)
			snprintf(why, whylen, "the enforcer process could not reopen (see the log)");
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
	sensor_set_quiet(d->sensor, d->cfg->source_quiet);
	log_info("reloaded %s: %zu rules, %zu services", d->cfg->path, rules_count(d->rs),
	    rules_service_count(d->rs));
	return 0;
}

/* The count of bans in force is a query over the ledger's index: taken
 * again when a ban was issued, else every 10 s (expiries). */
void
worker_heartbeat(struct daemon *d)
{
	struct priv_alive a;
	int64_t now = now_sec();

	if (d->ledger != NULL && (d->active_counted_at == 0 || now - d->active_counted_at >= 10 ||
	    d->bans != d->active_counted_at_bans)) {
		int64_t n = ledger_bans_count(d->ledger, now);
		d->active_bans = n > 0 ? (uint64_t)n : 0;
		d->active_counted_at = now;
		d->active_counted_at_bans = d->bans;
	}
	memset(&a, 0, sizeof(a));
	/* the sources read, not those configured: an unless-journal file
	 * is not read when the journal is */
	a.sources = (uint32_t)(d->sensor != NULL ? sensor_source_count(d->sensor) : 0);
	a.hups = d->hups;
	a.reloads = (uint32_t)d->reloads;
	a.bans_active = d->active_bans;
	privc_alive(d->pc, &a);
}

void
worker_stop(struct daemon *d, const struct parent *p)
{
	struct engine last;

	privc_commit(d->pc);
	sensor_free(d->sensor);
	web_close(d);
	coalition_close(d->co);
	journal_close(d->journal);
	ledger_close(d->ledger);
	engine_of(d, &last);
	engine_free(&last);
	if (d->sigfd >= 0) close(d->sigfd);
	if (d->timerfd >= 0) close(d->timerfd);
	if (d->commitfd >= 0) close(d->commitfd);
	if (d->epfd >= 0) close(d->epfd);
	if (d->ctlfd >= 0) close(d->ctlfd);
	privc_free(d->pc);
	if (d->cfg != p->cfg)
		free(d->cfg);
}
